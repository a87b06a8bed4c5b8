"""The stages as pure functions: split, fit, evaluate."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import ESTIMATORS, METRICS
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.pipeline import evaluate as evaluate_stage
from {{ cookiecutter.package_name }}.pipeline.features import schema_of
from {{ cookiecutter.package_name }}.pipeline.split import split as split_rows
from {{ cookiecutter.package_name }}.pipeline.train import build_estimator, train

from .conftest import PROBLEM_TYPES
from .conftest import fit as fit_frame


def stratify(kind: str) -> str | None:
    return "target" if kind == "classification" else None


def test_random_split_is_reproducible_and_covers_every_row(table, problem_type):
    """The same seed gives the same split; every row lands in exactly one split."""
    hashes = np.zeros(len(table), dtype=np.uint64)
    train_a, test_a = split_rows(table, hashes, "random", None, 0.25, 1, stratify(problem_type))
    _, test_b = split_rows(table, hashes, "random", None, 0.25, 1, stratify(problem_type))
    assert list(test_a) == list(test_b)
    assert len(test_a) == 50
    assert sorted([*train_a, *test_a]) == list(range(len(table)))


def split(table, kind, seed=0):
    hashes = np.zeros(len(table), dtype=np.uint64)
    train_rows, test_rows = split_rows(table, hashes, "random", None, 0.25, seed, stratify(kind))
    return table.iloc[train_rows], table.iloc[test_rows]


def fit(rows, kind, name, seed=0):
    return fit_frame(rows, kind, name, seed=seed)


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


def test_unknown_hyperparameter_is_named(table):
    """A hyperparameter the estimator does not take is named with the file and key."""
    schema = schema_of(table, "target", [], [], {})
    match = r"train.hyperparameters.hist_gradient_boosting.depth: not a parameter"
    with pytest.raises(ProjectError, match=match):
        build_estimator("classification", "hist_gradient_boosting", {"depth": 3}, 0, schema)


def test_invalid_hyperparameter_value_is_a_clear_error(table, problem_type):
    """A value scikit-learn refuses is reported against params.yaml, not as a traceback."""
    schema = schema_of(table, "target", [], [], {})
    match = r"params.yaml: train.hyperparameters.hist_gradient_boosting: .*max_iter"
    with pytest.raises(ProjectError, match=match):
        train(
            table.drop(columns="target"),
            table["target"],
            problem_type,
            "hist_gradient_boosting",
            {"max_iter": -1},
            0,
            schema,
        )


def test_any_estimator_by_its_import_path(table, problem_type):
    """An estimator named by its import path trains like the offered ones; one that cannot
    be imported, or of the other problem type, is named."""
    kind = "Classifier" if problem_type == "classification" else "Regressor"
    schema = schema_of(table, "target", [], [], {})
    name = f"sklearn.ensemble.ExtraTrees{kind}"
    model = train(table.drop(columns="target"), table["target"], problem_type, name, {}, 0, schema)
    assert type(model.estimator[-1]).__name__ == f"ExtraTrees{kind}"
    with pytest.raises(ProjectError, match=r"'nowhere.Model' cannot be imported"):
        build_estimator(problem_type, "nowhere.Model", {}, 0, schema)
    other = "Regressor" if kind == "Classifier" else "Classifier"
    with pytest.raises(ProjectError, match=rf"is not a scikit-learn {problem_type} estimator"):
        build_estimator(problem_type, f"sklearn.ensemble.ExtraTrees{other}", {}, 0, schema)


def test_curves_are_thinned_but_keep_their_ends():
    """Long curves are cut to CURVE_POINTS points, first and last kept."""
    curve = pd.DataFrame({"x": range(10_000)})
    thinned = evaluate_stage.thin(curve)
    assert len(thinned) == evaluate_stage.CURVE_POINTS
    assert thinned["x"].iloc[0] == 0 and thinned["x"].iloc[-1] == 9_999


def test_a_class_of_one_training_row_under_early_stopping_is_named():
    """Above 10,000 rows the default estimator's early stopping sets validation rows
    aside stratified by class: a class with one training row is named with the ways out,
    not scikit-learn's traceback; with early stopping off, the same rows train."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.normal(size=10_001), "y": rng.normal(size=10_001)})
    table["target"] = np.where(table["x"] > 0, "yes", "no")
    table.loc[7, "target"] = "rare"
    schema = schema_of(table, "target", [], [], {})
    features, target = table.drop(columns="target"), table["target"]
    hgb = "hist_gradient_boosting"
    with pytest.raises(ProjectError) as raised:
        train(features, target, "classification", hgb, {"max_iter": 5}, 0, schema)
    assert str(raised.value) == (
        "train: class 'rare' has 1 training row(s); HistGradientBoostingClassifier's early "
        "stopping (on above 10,000 rows) sets validation rows aside stratified by class and "
        "needs 2 of each: give that class more rows, merge it with another, or set "
        f"params.yaml: train.hyperparameters.{hgb}.early_stopping: false"
    )
    off = {"max_iter": 5, "early_stopping": False}
    assert train(features, target, "classification", hgb, off, 0, schema).classes is not None
