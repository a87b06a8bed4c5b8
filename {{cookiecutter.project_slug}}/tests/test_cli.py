"""The command line: stages end to end on small data, and clear errors."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import __version__, paths
from {{ cookiecutter.package_name }}.cli import COMMANDS, main
from {{ cookiecutter.package_name }}.config import METRICS
from {{ cookiecutter.package_name }}.pipeline.model import load

from .conftest import PROBLEM_TYPES, mixed_table, set_params


def test_version(capsys):
    """--version prints the package version."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_the_console_script_and_python_m_name_themselves(capsys, monkeypatch):
    """Run as the console script, usage and --version name the script; run as
    `python -m <package>`, they name that."""
    script = "{{ cookiecutter.project_slug }}"
    monkeypatch.setattr(sys, "argv", [f"/venv/bin/{script}", "--version"])
    with pytest.raises(SystemExit):
        main()
    assert capsys.readouterr().out == f"{script} {__version__}\n"
    shown = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.startswith("usage: python -m {{ cookiecutter.package_name }} ")


def test_every_command_has_help(capsys):
    """Each command is declared once, with its help; `--help` lists them all."""
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed for name in COMMANDS)


@pytest.mark.parametrize("kind", PROBLEM_TYPES)
def test_pipeline_smoke(project, capsys, kind):
    """prepare, train and evaluate run in order and write every output, for either
    problem type and whatever target params.yaml names."""
    synthetic = {"rows": 400, "features": 5}
    set_params(
        project,
        base={"problem_type": kind},
        prepare={
            "source": "synthetic",
            "target": "target",
            "ids": [],
            "drop": [],
            "kinds": {},
            "positive_class": None,
            "split": {"method": "hash", "column": None},
            "synthetic": synthetic,
        },
        train={
            "estimator": "random_forest",
            "hyperparameters": {"random_forest": {"n_estimators": 20}},
        },
    )
    for command in ("prepare", "train", "evaluate"):
        assert main([command]) == 0, capsys.readouterr().err
    model = load(paths.MODEL)
    assert list(model.features) == [f"x{i:02d}" for i in range(5)]
    assert model.problem_type == kind
    scores = json.loads(paths.METRICS.read_text(encoding="utf-8"))
    assert set(scores) == set(METRICS[kind])
    predictions = pd.read_parquet(paths.PREDICTIONS)
    assert 40 < len(predictions) < 120 and predictions.index.name == "row"  # a hash split
    assert sorted(paths.PLOTS_DIR.iterdir()) == sorted(paths.PLOTS[kind])


def prepare_file(frame: pd.DataFrame, capsys) -> tuple[dict, str, dict]:
    """``frame`` prepared from data/raw/dataset.csv: key -> (its prepared row, "train" or
    "test"), the prepared tables' index's name, and column -> role or kind as printed."""
    frame.to_csv("data/raw/dataset.csv", index=False)
    assert main(["prepare"]) == 0, capsys.readouterr().err
    sides = {"train": pd.read_parquet(paths.TRAIN), "test": pd.read_parquet(paths.TEST)}
    [name] = {table.index.name for table in sides.values()}
    found = {
        key: (row.to_dict(), side)
        for side, table in sides.items()
        for key, row in table.iterrows()
    }
    cells = [line.strip("| ").split(" | ") for line in capsys.readouterr().out.splitlines()]
    return found, name, {row[0]: row[1] for row in cells[2:] if len(row) > 2}


