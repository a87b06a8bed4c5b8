"""Stage 3: score the test table, write metrics, plot data and per-row predictions."""

import numpy as np
import pandas as pd
from sklearn import metrics

from . import paths
from .config import load_params
from .data import read_split
from .model import Model, load
from .outputs import write_csv, write_json, write_parquet

# Plot files hold at most this many rows (a seeded sample); metrics use every row.
PLOT_ROWS = 5_000
CURVE_POINTS = 500
{%- if cookiecutter.problem_type == "classification" %}


def evaluate(
    model: Model, features: pd.DataFrame, actual: pd.Series, seed: int
) -> tuple[dict[str, float], pd.DataFrame, dict]:
    """Return (metrics, per-row predictions, plot tables) for the test rows."""
    estimator = model.estimator
    classes = list(estimator.classes_)
    probabilities = estimator.predict_proba(features)
    predicted = pd.Series(np.asarray(classes)[probabilities.argmax(axis=1)], index=actual.index)
    binary = len(classes) == 2
    average = "binary" if binary else "macro"
    positive = classes[1] if binary else None
    scores = {
        "accuracy": metrics.accuracy_score(actual, predicted),
        "precision": metrics.precision_score(
            actual, predicted, average=average, pos_label=positive, zero_division=0
        ),
        "recall": metrics.recall_score(
            actual, predicted, average=average, pos_label=positive, zero_division=0
        ),
        "f1": metrics.f1_score(
            actual, predicted, average=average, pos_label=positive, zero_division=0
        ),
        "roc_auc": metrics.roc_auc_score(
            actual,
            probabilities[:, 1] if binary else probabilities,
            multi_class="ovr",
            labels=None if binary else classes,
        ),
        "log_loss": metrics.log_loss(actual, probabilities, labels=classes),
    }
    predictions = pd.DataFrame({"actual": actual, "predicted": predicted})
    for index, label in enumerate(classes):
        predictions[f"proba_{label}"] = probabilities[:, index]

    # Curves of the positive class (binary) or micro-averaged over classes (multiclass).
    if binary:
        truth, score = (actual == positive).to_numpy(), probabilities[:, 1]
    else:
        truth = (actual.to_numpy()[:, None] == np.asarray(classes)[None, :]).ravel()
        score = probabilities.ravel()
    fpr, tpr, _ = metrics.roc_curve(truth, score)
    precision, recall, _ = metrics.precision_recall_curve(truth, score)
    plots = {
        paths.ROC: thin(pd.DataFrame({"fpr": fpr, "tpr": tpr})),
        paths.PRECISION_RECALL: thin(pd.DataFrame({"recall": recall, "precision": precision})),
        paths.CONFUSION: sample(predictions[["actual", "predicted"]], seed),
    }
    return {name: float(value) for name, value in scores.items()}, predictions, plots
{%- else %}


def evaluate(
    model: Model, features: pd.DataFrame, actual: pd.Series, seed: int
) -> tuple[dict[str, float], pd.DataFrame, dict]:
    """Return (metrics, per-row predictions, plot tables) for the test rows."""
    predicted = pd.Series(model.estimator.predict(features), index=actual.index)
    scores = {
        "rmse": metrics.root_mean_squared_error(actual, predicted),
        "mae": metrics.mean_absolute_error(actual, predicted),
        "r2": metrics.r2_score(actual, predicted),
    }
    predictions = pd.DataFrame({"actual": actual, "predicted": predicted})
    residuals = predictions.assign(residual=predictions["predicted"] - predictions["actual"])
    plots = {paths.RESIDUALS: sample(residuals, seed)}
    return {name: float(value) for name, value in scores.items()}, predictions, plots
{%- endif %}


def sample(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """At most PLOT_ROWS rows, the same ones on every run, so plots stay small in Git."""
    if len(frame) <= PLOT_ROWS:
        return frame
    return frame.sample(n=PLOT_ROWS, random_state=seed).sort_index()


def thin(curve: pd.DataFrame) -> pd.DataFrame:
    """At most CURVE_POINTS points of a curve, evenly spaced along it, ends included."""
    if len(curve) <= CURVE_POINTS:
        return curve
    keep = np.unique(np.linspace(0, len(curve) - 1, CURVE_POINTS).round().astype(int))
    return curve.iloc[keep]


def main() -> None:
    params = load_params()
    model = load(paths.MODEL)
    features, actual = read_split(paths.TEST, model.target)
    scores, predictions, plots = evaluate(model, features, actual, params.base.seed)
    write_parquet(predictions, paths.PREDICTIONS)
    for path, table in plots.items():
        write_csv(table, path)
    write_json(scores, paths.METRICS)
    print("evaluate: " + ", ".join(f"{name} {value:.4f}" for name, value in scores.items()))
