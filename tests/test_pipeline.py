"""A baked project, installed, runs its own checks and its DVC pipeline end to end."""

import json
import re

import pandas as pd
import pytest
import yaml

from harness.env import run
from harness.runner import GitHub

from .conftest import Repository, git, readme_commands

METRICS = {
    "classification": {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"},
    "regression": {"rmse", "mae", "r2"},
}
PLOTS = {
    "classification": {"roc.csv", "precision_recall.csv", "confusion.csv"},
    "regression": {"residuals.csv"},
}


def set_params(project, **sections):
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section, values in sections.items():
        params[section].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def dvc_status(project) -> dict:
    return json.loads(run(project, "dvc", "status", "--json").stdout or "{}")


@pytest.mark.parametrize("problem_type", ["classification", "regression"])
def test_project_checks_and_pipeline(baked, problem_type, project_env, tmp_path):
    """Its tests and ruff pass, in its Code workflow (ci.yaml) on a push; `dvc repro`
    trains, evaluates and locks; a second run does nothing; the model registers in GTO
    under the declared name."""
    project = baked(problem_type=problem_type, model_name="churn-model")
    if problem_type == "classification":  # the project's tests cover both kinds themselves
        repo = Repository(project, GitHub(tmp_path / "github"), project_env)
        git(project, "push", "-q", "origin", "main")
        checked = repo.run("ci.yaml", "push", repo.gh.push_event("main"))
        job = checked.jobs["check"]
        assert job.conclusion == "success", job.log
        assert job.permissions == {"contents": "read", "metadata": "read"}
        validate, lint, tests = job.steps[-3:]
        assert [validate.name, lint.name, tests.name] == [
            f"Run make {name}" for name in ("validate", "lint", "test")
        ]
        assert re.search(r"\d+ passed", tests.log) and "failed" not in tests.log
    else:
        run(project, "make", "lint")
        run(project, "make", "validate")
    # The lock is current (nothing moves), and refreshing it to the newest allowed works.
    run(project, "make", "lock")
    assert git(project, "status", "--porcelain") == ""
    run(project, "make", "lock", "UPGRADE=1")
    run(project, "uv", "lock", "--check")
    git(project, "checkout", "--", "uv.lock")

    built = run(project, "make", "repro").stdout
    # Where metrics first show, the table they come from is named.
    table = "breast cancer" if problem_type == "classification" else "diabetes"
    assert re.search(rf"train: \w+ fitted on \d+ rows of scikit-learn's {table} dataset", built)
    lock = yaml.safe_load((project / "dvc.lock").read_text(encoding="utf-8"))
    assert list(lock["stages"]) == ["prepare", "train", "evaluate"]
    outs = {out["path"] for out in lock["stages"]["train"]["outs"]}
    assert outs == {"models/model.joblib", "eval/training"}
    assert lock["stages"]["train"]["params"]["params.yaml"]["train"]["estimator"] == (
        "hist_gradient_boosting"
    )
    metrics = json.loads((project / "eval" / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics) == METRICS[problem_type]
    quality = metrics["roc_auc"] if problem_type == "classification" else metrics["r2"]
    assert quality > 0.3
    assert {p.name for p in (project / "eval" / "plots").iterdir()} == PLOTS[problem_type]
    predictions = pd.read_parquet(project / "eval" / "predictions.parquet")
    test_rows = pd.read_parquet(project / "data" / "prepared" / "test.parquet")
    assert list(predictions.index) == list(test_rows.index)
    assert dvc_status(project) == {}

    # Only the outputs kept in Git are new to Git: DVC's own .gitignore entries were shipped.
    untracked = set(git(project, "status", "--porcelain", "--untracked-files=all").splitlines())
    expected = {"?? dvc.lock", "?? eval/metrics.json", "?? eval/data.json"} | {
        f"?? eval/plots/{name}" for name in PLOTS[problem_type]
    }
    assert untracked == expected

    model_mtime = (project / "models" / "model.joblib").stat().st_mtime_ns
    again = run(project, "dvc", "repro")
    assert "Running stage" not in again.stdout
    assert (project / "models" / "model.joblib").stat().st_mtime_ns == model_mtime

    # The README's other commands: plots render, metrics compare, format is a no-op.
    run(project, "make", "plots")
    assert (project / "dvc_plots" / "index.html").is_file()
    diff = run(project, "make", "metrics").stdout
    assert "eval/metrics.json" in diff and sorted(METRICS[problem_type])[0] in diff
    run(project, "make", "format")
    assert "prepare" in run(project, "python", "-m", "churn_model", "--help").stdout

    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Train the first model")
    run(project, "gto", "register", "churn-model")
    shown = json.loads(run(project, "gto", "show", "--json").stdout)
    assert shown["churn-model"]["version"] == "v0.0.1"
    # DVC resolves the registered version to the commit and the path dvc.yaml declares.
    resolved = run(
        project,
        "python",
        "-c",
        ("import json, dvc.api; print(json.dumps(dvc.api.artifacts_show('churn-model')))"),
    )
    assert json.loads(resolved.stdout) == {
        "rev": git(project, "rev-parse", "HEAD"),
        "path": "models/model.joblib",
    }


def test_a_parameter_change_retrains_only_what_depends_on_it(on_main):
    """Changing a training hyperparameter reruns train and evaluate, not prepare."""
    project = on_main  # trained: nothing to rerun
    assert dvc_status(project) == {}
    set_params(
        project,
        train={
            "hyperparameters": {"hist_gradient_boosting": {"learning_rate": 0.05, "max_iter": 50}}
        },
    )
    status = dvc_status(project)
    assert set(status) == {"train"}  # evaluate follows once train's output changes
    result = run(project, "dvc", "repro")
    assert "Running stage 'prepare'" not in result.stdout
    assert "Running stage 'train'" in result.stdout
    assert "Running stage 'evaluate'" in result.stdout


def test_experiments_show_their_metrics_and_training_curves(on_main):
    """The README's experiment commands, run as shown on a committed project: each
    experiment has its own row of metrics (the test set's and where training ended) in
    `dvc exp show --json`, and its training curve beside the commit's in `dvc plots diff
    --json`, the data DVC's VS Code extension draws; `dvc exp branch` keeps the
    experiment, its log included, for a pull request."""
    project = on_main
    for command in readme_commands(project, "Experiments"):
        run(project, *command)

    shown = json.loads(run(project, "dvc", "exp", "show", "--json").stdout)
    commit = next(row for row in shown if row["rev"] == git(project, "rev-parse", "HEAD"))
    rows = {"HEAD": commit["data"]} | {
        exp["name"]: exp["revs"][0]["data"] for exp in commit.get("experiments") or []
    }
    assert set(rows) == {"HEAD", "lr-0.05"}
    ended = {
        name: data["metrics"]["eval/training/metrics.json"]["data"] for name, data in rows.items()
    }
    for name, data in rows.items():
        assert set(data["metrics"]["eval/metrics.json"]["data"]) == METRICS["classification"]
        assert ended[name]["step"] == 200
    assert ended["HEAD"]["train"]["log_loss"] < ended["lr-0.05"]["train"]["log_loss"]

    plots = json.loads(run(project, "dvc", "plots", "diff", "HEAD", "lr-0.05", "--json").stdout)
    curve = plots["data"]["eval/training/plots/metrics/train/log_loss.tsv"][0]
    assert curve["revisions"] == ["HEAD", "lr-0.05"]
    points = curve["content"]["data"]["values"]
    for revision in ("HEAD", "lr-0.05"):
        steps = [int(point["step"]) for point in points if point["rev"] == revision]
        assert steps == list(range(1, 201))
    last = next(p for p in points if p["rev"] == "lr-0.05" and p["step"] == "200")
    assert float(last["log_loss"]) == ended["lr-0.05"]["train"]["log_loss"]

    read = "import dvc.api; print(dvc.api.read('eval/training/metrics.json', rev='{}'))"
    kept = run(project, "python", "-c", read.format("lower-learning-rate")).stdout
    assert json.loads(kept) == ended["lr-0.05"]


def test_bring_your_own_csv(baked):
    """The README's recipe: `dvc add` a CSV, point params.yaml at it, `dvc repro`."""
    project = baked(problem_type="regression")
    rows = 300
    frame = pd.DataFrame({"size": range(rows), "rooms": [i % 7 for i in range(rows)]})
    frame["price"] = frame["size"] * 3.0 + frame["rooms"] * 10.0 + (frame.index % 5)
    frame.to_csv(project / "data" / "raw" / "dataset.csv", index=False)
    run(project, "dvc", "add", "data/raw/dataset.csv")
    assert (project / "data" / "raw" / "dataset.csv.dvc").is_file()
    set_params(
        project, prepare={"source": "file", "path": "data/raw/dataset.csv", "target": "price"}
    )
    result = run(project, "dvc", "repro")
    assert re.search(r"\d+ training rows, \d+ test rows from data/raw/dataset.csv", result.stdout)
    model = run(
        project,
        "python",
        "-c",
        (
            "from churn_model.pipeline.model import load; from churn_model import paths; "
            "print(sorted(load(paths.MODEL).features))"
        ),
    )
    assert model.stdout.strip() == "['rooms', 'size']"

    # Changing the data reruns the pipeline from prepare.
    frame.assign(price=frame["price"] * 2).to_csv(
        project / "data" / "raw" / "dataset.csv", index=False
    )
    run(project, "dvc", "add", "data/raw/dataset.csv")
    assert "prepare" in dvc_status(project)


@pytest.mark.parametrize(
    ("csv", "target", "message"),
    [
        ("a,b\n1,2\n3,4\n", "label", "target column 'label' not found"),
        (
            "a,label\n1,0.52\n2,0.13\n3,0.71\n4,0.3\n5,0.9\n6,0.4\n",
            "label",
            "looks continuous (6 distinct numbers, e.g. 0.52, 0.13, 0.71): to predict a "
            "number, set base.problem_type: regression",
        ),
        ("a,label\n1,\n2,\n", "label", "target column 'label' has no values"),
        ("a,label\n", "label", "the table has no rows"),
        ("a,label\n1,1\n2,0\n3,1\n", "label", "too few to split"),
    ],
    ids=["missing-target", "continuous-target", "no-labels", "empty", "too-few-rows"],
)
def test_bad_data_fails_the_pipeline_with_a_clear_error(baked, csv, target, message):
    """`dvc repro` stops at prepare with the message, writes no output, loses nothing."""
    project = baked()
    (project / "data" / "raw" / "dataset.csv").write_text(csv, encoding="utf-8")
    set_params(project, prepare={"source": "file", "target": target})
    result = run(project, "dvc", "repro", check=False)
    assert result.returncode != 0
    assert "error: data/raw/dataset.csv: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "data" / "prepared" / "train.parquet").exists()
    assert not (project / "dvc.lock").exists()
    assert (project / "data" / "raw" / "dataset.csv").read_text(encoding="utf-8") == csv


def test_make_hands_names_to_commands_as_values_never_as_code(baked, tmp_path):
    """A branch, folder, version or batch name reaches its command as one quoted value:
    shell syntax in it is not run, and one that looks like an option is not read as one."""
    project = baked()
    marker = tmp_path / "ran"
    hostile = f"x`touch {marker}`;touch {marker}"  # a `$` is refused (the test below)
    posted = run(project, "make", "post-report", f"REPORT_DIR={hostile}", check=False)
    assert posted.returncode != 0 and "no report.md or pull-request.json" in posted.stderr
    shown = run(project, "make", "-n", "pr-report", f"BASE={hostile}").stdout
    assert '--base="$BASE"' in shown and "touch" not in shown
    assigned = run(project, "make", "assign", "VERSION=--stage=elsewhere", check=False)
    assert "no version --stage=elsewhere in the registry" in assigned.stderr, assigned.stderr
    monitored = run(project, "make", "monitor", "BATCH=--version=v9.9.9", check=False)
    assert "--version=v9.9.9" in monitored.stderr and "unrecognized" not in monitored.stderr
    rolled = run(project, "make", "rollback", f"VERSION={hostile}", check=False)
    assert rolled.returncode != 0
    assert not marker.exists()


def test_make_expands_no_value_given_on_its_command_line(baked, tmp_path):
    """A value given on make's command line that holds `$` (which make would expand as its
    own functions when it exports it: `$(shell ...)` runs a command, whatever the target)
    is refused before anything runs, naming the variable; set in the environment, a value
    is passed on as it is. The flags written into a command (REPRO_FLAGS, MONITOR_FLAGS)
    refuse shell syntax, from either; a plain flag works."""
    project = baked()
    marker = tmp_path / "ran"
    payload = f"$(shell touch {marker})"
    for variable, target in [
        ("BATCH", "monitor"), ("REPRO_FLAGS", "ci-repro"), ("MONITOR_FLAGS", "monitor"),
        ("VENV", "install"), ("ANYTHING", "help"),
    ]:  # fmt: skip
        refused = run(project, "make", "-n", target, f"{variable}={payload}", check=False)
        assert refused.returncode == 2 and refused.stdout == "", variable
        assert refused.stderr.startswith("Makefile:") and refused.stderr.endswith(
            f" *** {variable} given on make's command line holds `$`: make would expand it "
            "as its own functions ($(shell ...) runs a command); expected a value without "
            f"`$` (or set it in the environment: {variable}='...' make ...).  Stop.\n"
        ), refused.stderr
    shown = run(project, "make", "-n", "monitor", BATCH=payload).stdout
    assert '${BATCH:+-- "$BATCH"}' in shown
    for flags in (f"--help;touch {marker}", f"--help `touch {marker}`", payload):
        for given in ({"MONITOR_FLAGS": flags}, {}):
            command = ["make", "monitor"] + ([] if given else [f"MONITOR_FLAGS={flags}"])
            refused = run(project, *command, check=False, **given)
            assert refused.returncode == 2 and refused.stdout == "", flags
            assert " *** MONITOR_FLAGS " in refused.stderr, refused.stderr
    syntax = run(project, "make", "ci-repro", "REPRO_FLAGS=--pull;x", check=False).stderr
    assert syntax.endswith(
        " *** REPRO_FLAGS holds shell syntax (`;`): expected options separated by spaces, "
        "e.g. --pull.  Stop.\n"
    ), syntax
    assert not marker.exists()
    helped = run(project, "make", "monitor", "MONITOR_FLAGS=--help").stdout
    assert "usage: " in helped and " monitor " in helped
    pulled = run(project, "make", "-n", "ci-repro", "REPRO_FLAGS=--pull --force").stdout
    assert "dvc pull --allow-missing" in pulled.splitlines()
    assert "dvc repro --pull --force" in pulled.splitlines()


def test_a_leftover_temporary_file_is_no_change(on_main):
    """A `.<name>.*.tmp` file that a killed write left (outputs.py), which git ignores, is
    no change for DVC either: in an output folder (eval/training) or the data folder
    (data/raw), `dvc status` reports nothing, and lock-check takes the outputs as the
    bytes dvc.lock records (the promotion's check, whose md5s leave out what .dvcignore
    lists)."""
    for folder in ("eval/training", "data/raw"):
        (on_main / folder / ".metrics.json.k1ll3d.tmp").write_text("{", encoding="utf-8")
    assert git(on_main, "status", "--porcelain", "--ignored", "data/raw") == (
        "!! data/raw/.metrics.json.k1ll3d.tmp"
    )
    assert json.loads(run(on_main, "dvc", "status", "--json").stdout) == {}
    checked = run(on_main, "python", "-m", "churn_model", "lock-check").stdout
    assert "eval/training" in checked.split("each dvc.lock's bytes: ")[1].splitlines()[0]
    assert "lock-check: dvc.lock matches the code, parameters and data" in checked
    # md5_of leaves out of a folder's hash the names .dvcignore lists, as DVC does.
    text = (on_main / ".dvcignore").read_text(encoding="utf-8")
    listed = [line for line in text.splitlines() if line and not line.startswith("#")]
    names = "from churn_model.dvc import IGNORED; print(*IGNORED)"
    assert run(on_main, "python", "-c", names).stdout.split() == listed
