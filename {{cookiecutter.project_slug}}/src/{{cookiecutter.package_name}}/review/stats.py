"""How sure a metric is, and a change of it: intervals of one model's metrics on some
rows, and paired intervals of the difference between two models scored on the same rows.

Every metric is either a smooth function of per-row sums (accuracy, precision, recall,
F1 and log loss; RMSE, MAE and R²) or a ROC AUC (binary: of the positive class;
multiclass: the macro average of the one-vs-rest AUCs, as scikit-learn's
``roc_auc_score(multi_class="ovr")``).

- Intervals come from each row's influence on the metric (the delta method; for ROC
  AUC, DeLong's structural components, DeLong et al. 1988); a difference's from the
  difference of the two models' influences on each row (paired). Exact to compute, the
  same for every seed, linear in the rows. Their quantile is Student's t with the rows
  of the rarest class less one as degrees of freedom (a class's metrics rest on its
  rows; every row for regression): on a few hundred rows the normal's tails are too
  thin (three classes on 114 rows: 1.8% per one-sided test where 1.25% was meant).
  Metrics whose per-row terms have no bound (log loss, RMSE, MAE, R²) take fewer where
  the influences are heavy-tailed: a model that is rarely but confidently wrong makes a
  hundred rows' standard error unreliable (a log-loss difference at an AUC of 0.99 on
  114 rows: 93.8% coverage where 95% was meant).
- A metric on a 0-1 scale whose normal interval would cross 0 or 1 (an AUC of 0.99 on a
  hundred rows) gets a log-odds interval instead, and a difference of two such metrics
  the method of variance estimates recovery (MOVER), which keeps the skew.
- Where a metric has no influence (an AUC with fewer than two rows of a class), the
  paired Poisson bootstrap: each resample gives every row one Poisson(1) weight, the same
  for every model, and recomputes the metric; RESAMPLES resamples, so that an endpoint
  moves by about 2% of its standard error from one seed to another.

Sums are in float64, and a regression target is centred first (R² needs the spread of
values whose mean may be thousands of times their standard deviation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

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
        scaled: the AUC's variance is the sum of their squares); None with fewer than two
        rows of the class or of the rest."""
        truth = self.truth
        if truth.sum() < 2 or (~truth).sum() < 2:
            return None
        positives, negatives = self.score[truth], self.score[~truth]
        ranks = stats.rankdata(np.concatenate([positives, negatives]))
        v10 = (ranks[: len(positives)] - stats.rankdata(positives)) / len(negatives)
        v01 = 1.0 - (ranks[len(positives) :] - stats.rankdata(negatives)) / len(positives)
        auc = v10.mean()
        influence = np.empty(len(truth))
        # DeLong's variance is var(v10)/m + var(v01)/n with ddof=1
        influence[truth] = (v10 - auc) / math.sqrt(len(v10) * (len(v10) - 1))
        influence[~truth] = (v01 - auc) / math.sqrt(len(v01) * (len(v01) - 1))
        return influence


