"""The pull-request comparison: paired intervals, the gate, the lock check, posting."""

import json

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import HIGHER_IS_BETTER, Gate
from {{ cookiecutter.package_name }}.review import post
from {{ cookiecutter.package_name }}.review.compare import Baseline
from {{ cookiecutter.package_name }}.review.gate import (
    freshness_criterion,
    metric_criteria,
    reproducibility_criterion,
)
from {{ cookiecutter.package_name }}.review.lockcheck import stale_stages
from {{ cookiecutter.package_name }}.review.stats import paired_intervals, row_sums

from .conftest import PROBLEM_TYPES

ROWS = 2_000
# the metric each problem type's tests look at
METRIC = {"classification": "accuracy", "regression": "rmse"}


def model_output(kind: str, noise: float, seed: int):
    """Per-row sums of a model that is right more often when ``noise`` is small, on the
    same ROWS rows (the actual values depend on the problem type only)."""
    actual_rng, rng = np.random.default_rng(0), np.random.default_rng(seed)
    if kind == "classification":
        actual = pd.Series(actual_rng.integers(0, 2, ROWS))
        score = np.clip(actual.to_numpy() + rng.normal(0, noise, ROWS), 0.01, 0.99)
        probabilities = np.column_stack([1 - score, score])
        return row_sums(actual, pd.Series((score > 0.5).astype(int)), probabilities, [0, 1])
    actual = pd.Series(actual_rng.normal(0, 1, ROWS))
    return row_sums(actual, pd.Series(actual.to_numpy() + rng.normal(0, noise, ROWS)), None, [])


def brute_force_interval(new, old, metric, resamples=400, seed=1):
    """The textbook paired bootstrap: resample row indices, recompute both metrics."""
    generator = np.random.default_rng(seed)
    (new_rows, new_metrics), (old_rows, old_metrics) = new, old
    deltas = []
    for _ in range(resamples):
        index = generator.integers(0, ROWS, ROWS)
        new_sums = new_rows[index].sum(axis=0, keepdims=True)
        old_sums = old_rows[index].sum(axis=0, keepdims=True)
        deltas.append(new_metrics(new_sums)[metric][0] - old_metrics(old_sums)[metric][0])
    return np.percentile(deltas, [2.5, 97.5])


@pytest.mark.parametrize("kind", PROBLEM_TYPES)
def test_paired_interval_matches_a_brute_force_bootstrap(kind):
    """The fast Poisson bootstrap gives the interval a textbook paired bootstrap gives."""
    new, old = model_output(kind, 0.3, seed=1), model_output(kind, 0.6, seed=2)
    fast = paired_intervals(new, [old], seed=0)[0][METRIC[kind]]
    slow = brute_force_interval(new, old, METRIC[kind])
    width = slow[1] - slow[0]
    assert abs(fast[0] - slow[0]) < 0.25 * width
    assert abs(fast[1] - slow[1]) < 0.25 * width


@pytest.mark.parametrize("kind", PROBLEM_TYPES)
def test_identical_models_give_a_zero_interval(kind):
    """A model compared with itself changes nothing, with no uncertainty."""
    same = model_output(kind, 0.4, seed=1)
    low, high = paired_intervals(same, [same], seed=0)[0][METRIC[kind]]
    assert low == pytest.approx(0) and high == pytest.approx(0)


@pytest.fixture(params=sorted(METRIC.values()))
def metric(request) -> str:
    return request.param


def gate(metric, **rule) -> Gate:
    return Gate.model_validate({"metrics": {metric: rule}})


def worse(metric: str, by: float) -> float:
    """A value of ``metric`` that is ``by`` worse than 0.5."""
    return 0.5 - by if metric in HIGHER_IS_BETTER else 0.5 + by


def baseline(metric: str, interval) -> Baseline:
    found = Baseline("production", "v1.0.0", "abc", {metric: 0.5})
    found.scores = {metric: 0.5}
    found.intervals = {metric: interval} if interval else {}
    return found


def test_a_significant_regression_fails_the_gate(metric):
    """Worse than production by more than allowed, interval excluding zero: fails."""
    shift = -0.1 if metric in HIGHER_IS_BETTER else 0.1
    interval = (shift - 0.02, shift + 0.02)
    rule, value = gate(metric, max_regression=0.05), {metric: worse(metric, 0.1)}
    [criterion] = metric_criteria(rule, value, [baseline(metric, interval)])
    assert not criterion.passed
    assert "worse than production (v1.0.0)" in criterion.reason


def test_a_regression_within_noise_passes_when_only_significant_ones_count(metric):
    """The same worsening, but its interval includes zero: it is noise, and passes."""
    rule, value = gate(metric, max_regression=0.05), {metric: worse(metric, 0.1)}
    [criterion] = metric_criteria(rule, value, [baseline(metric, (-0.2, 0.2))])
    assert criterion.passed


def test_floors_and_ceilings(metric):
    """An absolute floor or ceiling fails regardless of the baselines."""
    rule = {"min": 0.9} if metric in HIGHER_IS_BETTER else {"max": 0.1}
    [criterion] = metric_criteria(gate(metric, **rule), {metric: 0.5}, [])
    assert not criterion.passed and metric in criterion.reason


def test_stale_lock_and_unreproduced_metrics_fail_with_the_fix():
    """A stale lock names the stage and the command that fixes it; metrics must match."""
    stale = freshness_criterion({"stale": {"train": ["parameter train.seed modified"]}}, False)
    assert not stale.passed and "stage train" in stale.reason and "dvc repro" in stale.reason
    assert reproducibility_criterion({"f1": 0.5}, {"f1": 0.5}, 1e-6).passed
    assert not reproducibility_criterion({"f1": 0.5}, {"f1": 0.6}, 1e-6).passed
    assert not reproducibility_criterion(None, {"f1": 0.5}, 1e-6).passed


def test_lock_check_tells_stale_inputs_from_missing_outputs():
    """Changed code or params make a stage stale; outputs or inputs not pulled do not."""
    status = {
        "prepare": [{"changed outs": {"data/prepared/train.parquet": "deleted"}}],
        "train": [{"changed deps": {"params.yaml": {"train.estimator": "modified"}}}],
        "evaluate": [{"changed deps": {"data/prepared/test.parquet": "deleted"}}],
    }
    assert stale_stages(status) == {"train": ["parameter train.estimator modified"]}


def test_post_refuses_a_report_for_another_pull_request(tmp_path, capsys):
    """A report whose PR number GitHub does not tie to the run is never posted."""
    (tmp_path / "report.md").write_text("report", encoding="utf-8")
    (tmp_path / "pull-request.json").write_text(json.dumps({"number": "1; rm -rf /"}))
    assert post.main([str(tmp_path)]) == 1
    assert "expected a pull request number" in capsys.readouterr().err
    (tmp_path / "pull-request.json").write_text(json.dumps({"number": ""}))
    assert post.main([str(tmp_path)]) == 0  # a manual run: nothing to post
