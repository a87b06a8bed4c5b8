"""Fixtures: isolated git configuration, baked projects, the projects' environment.

FAST=1 bakes a reduced option matrix (see test_bake.py).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import env as project_env_module
from harness.bake import bake


@pytest.fixture(scope="session", autouse=True)
def isolated_git(tmp_path_factory):
    """Never read or write the developer's git configuration; identity comes from here."""
    home = tmp_path_factory.mktemp("git-home")
    config = home / "gitconfig"
    config.write_text(
        "[user]\n\tname = Template Tests\n\temail = tests@example.com\n"
        "[init]\n\tdefaultBranch = master\n",  # generated projects must still be on main
        encoding="utf-8",
    )
    saved = {key: os.environ.get(key) for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")}
    os.environ["GIT_CONFIG_GLOBAL"] = str(config)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    yield config
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def project_env(tmp_path_factory):
    """One environment with the generated projects' pins: those of an s3 project, which
    are the default pins plus DVC's s3 plugin."""
    where = tmp_path_factory.mktemp("pins")
    return project_env_module.project_env(bake(where, dvc_remote="s3") / "pyproject.toml")


@pytest.fixture
def baked(tmp_path, project_env):
    """Bake a project with the given answers and install it into the shared environment."""

    def make(**answers):
        project = bake(tmp_path / "out", **answers)
        project_env_module.install(project, project_env)
        return project

    yield make
    shutil.rmtree(tmp_path / "out", ignore_errors=True)


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()
