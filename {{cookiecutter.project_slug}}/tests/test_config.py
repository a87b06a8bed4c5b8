"""params.yaml, lifecycle.yaml and dvc.yaml's plots: the shipped files are valid and
agree; mistakes are named."""

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import (
    ESTIMATORS,
    check_plots,
    check_project,
    load_lifecycle,
    load_params,
)
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.pipeline.train import ESTIMATORS as BUILT

from .conftest import ROOT, set_params


@pytest.mark.usefixtures("project")
def test_shipped_files_are_valid():
    """The files generated with the project pass their schemas and agree."""
    check_project()
    assert load_lifecycle(ROOT / "lifecycle.yaml").model.name == {{ cookiecutter.model_name | tojson }}


def test_the_estimators_offered_are_the_ones_built():
    """params.yaml's estimator names (config.py) are exactly those train.py builds."""
    assert {kind: set(names) for kind, names in ESTIMATORS.items()} == {
        kind: set(table) for kind, table in BUILT.items()
    }


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


def test_an_estimator_of_the_other_problem_type_is_named(tmp_path):
    """A regression estimator in a classification project (or the reverse) is refused,
    with the estimators the project's problem type offers."""
    data = shipped("params.yaml")
    other = "ridge" if data["base"]["problem_type"] == "classification" else "logistic_regression"
    data["train"]["estimator"] = other
    with pytest.raises(ProjectError, match=rf"train.estimator: '{other}' is not a .* estimator"):
        load_params(write(tmp_path / "params.yaml", data))


def test_changing_the_problem_type_names_what_else_to_change(project):
    """After switching base.problem_type, validation names the gate's metrics and then
    dvc.yaml's plots that belong to the other type."""
    kind = load_params().base.problem_type
    other = "regression" if kind == "classification" else "classification"
    set_params(project, base={"problem_type": other}, train={"estimator": "random_forest"})
    with pytest.raises(ProjectError, match=rf"gate.metrics.\w+: not a {other} metric"):
        check_project()
    with pytest.raises(ProjectError, match=r"dvc.yaml: plots: eval/plots/\w+.csv is not written"):
        check_plots(other)


def test_aliases_and_repeated_keys_are_refused_and_errors_stay_short(tmp_path):
    """A kilobyte of nested aliases (a "billion laughs") is refused at its first alias,
    quickly and in a short message; a key written twice is named with its line, not
    silently overwritten by the second."""
    path = tmp_path / "params.yaml"
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ProjectError) as refused:
        load_params(path)
    assert "aliases (*name) are not allowed" in str(refused.value)
    assert len(str(refused.value)) < 500
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    path.write_text(text + "\nbase:\n  seed: 7\n", encoding="utf-8")
    repeated = r"params.yaml: not valid YAML: key 'base' appears twice"
    with pytest.raises(ProjectError, match=repeated):
        load_params(path)


@pytest.mark.parametrize(
    ("metric", "bound", "value"),
    [("roc_auc", "min", 1.5), ("f1", "max", -0.1), ("log_loss", "max", -1.0), ("r2", "min", 2.0)],
)
def test_a_gate_bound_outside_the_metric_s_values_is_refused(tmp_path, metric, bound, value):
    """A bound the metric can never meet (or always meets) is a mistake, named."""
    data = shipped("lifecycle.yaml")
    data["gate"]["metrics"] = {metric: {bound: value}}
    with pytest.raises(ProjectError, match=rf"metrics.{metric}.{bound}: {value} is outside"):
        load_lifecycle(write(tmp_path / "lifecycle.yaml", data))


@pytest.mark.parametrize("label", ["--repo=attacker/elsewhere", "-x", "", "a\nb"])
def test_an_issue_label_that_gh_would_read_as_an_option_is_refused(tmp_path, label):
    data = shipped("lifecycle.yaml")
    data.setdefault("monitoring", {})["issue_label"] = label
    with pytest.raises(ProjectError, match=r"monitoring.issue_label: String should match"):
        load_lifecycle(write(tmp_path / "lifecycle.yaml", data))


def test_a_binary_file_is_refused_by_name(tmp_path):
    """A file that is not UTF-8 text (an image saved over it, say) is named, not a
    traceback."""
    path = tmp_path / "params.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ProjectError, match=r"params.yaml: not UTF-8 text \(byte 0x89 at "):
        load_params(path)


@pytest.mark.parametrize("style", ["block", "flow"])
def test_deep_nesting_is_refused_at_its_line(tmp_path, style):
    """5,000 levels of nesting (block or flow) are refused with the line where the file
    goes too deep, not with a RecursionError; the project's own files are shallow."""
    path = tmp_path / "params.yaml"
    if style == "block":
        text = "base:\n" + "".join(f"{'  ' * depth}a:\n" for depth in range(1, 5_000))
        text += "  " * 5_000 + "a: 1\n"
    else:
        text = "base: " + "[" * 5_000 + "]" * 5_000 + "\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectError) as refused:
        load_params(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: not valid YAML: nested deeper than 100 levels")
    assert "line " in message and len(message) < 500


def test_a_model_name_that_is_not_dvc_yaml_s_artifact_is_named(project, capsys):
    """lifecycle.yaml's model.name is the name the registry knows the model by, and
    dvc.yaml's artifact of the model file must carry it: `validate` names both files and
    both names when they differ."""
    lifecycle = project / "lifecycle.yaml"
    data = yaml.safe_load(lifecycle.read_text(encoding="utf-8"))
    declared = data["model"]["name"]
    data["model"]["name"] = "another-model"
    write(lifecycle, data)
    assert main(["validate"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(
        f"error: dvc.yaml: artifacts: the model file models/model.joblib is the artifact "
        f"'{declared}', not 'another-model' (lifecycle.yaml: model.name)"
    )
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))
    pipeline["artifacts"] = {"another-model": pipeline["artifacts"].pop(declared)}
    write(project / "dvc.yaml", pipeline)
    assert main(["validate"]) == 0
    del pipeline["artifacts"]
    write(project / "dvc.yaml", pipeline)
    with pytest.raises(ProjectError, match=r"dvc.yaml: artifacts: no artifact of models/model"):
        check_project()
