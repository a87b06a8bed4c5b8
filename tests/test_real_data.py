"""Teams' own tables as they are, end to end in generated projects: real public tables
that ship in PyPI packages, with text categories, missing values, yes/no columns, dates,
ID columns and text targets (palmerpenguins' penguins and penguins-raw; vega_datasets'
cars, seattle-weather and us-employment), for multiclass, binary and regression
problems. The README's "Bring your own data" commands run as written."""

import importlib.resources
import json

import pandas as pd
import pytest

from harness.env import register_by_hand, run

from .conftest import edit_yaml, git, hgb, readme_commands
from .test_predict import post, serving

PENGUINS = importlib.resources.files("palmerpenguins") / "data"
VEGA = importlib.resources.files("vega_datasets") / "_data"


def own_data(baked, project_env, frame: pd.DataFrame, problem_type: str, **prepare):
    """A project with ``frame`` as its data, brought in with the README's commands
    (`cp` from the user's file, `dvc add` in the environment), and ``prepare`` settings."""
    project = baked(problem_type=problem_type)
    (project / ".venv").symlink_to(project_env)  # what `make install` makes
    mine = project.parent / "my-data.csv"
    frame.to_csv(mine, index=False)
    first, second, *_ = readme_commands(project, "Bring your own data")
    assert first == ["cp", "~/my-data.csv", "data/raw/dataset.csv"]
    run(project, "cp", str(mine), first[2])
    assert second == ["dvc", "add", "data/raw/dataset.csv"]
    run(project, *second)
    settings = {"source": "file", **prepare}
    edit_yaml(project / "params.yaml", lambda p: p["prepare"].update(settings))
    return project


def report_of(project, base: str = "main") -> tuple[str, dict]:
    run(project, "make", "pr-report", f"BASE={base}")
    text = (project / "build" / "pr" / "report.md").read_text(encoding="utf-8")
    return text, json.loads((project / "build" / "pr" / "result.json").read_text("utf-8"))


def commit(project, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "-q", "-m", message)


