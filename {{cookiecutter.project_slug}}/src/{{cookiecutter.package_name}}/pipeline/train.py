"""Stage 2: fit the estimator that params.yaml chooses, seeded, on the training table.

The model is one scikit-learn pipeline: the columns as their kinds hold them
(features.py), their encoding, the estimator. It is fitted with params.yaml's
``train.threads`` CPU threads, whatever the machine has: a gradient-boosted model's bytes
depend on the thread count, so a laptop and a CI runner of one platform train the same
bytes (README, "Reproducibility"). To offer another estimator by name, add
it to ESTIMATORS here and its name to config.ESTIMATORS; any scikit-learn-compatible
estimator can also be named by its import path in params.yaml (train.estimator).
"""

from __future__ import annotations

import importlib
import inspect
import json

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, is_classifier, is_regressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from .. import paths
from ..config import Params, load_params
from ..errors import ProjectError
from ..progress import Progress
from ..threads import available
from .data import read_split
from .features import Schema, encoder, seen, typed
from .model import Model, save
from .tracking import log_training

# problem type -> name in params.yaml -> (estimator class, encoding: "native" for trees
# that take categorical codes and missing values, "linear" for imputed, scaled, one-hot)
ESTIMATORS = {
    "classification": {
        "hist_gradient_boosting": (HistGradientBoostingClassifier, "native"),
        "random_forest": (RandomForestClassifier, "native"),
        "logistic_regression": (LogisticRegression, "linear"),
    },
    "regression": {
        "hist_gradient_boosting": (HistGradientBoostingRegressor, "native"),
        "random_forest": (RandomForestRegressor, "native"),
        "ridge": (Ridge, "linear"),
    },
}


class Columns(BaseEstimator, TransformerMixin):
    """The model's first step: from a raw table, the feature columns as their kinds hold
    them (so the saved model takes what `predict` reads)."""

    def __init__(self, schema: Schema):
        self.schema = schema

    def fit(self, frame, y=None):  # noqa: ARG002 (scikit-learn's signature)
        return self

    def transform(self, frame):
        return typed(frame, self.schema)


def estimator_class(problem_type: str, name: str) -> tuple[type, str]:
    """The estimator's class and encoding, by its name in params.yaml or its import path."""
    if name in ESTIMATORS[problem_type]:
        return ESTIMATORS[problem_type][name]
    module, _, attribute = name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise ProjectError(
            f"params.yaml: train.estimator: {name!r} cannot be imported ({error}); add its "
            "package to pyproject.toml's dependencies, or choose one of: "
            f"{', '.join(ESTIMATORS[problem_type])}"
        ) from None
    fits = is_classifier if problem_type == "classification" else is_regressor
    if not isinstance(cls, type) or not fits(cls()):
        raise ProjectError(
            f"params.yaml: train.estimator: {name!r} is not a scikit-learn {problem_type} "
            "estimator (base.problem_type)"
        )
    return cls, "linear"


def build_estimator(
    problem_type: str, name: str, hyperparameters: dict, seed: int, schema: Schema
) -> Pipeline:
    """The pipeline for ``name`` with ``hyperparameters``; unknown names are clear errors."""
    cls, style = estimator_class(problem_type, name)
    accepted = set(inspect.signature(cls).parameters)
    unknown = sorted(set(hyperparameters) - accepted)
    if unknown:
        raise ProjectError(
            f"params.yaml: train.hyperparameters.{name}.{unknown[0]}: not a parameter of "
            f"{cls.__name__} (it accepts: {', '.join(sorted(accepted))})"
        )
    settings = dict(hyperparameters)
    if "random_state" in accepted:
        settings.setdefault("random_state", seed)
    encode, categorical = encoder(schema, style)
    if categorical and "categorical_features" in accepted:
        settings.setdefault("categorical_features", categorical)
    return Pipeline(
        [("columns", Columns(schema)), ("encode", encode), ("estimate", cls(**settings))]
    )


