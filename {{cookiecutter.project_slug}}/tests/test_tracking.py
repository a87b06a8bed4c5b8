"""The train stage's experiment log (DVCLive's files in eval/training/): its curves are
the loss evaluate reports, per iteration, and a new run replaces the last one's."""

import json

import numpy as np
import pytest
from sklearn import metrics

from {{ cookiecutter.package_name }}.pipeline import tracking

from .conftest import fit, mixed_table

ITERATIONS = 25


def boosted(frame, problem_type, **hyperparameters):
    """Hist gradient boosting on ``frame``, ITERATIONS iterations."""
    settings = {"max_iter": ITERATIONS, **hyperparameters}
    return fit(frame, problem_type, "hist_gradient_boosting", ids=["customer_id"], **settings)


def sklearn_loss(model, features, target) -> float:
    """scikit-learn's log loss (RMSE for regression) of the model on these rows."""
    if model.problem_type == "regression":
        return metrics.root_mean_squared_error(target, model.estimator.predict(features))
    probabilities = model.estimator.predict_proba(features)
    return metrics.log_loss(target, probabilities, labels=model.classes)


def test_the_curve_is_the_loss_evaluate_reports(problem_type):
    """The curve ends at scikit-learn's log loss / RMSE of the fitted model on the same
    rows, for a boosted model and for one without iterations; and scored on the training
    rows themselves (validation_fraction None), hist gradient boosting's own scores per
    iteration, read as the curves' loss, equal the curve: the reading of its validation
    scores is right."""
    frame = mixed_table(problem_type)
    model = boosted(
        frame, problem_type,
        early_stopping=True, validation_fraction=None, n_iter_no_change=ITERATIONS,
    )  # fmt: skip
    features, target = frame.drop(columns="target"), frame["target"]
    curve = tracking.train_curve(model, features, target, seed=0)
    assert len(curve) == model.estimator[-1].n_iter_
    assert curve[-1] == pytest.approx(sklearn_loss(model, features, target), rel=1e-9)
    own = tracking.own_losses(model, model.estimator[-1].train_score_)
    np.testing.assert_allclose(own, curve, rtol=1e-6)
    assert curve[-1] < curve[0]

    forest = fit(frame, problem_type, "random_forest", ids=["customer_id"])
    [point] = tracking.train_curve(forest, features, target, seed=0)
    assert point == pytest.approx(sklearn_loss(forest, features, target), rel=1e-9)


def test_dvclive_files_hold_the_curves_and_a_new_run_replaces_them(problem_type, tmp_path):
    """Early stopping's held-out rows give a validation curve as long as the training
    one; metrics.json holds the last values and the step; a random forest (no
    iterations) then leaves a curve of one point and no stale validation curve."""
    frame = mixed_table(problem_type)
    features, target = frame.drop(columns="target"), frame["target"]
    model = boosted(frame, problem_type, early_stopping=True, validation_fraction=0.25)
    folder = tmp_path / "training"
    ended = tracking.log_training(model, features, target, seed=0, folder=folder)

    loss = tracking.LOSS[problem_type]
    iterations = model.estimator[-1].n_iter_
    summary = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert summary == {
        "train": {loss: ended[f"train/{loss}"]},
        "validation": {loss: ended[f"validation/{loss}"]},
        "step": iterations,
    }
    for side in ("train", "validation"):
        lines = (folder / "plots" / "metrics" / side / f"{loss}.tsv").read_text().splitlines()
        assert lines[0].split("\t") == ["step", loss]
        assert [int(line.split("\t")[0]) for line in lines[1:]] == list(range(1, iterations + 1))
        assert float(lines[-1].split("\t")[1]) == pytest.approx(ended[f"{side}/{loss}"])

    forest = fit(frame, problem_type, "random_forest", ids=["customer_id"])
    tracking.log_training(forest, features, target, seed=0, folder=folder)
    summary = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert set(summary) == {"train", "step"} and summary["step"] == 1
    assert not (folder / "plots" / "metrics" / "validation").exists()


def test_large_tables_are_sampled_the_same_way_each_time(monkeypatch, problem_type):
    """At most CURVE_ROWS training rows, the same ones for the same seed, in order."""
    monkeypatch.setattr(tracking, "CURVE_ROWS", 50)
    frame = mixed_table(problem_type)
    features, target = frame.drop(columns="target"), frame["target"]
    first, labels = tracking.sampled(features, target, seed=3)
    again, _ = tracking.sampled(features, target, seed=3)
    assert len(first) == 50 and list(first.index) == list(again.index)
    assert list(first.index) == sorted(first.index) and list(labels.index) == list(first.index)
