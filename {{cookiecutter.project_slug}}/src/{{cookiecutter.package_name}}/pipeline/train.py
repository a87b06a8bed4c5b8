"""Stage 2: fit the estimator that params.yaml chooses, seeded, on the training table.

To offer another estimator, add it to ESTIMATORS here and its name to config.ESTIMATORS.
"""

import inspect

import pandas as pd
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from .. import paths
from ..config import load_params
from ..errors import ProjectError
from .data import read_split
from .model import Model, save

# problem type -> name in params.yaml -> (estimator class, whether it needs imputed,
# scaled inputs)
ESTIMATORS = {
    "classification": {
        "hist_gradient_boosting": (HistGradientBoostingClassifier, False),
        "random_forest": (RandomForestClassifier, False),
        "logistic_regression": (LogisticRegression, True),
    },
    "regression": {
        "hist_gradient_boosting": (HistGradientBoostingRegressor, False),
        "random_forest": (RandomForestRegressor, False),
        "ridge": (Ridge, True),
    },
}


def build_estimator(problem_type: str, name: str, hyperparameters: dict, seed: int):
    """The estimator ``name`` with ``hyperparameters``; unknown names are clear errors."""
    cls, linear = ESTIMATORS[problem_type][name]
    accepted = set(inspect.signature(cls).parameters)
    unknown = sorted(set(hyperparameters) - accepted)
    if unknown:
        raise ProjectError(
            f"params.yaml: train.hyperparameters.{unknown[0]}: not a parameter of "
            f"{cls.__name__} (it accepts: {', '.join(sorted(accepted))})"
        )
    settings = dict(hyperparameters)
    if "random_state" in accepted:
        settings.setdefault("random_state", seed)
    estimator = cls(**settings)
    if linear:
        return make_pipeline(SimpleImputer(), StandardScaler(), estimator)
    return estimator


def train(
    features: pd.DataFrame,
    target: pd.Series,
    problem_type: str,
    name: str,
    hyperparameters: dict,
    seed: int,
) -> Model:
    """Fit and return the model with the schema it was trained on."""
    estimator = build_estimator(problem_type, name, hyperparameters, seed)
    try:
        estimator.fit(features, target)
    except InvalidParameterError as error:
        raise ProjectError(f"params.yaml: train.hyperparameters: {error}") from None
    return Model(
        estimator=estimator,
        features={column: str(dtype) for column, dtype in features.dtypes.items()},
        target=str(target.name),
        problem_type=problem_type,
    )


def main() -> None:
    params = load_params()
    features, target = read_split(paths.TRAIN, params.prepare.target)
    settings = params.train
    model = train(
        features,
        target,
        params.base.problem_type,
        settings.estimator,
        settings.hyperparameters,
        params.base.seed,
    )
    save(model, paths.MODEL)
    print(f"train: {settings.estimator} fitted on {len(features)} rows")
