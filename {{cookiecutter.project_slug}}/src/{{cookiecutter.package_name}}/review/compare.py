"""A pull request's model against production and base, scored on the same rows, none of
which the baseline trained on.

Two baselines: the version at the production stage of the registry (GTO tags) and the
base branch at the merge base. Each is scored on this pull request's test rows, less
those it trained on: every prepared row has a key (pipeline/split.py), and a baseline's
training keys are read from its own training table at its commit. It is scored with the
predictions its own evaluate stage made when its test table is byte for byte this PR's
(the same hash in both dvc.lock files), else by its model. Everything comes through DVC
(cache, then remote); when it cannot be had, or its rows cannot be matched with this
PR's, its recorded metrics (eval/metrics.json in Git at its commit) are compared, and
the report says so. Every difference gets an interval (stats.py) at the level the gate
reads (gate.py), with the rows' structure the split declares (a group split: by group;
a time split: in time order; the column is carried in the prepared tables, prepare.py):
paired on the rows both were scored on; for recorded metrics,
unpaired, with the baseline's standard error taken as this PR's model's at the
baseline's number of test rows.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import dvc, paths
from ..dvc import metrics_at
from ..evidence import compared, interval_level, regression_rules
from ..outputs import read_json
from ..pipeline.data import read_split
from ..pipeline.model import Model, load, load_at
from ..progress import Progress
from ..scoring import predict, scores
from .changes import data_profile
from .stats import ROWS, Estimate, Structure, alone, differences, scored, unpaired

if TYPE_CHECKING:
    from ..config import Gate
    from ..registry import Version

MATCHED = 0.5  # a baseline whose rows are not found this much in this PR's: not matched


@dataclass
class Predictions:
    """One model's predictions on the test rows."""

    predicted: pd.Series
    probabilities: np.ndarray | None  # classification: one column per class

    def on(self, rows: np.ndarray) -> Predictions:
        """The predictions of these rows (positions)."""
        probabilities = None if self.probabilities is None else self.probabilities[rows]
        return Predictions(self.predicted.iloc[rows], probabilities)


@dataclass
class Baseline:
    role: str  # "production" or "base"
    label: str  # how the report names it: a version or a short commit
    commit: str | None
    recorded: dict[str, float] | None  # metrics committed at that commit
    model: Model | None = None
    own_predictions: pd.DataFrame | None = None  # made on this PR's very rows
    trained_on: pd.Index | None = None  # the keys of the rows it trained on
    note: str = ""  # why it is compared by recorded metrics, or absent
    rows: np.ndarray | None = None  # the positions of this PR's test rows it is scored on
    left_out: int = 0  # this PR's test rows it trained on, so not compared
    scores: dict[str, float] = field(default_factory=dict)  # on those rows
    mine: dict[str, float] = field(default_factory=dict)  # this PR's model on those rows
    intervals: dict[str, Estimate] = field(default_factory=dict)  # of this PR minus it
    test_rows: int | None = None  # the rows its recorded metrics were measured on
    identical: bool = False  # its predictions on those rows are this PR's
    same_as: str = ""  # the other baseline's role, when both are one commit

    @property
    def name(self) -> str:
        """How a criterion names it: "production and base" when they are one commit."""
        return f"{self.role} and {self.same_as}" if self.same_as else self.role

    def value(self, metric: str) -> float | None:
        """The metric on this PR's rows when it was scored there, else as recorded."""
        return self.scores.get(metric, (self.recorded or {}).get(metric))


@dataclass
class Comparison:
    problem_type: str  # of this PR's model
    base: str  # the merge base's commit
    actual: pd.Series  # the test rows' targets
    labels: list  # the classes, in the order of the probabilities; [] for regression
    positive: int | None  # binary classification: the positive class's position
    scores: dict[str, float]  # this PR's model's metrics on them
    predictions: Predictions  # this PR's model's
    baselines: list[Baseline]  # production, then base
    scored: dict[str, Predictions]  # role -> its predictions on its rows, if scored
    trained_on_test: int = 0  # test rows whose key is also a training row's
    level: float = 0.95  # of every interval: the gate's (evidence.interval_level)
    tests: int = 0  # the (metric, baseline) tests of the gate
    seed: int = 0  # of the intervals that resample
    structure: Structure = ROWS  # how the test rows depend on each other (the split's)
    small_classes: list = field(default_factory=list)  # one test row: AUC side modelled

    @property
    def rows(self) -> int:
        return len(self.actual)


