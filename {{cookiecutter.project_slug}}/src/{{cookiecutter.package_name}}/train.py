"""Stage 2: fit the estimator that params.yaml chooses, seeded, on the training table."""

import inspect

import pandas as pd
{%- if cookiecutter.problem_type == "classification" %}
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
{%- else %}
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
{%- endif %}
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from . import PROBLEM_TYPE, paths
from .config import load_params
from .data import read_split
from .errors import ProjectError
from .model import Model, save

# name in params.yaml -> (estimator class, whether it needs imputed, scaled inputs)
ESTIMATORS = {
{%- if cookiecutter.problem_type == "classification" %}
    "hist_gradient_boosting": (HistGradientBoostingClassifier, False),
    "random_forest": (RandomForestClassifier, False),
    "logistic_regression": (LogisticRegression, True),
{%- else %}
    "hist_gradient_boosting": (HistGradientBoostingRegressor, False),
    "random_forest": (RandomForestRegressor, False),
    "ridge": (Ridge, True),
{%- endif %}
}


def build_estimator(name: str, hyperparameters: dict, seed: int):
    """The estimator ``name`` with ``hyperparameters``; unknown names are clear errors."""
    cls, linear = ESTIMATORS[name]
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
    features: pd.DataFrame, target: pd.Series, name: str, hyperparameters: dict, seed: int
) -> Model:
    """Fit and return the model with the schema it was trained on."""
    estimator = build_estimator(name, hyperparameters, seed)
    try:
        estimator.fit(features, target)
    except InvalidParameterError as error:
        raise ProjectError(f"params.yaml: train.hyperparameters: {error}") from None
    return Model(
        estimator=estimator,
        features={column: str(dtype) for column, dtype in features.dtypes.items()},
        target=str(target.name),
        problem_type=PROBLEM_TYPE,
    )


def main() -> None:
    params = load_params()
    features, target = read_split(paths.TRAIN, params.prepare.target)
    model = train(
        features, target, params.train.estimator, params.train.hyperparameters, params.base.seed
    )
    save(model, paths.MODEL)
    print(f"train: {params.train.estimator} fitted on {len(features)} rows")
