"""The gate's arithmetic: how much worse a model is, against which allowance, at which
level each comparison is tested, and what the test rows can detect. The review's gate
(review/gate.py) and report, the promotion and realized performance
(operate/outcomes.py) share it; it imports no model library (`make gate` stays light).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING

from .config import HIGHER_IS_BETTER

if TYPE_CHECKING:
    from .config import Gate, MetricGate
    from .review.compare import Baseline
    from .review.stats import Estimate

POWER = 0.8  # the report states the worsening the gate detects this often


def worsening(metric: str, new: float, old: float) -> float:
    """How much worse ``new`` is than ``old`` (negative when it is better)."""
    return old - new if metric in HIGHER_IS_BETTER else new - old


def worsening_interval(metric: str, estimate: Estimate) -> tuple[float, float]:
    """The interval of (new - old) as one of the worsening."""
    if metric in HIGHER_IS_BETTER:
        return -estimate.high, -estimate.low
    return estimate.low, estimate.high


def regression_rules(gate: Gate) -> list[str]:
    """The metrics with a largest worsening against the baselines."""
    return [
        metric
        for metric, rule in gate.metrics.items()
        if rule.max_regression is not None or rule.max_relative_regression is not None
    ]


def compared(baselines: list[Baseline]) -> list[Baseline]:
    """The baselines a criterion compares with: those with metrics, one per commit."""
    found, seen = [], set()
    for other in baselines:
        if other.recorded is not None and other.commit not in seen:
            seen.add(other.commit)
            found.append(other)
    return found


def one_sided(gate: Gate, tests: int) -> float:
    """The error rate of the strictest (metric, baseline) test: Holm's first step (the
    comparison most clearly beyond its allowance, ``holm``), at which the intervals are
    computed and shown."""
    if gate.regression_test == "significant":
        return gate.error_rate / max(tests, 1)
    return gate.error_rate


def interval_level(gate: Gate, tests: int) -> float:
    """The two-sided level of the intervals the gate computes (and the report's table
    shows): each side holds the strictest test's error rate."""
    if gate.regression_test == "point":
        return 0.95
    return 1 - 2 * one_sided(gate, tests)


def quantile(share: float, freedom: float = math.inf) -> float:
    """The one-sided quantile exceeded with probability ``share``: the normal's, or
    Student's t with ``freedom`` degrees of freedom."""
    if not math.isfinite(freedom):
        return NormalDist().inv_cdf(1 - share)
    from scipy import stats  # only where intervals are judged: `make gate` stays light

    return float(stats.t.isf(share, freedom))


def p_value(metric: str, estimate: Estimate, allowed: float, level: float) -> float:
    """The one-sided p-value of "worsens by at most ``allowed``", read off the ``level``
    interval the gate computed: its reach below the estimate, over its quantile, is the
    scale of the test (the standard error, for a normal or Student-t interval; for a
    skewed one, the scale of its worse side), so that the p-value is below the
    interval's one-sided error rate exactly when its lower end is beyond the allowance."""
    worse = worsening(metric, estimate.value, 0.0)
    below, _ = reach(metric, estimate)
    scale = below / quantile((1 - level) / 2, estimate.freedom)
    if not scale > 0:  # the very same predictions: no spread
        return 0.0 if worse > allowed else 1.0
    excess = (worse - allowed) / scale
    if not math.isfinite(estimate.freedom):
        return 1 - NormalDist().cdf(excess)
    from scipy import stats

    return float(stats.t.sf(excess, estimate.freedom))


def holm(p_values: list[float], error_rate: float, tests: int) -> list[tuple[float, bool]]:
    """Holm's step-down over the gate's ``tests`` comparisons (some may have no p-value:
    they count, untested): the smallest p-value is tested at error_rate / tests, the next
    at error_rate / (tests - 1), and so on, until one is not beyond its allowance; it and
    every later one pass, at the level of that step. Each test's (one-sided level, failed),
    in the order given. A model exactly at its allowances fails at most ``error_rate``
    of the time, as with Bonferroni, but a clear failure leaves the others more of the
    error rate: redundant metrics (R² and RMSE on the same squared errors) no longer
    split it wastefully."""
    tests = max(tests, len(p_values), 1)
    found: list[tuple[float, bool]] = [(0.0, False)] * len(p_values)
    rejected = 0
    for rank, index in enumerate(sorted(range(len(p_values)), key=lambda i: p_values[i])):
        level = error_rate / (tests - rank)
        if rejected == rank and p_values[index] <= level:
            found[index] = (level, True)
            rejected += 1
        else:
            found[index] = (error_rate / (tests - rejected), False)
    return found


def at_level(estimate: Estimate, level: float, wanted: float) -> tuple[float, float]:
    """The interval of (new - old) at the two-sided level ``wanted``, from the ``level``
    one the gate computed: each side's reach scaled by the ratio of their quantiles
    (exact for a normal or Student-t interval; for a skewed one, its shape kept)."""
    freedom = estimate.freedom
    ratio = quantile((1 - wanted) / 2, freedom) / quantile((1 - level) / 2, freedom)
    value = estimate.value
    return value - (value - estimate.low) * ratio, value + (estimate.high - value) * ratio


