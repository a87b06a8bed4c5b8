"""A pull request's model against production and base, scored on the same rows.

Two baselines: the version at the production stage of the registry (GTO tags) and the
base branch at the merge base. Each is scored on this pull request's own test rows:
with the predictions its own evaluate stage made when its test table is byte for byte
this PR's (the same hash in both dvc.lock files), else by its model. Both come through
DVC (cache, then remote); when neither can be had, its recorded metrics
(eval/metrics.json in Git at its commit) are compared, and the report says so. Every
difference gets a paired 95% interval (stats.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import dvc, paths
from ..dvc import metrics_at
from ..pipeline.data import read_split
from ..pipeline.evaluate import predict, scores
from ..pipeline.model import Model, load, load_at
from .stats import auc_interval, paired_intervals, row_sums

if TYPE_CHECKING:
    from ..registry import Version


@dataclass
class Predictions:
    """One model's predictions on the test rows."""

    predicted: pd.Series
    probabilities: np.ndarray | None  # classification: one column per class


@dataclass
class Baseline:
    role: str  # "production" or "base"
    label: str  # how the report names it: a version or a short commit
    commit: str | None
    recorded: dict[str, float] | None  # metrics committed at that commit
    model: Model | None = None
    own_predictions: pd.DataFrame | None = None  # made on this PR's very rows
    note: str = ""  # why it is compared by recorded metrics, or absent
    scores: dict[str, float] = field(default_factory=dict)  # on this PR's test rows
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    def value(self, metric: str) -> float | None:
        """The metric on this PR's rows when it was scored there, else as recorded."""
        return self.scores.get(metric, (self.recorded or {}).get(metric))


@dataclass
class Comparison:
    problem_type: str  # of this PR's model
    base: str  # the merge base's commit
    actual: pd.Series  # the test rows' targets
    labels: list  # the classes, in the order of the probabilities; [] for regression
    scores: dict[str, float]  # this PR's model's metrics on them
    predictions: Predictions  # this PR's model's
    baselines: list[Baseline]  # production, then base
    scored: dict[str, Predictions]  # role -> its predictions on these rows, if it has them

    @property
    def rows(self) -> int:
        return len(self.actual)


def predictions_on_these_rows(commit: str) -> pd.DataFrame | None:
    """The predictions ``commit``'s evaluate stage made, if it made them on this PR's test
    table (same hash in both dvc.lock files): scoring its model again would repeat them."""
    before, now = dvc.outputs(dvc.lock(commit)), dvc.outputs(dvc.lock())
    test, predictions = paths.TEST.as_posix(), paths.PREDICTIONS.as_posix()
    if predictions not in before or test not in now or before.get(test) != now[test]:
        return None
    return pd.read_parquet(dvc.read_at(commit, paths.PREDICTIONS))


def baseline(role: str, label: str, commit: str | None, note: str = "") -> Baseline:
    """A baseline with its recorded metrics and, when DVC has them, its predictions on
    these rows or else its model."""
    if commit is None:
        return Baseline(role, label, None, None, note=note)
    found = Baseline(role, label, commit, metrics_at(commit))
    if found.recorded is None:
        found.note = f"no {paths.METRICS} at {commit[:7]}: nothing to compare"
        return found
    try:
        found.own_predictions = predictions_on_these_rows(commit)
        if found.own_predictions is None:
            found.model = load_at(commit)
    except Exception as error:  # any failure means: compare recorded metrics instead
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        found.note = f"model not available ({reason}); recorded metrics compared"
    return found


def from_table(table: pd.DataFrame, actual: pd.Series, labels: list) -> Predictions | None:
    """The predictions in an eval/predictions.parquet, or None when that table is not for
    these rows (and classes)."""
    columns = [f"proba_{label}" for label in labels]
    if not table.index.equals(actual.index) or not set(columns) <= set(table.columns):
        return None
    return Predictions(table["predicted"], table[columns].to_numpy() if labels else None)


def on_these_rows(
    other: Baseline, model: Model, features: pd.DataFrame, actual: pd.Series
) -> Predictions | None:
    """A baseline's predictions on this PR's rows: those it made on them itself, else its
    model's; None, with the reason in its note, without either."""
    if other.own_predictions is not None:
        found = from_table(other.own_predictions, actual, model.classes)
        if found is None:
            other.note = "its predictions do not match this PR's rows; recorded metrics compared"
        return found
    if other.model is None:
        return None
    missing = [name for name in other.model.features if name not in features.columns]
    if other.model.target != model.target or missing:
        why = f"columns {', '.join(missing[:5])} are gone" if missing else "the target changed"
        other.note = f"cannot score this PR's rows ({why}); recorded metrics compared"
        return None
    if other.model.problem_type != model.problem_type or other.model.classes != model.classes:
        other.note = "its classes differ from this PR's; recorded metrics compared"
        return None
    return Predictions(*predict(other.model, features[list(other.model.features)]))


def compare(base: str, production: Version | None, seed: int) -> Comparison:
    """This checkout's model (after `dvc repro`) against production and the commit
    ``base``, on this checkout's test rows."""
    model = load(paths.MODEL)
    features, actual = read_split(paths.TEST, model.target)
    labels = model.classes
    # After `dvc repro`, eval/predictions.parquet holds this model's predictions on
    # these rows: nothing to predict again.
    own = pd.read_parquet(paths.PREDICTIONS) if paths.PREDICTIONS.is_file() else None
    mine = from_table(own, actual, labels) if own is not None else None
    if mine is None:
        mine = Predictions(*predict(model, features[list(model.features)]))
    baselines = [
        baseline("production", production.version, production.commit)
        if production
        else baseline("production", "none", None, note="no version in production yet"),
        baseline("base", base[:7], base),
    ]
    scored = {}
    for other in baselines:
        if (found := on_these_rows(other, model, features, actual)) is not None:
            scored[other.role] = found
    comparison = Comparison(
        problem_type=model.problem_type,
        base=base,
        actual=actual,
        labels=labels,
        scores=scores(actual, mine.predicted, mine.probabilities, labels),
        predictions=mine,
        baselines=baselines,
        scored=scored,
    )
    add_intervals(comparison, seed)
    return comparison


def add_intervals(comparison: Comparison, seed: int) -> None:
    """Each scored baseline's scores, and the paired intervals of this PR minus it."""
    actual, labels = comparison.actual, comparison.labels
    mine = comparison.predictions
    others = [other for other in comparison.baselines if other.role in comparison.scored]
    sums = []
    for other in others:
        theirs = comparison.scored[other.role]
        other.scores = scores(actual, theirs.predicted, theirs.probabilities, labels)
        sums.append(row_sums(actual, theirs.predicted, theirs.probabilities, labels))
    new = row_sums(actual, mine.predicted, mine.probabilities, labels)
    for other, intervals in zip(others, paired_intervals(new, sums, seed), strict=True):
        other.intervals = intervals
    if len(labels) == 2:
        truth = (actual == labels[1]).to_numpy()
        for other in others:
            theirs = comparison.scored[other.role].probabilities
            other.intervals["roc_auc"] = auc_interval(
                truth, mine.probabilities[:, 1], theirs[:, 1]
            )
