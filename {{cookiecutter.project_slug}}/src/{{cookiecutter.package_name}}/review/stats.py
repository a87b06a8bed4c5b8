"""How sure a metric is, and a change of it: intervals of one model's metrics on some
rows, and paired intervals of the difference between two models scored on the same rows.

Every metric is either a smooth function of per-row sums (accuracy, precision, recall,
F1 and log loss; RMSE, MAE and R²) or a ROC AUC (binary: of the positive class;
multiclass: the macro average of the one-vs-rest AUCs, as scikit-learn's
``roc_auc_score(multi_class="ovr")``).

- Intervals come from each row's influence on the metric (the delta method; for ROC
  AUC, DeLong's structural components, DeLong et al. 1988); a difference's from the
  difference of the two models' influences on each row (paired). Exact to compute, the
  same for every seed, linear in the rows.
- The rows' structure is the split's (``Structure``): after a group split the
  influences are summed per group and the variance taken over groups (cluster-robust:
  one user's rows are one observation, not many); after a time split, the same over
  BLOCKS blocks of consecutive rows in time order (batch means: neighbours share their
  errors). A row-level variance is several times too small there (8x on a ratings
  table split by user).
- Each metric's quantile is Student's t with its own degrees of freedom: a rate or an
  AUC (on a 0-1 scale), the rows it rests on less one (``Scored.resting``: recall at 5%
  positives, its positives; a macro average, C² / Σ 1/k over its classes); a metric
  with unbounded terms (log loss, squared errors), Satterthwaite's moment matching from
  the kurtosis of its influences; at most groups less one. Accuracy, resting on every
  row, keeps every row whatever the rarest class (a 17-class table whose rarest class
  has one row gave every metric t with 1 degree of freedom before: accuracy ±0.055
  where a bootstrap gives ±0.0085).
- Where two models agree on every row a rate rests on (recall at 5% positives on 200
  rows: 18% of differences), the influences of the difference are all zero, yet the
  rows cannot rule a difference out: accuracy, precision, recall and F1 take Agresti
  and Min's paired adjustment as a floor on the standard error (``floor``). Only two
  models that predicted the very same on every row get an interval of zero width.
- A metric on a 0-1 scale whose normal interval would cross 0 or 1 (an AUC of 0.99 on a
  hundred rows) gets a log-odds interval instead, and a difference of two such metrics
  the method of variance estimates recovery (MOVER), which keeps the skew.
- Where a metric has no influence (an AUC with fewer than two rows of a class), the
  paired Poisson bootstrap: each resample gives every row (every group; every block of
  n^(1/3) rows in time order) one Poisson(1) weight, the same for every model, and
  recomputes the metric; RESAMPLES resamples, so that an endpoint
  moves by about 2% of its standard error from one seed to another.

Sums are in float64, and a regression target is centred first (R² needs the spread of
values whose mean may be thousands of times their standard deviation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..progress import Progress

RESAMPLES = 30_000  # the bootstrap's, where it stands in: endpoints within 2% of SE
FALLBACK_CELLS = 100_000_000  # at most resamples x rows, on large tables
MIN_RESAMPLES = 2_000
BOUNDED = {"accuracy", "precision", "recall", "f1", "roc_auc"}  # on a 0-1 scale
CHUNK_CELLS = 2_000_000  # weights drawn at once (resamples x rows): 16 MB
_TABLE_BITS = 16

Recipe = Callable[[np.ndarray], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Estimate:
    """A metric, or the difference of a metric between two models, with its interval."""

    value: float
    low: float
    high: float
    se: float  # its standard error
    method: str  # "bootstrap", "influence", "unpaired" (recorded metrics) or "none"
    freedom: float = math.inf  # of its quantile (Student's t), where it has one

    @property
    def known(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high) and math.isfinite(self.se)


def unknown(value: float) -> Estimate:
    return Estimate(value, math.nan, math.nan, math.nan, "none")


def z_of(level: float, freedom: float = 0) -> float:
    """The quantile of a two-sided ``level`` interval: the normal's (1.96 for 95%), or
    Student's t with ``freedom`` degrees of freedom."""
    if freedom:
        return float(stats.t.ppf(0.5 + level / 2, freedom))
    return float(stats.norm.ppf(0.5 + level / 2))


# how the rows depend on each other ----------------------------------------------------


