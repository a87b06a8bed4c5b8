"""Drift monitoring: per-feature PSI, two-sample test and missing values, schema changes
and prediction drift, judged by lifecycle.yaml's thresholds. (The command against the
registry, the issue it opens and its exit status are tested by the template's tests,
on a real repository.)"""

import numpy as np
import pytest
import yaml

from {{ cookiecutter.package_name }}.config import DriftThresholds, load_lifecycle
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.operate.drift import psi
from {{ cookiecutter.package_name }}.operate.monitor import check, markdown, read_batch
from {{ cookiecutter.package_name }}.pipeline.data import synthetic
from {{ cookiecutter.package_name }}.pipeline.evaluate import evaluate

from .conftest import PROBLEM_TYPES, ROOT, fit

LIMITS = DriftThresholds()
INFO = {"name": "model", "version": "v1.0.0", "stage": "prod", "commit": "0" * 40}


@pytest.fixture(scope="module", params=PROBLEM_TYPES)
def production(request):
    """A model, its training rows and its predictions on its test rows; and a batch of
    new rows from the same distribution (for each problem type)."""
    kind = request.param
    table = synthetic(kind, rows=6000, features=4, seed=1)
    training, test, batch = table.iloc[:3000], table.iloc[3000:4000], table.iloc[4000:]
    model = fit(training, kind)
    _, predictions, _ = evaluate(model, test.drop(columns="target"), test["target"], seed=0)
    return model, training, predictions, batch.drop(columns="target").reset_index(drop=True)


def run_check(production, batch, limits=LIMITS):
    model, training, predictions, _ = production
    return check(batch, "batch.parquet", model, training, predictions, limits, INFO)


def by_name(result) -> dict:
    return {column.name: column for column in result.features}


def test_a_batch_like_the_training_data_has_not_drifted(production):
    """New rows from the training distribution: no feature, prediction or column drifts."""
    result = run_check(production, production[3])
    assert not result.drift, markdown(result, "package")
    assert result.predictions is not None and not result.predictions.drift
    assert result.summary.startswith("No drift")


def test_a_shifted_feature_drifts_and_is_named(production):
    """Shifting one feature by two standard deviations makes it, and only it, drift."""
    batch = production[3].copy()
    batch["x00"] += 2 * batch["x00"].std()
    result = run_check(production, batch)
    columns = by_name(result)
    assert result.drift
    assert columns["x00"].drift and columns["x00"].psi > 1
    assert any(reason.startswith("PSI") for reason in columns["x00"].reasons)
    assert [column.name for column in result.drifted()] == ["x00"]
    report = markdown(result, "package")
    assert "**Drift found: 1 of 4 features drifted" in report
    assert report.index("`x00`") < report.index("`x01`")  # drifted features first


def test_more_missing_values_are_drift(production):
    """A feature missing in a fifth of the rows drifts, though its values did not move."""
    batch = production[3].copy()
    batch.loc[batch.index[::5], "x01"] = np.nan
    column = by_name(run_check(production, batch))["x01"]
    assert column.missing_batch == pytest.approx(0.2)
    assert column.reasons == ["missing 0.0% → 20.0%"]


def test_the_drifted_features_threshold_is_respected(production):
    """With drifted_features: 2, one drifted feature is not enough."""
    batch = production[3].copy()
    batch["x00"] += 2 * batch["x00"].std()
    limits = DriftThresholds(drifted_features=2)
    result = run_check(production, batch, limits)
    assert [column.name for column in result.drifted()] == ["x00"]
    assert result.drift == (result.predictions is not None and result.predictions.drift)


def test_schema_changes_are_drift_and_stop_prediction_drift(production):
    """A missing, a new and a retyped column are each named; the model cannot score."""
    batch = production[3].drop(columns="x02").assign(extra=1.0)
    batch["x03"] = batch["x03"].map(lambda value: f"{value:.2f}")  # numbers as text: fine
    batch.loc[batch.index[0], "x03"] = "unknown"  # text: not a number
    result = run_check(production, batch)
    assert result.schema["missing"] == ["x02"] and result.schema["new"] == ["extra"]
    [retyped] = result.schema["retyped"]
    assert retyped["column"] == "x03"
    assert retyped["problem"].startswith("column x03: expected numbers, found 'unknown'")
    assert result.drift and result.predictions is None
    report = markdown(result, "package")
    assert "- ❌ missing: `x02`" in report and "- ❌ new: `extra`" in report
    assert "- ❌ retyped: column x03: expected numbers, found 'unknown'" in report
    assert "Prediction drift not computed" in report


def test_psi_is_zero_for_the_same_data_and_grows_with_the_shift():
    values = np.random.default_rng(0).normal(size=20_000)
    assert psi(values, values) == pytest.approx(0.0, abs=1e-12)
    assert 0.1 < psi(values, values + 0.5) < psi(values, values + 1.0)


def test_bad_batches_are_named(tmp_path):
    """An empty table, a file that is not a table, or another format: a clear error."""
    (tmp_path / "empty.csv").write_text("x00,x01\n", encoding="utf-8")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    (tmp_path / "batch.json").write_text("{}", encoding="utf-8")
    setting = "lifecycle.yaml: monitoring.batch"
    with pytest.raises(ProjectError, match=r"empty.csv: the batch has no rows \(lifecycle"):
        read_batch(tmp_path / "empty.csv", setting)
    with pytest.raises(ProjectError, match=r"broken\.parquet: cannot be read as a table"):
        read_batch(tmp_path / "broken.parquet", setting)
    with pytest.raises(ProjectError, match=r"expected a .csv or .parquet file \(lifecycle"):
        read_batch(tmp_path / "batch.json", setting)
    with pytest.raises(ProjectError, match=r"absent\.csv: file not found"):
        read_batch(tmp_path / "absent.csv", setting)


def test_wrong_thresholds_are_named(tmp_path):
    """A threshold out of range names its dotted key in lifecycle.yaml."""
    data = yaml.safe_load((ROOT / "lifecycle.yaml").read_text(encoding="utf-8"))
    data["monitoring"]["thresholds"]["p_value"] = 1.5
    path = tmp_path / "lifecycle.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ProjectError, match=r"monitoring\.thresholds\.p_value: .*less than 1"):
        load_lifecycle(path)
