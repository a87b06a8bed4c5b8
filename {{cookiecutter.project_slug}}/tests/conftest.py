"""Shared fixtures: a scratch copy of the project's declarative files, small tables.

The tests do not depend on what params.yaml says or what data the project has: a table
or a model is made here for each problem type (classification and regression).
"""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.pipeline.data import synthetic
from {{ cookiecutter.package_name }}.pipeline.features import schema_of
from {{ cookiecutter.package_name }}.pipeline.train import train

ROOT = Path(__file__).resolve().parents[1]
PROBLEM_TYPES = ("classification", "regression")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scratch project root with this project's params, lifecycle and dvc.yaml."""
    for name in ("params.yaml", "lifecycle.yaml", "dvc.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "data" / "raw").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def set_params(root: Path, **changes) -> None:
    """Change params.yaml in place, e.g. set_params(root, prepare={"source": "file"})."""
    path = root / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section, values in changes.items():
        params[section].update(values)
    path.write_text(yaml.safe_dump(params), encoding="utf-8")


@pytest.fixture(params=PROBLEM_TYPES)
def problem_type(request) -> str:
    return request.param


@pytest.fixture
def table(problem_type) -> pd.DataFrame:
    """A small synthetic table with a ``target`` column, for each problem type."""
    return synthetic(problem_type, rows=200, features=4, seed=0)


def mixed_table(problem_type: str, rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """A table as teams have them: an ID, text categories, a yes/no column, dates, missing
    values, and (classification) text labels."""
    rng = np.random.default_rng(seed)
    frame = synthetic(problem_type, rows=rows, features=4, seed=seed)
    frame.insert(0, "customer_id", [f"C{index:05d}" for index in range(rows)])
    frame["plan"] = rng.choice(["basic", "plus", "pro"], size=rows)
    frame["newsletter"] = rng.choice(["yes", "no"], size=rows)
    frame["signed_up"] = pd.date_range("2021-01-01", periods=rows, freq="D").strftime("%Y-%m-%d")
    frame.loc[rng.random(rows) < 0.1, "x01"] = np.nan
    frame.loc[rng.random(rows) < 0.05, "plan"] = None
    if problem_type == "classification":
        frame["target"] = np.where(frame["target"] == 1, "churned", "stayed")
    return frame


def fit(
    frame: pd.DataFrame,
    problem_type: str,
    name: str = "random_forest",
    ids=(),
    seed=0,
    **hyperparameters,
):
    """A model of ``frame`` (target ``target``), its columns' kinds inferred."""
    schema = schema_of(frame, "target", list(ids), [], {})
    features = frame.drop(columns="target")
    return train(features, frame["target"], problem_type, name, hyperparameters, seed, schema)