def check_early_stopping(estimator, target: pd.Series, name: str) -> None:
    """A classifier's early stopping (HistGradientBoosting's: on above 10,000 rows when
    "auto") sets validation rows aside stratified by class, which needs two training rows
    of each class: a class with one is named here, not in scikit-learn's words."""
    stopping = getattr(estimator, "early_stopping", False)
    if not is_classifier(estimator) or stopping is False:
        return
    if getattr(estimator, "validation_fraction", None) is None:  # scored on the training rows
        return
    if stopping == "auto" and len(target) <= 10_000:
        return
    counts = target.value_counts()
    if (rare := counts[counts < 2]).empty:
        return
    raise ProjectError(
        f"train: class {rare.index[0]!r} has {rare.iloc[0]} training row(s); "
        f"{type(estimator).__name__}'s early stopping (on above 10,000 rows) sets "
        "validation rows aside stratified by class and needs 2 of each: give that class "
        "more rows, merge it with another, or set params.yaml: "
        f"train.hyperparameters.{name}.early_stopping: false"
    )


def train(
    features: pd.DataFrame,
    target: pd.Series,
    problem_type: str,
    name: str,
    hyperparameters: dict,
    seed: int,
    schema: Schema,
    positive: object = None,
    threads: int = 1,
) -> Model:
    """Fit and return the model with the schema it was trained on, on ``threads`` CPU
    threads (OpenMP's and BLAS's pools, limited in this process)."""
    estimator = build_estimator(problem_type, name, hyperparameters, seed, schema)
    # One call: no step to count, so a heartbeat says how long it has run.
    check_early_stopping(estimator[-1], target, name)
    fitting = f"fitting {type(estimator[-1]).__name__} on {len(features):,} rows"
    try:
        with Progress("train", fitting, heartbeat=True), threadpool_limits(limits=threads):
            estimator.fit(features, target)
    except InvalidParameterError as error:
        raise ProjectError(f"params.yaml: train.hyperparameters.{name}: {error}") from None
    categories = {column: seen(features[column]) for column in schema.of("categorical")}
    return Model(
        estimator=estimator,
        features=dict(schema.features),
        target=str(target.name),
        problem_type=problem_type,
        ids=tuple(schema.ids),
        categories=categories,
        positive=positive,
    )


def schema_from(profile: dict) -> Schema:
    """The schema prepare recorded (eval/data.json)."""
    return Schema(
        target=profile["target"],
        features=profile["features"],
        ids=tuple(profile["ids"]),
        dropped=tuple(profile["dropped"]),
        inferred=frozenset(),
    )


def positive_of(profile: dict, target: pd.Series) -> object:
    """The positive class prepare chose, as the target's own value (not its text)."""
    chosen = profile.get("positive_class")
    return next((label for label in target.unique() if str(label) == chosen), None)


def fitted(params: Params) -> tuple[Model, pd.DataFrame, pd.Series]:
    """The model params.yaml describes, fitted on the training table; and that table."""
    profile = json.loads(paths.DATA_PROFILE.read_text(encoding="utf-8"))
    features, target = read_split(paths.TRAIN, params.prepare.target)
    model = train(
        features,
        target,
        params.base.problem_type,
        params.train.estimator,
        params.train.settings(),
        params.base.seed,
        schema_from(profile),
        positive_of(profile, target),
        params.train.threads,
    )
    return model, features, target


def main() -> None:
    params = load_params()
    cpus = available()
    if params.train.threads > cpus:
        print(
            f"train: warning: params.yaml's train.threads is {params.train.threads}, more "
            f"than the {cpus} CPU(s) this process may use: the fit shares them (slower), "
            f"and trains with {params.train.threads} all the same (the model's bytes "
            "depend on it)"
        )
    model, features, target = fitted(params)
    save(model, paths.MODEL)
    with threadpool_limits(limits=params.train.threads):
        ended = log_training(model, features, target, params.base.seed)
    where = ", ".join(f"{name} {value:.4g}" for name, value in ended.items())
    source = json.loads(paths.DATA_PROFILE.read_text(encoding="utf-8"))["source"]
    print(f"train: {params.train.estimator} fitted on {len(features)} rows of {source} ({where})")
