"""params.yaml and lifecycle.yaml: the shipped files are valid; mistakes are named."""

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import load_lifecycle, load_params
from {{ cookiecutter.package_name }}.errors import ProjectError

from .conftest import ROOT


def test_shipped_files_are_valid():
    """The files generated with the project pass their own schemas."""
    params = load_params(ROOT / "params.yaml")
    lifecycle = load_lifecycle(ROOT / "lifecycle.yaml")
    assert params.train.estimator == "hist_gradient_boosting"
    assert lifecycle.model.name == {{ cookiecutter.model_name | tojson }}


def write(path, data):
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def shipped(name):
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def test_unknown_gate_metric_is_named(tmp_path):
    """A metric the pipeline does not compute is named with its dotted key."""
    data = shipped("lifecycle.yaml")
    data["gate"]["metrics"]["rocauc"] = {"min": 0.5}
    with pytest.raises(ProjectError, match=r"lifecycle.yaml: gate.metrics.rocauc: unknown key"):
        load_lifecycle(write(tmp_path / "lifecycle.yaml", data))


def test_misspelled_key_lists_the_expected_ones(tmp_path):
    """An unknown key says which keys the section accepts."""
    data = shipped("lifecycle.yaml")
    data["model"]["ower"] = "someone"
    with pytest.raises(ProjectError, match=r"model.ower: unknown key \(expected one of: name,"):
        load_lifecycle(write(tmp_path / "lifecycle.yaml", data))


def test_wrong_type_is_named(tmp_path):
    """A value of the wrong type names the key and shows the value."""
    data = shipped("lifecycle.yaml")
    metric = next(iter(data["gate"]["metrics"]))
    data["gate"]["metrics"][metric]["max_regression"] = "a lot"
    with pytest.raises(ProjectError, match=rf"gate.metrics.{metric}.max_regression: .*'a lot'"):
        load_lifecycle(write(tmp_path / "lifecycle.yaml", data))


def test_missing_key_is_named(tmp_path):
    """A required key that is absent is named."""
    data = shipped("params.yaml")
    del data["train"]["estimator"]
    with pytest.raises(ProjectError, match=r"train.estimator: required key is missing"):
        load_params(write(tmp_path / "params.yaml", data))


def test_out_of_range_value_is_named(tmp_path):
    """test_size must lie strictly between 0 and 1."""
    data = shipped("params.yaml")
    data["prepare"]["test_size"] = 1.5
    with pytest.raises(ProjectError, match=r"prepare.test_size: Input should be less than 1"):
        load_params(write(tmp_path / "params.yaml", data))


def test_malformed_yaml_names_the_file(tmp_path):
    """A file that is not YAML is refused by name."""
    path = tmp_path / "params.yaml"
    path.write_text("base: [unclosed", encoding="utf-8")
    with pytest.raises(ProjectError, match=r"params.yaml: not valid YAML"):
        load_params(path)
