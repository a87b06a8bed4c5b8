"""Stage 3: score the test table, write metrics, plot data and per-row predictions."""

import numpy as np
import pandas as pd
from sklearn import metrics

from .. import paths
from ..config import load_params
from ..outputs import write_csv, write_json, write_parquet
from ..progress import Progress
from ..scoring import constant, predict_counted, scores
from .data import read_split
from .features import unseen
from .model import Model, load

# Plot files hold at most this many rows (a seeded sample); metrics use every row.
PLOT_ROWS = 5_000
CURVE_POINTS = 500


def evaluate(
    model: Model, features: pd.DataFrame, actual: pd.Series, seed: int
) -> tuple[dict[str, float], pd.DataFrame, dict]:
    """Return (metrics, per-row predictions, plot tables) for the test rows."""
    with Progress(
        "evaluate", "scoring the test rows", len(features), "rows", heartbeat=True
    ) as progress:
        predicted, probabilities = predict_counted(model, features, progress)
        progress.step("metrics and curves")
        return measured(model, actual, predicted, probabilities, seed)


def measured(
    model: Model,
    actual: pd.Series,
    predicted: pd.Series,
    probabilities: np.ndarray | None,
    seed: int,
) -> tuple[dict[str, float], pd.DataFrame, dict]:
    """evaluate()'s metrics, per-row predictions and plot tables, from its predictions."""
    labels = model.classes
    predictions = pd.DataFrame({"actual": actual, "predicted": predicted})
    if model.problem_type == "regression":
        residuals = predictions.assign(residual=predictions["predicted"] - predictions["actual"])
        plots = {paths.RESIDUALS: sample(residuals, seed)}
        return scores(actual, predicted, None, []), predictions, plots
    for index, label in enumerate(labels):
        predictions[f"proba_{label}"] = probabilities[:, index]
    positive = model.positive_index
    # Curves of the positive class (binary) or micro-averaged over classes (multiclass).
    if positive is not None:
        truth = (actual == labels[positive]).to_numpy()
        score = probabilities[:, positive]
    else:
        truth = (actual.to_numpy()[:, None] == np.asarray(labels)[None, :]).ravel()
        score = probabilities.ravel()
    fpr, tpr, _ = metrics.roc_curve(truth, score)
    precision, recall, _ = metrics.precision_recall_curve(truth, score)
    plots = {
        paths.ROC: thin(pd.DataFrame({"fpr": fpr, "tpr": tpr})),
        paths.PRECISION_RECALL: thin(pd.DataFrame({"recall": recall, "precision": precision})),
        paths.CONFUSION: sample(predictions[["actual", "predicted"]], seed),
    }
    return scores(actual, predicted, probabilities, labels, positive), predictions, plots


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
    found, predictions, plots = evaluate(model, features, actual, params.base.seed)
    write_parquet(predictions, paths.PREDICTIONS)
    for path, table in plots.items():
        write_csv(table, path)
    write_json(found, paths.METRICS)
    print("evaluate: " + ", ".join(f"{name} {value:.4f}" for name, value in found.items()))
    same = constant(predictions["predicted"])
    if same is not None:
        print(
            f"evaluate: warning: the model predicts {same} for all {len(predictions)} test "
            "rows; it learned nothing from the features (too few rows, or a hard table?)"
        )
    for column, rows in unseen(features, model.categories).items():
        print(f"evaluate: {rows} test row(s) have a value of {column!r} unseen in training")
