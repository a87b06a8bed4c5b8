"""Free-text answers survive into every format they are written to."""

import json
import tomllib

import yaml

from harness.bake import bake

from .conftest import git

NASTY = "Quote \" apostrophe ' backslash \\ tab\t unicode é 模型 <b>&amp;</b>"


def test_free_text_round_trips(tmp_path):
    """Quotes, backslashes, markup and non-ASCII text read back unchanged from TOML,
    YAML and JSON files, and the project still commits cleanly."""
    project = bake(
        tmp_path,
        project_name="Modèle de churn 模型",
        description=NASTY,
        author_name='Zoë O\'Brien "ZB"',
        model_owner="Équipe \\ risques",
    )
    assert project.name == "modele-de-churn-mo-xing"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == NASTY
    assert pyproject["project"]["authors"][0]["name"] == 'Zoë O\'Brien "ZB"'
    lifecycle = yaml.safe_load((project / "lifecycle.yaml").read_text(encoding="utf-8"))
    assert lifecycle["model"]["purpose"] == NASTY
    assert lifecycle["model"]["owner"] == "Équipe \\ risques"
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))
    assert pipeline["artifacts"]["modele-de-churn-mo-xing"]["desc"] == NASTY
    recorded = json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))
    assert recorded["cookiecutter"]["description"] == NASTY
    container = json.loads((project / ".devcontainer" / "devcontainer.json").read_text("utf-8"))
    assert container["name"] == "Modèle de churn 模型"
    assert git(project, "status", "--porcelain") == ""
