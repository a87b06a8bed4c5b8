"""Shared fixtures: a scratch copy of the project's declarative files, small tables.

The tests do not depend on what params.yaml says: a table or a model is made for each
problem type (classification and regression), whichever this project uses.
"""

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.pipeline.data import synthetic

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
