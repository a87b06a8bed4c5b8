"""Batch scoring from the registry on a real repository: `predict` loads the version at
the production stage (GTO tags) or an explicit version, through DVC at its commit."""

import pandas as pd
import pytest

from harness.bake import bake
from harness.env import GATE, install, run

from .conftest import edit_yaml, git, hgb


@pytest.fixture(scope="module")
def registry(tmp_path_factory, project_env):
    """v1.0.0 in production; v1.1.0 (another learning rate) registered, not promoted.
    Shared by the tests below, which only read it."""
    tmp_path = tmp_path_factory.mktemp("registry")
    project = bake(tmp_path / "out", problem_type="classification")
    install(project, project_env)
    for version, rate in (("v1.0.0", 0.1), ("v1.1.0", 0.05)):
        edit_yaml(
            project / "params.yaml",
            lambda p, rate=rate: hgb(p).update(learning_rate=rate),
        )
        run(project, "dvc", "repro")
        git(project, "add", "--all")
        git(project, "commit", "-q", "-m", f"Model {version}")
        run(project, "gto", "register", "churn-model", "HEAD", "--version", version, "-m", GATE)
    run(project, "gto", "assign", "churn-model", "--version", "v1.0.0", "--stage", "prod")
    batch = pd.read_parquet(project / "data" / "prepared" / "test.parquet")
    batch.drop(columns=["target", "row"], errors="ignore").to_csv(
        tmp_path / "batch.csv", index=False
    )
    return project, tmp_path / "batch.csv"


def test_predict_uses_production_by_default_and_any_version_on_request(registry, tmp_path):
    project, batch = registry
    default = run(project, "python", "-m", "churn_model", "predict", str(batch), "prod.parquet")
    head = git(project, "rev-parse", "--short=7", "HEAD~1")
    rows = len(pd.read_csv(batch))
    assert f"{rows} rows scored with churn-model prod v1.0.0 ({head})" in default.stdout
    newer = run(
        project, "python", "-m", "churn_model", "predict", str(batch), "v11.csv",
        "--version", "v1.1.0",
    )  # fmt: skip
    assert "with churn-model v1.1.0" in newer.stdout
    production = pd.read_parquet(project / "prod.parquet")
    candidate = pd.read_csv(project / "v11.csv")
    workspace = pd.read_parquet(project / "eval" / "predictions.parquet")  # v1.1.0's own
    assert len(production) == len(candidate) == rows
    assert candidate["proba_1"].to_numpy() == pytest.approx(workspace["proba_1"].to_numpy())
    assert (production["proba_1"] != candidate["proba_1"]).any()


def test_unknown_version_is_refused_and_nothing_is_written(registry):
    project, batch = registry
    failed = run(
        project, "python", "-m", "churn_model", "predict", str(batch), "out.csv",
        "--version", "v9.9.9", check=False,
    )  # fmt: skip
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: model churn-model: no version v9.9.9 in the registry")
    assert "gto show churn-model" in failed.stderr
    assert not (project / "out.csv").exists()