@dataclass(frozen=True)
class Structure:
    """How the test rows depend on each other, from the split that made them
    (params.yaml's prepare.split): independent rows; groups whose rows share a value of
    ``column`` (a group split: one user's rows stay together); or rows in time order (a
    time split: neighbours in time share their errors)."""

    kind: str = "rows"  # "rows", "group" or "time"
    column: str | None = None
    # group: each row's group, as a code 0..groups-1; time: each row's rank in time
    codes: np.ndarray | None = None

    @classmethod
    def of(cls, kind: str, column: str | None, values: pd.Series | None) -> Structure:
        """The structure of rows whose split was ``kind`` by ``column`` (its ``values``,
        one per row); independent rows for other splits or without the column."""
        if values is None or kind not in ("group", "time"):
            return cls()
        if kind == "group":
            codes = pd.factorize(values.astype("object"), use_na_sentinel=False)[0]
        else:
            from ..pipeline.features import parse_dates

            dates = parse_dates(values).to_numpy("datetime64[ns]").view("int64")
            codes = np.argsort(np.argsort(dates, kind="stable"), kind="stable")
        return cls(kind, column, np.asarray(codes, dtype=np.int64))

    def on(self, rows: np.ndarray) -> Structure:
        """The structure of these rows (positions)."""
        if self.codes is None:
            return self
        codes = self.codes[rows]
        if self.kind == "group":
            codes = pd.factorize(codes)[0]
        else:
            codes = np.argsort(np.argsort(codes, kind="stable"), kind="stable")
        return Structure(self.kind, self.column, codes)

    @property
    def units(self) -> int | None:
        """The number of groups (a group split), else None."""
        return int(self.codes.max()) + 1 if self.kind == "group" and len(self.codes) else None

    def describe(self) -> str:
        """How the intervals treat the rows, for the report."""
        if self.kind == "group":
            return (
                f"by group: the rows of one {self.column} value move together "
                f"({self.units:,} groups; cluster-robust, Student's t with groups less one)"
            )
        if self.kind == "time":
            return (
                f"in time order ({self.column}): neighbours share their errors, so the "
                f"influences are summed over {BLOCKS} blocks of consecutive rows (batch "
                "means; Student's t with blocks less one)"
            )
        return "rows taken as independent"


ROWS = Structure()


def satterthwaite(terms: np.ndarray) -> float:
    """The degrees of freedom of a variance estimated as the sum of squares of ``terms``
    (independent, mean zero): with excess kurtosis κ, the variance of a sample variance of
    n terms is about σ⁴ (2/(n-1) + κ/n); a chi-square's with d = 2 / (2/(n-1) + κ/n)
    degrees of freedom has the same (Satterthwaite's moment matching). A metric that rests
    on a few rows (recall at 5% positives; a rare class) or on heavy-tailed terms (log
    loss, squared errors) gets few; one that rests on every row (accuracy), about n-1,
    whatever the rarest class."""
    count = len(terms)
    squares = float(np.sum(terms**2))
    if count < 3 or squares == 0:
        return max(count - 1, 1)
    kurtosis = count * float(np.sum(terms**4)) / squares**2 - 3
    return max(1.0, min(count - 1, 2 / (2 / (count - 1) + max(kurtosis, 0.0) / count)))


BLOCKS = 10  # a time split's: consecutive blocks of rows whose influences are summed


