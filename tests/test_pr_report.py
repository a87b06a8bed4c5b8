"""The pull-request comparison on a real repository: `make pr-report` and `make gate` as
the PR workflow runs them, with a bare repository as `origin` and GTO tags for production.
"""

import json

import pandas as pd
import pytest

from harness.env import register_by_hand, run

from .conftest import RATE_CHANGE, edit_yaml, git, hgb


@pytest.fixture
def repository(on_main):
    """A project trained and committed on main, pushed to a bare origin; on `proposal`."""
    return on_main


def propose(project, change, message="Propose a change", repro=True):
    edit_yaml(project / "params.yaml", change)
    if repro:
        run(project, "dvc", "repro")
    git(project, "add", "--all")
    git(project, "commit", "-q", "-m", message)


def report(project, base="origin/main") -> tuple[str, dict, int]:
    run(project, "make", "pr-report", f"BASE={base}")
    text = (project / "build" / "pr" / "report.md").read_text(encoding="utf-8")
    result = json.loads((project / "build" / "pr" / "result.json").read_text(encoding="utf-8"))
    return text, result, run(project, "make", "gate", check=False).returncode


def test_improvement_passes_and_is_compared_on_the_same_rows(repository):
    """A parameter change: the report compares base and production (after a GTO
    assignment) on this PR's rows, with intervals, and the gate passes."""
    register_by_hand(repository, "churn-model", "main", "v1.0.0", "prod")
    propose(
        repository,
        lambda p: hgb(p).update(learning_rate=0.05),
    )
    text, result, exit_code = report(repository)
    assert result["passed"] and exit_code == 0
    assert text.startswith("## ✅ Model report: the gate passes")
    assert "Production = base `v1.0.0`" in text  # one commit: one column
    assert "Every model scored on this pull request's" in text
    assert RATE_CHANGE in text
    assert "### The gate's comparisons" in text and "roc_auc ↑ vs production and base" in text
    assert "[95% CI]" in text and "test rows detect a worsening of" in text
    assert "| roc_auc ↑ |" in text and "worsens ≤ 0.01 ✅ |" in text
    assert len(text) < 65_536
    assert (repository / "build" / "pr" / "plots" / "index.html").is_file()


def test_regression_past_the_gate_fails_with_the_reason(repository):
    """A much worse model fails the job, and the report says which criterion and why."""
    propose(
        repository,
        lambda p: p["train"]["hyperparameters"].update(
            hist_gradient_boosting={"max_iter": 1, "learning_rate": 0.01, "max_depth": 1}
        ),
    )
    text, result, exit_code = report(repository)
    assert exit_code != 0 and not result["passed"]
    assert text.startswith("## ❌ Model report: the gate fails")
    failed = [item for item in result["criteria"] if not item["passed"]]
    assert any("worse than base" in item["reason"] for item in failed)
    assert any(item["reason"] in text for item in failed)


def test_stale_lock_fails_and_gives_the_fix(repository):
    """Parameters changed without rerunning the pipeline: stale lock, with the command."""
    propose(
        repository,
        lambda p: hgb(p).update(max_iter=50),
        repro=False,
    )
    text, result, exit_code = report(repository)
    assert exit_code != 0
    [stale] = [item for item in result["criteria"] if item["name"] == "dvc.lock is fresh"]
    assert not stale["passed"] and "stage train" in stale["reason"]
    assert "run `dvc repro --pull`, then commit `dvc.lock`" in text


def test_gate_edit_is_flagged_and_an_invalid_gate_names_the_key(repository):
    """Editing the gate puts a warning at the top; a wrong key fails with its name."""
    edit_yaml(repository / "lifecycle.yaml", lambda d: d["gate"]["metrics"]["f1"].update(min=0.5))
    git(repository, "commit", "-q", "-am", "Relax the gate")
    text, _, exit_code = report(repository)
    assert exit_code == 0
    assert "> [!WARNING]" in text.split("### Metrics")[0]
    edit_yaml(
        repository / "lifecycle.yaml",
        lambda d: d["gate"]["metrics"]["f1"].update(minimum=0.5),
    )
    failed = run(repository, "make", "pr-report", "BASE=origin/main", check=False)
    assert failed.returncode != 0
    assert "lifecycle.yaml: gate.metrics.f1.minimum: unknown key" in failed.stderr
    report_text = (repository / "build" / "pr" / "report.md").read_text(encoding="utf-8")
    assert "gate.metrics.f1.minimum" in report_text


def test_first_run_without_base_metrics_is_a_first_run_report(baked, tmp_path):
    """A base branch with no trained model yet: a first-run report, not an error."""
    project = baked(problem_type="regression")
    git(project, "checkout", "-q", "-b", "first-model")
    run(project, "dvc", "repro")
    git(project, "add", "--all")
    git(project, "commit", "-q", "-m", "Train the first model")
    text, result, exit_code = report(project, base="main")
    assert exit_code == 0 and result["passed"]
    assert "First run for base" in text and "First run for production" in text


def test_new_test_rows_are_scored_by_the_baseline_models(repository):
    """A larger test set: the base's own predictions are for fewer rows, so its model is
    loaded and scores this PR's rows, less those it trained on (left out, and counted).
    The hash split moved none of the base's test rows into training."""
    before = pd.read_parquet(repository / "data" / "prepared" / "test.parquet").index
    propose(repository, lambda p: p["prepare"].update(test_size=0.3))
    after = pd.read_parquet(repository / "data" / "prepared" / "test.parquet").index
    assert set(before) <= set(after)
    text, _, _ = report(repository)
    assert f"Every model scored on this pull request's {len(after):,} test rows (base)" in text
    compared = len(before)  # the base's own test rows: the rest of these it trained on
    left_out = len(after) - compared
    assert f"Base compared on {compared:,} of these rows: {left_out:,} it trained on" in text
    assert "[95% CI]" in text


def test_changing_the_seed_moves_no_row_and_the_same_model_passes(repository):
    """With the default (hash) split a new seed keeps every row on its side: the model
    trained again with another seed is compared on the same rows and passes."""
    before = pd.read_parquet(repository / "data" / "prepared" / "test.parquet").index
    propose(repository, lambda p: p["base"].update(seed=7))
    after = pd.read_parquet(repository / "data" / "prepared" / "test.parquet").index
    assert list(before) == list(after)
    text, result, exit_code = report(repository)
    assert exit_code == 0 and result["passed"], text
    assert "it trained on are left out" not in text
