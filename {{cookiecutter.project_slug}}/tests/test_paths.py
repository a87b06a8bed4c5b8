"""dvc.yaml and paths.py name the same files, so the code and the pipeline agree."""

from pathlib import Path

import yaml

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.config import load_params, plot_files

from .conftest import ROOT


def declared(stage: dict, key: str) -> set[Path]:
    return {Path(next(iter(item)) if isinstance(item, dict) else item) for item in stage[key]}


def test_dvc_yaml_uses_the_paths_module():
    """Every data dependency, output and plot in dvc.yaml is a path from paths.py."""
    pipeline = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    stages = pipeline["stages"]
    known = {value for value in vars(paths).values() if isinstance(value, Path)}
    outs = set().union(*(declared(stage, "outs") for stage in stages.values()))
    data_deps = {
        dep
        for stage in stages.values()
        for dep in declared(stage, "deps")
        if dep.parts[0] != "src"
    }
    assert outs | data_deps <= known
    plotted = {Path(name) for entry in pipeline["plots"] for name in plot_files(entry)}
    kind = load_params(ROOT / "params.yaml").base.problem_type
    assert plotted == {*paths.PLOTS[kind], paths.TRAINING_CURVES}
    assert paths.PLOTS_DIR in outs
    assert {paths.TRAIN, paths.TEST, paths.MODEL, paths.METRICS, paths.PREDICTIONS} <= outs
    assert paths.TRAINING in declared(stages["train"], "outs")
    assert pipeline["metrics"] == [str(paths.METRICS), str(paths.TRAINING_METRICS)]
    artifact = next(iter(pipeline["artifacts"].values()))
    assert Path(artifact["path"]) == paths.MODEL


def test_stage_sources_exist():
    """Each source file a stage depends on exists, so DVC tracks real code."""
    pipeline = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    for stage in pipeline["stages"].values():
        for dep in declared(stage, "deps"):
            if dep.parts[0] == "src":
                assert (ROOT / dep).is_file(), dep
