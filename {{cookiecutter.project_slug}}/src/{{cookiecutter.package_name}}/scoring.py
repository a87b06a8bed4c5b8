"""How a model is scored: its predictions and its metrics (scikit-learn's definitions).

One place for every part that scores: the evaluate stage, the pull-request review and
the promotion's gate, batch scoring, serving and monitoring. It lives outside
pipeline/ (your features and model) on purpose: the review and the gate score the
candidate model themselves with this code, so an edit to a stage's code cannot change
what the gate measures (and the gate checks that the evaluate stage reported the same
numbers).
"""

import numpy as np
import pandas as pd
from sklearn import metrics

from .pipeline.model import Model
from .progress import Progress
from .threads import limit

SCORE_ROWS = 100_000  # rows scored at once where progress is counted


def predict(model: Model, features: pd.DataFrame) -> tuple[pd.Series, np.ndarray | None]:
    """(predictions, class probabilities in the order of ``model.classes``); regression
    has no probabilities (None). The model library's thread pools are limited first
    (threads.py: SCORING_THREADS, by default the CPUs this process may use)."""
    limit()
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