def test_a_multiclass_table_with_ids_dates_text_and_gaps(baked, project_env, tmp_path):
    """penguins-raw (344 rows: IDs, a date, a yes/no column, free text, missing values, a
    text target with three classes): the README's commands, the project's own tests,
    reports after a seed change (nothing moves, it passes) and a parameter change,
    promotion, and scoring and monitoring the raw table with its IDs."""
    frame = pd.read_csv(PENGUINS / "penguins-raw.csv")
    project = own_data(
        baked, project_env, frame, "classification",
        target="Species", ids=["studyName", "Individual ID"],
    )  # fmt: skip
    commands = readme_commands(project, "Bring your own data")
    assert commands[2:4] == [["make", "repro"], ["make", "propose-gate"]]
    built = run(project, "make", "repro").stdout
    assert "| Date Egg | datetime | inferred |" in built
    assert "| Clutch Completion | boolean | inferred |" in built
    assert "| Comments | categorical | inferred | 290 |" in built
    assert "| Individual ID | ID |" in built
    proposed = run(project, "make", "propose-gate", "WRITE=1").stdout
    assert "propose-gate: written to `lifecycle.yaml`" in proposed
    run(project, "make", "validate")
    run(project, "make", "test")  # the project's own tests, whatever the data
    commit(project, "Train on our data")
    register_by_hand(project, "churn-model", "HEAD", "v1.0.0", "prod")

    git(project, "checkout", "-q", "-b", "seed")
    before = pd.read_parquet(project / "data" / "prepared" / "test.parquet").index
    edit_yaml(project / "params.yaml", lambda p: p["base"].update(seed=7))
    run(project, "dvc", "repro")
    commit(project, "Another seed")
    after = pd.read_parquet(project / "data" / "prepared" / "test.parquet").index
    assert list(before) == list(after)
    text, result = report_of(project)
    assert result["passed"], text
    assert "Every model scored on this pull request's" in text
    assert "it trained on are left out" not in text

    git(project, "checkout", "-q", "-b", "rate", "main")
    edit_yaml(project / "params.yaml", lambda p: hgb(p).update(learning_rate=0.05))
    run(project, "dvc", "repro")
    commit(project, "Lower the rate")
    text, result = report_of(project)
    roc = next(line for line in text.splitlines() if line.startswith("| roc_auc"))
    assert "[" in roc.split("|")[4] or "±0" in roc.split("|")[4]  # multiclass: an interval
    assert "(recorded)" not in roc and "no interval" not in roc

    git(project, "checkout", "-q", "main")
    git(project, "merge", "-q", "--no-ff", "-m", "Merge rate", "rate")
    promoted = run(project, "make", "promote-gate", "promote", check=False)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert "promote: churn-model v1.1.0 -> prod" in promoted.stdout

    batch = tmp_path / "batch.csv"
    frame.drop(columns="Species").to_csv(batch, index=False)
    scored = run(project, "python", "-m", "churn_model", "predict", str(batch), "out.csv")
    assert "344 rows scored with churn-model prod v1.1.0" in scored.stdout
    out = pd.read_csv(project / "out.csv")
    assert list(out.columns[:3]) == ["studyName", "Individual ID", "row"]
    assert list(out["Individual ID"]) == list(frame["Individual ID"])
    # The same rows over HTTP (`serve`, production's version), as JSON gives them: the
    # same probabilities and IDs; a row reads the same alone or beside one of gaps; a
    # date sent as a number is refused, naming the column.
    records = json.loads(frame.drop(columns="Species").head(20).to_json(orient="records"))
    with serving(project, ["make", "serve"], tmp_path / "serve.log", PORT="{port}") as url:
        status, answer = post(f"{url}/predict", {"rows": records})
        assert status == 200 and answer["version"] == "v1.1.0", answer
        for row, expected in zip(
            answer["predictions"], out.head(20).to_dict("records"), strict=True
        ):
            assert row["ids"]["Individual ID"] == expected["Individual ID"]
            for label, probability in row["probabilities"].items():
                assert probability == pytest.approx(expected[f"proba_{label}"])
        gaps = dict.fromkeys(records[0])
        status, pair = post(f"{url}/predict", {"rows": [records[0], gaps]})
        assert status == 200 and pair["predictions"][0] == answer["predictions"][0]
        status, refused = post(f"{url}/predict", {"rows": [{**records[0], "Date Egg": 1}]})
        assert status == 422 and "column Date Egg: expected a date as text" in refused["detail"]
    checked = run(project, "python", "-m", "churn_model", "monitor", str(batch), check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "retyped" not in (project / "build" / "monitor" / "report.md").read_text("utf-8")

    # The outcomes arrive later, keyed by the IDs (the README's command): realized metrics.
    outcomes = tmp_path / "outcomes.csv"
    frame[["studyName", "Individual ID", "Species"]].to_csv(outcomes, index=False)
    command = ("python", "-m", "churn_model", "monitor", str(batch), "--outcomes", str(outcomes))
    checked = run(project, *command, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "realized metrics as expected" in checked.stdout
    assert (
        f"monitor: 344 of the 344 outcomes in {outcomes} matched a batch row by studyName, "
        "Individual ID" in checked.stdout
    )
    # The raw table holds the model's training rows: left out of the realized metrics
    # (optimistic on them), counted; the test rows are judged.
    trained = json.loads((project / "eval" / "data.json").read_text("utf-8"))["rows"]["train"]
    assert (
        f"monitor: warning: {trained} batch row(s) with outcomes are rows the model trained on"
        in checked.stdout
    )
    monitored = (project / "build" / "monitor" / "report.md").read_text("utf-8")
    assert f"On the {344 - trained} batch rows whose outcomes are known" in monitored
    assert "Outcomes: 344 of the 344 in" in monitored
    # An outcome without its ID: refused, naming the file and the column; nothing written.
    gap = frame[["studyName", "Individual ID", "Species"]].copy()
    gap.loc[5, "Individual ID"] = None
    gap.to_csv(outcomes, index=False)
    written = [path.stat().st_mtime_ns for path in (project / "build" / "monitor").iterdir()]
    refused = run(project, *command, check=False)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert (
        f"error: {outcomes}: 1 row(s) have no value in the ID column 'Individual ID'"
        in refused.stderr
    )
    after = [path.stat().st_mtime_ns for path in (project / "build" / "monitor").iterdir()]
    assert after == written
    # Outcomes that no longer match the predictions: the realized metrics dropped.
    wrong = frame[["studyName", "Individual ID", "Species"]].copy()
    wrong["Species"] = wrong["Species"].sample(frac=1, random_state=0).to_numpy()
    wrong.to_csv(outcomes, index=False)
    checked = run(project, *command, check=False)
    assert checked.returncode == 3 and "realized" in checked.stdout, checked.stdout


def test_a_binary_text_target_with_gaps_and_an_id_that_orders_it(baked, project_env, tmp_path):
    """penguins' sex (male/female; 11 rows without it), sorted by sex, with a running
    number called `row` (the old internal index's name): the rows without a target are
    left out and counted, the positive class is chosen plainly and shown, and the number
    is named as a likely ID by prepare and fails the gate at the top of the report, also
    when the pull request acknowledges it itself (shown as a gate edit); once the owners'
    acknowledgement is on the base branch, it passes and the report says why. The raw
    table scores."""
    frame = pd.read_csv(PENGUINS / "penguins.csv").sort_values("sex").reset_index(drop=True)
    frame.insert(0, "row", range(len(frame)))
    project = own_data(baked, project_env, frame, "classification", target="sex")
    git(project, "checkout", "-q", "-b", "first")
    built = run(project, "make", "repro").stdout
    assert "prepare: 11 row(s) without a target left out" in built
    assert "prepare: positive class 'female'" in built
    assert "column 'row' has a distinct value in every row: likely an ID" in built
    assert "fails the promotion gate until lifecycle.yaml's gate.acknowledged_leaks" in built
    commit(project, "Train on our data")
    text, result = report_of(project)
    assert "Positive class: `female`" in text
    assert "First run for base" in text
    top = text.split("### Metrics")[0]
    assert "- ❌ likely leak (prepare): column 'row' has a distinct value in every row" in top
    failed = [item["name"] for item in result["criteria"] if not item["passed"]]
    assert failed == ["no likely leak: row"], failed
    reason = "numbered in the order of the survey's file; not used by anyone"

    def acknowledge(lifecycle: dict) -> None:
        lifecycle["gate"]["acknowledged_leaks"]["row"] = reason

    edit_yaml(project / "lifecycle.yaml", acknowledge)
    commit(project, "Acknowledge the row number")
    text, result = report_of(project)
    assert not result["passed"] and "> - `gate.acknowledged_leaks.row`: '(absent)' →" in text
    git(project, "checkout", "-q", "main")
    edit_yaml(project / "lifecycle.yaml", acknowledge)
    commit(project, "The owners acknowledge the row number")
    git(project, "checkout", "-q", "first")
    git(project, "merge", "-q", "-X", "theirs", "main", "-m", "Merge main")
    text, result = report_of(project)
    assert result["passed"], [item["reason"] for item in result["criteria"]]
    assert "- ⚪ likely leak acknowledged in `lifecycle.yaml`: column 'row'" in text
    assert reason in text
    batch = tmp_path / "batch.csv"
    frame.drop(columns="sex").to_csv(batch, index=False)
    run(project, "python", "-m", "churn_model", "predict", str(batch), "out.csv",
        "--model", "models/model.joblib")  # fmt: skip
    assert len(pd.read_csv(project / "out.csv")) == len(frame)


def test_a_regression_table_with_names_dates_and_a_relative_tolerance(
    baked, project_env, tmp_path
):
    """vega_datasets' cars (406 rows, miles per gallon to predict, 8 without it; car
    names, a year as a date, an origin): trains, reports against a relative tolerance,
    and scores new rows whose names it never saw."""
    frame = pd.read_json(VEGA / "cars.json")
    project = own_data(baked, project_env, frame, "regression", target="Miles_per_Gallon")
    git(project, "checkout", "-q", "-b", "first")
    built = run(project, "make", "repro").stdout
    assert "| Year | datetime | inferred |" in built and "| Origin | categorical |" in built
    commit(project, "Train on our data")
    text, _ = report_of(project)
    assert "worsens ≤ 5%" in text  # rmse's tolerance, relative to the baseline
    batch = tmp_path / "new.csv"
    frame.drop(columns="Miles_per_Gallon").head(20).assign(Name="a new car").to_csv(batch)
    scored = run(
        project, "python", "-m", "churn_model", "predict", str(batch), "out.csv",
        "--model", "models/model.joblib",
    ).stdout  # fmt: skip
    assert "20 row(s) have a value of 'Name' unseen in training" in scored


def test_a_time_split_tests_on_the_newest_rows(baked, project_env):
    """vega_datasets' seattle-weather (daily, 2012-2015): the newest fifth is the test set."""
    frame = pd.read_csv(VEGA / "seattle-weather.csv")
    project = own_data(
        baked, project_env, frame, "regression",
        target="temp_max", split={"method": "time", "column": "date"},
    )  # fmt: skip
    run(project, "dvc", "repro")
    test = pd.read_parquet(project / "data" / "prepared" / "test.parquet")
    train = pd.read_parquet(project / "data" / "prepared" / "train.parquet")
    assert pd.to_datetime(test["date"]).min() > pd.to_datetime(train["date"]).max()


TRENDS = """
import sys
import pandas as pd
from churn_model.config import DriftThresholds
from churn_model.operate.drift import compare, trending
frame = pd.read_csv(sys.argv[1], parse_dates=["month"])
kinds = {name: "numeric" for name in frame} | {"month": "datetime"}
reference, later = frame.iloc[:96], frame.iloc[96:]
found = trending(reference, kinds, ["month"])
print(found)
for name in ("education_and_health_services", "utilities"):
    for trend in (found.get(name, ""), ""):
        column = compare(name, reference[name], later[name], DriftThresholds(), alpha=1e-4,
                         trend=trend)
        print(name, bool(trend), column.drift, column.compared or column.test, sep="|")
"""


def test_a_number_that_trends_with_time_is_named_not_tested(baked):
    """vega_datasets' us-employment (monthly, 2006-2015): its last two years against the
    eight before. Jobs in education and health rose every month: its values in a later
    batch move by design, so it is named as trending with the month and compared by its
    missing values only (by its values it drifts); utilities, which does not trend, is
    compared by its values."""
    project = baked()
    found = run(project, "python", "-c", TRENDS, str(VEGA / "us-employment.csv")).stdout
    said = "trends with `month` (rank correlation 1.00 in the reference)"
    assert found.splitlines() == [
        f"{{'education_and_health_services': '{said}'}}",
        f"education_and_health_services|True|False|not compared: {said}",
        "education_and_health_services|False|True|KS",
        "utilities|False|False|KS",
        "utilities|False|False|KS",
    ]


def test_a_group_split_gives_intervals_by_group(baked, project_env):
    """palmerpenguins split by island (rows of one island stay on one side, the column
    left out of the features): prepare keeps the column in the test table and the
    report's intervals are by group, saying so."""
    frame = pd.read_csv(PENGUINS / "penguins.csv").dropna()
    frame["colony"] = frame.index % 60  # 60 colonies: each island's birds in groups
    project = own_data(
        baked, project_env, frame, "regression", target="body_mass_g", drop=["colony"],
        split={"method": "group", "column": "colony"},
    )  # fmt: skip
    git(project, "checkout", "-q", "-b", "by-colony")
    run(project, "dvc", "repro")
    assert "colony" in pd.read_parquet(project / "data" / "prepared" / "test.parquet")
    commit(project, "Train by colony")
    text, _ = report_of(project)
    assert "Δ's intervals by group: the rows of one colony value move together" in text


def test_a_model_that_learned_nothing_fails_the_gate(baked, project_env):
    """A table with nothing to learn gives a model that predicts one class for every test
    row: the gate fails with that reason."""
    noise = pd.DataFrame({"x": range(40), "label": ["a", "b"] * 20})
    empty = own_data(baked, project_env, noise, "classification", target="label")
    edit_yaml(empty / "params.yaml", lambda p: hgb(p).update(min_samples_leaf=40))
    git(empty, "checkout", "-q", "-b", "first")
    run(empty, "dvc", "repro")
    commit(empty, "Train")
    text, result = report_of(empty)
    assert not result["passed"]
    assert "the model predicts 'a' for all" in text or "the model predicts 'b' for all" in text


def test_switching_estimators_with_dvc_exp_run(baked):
    """Each estimator keeps its own hyperparameters: `dvc exp run -S train.estimator=...`
    switches, and clearing one estimator's settings works."""
    project = baked(problem_type="classification")
    run(project, "dvc", "repro")
    commit(project, "Train")
    run(project, "dvc", "exp", "run", "-S", "train.estimator=logistic_regression")
    run(project, "dvc", "exp", "run", "-S", "train.hyperparameters.random_forest={}",
        "-S", "train.estimator=random_forest")  # fmt: skip
    shown = json.loads(run(project, "dvc", "exp", "show", "--json").stdout)
    assert len(json.dumps(shown)) > 0 and "logistic_regression" in json.dumps(shown)
