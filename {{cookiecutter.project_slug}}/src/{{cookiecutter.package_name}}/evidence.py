"""The gate's arithmetic: how much worse a model is, against which allowance, at which
level each comparison is tested, and what the test rows can detect. The review's gate
(review/gate.py) and report, the promotion and realized performance
(operate/outcomes.py) share it; it imports no model library (`make gate` stays light).
"""

from __future__ import annotations

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
    """The error rate of each (metric, baseline) test."""
    if gate.regression_test == "significant":
        return gate.error_rate / max(tests, 1)
    return gate.error_rate


def interval_level(gate: Gate, tests: int) -> float:
    """The two-sided level of the intervals the gate reads (and the report shows): each
    side holds its test's error rate."""
    if gate.regression_test == "point":
        return 0.95
    return 1 - 2 * one_sided(gate, tests)


def reach(metric: str, estimate: Estimate) -> tuple[float, float]:
    """How far the interval of the worsening reaches below and above its estimate: the
    quantile the gate's test uses (Student's t with the estimate's degrees of freedom,
    or the two unequal sides of a log-odds interval) times the standard error."""
    low, high = worsening_interval(metric, estimate)
    worse = worsening(metric, estimate.value, 0.0)  # the estimate is of new - old
    return worse - low, high - worse


def detectable(gate: Gate, metric: str, estimate: Estimate, allowed: float) -> float | None:
    """The smallest true worsening these rows detect with POWER: the default test fails
    when its interval's lower end exceeds the allowance; None when it has no interval,
    or in non-inferiority mode (see ``passes_when_equal``)."""
    if estimate is None or not estimate.known or gate.regression_test == "non_inferiority":
        return None
    z_power = NormalDist().inv_cdf(POWER)
    if gate.regression_test == "point":
        return allowed + z_power * estimate.se
    below, _ = reach(metric, estimate)
    return allowed + below + z_power * estimate.se


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