def keys_of(buffer: io.BytesIO) -> pd.Index:
    """The row keys (the index) of a prepared table."""
    import pyarrow.parquet as pq

    table = pq.read_table(buffer)
    index = table.schema.pandas_metadata["index_columns"][0]
    return pd.Index(table.column(index).to_numpy())


def predictions_on_these_rows(commit: str, shipped: dict[str, str]) -> pd.DataFrame | None:
    """The predictions ``commit``'s evaluate stage made, if it made them on this PR's test
    table (same hash in both dvc.lock files): scoring its model again would repeat them."""
    before, now = dvc.outputs(dvc.lock(commit)), dvc.outputs(dvc.lock())
    before.update(shipped)
    test, predictions = paths.TEST.as_posix(), paths.PREDICTIONS.as_posix()
    if predictions not in before or test not in now or before.get(test) != now[test]:
        return None
    return pd.read_parquet(dvc.read_at(commit, paths.PREDICTIONS, shipped))


def baseline(
    role: str, label: str, commit: str | None, note: str = "", shipped: dict | None = None
) -> Baseline:
    """A baseline with its recorded metrics and, when DVC has them, the keys of the rows it
    trained on and its predictions on these rows or else its model (``shipped``: the
    bytes a version's promotion made instead of dvc.lock's, registry.Version.shipped)."""
    shipped = shipped or {}
    if commit is None:
        return Baseline(role, label, None, None, note=note)
    found = Baseline(role, label, commit, metrics_at(commit))
    if found.recorded is None:
        found.note = f"no {paths.METRICS} at {commit[:7]}: nothing to compare"
        return found
    profile = data_profile(commit) or {}
    found.test_rows = profile.get("rows", {}).get("test")
    try:
        found.trained_on = keys_of(dvc.read_at(commit, paths.TRAIN, shipped))
        found.own_predictions = predictions_on_these_rows(commit, shipped)
        if found.own_predictions is None:
            found.model = load_at(commit, shipped)
    except Exception as error:  # any failure means: compare recorded metrics instead
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        found.note = f"model not available ({reason}); recorded metrics compared"
        found.trained_on = found.own_predictions = found.model = None
    return found


def from_table(table: pd.DataFrame, actual: pd.Series, labels: list) -> Predictions | None:
    """The predictions in an eval/predictions.parquet, or None when that table is not for
    these rows (and classes)."""
    columns = [f"proba_{label}" for label in labels]
    if not table.index.equals(actual.index) or not set(columns) <= set(table.columns):
        return None
    return Predictions(table["predicted"], table[columns].to_numpy() if labels else None)


def rows_to_score(other: Baseline, keys: pd.Index, all_keys: pd.Index) -> np.ndarray | None:
    """The positions of this PR's test rows ``other`` did not train on; None, with the
    reason in its note, when its rows cannot be matched with this PR's."""
    trained = other.trained_on
    found = trained.isin(all_keys).mean() if len(trained) else 0.0
    if found < MATCHED:
        other.note = (
            f"its rows cannot be matched with this PR's (only {found:.0%} of its training "
            "rows are found here: columns added or removed change the rows' keys; name ID "
            "columns in params.yaml's prepare.ids to key rows by them); recorded metrics "
            "compared"
        )
        return None
    seen = keys.isin(trained)
    other.left_out = int(seen.sum())
    if seen.all():
        other.note = "it trained on every one of this PR's test rows; recorded metrics compared"
        return None
    return np.flatnonzero(~seen)


def on_these_rows(
    other: Baseline,
    model: Model,
    features: pd.DataFrame,
    actual: pd.Series,
    all_keys: pd.Index,
) -> Predictions | None:
    """A baseline's predictions on the rows it is scored on (``other.rows``): those it made
    itself, else its model's; None, with the reason in its note, without either."""
    if other.own_predictions is not None:
        found = from_table(other.own_predictions, actual, model.classes)
        if found is None:
            other.note = "its predictions do not match this PR's rows; recorded metrics compared"
            return None
        other.rows = np.arange(len(actual))
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
    rows = rows_to_score(other, features.index, all_keys)
    if rows is None:
        return None
    other.rows = rows
    return Predictions(*predict(other.model, features.iloc[rows]))


def structure_of(features: pd.DataFrame) -> Structure:
    """How the test rows depend on each other: the split that made them (data_profile's
    ``split``), read from its column in the test table."""
    split = (read_json(paths.DATA_PROFILE, "repro") if paths.DATA_PROFILE.exists() else {}).get(
        "split", {}
    )
    column = split.get("column")
    values = features[column] if column in features.columns else None
    return Structure.of(split.get("method", "hash"), column, values)


