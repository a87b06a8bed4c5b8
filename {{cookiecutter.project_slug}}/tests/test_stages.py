"""The stages as pure functions: split, fit, evaluate."""

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import ESTIMATORS, METRICS
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.pipeline import evaluate as evaluate_stage
from {{ cookiecutter.package_name }}.pipeline.prepare import prepare
from {{ cookiecutter.package_name }}.pipeline.train import build_estimator, train

from .conftest import PROBLEM_TYPES


def stratify(kind: str) -> str | None:
    return "target" if kind == "classification" else None


def test_split_is_reproducible_and_covers_every_row(table, problem_type):
    """The same seed gives the same split; every row lands in exactly one split."""
    train_a, test_a = prepare(table, 0.25, seed=1, stratify_by=stratify(problem_type))
    _, test_b = prepare(table, 0.25, seed=1, stratify_by=stratify(problem_type))
    assert list(test_a) == list(test_b)
    assert len(test_a) == 50
    assert sorted([*train_a, *test_a]) == list(range(len(table)))


def split(table, kind, seed=0):
    train_rows, test_rows = prepare(table, 0.25, seed=seed, stratify_by=stratify(kind))
    return table.iloc[train_rows], table.iloc[test_rows]


def fit(rows, kind, name, seed=0):
    return train(rows.drop(columns="target"), rows["target"], kind, name, {}, seed)


@pytest.mark.parametrize(
    ("kind", "name"), [(kind, name) for kind in PROBLEM_TYPES for name in ESTIMATORS[kind]]
)
def test_every_estimator_trains_and_evaluates(kind, name):
    """Each estimator offered in params.yaml fits and gives every metric of its type."""
    from {{ cookiecutter.package_name }}.pipeline.data import synthetic

    table = synthetic(kind, rows=200, features=4, seed=0)
    train_rows, test_rows = split(table, kind)
    model = fit(train_rows, kind, name)
    assert list(model.features) == [c for c in table.columns if c != "target"]
    scores, predictions, plots = evaluate_stage.evaluate(
        model, test_rows.drop(columns="target"), test_rows["target"], seed=0
    )
    assert set(scores) == set(METRICS[kind])
    assert list(predictions.index) == list(test_rows.index)
    assert all(not frame.empty for frame in plots.values())


def test_training_is_seeded(table, problem_type):
    """The same seed gives the same model and the same metrics."""
    train_rows, test_rows = split(table, problem_type)
    runs = []
    for _ in range(2):
        model = fit(train_rows, problem_type, "random_forest", seed=3)
        runs.append(
            evaluate_stage.evaluate(
                model, test_rows.drop(columns="target"), test_rows["target"], seed=0
            )[0]
        )
    assert runs[0] == runs[1]


def test_unknown_hyperparameter_is_named():
    """A hyperparameter the estimator does not take is named with the file and key."""
    with pytest.raises(ProjectError, match=r"train.hyperparameters.depth: not a parameter"):
        build_estimator("classification", "hist_gradient_boosting", {"depth": 3}, seed=0)


def test_invalid_hyperparameter_value_is_a_clear_error(table, problem_type):
    """A value scikit-learn refuses is reported against params.yaml, not as a traceback."""
    with pytest.raises(ProjectError, match=r"params.yaml: train.hyperparameters: .*max_iter"):
        train(
            table.drop(columns="target"),
            table["target"],
            problem_type,
            "hist_gradient_boosting",
            {"max_iter": -1},
            seed=0,
        )


def test_curves_are_thinned_but_keep_their_ends():
    """Long curves are cut to CURVE_POINTS points, first and last kept."""
    curve = pd.DataFrame({"x": range(10_000)})
    thinned = evaluate_stage.thin(curve)
    assert len(thinned) == evaluate_stage.CURVE_POINTS
    assert thinned["x"].iloc[0] == 0 and thinned["x"].iloc[-1] == 9_999