@dataclass
class Scored:
    """One model's predictions on some rows: the per-row quantities whose sums give its
    metrics, the recipe that turns (weighted) sums into them, and its ROC AUC rankings."""

    columns: np.ndarray  # rows x quantities, float64
    recipe: Recipe
    rankings: list[Ranking]  # binary: the positive class; multiclass: one per class
    # the degrees of freedom of its standard errors: the rows of its rarest class less
    # one (a class's metrics rest on its rows), or every row less one for regression
    freedom: int = 0

    @property
    def rows(self) -> int:
        return len(self.columns)

    def values(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Every metric under each column of ``weights`` (rows x resamples)."""
        found = self.recipe((self.columns.T @ weights).T)
        if self.rankings:
            found["roc_auc"] = np.mean([ranking.auc(weights) for ranking in self.rankings], axis=0)
        return found

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
) -> Scored:
    """One model's predictions on some rows, as the statistics need them: classification's
    metrics when there are ``labels`` (the classes, in the order of the probabilities;
    ``positive``: the positive class's position, binary only), else regression's."""
    if not labels:
        return Scored(*regression_sums(actual, predicted), [], max(len(actual) - 1, 1))
    columns, recipe = classification_sums(actual, predicted, probabilities, labels, positive)
    truth = actual.to_numpy()
    rarest = min(int((truth == label).sum()) for label in labels)
    if len(labels) == 2:
        rankings = [Ranking.of(truth == labels[positive], probabilities[:, positive])]
    else:
        rankings = [
            Ranking.of(truth == label, probabilities[:, i]) for i, label in enumerate(labels)
        ]
    return Scored(columns, recipe, rankings, max(rarest - 1, 1))


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


def resampled(models: list[Scored], seed: int, resamples: int) -> list[dict[str, np.ndarray]]:
    """For each model (all on the same rows): metric -> its value in each of ``resamples``
    paired Poisson-bootstrap resamples (the same weights for every model)."""
    rows = models[0].rows
    rng = np.random.default_rng(seed)
    table = poisson_table()
    chunk = max(1, CHUNK_CELLS // max(rows, 1))
    parts: list[list[dict]] = [[] for _ in models]
    with Progress("intervals", "the paired bootstrap", resamples, "resamples") as progress:
        for start in range(0, resamples, chunk):
            count = min(chunk, resamples - start)
            draws = rng.integers(0, len(table), size=(rows, count), dtype=np.uint16)
            weights = np.take(table, draws)
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
    return Estimate(value, value - half, value + half, se, method)


def tail_freedom(name: str, influence: np.ndarray, freedom: float) -> float:
    """The degrees of freedom of a standard error from ``influence``: ``freedom``, or fewer
    for a metric not in BOUNDED (log loss, RMSE, MAE, R²: per-row terms with no bound)
    whose influences have heavy tails. With excess kurtosis κ, the variance of a sample
    variance of n terms is about σ⁴ (2/(n-1) + κ/n); a chi-square's with
    d = 2 / (2/(n-1) + κ/n) degrees of freedom has the same (Satterthwaite's moment
    matching), so the interval takes Student's t with d."""
    rows = len(influence)
    squares = float(np.sum(influence**2))
    if name in BOUNDED or rows < 3 or squares == 0:
        return freedom
    kurtosis = rows * float(np.sum(influence**4)) / squares**2 - 3
    matched = 2 / (2 / (rows - 1) + max(kurtosis, 0.0) / rows)
    return max(1.0, min(freedom or rows - 1, matched))


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
    score) taken as a proportion's, so that it still gets an interval (as Wilson's does)."""
    edge = 0.5 / max(rows, 1)
    inner = min(max(value, edge), 1 - edge)
    spread = inner * (1 - inner)
    half = z_of(level, freedom) * (se or math.sqrt(spread / max(rows, 1))) / spread
    centre = math.log(inner / (1 - inner))
    return 1 / (1 + math.exp(-(centre - half))), 1 / (1 + math.exp(-(centre + half)))


def single(
    name: str, value: float, influence: np.ndarray | None, level: float, freedom: float = 0
) -> Estimate:
    """One model's metric with its interval: from the rows' influences (Student's t with
    ``freedom`` degrees of freedom), or on the log-odds scale near 0 or 1."""
    if influence is None or not math.isfinite(value):
        return unknown(value)
    se = float(np.sqrt(np.sum(influence**2)))
    freedom = tail_freedom(name, influence, freedom)
    if near_bound(name, value, se, level, freedom):
        interval = logit_interval(value, se, level, len(influence), freedom)
        return Estimate(value, *interval, se, "logit")
    return normal(value, se, level, freedom=freedom)


def paired(
    name: str,
    new: tuple[float, np.ndarray | None],
    old: tuple[float, np.ndarray | None],
    level: float,
    freedom: float = 0,
) -> Estimate:
    """The interval of (new - old) for two models scored on the same rows: from the
    difference of each row's influences (Student's t with ``freedom`` degrees of
    freedom); near 0 or 1, each model's log-odds interval
    combined with their correlation (the method of variance estimates recovery, MOVER:
    Zou and Donner, 2008; Newcombe, 1998)."""
    (a, effect_a), (b, effect_b) = new, old
    value = a - b
    if effect_a is None or effect_b is None or not math.isfinite(value):
        return unknown(value)
    difference = effect_a - effect_b
    se = float(np.sqrt(np.sum(difference**2)))
    freedom = tail_freedom(name, difference, freedom)
    se_a, se_b = float(np.sqrt(np.sum(effect_a**2))), float(np.sqrt(np.sum(effect_b**2)))
    bounded = near_bound(name, a, se_a, level, freedom) or near_bound(
        name, b, se_b, level, freedom
    )
    if not bounded or se == 0:
        return normal(value, se, level, freedom=freedom)
    rows = len(difference)
    low_a, high_a = logit_interval(a, se_a, level, rows, freedom)
    low_b, high_b = logit_interval(b, se_b, level, rows, freedom)
    scale = math.sqrt(np.sum(effect_a**2) * np.sum(effect_b**2))
    rho = float(np.sum(effect_a * effect_b) / scale) if scale > 0 else 0.0
    below = (a - low_a) ** 2 + (high_b - b) ** 2 - 2 * rho * (a - low_a) * (high_b - b)
    above = (high_a - a) ** 2 + (b - low_b) ** 2 - 2 * rho * (high_a - a) * (b - low_b)
    low, high = value - math.sqrt(max(below, 0.0)), value + math.sqrt(max(above, 0.0))
    return Estimate(value, low, high, se, "MOVER")


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
                    models[0].freedom,
                )
                for name in names
            }
            for _, other in pairs
        ]
    else:
        pairs = [(0, None)]
        found = [
            {
                name: single(name, points[0][name], effects[0][name], level, models[0].freedom)
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
    variances add."""
    value = mine.value - theirs
    se = math.hypot(mine.se, theirs_se)
    if not math.isfinite(se):
        return unknown(value)
    return normal(value, se, level, "unpaired")