def reach(metric: str, estimate: Estimate) -> tuple[float, float]:
    """How far the interval of the worsening reaches below and above its estimate: the
    quantile the gate's test uses (Student's t with the estimate's degrees of freedom,
    or the two unequal sides of a log-odds interval) times the standard error."""
    low, high = worsening_interval(metric, estimate)
    worse = worsening(metric, estimate.value, 0.0)  # the estimate is of new - old
    return worse - low, high - worse


RATES = {"accuracy", "precision", "recall", "f1"}  # a share of the rows they rest on


def hanley_mcneil(auc: float, positives: float, negatives: float) -> float:
    """The variance of an AUC of ``auc`` on this many rows of the class and of the rest,
    by Hanley and McNeil's (1982) model."""
    auc = min(max(auc, 1e-6), 1 - 1e-6)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    spread = auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    return max(spread, 0.0) / (positives * negatives)


def worse_se(
    metric: str, estimate: Estimate, worse: float, old: float | None, rows: int | None
) -> float:
    """The standard error of the paired difference for a model ``worse`` than the
    baseline (whose value is ``old``, on ``rows`` rows), from ``estimate``'s, that of the
    models compared. A model that much worse is not the one measured: it errs more, and
    its extra errors are its own, independent of the baseline's, so the variance of the
    difference grows by theirs:

    - a rate (accuracy, precision, recall, F1) on k rows (its degrees of freedom plus
      one: the rows it rests on): ``worse`` x k more rows it gets wrong where the
      baseline is right, each adding 1/k² (McNemar's): ``worse`` / k;
    - an AUC: its own variance at the worse value less at the baseline's (Hanley and
      McNeil's model, with k rows of the class and the other rows of the rest);
    - squared errors (RMSE; R²; MAE taken alike): extra noise of variance D in each
      row's error adds (4 MSE D + 2 D²) / n to the variance of the difference of the
      mean squared errors (D: what makes RMSE ``worse``, or R² ``worse`` x the target's
      variance), taken to the metric's scale;
    - log loss: the standard error grows with the loss (x (1 + ``worse`` / ``old``)).

    With no degrees of freedom (a bootstrap interval) or no baseline value, the
    compared models' standard error stands."""
    se = estimate.se
    known = math.isfinite(estimate.freedom) and old is not None
    if worse <= 0 or not known:
        return se
    count = float(rows or estimate.freedom + 1)
    resting = min(estimate.freedom + 1, count)
    if metric in RATES:
        growth = worse / resting
    elif metric == "roc_auc":
        rest = max(count - resting, resting)
        growth = hanley_mcneil(old - worse, resting, rest) - hanley_mcneil(old, resting, rest)
    elif metric == "r2":
        growth = (4 * (1 - old) * worse + 2 * worse**2) / count
    elif metric in ("rmse", "mae") and old > 0:
        extra = 2 * old * worse + worse**2  # the extra mean squared error
        growth = (extra + extra**2 / (2 * old**2)) / count
    else:
        return se * (1 + worse / abs(old)) if old else se
    return math.sqrt(se**2 + max(growth, 0.0))


def detectable(
    gate: Gate,
    metric: str,
    estimate: Estimate,
    allowed: float,
    old: float | None = None,
    rows: int | None = None,
) -> float | None:
    """The smallest true worsening these rows detect with POWER: the default test fails
    when its interval's lower end exceeds the allowance, and a model worse by d has the
    standard error ``worse_se`` gives (not the compared models'), so d solves
    d = allowed + (reach / se + z(POWER)) x se(d); None when it has no interval, or in
    non-inferiority mode (see ``passes_when_equal``). ``old``: the baseline's value of
    the metric; ``rows``: those compared."""
    if estimate is None or not estimate.known or gate.regression_test == "non_inferiority":
        return None
    z_power = NormalDist().inv_cdf(POWER)
    below = 0.0 if gate.regression_test == "point" else reach(metric, estimate)[0]
    if estimate.se <= 0:
        return allowed + below
    spread = below / estimate.se + z_power
    found = allowed + spread * estimate.se
    for _ in range(200):  # a fixed point: se(d) grows slower than d
        step = allowed + spread * worse_se(metric, estimate, found, old, rows)
        if abs(step - found) <= 1e-9 * max(1.0, abs(found)):
            break
        found = step
    return found


def passes_when_equal(metric: str, estimate: Estimate, allowed: float) -> float:
    """Non-inferiority: how often a model exactly as good as the baseline passes (its
    interval's upper end within the allowance)."""
    if estimate is None or not estimate.known or estimate.se == 0:
        return 1.0
    _, above = reach(metric, estimate)
    return NormalDist().cdf((allowed - above) / estimate.se)


def tolerance(rule: MetricGate, baseline: float) -> tuple[float, str]:
    """The worsening a rule allows against a baseline's value, and how to say it: the
    smaller of its absolute and relative allowances, when it has both."""
    options = []
    if rule.max_regression is not None:
        options.append((rule.max_regression, f"{rule.max_regression:g}"))
    if rule.max_relative_regression is not None:
        allowed = rule.max_relative_regression * abs(baseline)
        share = f"{rule.max_relative_regression:.0%}"
        options.append((allowed, f"{allowed:.4f} ({share} of {baseline:.4f})"))
    return min(options)