def compare(base: str, production: Version | None, seed: int, gate: Gate) -> Comparison:
    """This checkout's model (after `dvc repro`) against production and the commit
    ``base``, on this checkout's test rows, with the intervals ``gate`` reads."""
    model = load(paths.MODEL)
    features, actual = read_split(paths.TEST, model.target)
    labels = model.classes
    train_keys = keys_of(io.BytesIO(paths.TRAIN.read_bytes()))
    all_keys = features.index.append(train_keys)
    # The model is scored here, by the review's own code, never read from the pipeline's
    # eval/predictions.parquet: what the gate judges is what this model predicts.
    with Progress("report", f"scoring this model on {len(features):,} test rows", heartbeat=True):
        mine = Predictions(*predict(model, features))
    baselines = [
        baseline("production", production.version, production.commit, shipped=production.shipped)
        if production
        else baseline("production", "none", None, note="no version in production yet"),
        baseline(
            "base",
            base[:7],
            base,
            shipped=production.shipped if production and production.commit == base else None,
        ),
    ]
    production_, base_ = baselines
    if production_.commit is not None and production_.commit == base_.commit:
        production_.same_as, base_.same_as = "base", "production"
    tests = len(regression_rules(gate)) * len(compared(baselines))
    scored = {}
    with Progress("report", "scoring production and base", len(baselines), "models") as progress:
        for other in baselines:
            if (found := on_these_rows(other, model, features, actual, all_keys)) is not None:
                scored[other.role] = found
            progress.advance()
    positive = model.positive_index
    comparison = Comparison(
        problem_type=model.problem_type,
        base=base,
        actual=actual,
        labels=labels,
        positive=positive,
        scores=scores(actual, mine.predicted, mine.probabilities, labels, positive),
        predictions=mine,
        baselines=baselines,
        scored=scored,
        trained_on_test=int(features.index.isin(train_keys).sum()),
        level=interval_level(gate, tests),
        tests=tests,
        seed=seed,
        structure=structure_of(features),
    )
    with Progress("report", "the intervals", heartbeat=True):
        add_intervals(comparison, seed)
    return comparison


def add_intervals(comparison: Comparison, seed: int) -> None:
    """Each scored baseline's scores and this PR's on the same rows, and the paired
    intervals of this PR minus it (baselines scored on the same rows share the work);
    each baseline compared by its recorded metrics, the unpaired ones."""
    labels, positive, level = comparison.labels, comparison.positive, comparison.level
    structure = comparison.structure
    groups: dict[bytes, list[Baseline]] = {}
    for other in comparison.baselines:
        if other.role in comparison.scored:
            groups.setdefault(other.rows.tobytes(), []).append(other)
    for others in groups.values():
        actual = comparison.actual.iloc[others[0].rows]
        mine = comparison.predictions.on(others[0].rows)
        theirs = [comparison.scored[other.role] for other in others]
        on = structure.on(others[0].rows)
        new = scored(actual, mine.predicted, mine.probabilities, labels, positive, on)
        old = [scored(actual, t.predicted, t.probabilities, labels, positive, on) for t in theirs]
        found = differences(new, old, level, seed)
        comparison.small_classes = new.small_classes
        for other, predictions, model, intervals in zip(others, theirs, old, found, strict=True):
            other.intervals = intervals
            other.scores, other.mine = model.point(), new.point()  # scikit-learn's values
            other.identical = same(mine, predictions)
    recorded = [
        other
        for other in comparison.baselines
        if other.recorded is not None and other.role not in comparison.scored
    ]
    if recorded:
        mine = comparison.predictions
        model = scored(
            comparison.actual, mine.predicted, mine.probabilities, labels, positive, structure
        )
        comparison.small_classes = model.small_classes
        own = alone(model, level, seed)
        for other in recorded:
            scale = math.sqrt(comparison.rows / (other.test_rows or comparison.rows))
            other.intervals = {
                metric: unpaired(own[metric], value, own[metric].se * scale, level)
                for metric, value in other.recorded.items()
                if metric in own
            }


def same(mine: Predictions, theirs: Predictions) -> bool:
    """Whether two models made the very same predictions (probabilities too)."""
    if not np.array_equal(mine.predicted.to_numpy(), theirs.predicted.to_numpy()):
        return False
    if mine.probabilities is None or theirs.probabilities is None:
        return mine.probabilities is theirs.probabilities
    return np.array_equal(mine.probabilities, theirs.probabilities)