@pytest.mark.parametrize("kind", PROBLEM_TYPES)
def test_a_table_as_it_is_prepares_and_trains(project, capsys, kind):
    """The README's data statements: a table of text, yes/no, dates, an ID, missing values
    and rows without a target prepares as it is (each column's role and kind printed, the
    rows without a target left out) and trains. Each row's key is a hash of its ID, else
    of its content, never its position: rows in another order keep their keys and sides;
    without IDs, an edited row alone is re-keyed. The prepared tables' index is named
    `row`, or `row_` when a column is called `row`."""
    frame = mixed_table(kind, rows=300)
    frame["row"] = np.where(np.arange(300) % 3, "aisle", "window")  # a feature named row
    frame.loc[[5, 50], "target"] = None
    settings = {"source": "file", "path": "data/raw/dataset.csv", "target": "target"}
    set_params(
        project,
        base={"problem_type": kind},
        prepare={**settings, "ids": ["customer_id"], "drop": [], "kinds": {}},
        train={
            "estimator": "random_forest",
            "hyperparameters": {"random_forest": {"n_estimators": 9}},
        },
    )
    found, index, roles = prepare_file(frame, capsys)
    features = {"plan": "categorical", "newsletter": "boolean", "signed_up": "datetime"}
    features |= {"row": "categorical"} | {f"x0{i}": "numeric" for i in range(4)}
    assert roles == {"customer_id": "ID", "target": "target", **features}
    assert index == "row_"
    by_id = {row["customer_id"]: (key, side) for key, (row, side) in found.items()}
    assert set(by_id) == set(frame["customer_id"].drop([5, 50]))  # no row without a target
    assert main(["train"]) == 0, capsys.readouterr().err
    assert set(load(paths.MODEL).features) == set(features)

    shuffled, _, _ = prepare_file(frame.sample(frac=1, random_state=1), capsys)
    assert {row["customer_id"]: (key, side) for key, (row, side) in shuffled.items()} == by_id

    set_params(project, prepare={**settings, "ids": []})
    frame = frame.drop(columns="row")
    by_content, index, _ = prepare_file(frame, capsys)
    assert index == "row"
    assert len(by_content) == 298 and not set(by_content) & set(found)  # not the ID's hash
    reordered, _, _ = prepare_file(frame.iloc[::-1], capsys)
    assert {key: side for key, (_, side) in reordered.items()} == {
        key: side for key, (_, side) in by_content.items()
    }
    frame.loc[7, "plan"] = "edited"
    edited, _, _ = prepare_file(frame, capsys)
    assert len(set(by_content) - set(edited)) == 1


def test_bad_data_exits_non_zero_and_writes_nothing(project, capsys):
    """A data problem is one line on stderr, exit status 1, and no output file."""
    (project / "data" / "raw" / "dataset.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    set_params(project, prepare={"source": "file", "target": "label"})
    assert main(["prepare"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: data/raw/dataset.csv: target column 'label' not found")
    assert not paths.TRAIN.exists() and not paths.TEST.exists()


def test_missing_params_file(tmp_path, monkeypatch, capsys):
    """Run outside the project root, it says which file is missing."""
    monkeypatch.chdir(tmp_path)
    assert main(["train"]) == 1
    assert "params.yaml: file not found" in capsys.readouterr().err


@pytest.mark.usefixtures("project")
def test_train_before_prepare_is_explained(capsys):
    """Evaluating with no model says to run the pipeline first."""
    assert main(["evaluate"]) == 1
    assert "model not found; run 'dvc repro'" in capsys.readouterr().err


@pytest.mark.usefixtures("project")
def test_module_entry_point():
    """python -m <package> works, as dvc.yaml calls it."""
    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "validate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_predict_takes_one_model_source(capsys):
    """--model, --stage and --version exclude each other (argparse's usage error)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "in.csv", "out.csv", "--model", "m.joblib", "--version", "v1.0.0"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["70000", "0", "-1", "http"])
def test_serve_takes_a_port_from_1_to_65535(capsys, port):
    """A port outside 1 to 65535 is refused when the arguments are read, before any model is
    loaded; 0 too (the system would pick a port that `serve` could not say)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--port", port])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"argument --port: expected a port from 1 to 65535, got {port!r}" in error


@pytest.mark.parametrize("number", ["abc", "0", "-3", "12 ", "1e3"])
def test_report_takes_a_pull_request_number(capsys, number):
    """--pull-request is the pull request's number (a positive integer), or empty outside
    a pull request (the Makefile passes it only when PR_NUMBER is set)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--pull-request", number])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"argument --pull-request: expected a pull request's number, got {number!r}" in error


@pytest.mark.usefixtures("project")
@pytest.mark.parametrize(
    ("command", "path", "text", "message"),
    [
        ("release", paths.PROMOTION, "{}", "tag: required key is missing"),
        ("release", paths.PROMOTION, '{"tag": 3}', "tag: expected text, found 3"),
        ("drift-issue", paths.DRIFT, '{"drift": true, "mod', "not valid JSON (Unterminated"),
        ("drift-issue", paths.DRIFT, "[]", "expected a JSON object, found a list"),
        ("drift-issue", paths.DRIFT, '{"drift": "no"}', "drift: expected true/false, found"),
        ("gate", paths.RESULT, '{"passed": true}', "criteria: required key is missing"),
        ("retrain-pr", paths.RETRAINING, '{"branch": null}', "branch: expected text, found"),
    ],
)
def test_an_earlier_command_s_damaged_output_is_named(capsys, command, path, text, message):
    """A file an earlier command wrote (promotion.json, drift.json, ...), truncated, of
    another shape or missing a field, is named with the field and what was expected: one
    line, exit status 1."""
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    assert main([command]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {path}: {message}")
    assert "Traceback" not in error and len(error.splitlines()) == 1
