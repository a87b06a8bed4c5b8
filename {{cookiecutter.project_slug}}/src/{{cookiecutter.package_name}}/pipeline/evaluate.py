"""Stage 3: score the test table, write metrics, plot data and per-row predictions."""

import numpy as np
import pandas as pd
from sklearn import metrics

from .. import paths
from ..config import load_params
from ..outputs import write_csv, write_json, write_parquet
from ..progress import Progress
from .data import read_split
from .features import unseen
from .model import Model, load

# Plot files hold at most this many rows (a seeded sample); metrics use every row.
PLOT_ROWS = 5_000
CURVE_POINTS = 500
SCORE_ROWS = 100_000  # rows scored at once where progress is counted


def predict(model: Model, features: pd.DataFrame) -> tuple[pd.Series, np.ndarray | None]:
    """(predictions, class probabilities in the order of ``model.classes``); regression
    has no probabilities (None)."""
    if model.problem_type == "regression":
        return pd.Series(model.estimator.predict(features), index=features.index), None
    probabilities = model.estimator.predict_proba(features)
    labels = np.asarray(model.classes)[probabilities.argmax(axis=1)]
    return pd.Series(labels, index=features.index), probabilities


def predict_counted(
    model: Model, features: pd.DataFrame, progress: Progress
) -> tuple[pd.Series, np.ndarray | None]:
    """predict(), SCORE_ROWS rows at a time, each chunk's rows counted on ``progress``: the
    same predictions (a row's depends on that row only, as `predict` chunks its input)."""
    if len(features) <= SCORE_ROWS:
        found = predict(model, features)
        progress.advance(len(features))
        return found
    parts = []
    for start in range(0, len(features), SCORE_ROWS):
        parts.append(predict(model, features.iloc[start : start + SCORE_ROWS]))
        progress.advance(len(parts[-1][0]))
    predicted = pd.concat([part[0] for part in parts])
    if parts[0][1] is None:
        return predicted, None
    return predicted, np.concatenate([part[1] for part in parts])


def scores(
    actual: pd.Series,
    predicted: pd.Series,
    probabilities: np.ndarray | None,
    labels: list,
    positive: int | None = 1,
) -> dict[str, float]:
    """The metrics of one model on the given rows (scikit-learn's definitions): those of
    classification when there are ``labels`` (the classes, in the order of the
    probabilities; ``positive``: the positive class's position, binary only), else of
    regression."""
    if not labels:
        values = {
            "rmse": metrics.root_mean_squared_error(actual, predicted),
            "mae": metrics.mean_absolute_error(actual, predicted),
            "r2": metrics.r2_score(actual, predicted),
        }
        return {name: float(value) for name, value in values.items()}
    binary = len(labels) == 2
    average = "binary" if binary else "macro"
    label = labels[positive] if binary else None
    values = {
        "accuracy": metrics.accuracy_score(actual, predicted),
        "precision": metrics.precision_score(
            actual, predicted, average=average, pos_label=label, zero_division=0
        ),
        "recall": metrics.recall_score(
            actual, predicted, average=average, pos_label=label, zero_division=0
        ),
        "f1": metrics.f1_score(
            actual, predicted, average=average, pos_label=label, zero_division=0
        ),
        "roc_auc": (
            metrics.roc_auc_score(actual == label, probabilities[:, positive])
            if binary
            else metrics.roc_auc_score(actual, probabilities, multi_class="ovr", labels=labels)
        ),
        "log_loss": metrics.log_loss(actual, probabilities, labels=labels),
    }
    return {name: float(value) for name, value in values.items()}


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


def constant(predicted: pd.Series) -> str | None:
    """What the model always predicts, when it predicts one thing for every row; else None
    (a model that learned nothing: too few rows, or nothing to learn from)."""
    values = predicted.to_numpy()
    if len(values) < 2:
        return None
    if values.dtype.kind in "fc":
        spread = float(np.nanmax(values) - np.nanmin(values))
        level = max(1.0, float(np.nanmax(np.abs(values))))
        return f"{float(values[0]):.4g}" if spread <= 1e-9 * level else None
    first = values[0]
    return repr(first) if (values == first).all() else None


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