def blocks(structure: Structure, count: int) -> np.ndarray | None:
    """Each row's unit of the variance: its group (a group split); its block of
    consecutive rows in time order, BLOCKS of them, at least 5 rows each (a time split);
    None for independent rows."""
    if structure.codes is None or structure.kind not in ("group", "time"):
        return None
    if structure.kind == "group":
        return structure.codes
    many = max(2, min(BLOCKS, count // 5))
    return structure.codes * many // max(count, 1)


def spread(
    influence: np.ndarray,
    structure: Structure = ROWS,
    unmeasured: float = 0.0,
    resting: float | None = None,
) -> tuple[float, float]:
    """(the standard error of a metric whose rows have ``influence`` (scaled so that with
    independent rows its variance is the sum of their squares), its degrees of freedom).

    Independent rows: the sum of squares, Satterthwaite's degrees of freedom. Groups
    (``blocks``): each group's influences summed, the variance over groups
    (cluster-robust, with the small-sample factor G/(G-1)); degrees of freedom from the
    G sums, at most G-1. Time order: the same over BLOCKS blocks of consecutive rows
    (batch means): neighbours' shared errors stay within a block, and with a fixed number
    of blocks Student's t with blocks less one holds however strong the dependence
    (Ibragimov and Müller, 2010). At an AR(1) of 0.9 on 500 rows (`make bench`),
    Newey-West with Andrews' AR(1) bandwidth covered 86% (RMSE) and 84% (accuracy) of
    95% intervals, as its AR(1) fit misses a slowly decaying part; 10 blocks, 96% and
    94%. Plus
    ``unmeasured``, a variance the rows cannot estimate, taken as known."""
    se, freedom = measured(influence, structure, resting)
    return math.sqrt(se**2 + unmeasured), freedom


def measured(
    influence: np.ndarray, structure: Structure, resting: float | None = None
) -> tuple[float, float]:
    """``spread`` without the unmeasured variance."""
    count = len(influence)
    units = blocks(structure, count)
    if units is not None and count > 1:
        raw = influence * math.sqrt((count - 1) / count)  # each row's term / n
        sums = np.bincount(units, weights=raw)
        groups = len(sums)
        if groups < 2:
            return math.nan, 1.0
        variance = groups / (groups - 1) * float(np.sum(sums**2))
        freedom = satterthwaite(sums) if resting is None else resting - 1
        return math.sqrt(variance), max(min(freedom, groups - 1), 1.0)
    freedom = satterthwaite(influence) if resting is None else resting - 1
    return float(np.sqrt(np.sum(influence**2))), max(freedom, 1.0)


# one model's predictions, as the statistics need them ---------------------------------


@dataclass
class Ranking:
    """One class's ROC AUC: the rows sorted by their score; for each row of the class, the
    span of rows tied with it."""

    truth: np.ndarray  # is the row of this class (row order)
    score: np.ndarray  # its score (row order)
    order: np.ndarray  # the rows by score
    negative: np.ndarray  # in that order: is the row not of the class
    tie_start: np.ndarray  # per row of the class: where its tied scores start, in order
    tie_end: np.ndarray  # and end (exclusive)

    @classmethod
    def of(cls, truth: np.ndarray, score: np.ndarray) -> Ranking:
        truth = np.asarray(truth, dtype=bool)
        order = np.argsort(score, kind="stable")
        ranked = score[order]
        first = np.searchsorted(ranked, ranked, side="left")
        last = np.searchsorted(ranked, ranked, side="right")
        positive = truth[order]
        return cls(truth, score, order, ~positive, first[positive], last[positive])

    def auc(self, weights: np.ndarray) -> np.ndarray:
        """The AUC under each column of ``weights`` (rows x resamples): the weighted share of
        (class, other) pairs ranked right, ties counting half; NaN without both."""
        ordered = weights[self.order]
        negatives = np.zeros((len(self.order) + 1, weights.shape[1]))
        np.cumsum(ordered * self.negative[:, None], axis=0, out=negatives[1:])
        positives = ordered[~self.negative]
        # each row of the class beats the others below its ties, and half of those tied
        beaten = negatives[self.tie_start] + negatives[self.tie_end]
        pairs = positives.sum(axis=0) * negatives[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                pairs > 0, np.einsum("ij,ij->j", positives, beaten) / 2 / pairs, np.nan
            )

    def influence(self) -> np.ndarray | None:
        """Each row's influence on the AUC (DeLong's structural components, centred and
        scaled: the AUC's variance is the sum of their squares, plus ``unmeasured``);
        None without a row of the class or of the rest."""
        truth = self.truth
        if truth.sum() < 1 or (~truth).sum() < 1:
            return None
        positives, negatives = self.score[truth], self.score[~truth]
        ranks = stats.rankdata(np.concatenate([positives, negatives]))
        v10 = (ranks[: len(positives)] - stats.rankdata(positives)) / len(negatives)
        v01 = 1.0 - (ranks[len(positives) :] - stats.rankdata(negatives)) / len(positives)
        auc = v10.mean()
        influence = np.zeros(len(truth))
        # DeLong's variance is var(v10)/m + var(v01)/n with ddof=1; a side of one row
        # has no variance to estimate (``unmeasured`` stands in)
        if len(v10) > 1:
            influence[truth] = (v10 - auc) / math.sqrt(len(v10) * (len(v10) - 1))
        if len(v01) > 1:
            influence[~truth] = (v01 - auc) / math.sqrt(len(v01) * (len(v01) - 1))
        return influence

    def unmeasured(self) -> float:
        """The AUC's variance from a side of one row (a class with one test row), which the
        rows cannot estimate: Hanley and McNeil's (1982) model of it, var(v10) =
        A/(2-A) - A² for the class's row and 2A²/(1+A) - A² for the rest's; 0 when both
        sides have two rows or more."""
        positives, negatives = int(self.truth.sum()), int((~self.truth).sum())
        if not positives or not negatives:
            return 0.0
        auc = float(self.auc(np.ones((len(self.truth), 1)))[0])
        found = 0.0
        if positives == 1:
            found += max(auc / (2 - auc) - auc**2, 0.0)
        if negatives == 1:
            found += max(2 * auc**2 / (1 + auc) - auc**2, 0.0)
        return found


@dataclass
class Scored:
    """One model's predictions on some rows: the per-row quantities whose sums give its
    metrics, the recipe that turns (weighted) sums into them, and its ROC AUC rankings."""

    columns: np.ndarray  # rows x quantities, float64
    recipe: Recipe
    rankings: list[Ranking]  # binary: the positive class; multiclass: one per class
    structure: Structure = ROWS  # how its rows depend on each other
    # classification: metric -> per class, the rows its rate rests on (the denominators
    # of accuracy, precision, recall and F1), for the floor of a paired difference
    support: dict[str, np.ndarray] = field(default_factory=dict)
    labels: list = field(default_factory=list)  # the classes of ``rankings``

    @property
    def rows(self) -> int:
        return len(self.columns)

    def values(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Every metric under each column of ``weights`` (rows x resamples)."""
        found = self.recipe((self.columns.T @ weights).T)
        if self.rankings:
            found["roc_auc"] = np.mean([ranking.auc(weights) for ranking in self.rankings], axis=0)
        return found

    def resting(self, name: str) -> float:
        """The rows a metric rests on: a rate's denominator (precision: the rows predicted
        of the class; a ROC AUC: the smaller side of its pairs; a macro average of C
        classes' rates resting on k rows each: C² / Σ 1/k, whose binomial variance is the
        average's), else every row."""
        support = self.support.get(name)
        if name == "roc_auc" and self.rankings:  # the smaller side of each class's pairs
            support = np.array([min(r.truth.sum(), (~r.truth).sum()) for r in self.rankings])
        if support is None:
            return float(self.rows)
        return len(support) ** 2 / float(np.sum(1 / np.maximum(support, 1)))

    def unmeasured(self) -> dict[str, float]:
        """metric -> the variance its influences leave out (``Ranking.unmeasured``: an
        AUC's side of one row), taken as known."""
        if not self.rankings:
            return {}
        return {"roc_auc": sum(r.unmeasured() for r in self.rankings) / len(self.rankings) ** 2}

    @property
    def small_classes(self) -> list:
        """The classes with one row (binary: of either class), whose AUC's variance on that
        side is modelled (``Ranking.unmeasured``), not measured."""
        binary = len(self.rankings) == 1
        return [
            label
            for label, ranking in zip(self.labels, self.rankings, strict=False)
            if ranking.truth.sum() == 1 or (binary and (~ranking.truth).sum() == 1)
        ]

    def point(self) -> dict[str, float]:
        return {name: float(v[0]) for name, v in self.values(np.ones((self.rows, 1))).items()}

    def influences(self) -> dict[str, np.ndarray | None]:
        """Each row's influence on each metric, scaled so that the metric's variance is
        the sum of their squares: the gradient of the recipe at the rows' means (central
        differences) applied to each row's deviation from them."""
        rows = self.rows
        means = self.columns.mean(axis=0)
        spread = self.columns.std(axis=0)
        varying = np.flatnonzero(spread > 0)
        steps = 1e-6 * (spread[varying] + np.abs(means[varying]))
        points = np.repeat(means[None, :], 1 + 2 * len(varying), axis=0)
        for index, (column, step) in enumerate(zip(varying, steps, strict=True)):
            points[1 + 2 * index, column] += step
            points[2 + 2 * index, column] -= step
        deviations = self.columns[:, varying] - means[varying]
        scale = 1 / math.sqrt(rows * max(rows - 1, 1))  # variance with ddof=1, over rows
        found: dict[str, np.ndarray | None] = {}
        for name, values in self.recipe(points * rows).items():
            gradient = (values[1::2] - values[2::2]) / (2 * steps)
            found[name] = deviations @ gradient * scale if np.all(np.isfinite(gradient)) else None
        if self.rankings:
            each = [ranking.influence() for ranking in self.rankings]
            found["roc_auc"] = None if any(e is None for e in each) else np.mean(each, axis=0)
        return found


def scored(
    actual: pd.Series,
    predicted: pd.Series,
    probabilities: np.ndarray | None,
    labels: list,
    positive: int | None = 1,
    structure: Structure | None = None,
) -> Scored:
    """One model's predictions on some rows, as the statistics need them: classification's
    metrics when there are ``labels`` (the classes, in the order of the probabilities;
    ``positive``: the positive class's position, binary only), else regression's;
    ``structure``: how the rows depend on each other (independent by default)."""
    structure = structure or ROWS
    if not labels:
        return Scored(*regression_sums(actual, predicted), [], structure)
    columns, recipe = classification_sums(actual, predicted, probabilities, labels, positive)
    truth = actual.to_numpy()
    counts = columns[:, 2:-1].sum(axis=0).reshape(-1, 3)
    tp, fp, fn = counts.T
    support = {
        "accuracy": np.array([len(truth)], dtype=float),
        "precision": tp + fp,
        "recall": tp + fn,
        "f1": tp + (fp + fn) / 2,
    }
    if len(labels) == 2:
        rankings = [Ranking.of(truth == labels[positive], probabilities[:, positive])]
    else:
        rankings = [
            Ranking.of(truth == label, probabilities[:, i]) for i, label in enumerate(labels)
        ]
    shown = [labels[positive]] if len(labels) == 2 else list(labels)
    return Scored(columns, recipe, rankings, structure, support, shown)


def classification_sums(
    actual: pd.Series,
    predicted: pd.Series,
    probabilities: np.ndarray,
    labels: list,
    positive: int | None = 1,
) -> tuple[np.ndarray, Recipe]:
    """Accuracy, precision, recall, F1 (binary: of the positive class; else macro) and log
    loss, from per-row counts and losses."""
    truth = actual.to_numpy()
    guess = predicted.to_numpy()
    binary = len(labels) == 2
    counted = [labels[positive]] if binary else labels
    columns = [np.ones(len(truth)), (truth == guess).astype(float)]
    for label in counted:
        columns += [
            ((guess == label) & (truth == label)).astype(float),
            ((guess == label) & (truth != label)).astype(float),
            ((guess != label) & (truth == label)).astype(float),
        ]
    position = {label: index for index, label in enumerate(labels)}
    true_column = np.array([position[value] for value in truth], dtype=int)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    eps = np.finfo(np.float64).eps
    normalised = probabilities / probabilities.sum(axis=1, keepdims=True)
    chosen = np.clip(normalised[np.arange(len(truth)), true_column], eps, 1 - eps)
    columns.append(-np.log(chosen))
    classes = len(counted)

    def metrics(sums: np.ndarray) -> dict[str, np.ndarray]:
        rows, correct, loss = sums[:, 0], sums[:, 1], sums[:, -1]
        per_class = sums[:, 2:-1].reshape(len(sums), classes, 3)
        tp, fp, fn = per_class[..., 0], per_class[..., 1], per_class[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0).mean(axis=1)
            recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0).mean(axis=1)
            f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0).mean(axis=1)
            return {
                "accuracy": correct / rows,
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "log_loss": loss / rows,
            }

    return np.column_stack(columns), metrics


def regression_sums(actual: pd.Series, predicted: pd.Series) -> tuple[np.ndarray, Recipe]:
    """RMSE, MAE and R², from per-row errors and (centred) values."""
    truth = actual.to_numpy(dtype=np.float64)
    error = predicted.to_numpy(dtype=np.float64) - truth
    centred = truth - truth.mean() if len(truth) else truth
    columns = [np.ones(len(truth)), error**2, np.abs(error), centred, centred**2]

    def metrics(sums: np.ndarray) -> dict[str, np.ndarray]:
        rows, squared, absolute, total, total_sq = sums.T
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = total_sq - total**2 / rows
            r2 = np.where(spread > 0, 1.0 - squared / spread, np.nan)
            return {"rmse": np.sqrt(squared / rows), "mae": absolute / rows, "r2": r2}

    return np.column_stack(columns), metrics


# intervals ----------------------------------------------------------------------------


def poisson_table() -> np.ndarray:
    """Poisson(1) quantiles at 65,536 evenly spaced levels: a uniform index into it draws a
    Poisson(1) weight, fast and exact to 2^-16 in probability."""
    levels = (np.arange(2**_TABLE_BITS) + 0.5) / 2**_TABLE_BITS
    return stats.poisson.ppf(levels, 1.0)


def resampled_units(structure: Structure, rows: int) -> np.ndarray:
    """Each row's unit of resampling: itself; its group (a group split); or its block of
    n^(1/3) consecutive rows in time order (a time split: a block bootstrap)."""
    if structure.kind == "group" and structure.codes is not None:
        return structure.codes
    if structure.kind == "time" and structure.codes is not None:
        return structure.codes // max(1, round(rows ** (1 / 3)))
    return np.arange(rows)


def resampled(models: list[Scored], seed: int, resamples: int) -> list[dict[str, np.ndarray]]:
    """For each model (all on the same rows): metric -> its value in each of ``resamples``
    paired Poisson-bootstrap resamples (the same weights for every model)."""
    rows = models[0].rows
    units = resampled_units(models[0].structure, rows)
    rng = np.random.default_rng(seed)
    table = poisson_table()
    chunk = max(1, CHUNK_CELLS // max(rows, 1))
    parts: list[list[dict]] = [[] for _ in models]
    with Progress("intervals", "the paired bootstrap", resamples, "resamples") as progress:
        for start in range(0, resamples, chunk):
            count = min(chunk, resamples - start)
            draws = rng.integers(0, len(table), size=(units.max() + 1, count), dtype=np.uint16)
            weights = np.take(table, draws)[units]
            for model, part in zip(models, parts, strict=True):
                part.append(model.values(weights))
            progress.advance(count)
    return [{name: np.concatenate([p[name] for p in part]) for name in part[0]} for part in parts]


def from_resamples(value: float, series: np.ndarray, level: float) -> Estimate:
    finite = series[np.isfinite(series)]
    if len(finite) < len(series) / 2 or len(finite) < 2:
        return unknown(value)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Estimate(value, float(low), float(high), float(np.std(finite, ddof=1)), "bootstrap")


def normal(
    value: float, se: float, level: float, method: str = "influence", freedom: float = 0
) -> Estimate:
    half = z_of(level, freedom) * se
    return Estimate(value, value - half, value + half, se, method, freedom or math.inf)


def near_bound(name: str, value: float, se: float, level: float, freedom: float = 0) -> bool:
    """Whether a metric on a 0-1 scale is so close to 0 or 1 that its normal interval
    would cross it: there its sampling distribution is skewed, and a normal interval
    too short on one side (DeLong's at an AUC of 0.99 on a hundred rows)."""
    half = z_of(level, freedom) * se
    return name in BOUNDED and (value - half <= 0 or value + half >= 1)


def logit_interval(
    value: float, se: float, level: float, rows: int, freedom: float = 0
) -> tuple[float, float]:
    """A 0-1 metric's interval on the log-odds scale, mapped back (it stays in 0-1); a
    value of 0 or 1 is moved half a row inward, and a standard error of 0 (a perfect
    score) taken as a proportion's, so that it still gets an interval (as Wilson's does);
    ``rows``: those the metric rests on (``Scored.resting``)."""
    edge = 0.5 / max(rows, 1)
    inner = value if 0 < value < 1 else min(max(value, edge), 1 - edge)
    spread = inner * (1 - inner)
    se = se if se > 1e-12 else math.sqrt(spread / max(rows, 1))
    half = z_of(level, freedom) * se / spread
    centre = math.log(inner / (1 - inner))
    return 1 / (1 + math.exp(-(centre - half))), 1 / (1 + math.exp(-(centre + half)))


def single(
    name: str, value: float, influence: np.ndarray | None, level: float, model: Scored
) -> Estimate:
    """One model's metric with its interval: from the rows' influences (``spread``: the
    rows' structure, Student's t with the metric's own degrees of freedom), or on the
    log-odds scale near 0 or 1."""
    if influence is None or not math.isfinite(value):
        return unknown(value)
    resting = model.resting(name) if name in BOUNDED else None
    se, freedom = spread(influence, model.structure, model.unmeasured().get(name, 0.0), resting)
    if not math.isfinite(se):
        return unknown(value)
    if near_bound(name, value, se, level, freedom):
        interval = logit_interval(value, se, level, model.resting(name), freedom)
        return Estimate(value, *interval, se, "logit", freedom)
    return normal(value, se, level, freedom=freedom)


def floor(name: str, models: tuple[Scored, Scored]) -> tuple[float, float]:
    """(the least standard error of a paired difference of a rate, its degrees of
    freedom). Where two models agree on every row a rate rests on, the difference of
    their influences is zero, yet k rows cannot rule out a difference; and a rate on one
    row (a class with one test row) has no variance the rows can show. Agresti and
    Min's (2005) adjustment for paired proportions adds half a row to each cell of the
    2 x 2 table: with d discordant rows of k (split evenly, the widest case) its variance
    is (d+1)/(k+2)², 1/(k+2)² with none. Per class, averaged as the macro average is; k:
    the mean of the two models' denominators; d counts in a class of one row only (for
    accuracy and recall: the row one model gets right and the other not; for precision
    and F1, whose rows differ between the models, none). Degrees of freedom k-1 (a macro
    average: Welch and Satterthwaite's over its classes; a class of one row adds its
    share as known). It applies as a floor: where the rows show discordance, their own
    variance is about d/k². Zero for metrics other than accuracy, precision, recall and
    F1."""
    supports = [model.support.get(name) for model in models]
    if any(support is None for support in supports):
        return 0.0, 0.0
    rows = (supports[0] + supports[1]) / 2
    new, old = (model.columns for model in models)
    if name == "accuracy":
        discordant = np.array([float(np.sum(new[:, 1] != old[:, 1]))])
    elif name == "recall":  # a class's rows one model finds and the other misses
        tp = [c[:, 2:-1].reshape(len(c), -1, 3)[:, :, 0] for c in (new, old)]
        discordant = np.sum(tp[0] != tp[1], axis=0).astype(float)
    else:  # precision and F1 rest on rows that differ between the models: none counted
        discordant = np.zeros(len(rows))
    # each class's variance; discordance counts only in a class of one row, which has no
    # variance of its own to show (elsewhere the +1 alone: the rows' own variance, about
    # d/k², takes over as soon as they show any discordance)
    shares = (np.where(rows < 2, discordant, 0.0) + 1) / (rows + 2) ** 2
    se = math.sqrt(float(np.sum(shares))) / len(rows)
    # Welch-Satterthwaite over the classes, each with its rows less one; a class of one
    # row has no variance to estimate: its share is the adjustment's alone, taken as known
    measured = rows >= 2
    spread_ = float(np.sum(shares[measured] ** 2 / (rows[measured] - 1)))
    freedom = float(np.sum(shares)) ** 2 / spread_ if spread_ > 0 else math.inf
    return se, max(freedom, 1.0)


def paired(
    name: str,
    new: tuple[float, np.ndarray | None],
    old: tuple[float, np.ndarray | None],
    level: float,
    models: tuple[Scored, Scored],
) -> Estimate:
    """The interval of (new - old) for two models scored on the same rows: from the
    difference of each row's influences (``spread``: the rows' structure, Student's t
    with the metric's own degrees of freedom), its standard error at least ``floor``'s
    unless the two models predicted the very same on every row; near 0 or 1, each
    model's log-odds interval combined with their correlation (the method of variance
    estimates recovery, MOVER: Zou and Donner, 2008; Newcombe, 1998)."""
    (a, effect_a), (b, effect_b) = new, old
    value = a - b
    if effect_a is None or effect_b is None or not math.isfinite(value):
        return unknown(value)
    difference = effect_a - effect_b
    structure = models[0].structure
    extra = [model.unmeasured().get(name, 0.0) for model in models]
    resting = None
    if name in BOUNDED:
        resting = (models[0].resting(name) + models[1].resting(name)) / 2
    se, freedom = spread(difference, structure, sum(extra), resting)
    if not math.isfinite(se):
        return unknown(value)
    method = "influence"
    if not np.array_equal(models[0].columns, models[1].columns):
        least, least_freedom = floor(name, models)
        if se < least:
            units = blocks(structure, len(difference))
            cap = math.inf if units is None else max(int(units.max()), 1)  # groups less one
            se, freedom, method = least, min(least_freedom, cap), "floor"
    se_a, _ = spread(effect_a, structure, extra[0])
    se_b, _ = spread(effect_b, structure, extra[1])
    bounded = near_bound(name, a, se_a, level, freedom) or near_bound(
        name, b, se_b, level, freedom
    )
    if not bounded or se == 0:
        return normal(value, se, level, method, freedom)
    low_a, high_a = logit_interval(a, se_a, level, models[0].resting(name), freedom)
    low_b, high_b = logit_interval(b, se_b, level, models[1].resting(name), freedom)
    scale = se_a * se_b
    rho = (se_a**2 + se_b**2 - se**2) / (2 * scale) if scale > 0 else 0.0
    rho = min(max(rho, -1.0), 1.0)
    below = (a - low_a) ** 2 + (high_b - b) ** 2 - 2 * rho * (a - low_a) * (high_b - b)
    above = (high_a - a) ** 2 + (b - low_b) ** 2 - 2 * rho * (high_a - a) * (b - low_b)
    low, high = value - math.sqrt(max(below, 0.0)), value + math.sqrt(max(above, 0.0))
    return Estimate(value, low, high, se, "MOVER", freedom)


def estimates(
    models: list[Scored], level: float, seed: int, contrast: bool
) -> list[dict[str, Estimate]]:
    """``contrast``: for each model after the first, metric -> the interval of (the first
    minus it); else, for the one model, metric -> the interval of its value. Where a
    metric has no influence (an AUC with fewer than two rows of a class), the paired
    bootstrap gives it one."""
    points = [model.point() for model in models]
    effects = [model.influences() for model in models]
    names = list(points[0])
    if contrast:
        pairs = [(0, other) for other in range(1, len(models))]
        found = [
            {
                name: paired(
                    name,
                    (points[0][name], effects[0][name]),
                    (points[other][name], effects[other][name]),
                    level,
                    (models[0], models[other]),
                )
                for name in names
            }
            for _, other in pairs
        ]
    else:
        pairs = [(0, None)]
        found = [
            {
                name: single(name, points[0][name], effects[0][name], level, models[0])
                for name in names
            }
        ]
    missing = {
        name
        for result in found
        for name, estimate in result.items()
        if not estimate.known and math.isfinite(estimate.value)
    }
    if missing:
        rows = models[0].rows
        count = max(MIN_RESAMPLES, min(RESAMPLES, FALLBACK_CELLS // max(rows, 1)))
        draws = resampled(models, seed, count)
        for result, (new, other) in zip(found, pairs, strict=True):
            for name in missing:
                series = draws[new][name] - (draws[other][name] if other is not None else 0.0)
                result[name] = from_resamples(result[name].value, series, level)
    return found


def differences(
    new: Scored, others: list[Scored], level: float, seed: int
) -> list[dict[str, Estimate]]:
    """For each of ``others`` (scored on the same rows as ``new``): metric -> the
    ``level`` interval of new minus it."""
    return estimates([new, *others], level, seed, contrast=True) if others else []


def alone(model: Scored, level: float, seed: int) -> dict[str, Estimate]:
    """metric -> the ``level`` interval of one model's metric on its rows."""
    return estimates([model], level, seed, contrast=False)[0]


def unpaired(mine: Estimate, theirs: float, theirs_se: float, level: float) -> Estimate:
    """The interval of (mine - theirs) when the two were measured on different rows: their
    variances add, and so do their degrees of freedom's shares (Welch and
    Satterthwaite; the baseline's taken as ``mine``'s)."""
    value = mine.value - theirs
    se = math.hypot(mine.se, theirs_se)
    if not math.isfinite(se):
        return unknown(value)
    freedom = mine.freedom
    if math.isfinite(freedom) and se > 0:
        freedom = se**4 / ((mine.se**4 + theirs_se**4) / freedom)
    return normal(value, se, level, "unpaired", freedom if math.isfinite(freedom) else 0)
