"""The promotion gate declared in lifecycle.yaml, applied to a pull request's model.

Criteria: a fresh dvc.lock; metrics that CI reproduced within the declared tolerance;
predictions that vary; test rows unseen in training; no likely leak (prepare's) that
``gate.acknowledged_leaks`` does not name; each metric's floor or ceiling; and its largest
worsening against production and base, judged by ``gate.regression_test``:

- significant (the default): a worsening fails only when its interval shows it beyond
  the allowance (the interval's lower end of the worsening above it): the test of each
  (metric, baseline) is one-sided, of "worsens by at most the allowance", and the tests
  share ``error_rate`` by Holm's step-down (``evidence.holm``): the comparison most
  clearly beyond its allowance is tested at ``error_rate`` / (the number of tests), the
  next at ``error_rate`` / (one fewer), and so on; each criterion states the level it
  was tested at, and its interval at that level. A model exactly at its allowances (or
  better) fails the whole gate at most ``error_rate`` of the time, however many criteria
  and baselines (production and base at one commit count once), and redundant metrics
  (R² and RMSE on the same squared errors) cost less power than Bonferroni's even split.
  A worsening with no interval is not tested, and the report says so: absence is not
  evidence.
- non_inferiority: it passes only when the interval shows the worsening within the
  allowance (each test at ``error_rate``: every one must pass, so none is adjusted).
- point: the estimate alone decides.
- Floors and ceilings are judged on the estimate, outside ``error_rate``: a floor is a
  bar the measured score must clear, the number the report shows, as its owners wrote
  it; judged by an interval, a model measured below its floor would pass whenever the
  test rows are few, the very case a floor guards against.
- Each push of a pull request is judged alone, at ``error_rate``: its model is another
  model (a commit changes it), and only the head commit's verdict gates the merge. Over
  several pushes the chances add up; the README states them as `make bench` measures
  them (5 pushes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from .. import paths
from ..dvc import metrics_at
from ..errors import ProjectError
from ..evidence import (
    at_level,
    compared,
    holm,
    interval_level,
    p_value,
    regression_rules,
    tolerance,
    worsening,
    worsening_interval,
)
from ..outputs import read_json, write_json

if TYPE_CHECKING:  # `make gate` only reads the verdict: no model libraries to import
    from ..config import Gate, MetricGate
    from .compare import Baseline, Comparison
    from .stats import Estimate


@dataclass(frozen=True)
class Criterion:
    name: str
    passed: bool
    reason: str  # why it fails; empty when it passes
    metric: str = ""  # the metric it is about, if any
    note: str = ""  # what it could not judge, when it passes for want of evidence
    level: float = 0.0  # significant: the two-sided level of its Holm step
    interval: tuple[float, float] | None = None  # and the interval of Δ at that level

    def __post_init__(self):
        if self.passed:
            object.__setattr__(self, "reason", "")


def rule_text(rule: MetricGate | None) -> str:
    """A metric's gate in words, e.g. "≥ 0.9; worsens ≤ 0.01"."""
    if rule is None:
        return ""
    parts = [f"≥ {rule.min:g}"] if rule.min is not None else []
    parts += [f"≤ {rule.max:g}"] if rule.max is not None else []
    if rule.max_regression is not None:
        parts.append(f"worsens ≤ {rule.max_regression:g}")
    if rule.max_relative_regression is not None:
        parts.append(f"worsens ≤ {rule.max_relative_regression:.0%}")
    return "; ".join(parts)


def within_bounds(value: float, rule: MetricGate) -> bool:
    """Whether ``value`` meets the rule's floor and ceiling."""
    return (rule.min is None or value >= rule.min) and (rule.max is None or value <= rule.max)


def bound_criteria(metric: str, rule: MetricGate, value: float) -> list[Criterion]:
    found = []
    if rule.min is not None:
        found.append(
            Criterion(
                f"{metric} ≥ {rule.min:g}",
                value >= rule.min,
                f"`{metric}` is {value:.4f}, below the floor {rule.min:g}",
                metric,
            )
        )
    if rule.max is not None:
        found.append(
            Criterion(
                f"{metric} ≤ {rule.max:g}",
                value <= rule.max,
                f"`{metric}` is {value:.4f}, above the ceiling {rule.max:g}",
                metric,
            )
        )
    return found


def regression_criterion(
    gate: Gate,
    metric: str,
    rule: MetricGate,
    value: float,
    other: Baseline,
    level: float,
    tested: tuple[float, bool] | None = None,
) -> Criterion | None:
    """The worsening of ``metric`` against one baseline, judged as the gate says
    (``level``: of the intervals computed; ``tested``: significant, its Holm step's
    one-sided level and whether it failed there)."""
    old = other.value(metric)
    if old is None:
        return None
    # on the rows both were scored on (those the baseline did not train on)
    worse = worsening(metric, other.mine.get(metric, value), old)
    allowed, text = tolerance(rule, old)
    estimate = other.intervals.get(metric)
    name = f"{metric} vs {other.name}"
    known = estimate is not None and estimate.known
    if gate.regression_test == "point":
        failed = worse > allowed
        reason = f"`{metric}` is {worse:.4f} worse than {other.name} ({other.label})"
    elif not known:
        note = f"`{metric}` vs {other.name}: no interval, not tested"
        return Criterion(name, True, "", metric, note)
    elif gate.regression_test == "significant":
        share, failed = tested
        low, high = at_level(estimate, level, 1 - 2 * share)
        reason = (
            f"`{metric}` is {worse:.4f} worse than {other.name} ({other.label}), shown "
            f"beyond its allowance; {percent_text(1 - 2 * share)} interval of Δ "
            f"[{low:+.4f}, {high:+.4f}] (Holm: tested at {percent_text(share)})"
        )
        reason = f"{reason}; at most {text} is allowed"
        return Criterion(
            name, not failed, reason, metric, level=1 - 2 * share, interval=(low, high)
        )
    else:
        low, high = worsening_interval(metric, estimate)
        shown = f"{percent_text(level)} interval of Δ [{estimate.low:+.4f}, {estimate.high:+.4f}]"
        failed = not high <= allowed
        reason = (
            f"`{metric}` is not shown to be within the allowance of {other.name} "
            f"({other.label}): {shown}"
        )
    return Criterion(name, not failed, f"{reason}; at most {text} is allowed", metric)


def percent_text(share: float) -> str:
    """A share as a percentage with the digits it needs: 95%, 97.5%, 98.33%."""
    return f"{share * 100:.2f}".rstrip("0").rstrip(".") + "%"


def holm_tests(
    gate: Gate, scores: dict[str, float], others: list[Baseline], level: float, tests: int
) -> dict[tuple[str, str], tuple[float, bool]]:
    """Significant mode: (metric, baseline's role) -> its Holm step's one-sided level and
    whether it failed, over every comparison with an interval."""
    if gate.regression_test != "significant":
        return {}
    keys, p_values = [], []
    for metric in regression_rules(gate):
        for other in others:
            old, estimate = other.value(metric), other.intervals.get(metric)
            if metric not in scores or old is None or estimate is None or not estimate.known:
                continue
            allowed, _ = tolerance(gate.metrics[metric], old)
            keys.append((metric, other.role))
            p_values.append(p_value(metric, estimate, allowed, level))
    return dict(zip(keys, holm(p_values, gate.error_rate, tests), strict=True))


def metric_criteria(
    gate: Gate, scores: dict[str, float], baselines: list[Baseline]
) -> list[Criterion]:
    criteria = []
    others = compared(baselines)
    tests = len(regression_rules(gate)) * len(others)
    level = interval_level(gate, tests)
    tested = holm_tests(gate, scores, others, level, tests)
    for metric, rule in gate.metrics.items():
        value = scores.get(metric)
        if value is None:
            criteria.append(
                Criterion(metric, False, f"`{metric}` is not in {paths.METRICS}", metric)
            )
            continue
        criteria += bound_criteria(metric, rule, value)
        if metric not in regression_rules(gate):
            continue
        for other in others:
            found = regression_criterion(
                gate, metric, rule, value, other, level, tested.get((metric, other.role))
            )
            if found is not None:
                criteria.append(found)
    return criteria


def ungated_worsenings(gate: Gate, comparison: Comparison) -> list[str]:
    """Metrics with no allowance against the baselines whose interval shows them worse
    than one: not a criterion, but the reviewer should see it."""
    found = []
    gated = set(regression_rules(gate))
    for other in compared(comparison.baselines):
        for metric, estimate in other.intervals.items():
            if metric in gated or not estimate.known:
                continue
            if worsening_interval(metric, estimate)[0] > 0:  # shown worse
                found.append(
                    f"`{metric}` is worse than {other.name} ({other.label}): Δ "
                    f"{estimate.value:+.4f}, interval [{estimate.low:+.4f}, {estimate.high:+.4f}]"
                )
    return found


def constant_criterion(predicted) -> Criterion:
    """A model that predicts one thing for every test row learned nothing: it never passes."""
    from ..scoring import constant

    same = constant(predicted)
    return Criterion(
        "predictions vary",
        same is None,
        f"the model predicts {same} for all {len(predicted):,} test rows: it learned nothing "
        "from the features (too few rows, or nothing in them to learn from; see README, "
        '"Bring your own data")',
    )


def agreement_criterion(
    pipeline: dict[str, float], review: dict[str, float], tolerance: float
) -> Criterion:
    """The evaluate stage's metrics (eval/metrics.json, as CI's run wrote them) must be
    the ones the review computes itself from the same model on the same rows: a
    pipeline that reports other numbers than its model earns is refused, whatever
    they are."""
    differ = [
        f"`{name}` {pipeline[name]:.6g} in `{paths.METRICS}`, {value:.6g} here"
        for name, value in review.items()
        if name in pipeline and not abs(pipeline[name] - value) <= tolerance
    ]
    return Criterion(
        "the pipeline's metrics are the model's",
        not differ,
        "the evaluate stage reports other metrics than this model earns on the test rows "
        "(the review scores the model itself): " + "; ".join(differ),
    )


def unseen_criterion(trained_on_test: int, rows: int) -> Criterion:
    """Metrics measured on rows the model trained on say nothing of new rows: every test
    row's key must be absent from the training table."""
    return Criterion(
        "test rows unseen in training",
        trained_on_test == 0,
        f"{trained_on_test:,} of the {rows:,} test rows have a key that is also a training "
        "row's (pipeline/split.py): the metrics are not measured on unseen rows",
    )


def leak_criteria(leaks: list[dict[str, str]], acknowledged: dict[str, str]) -> list[Criterion]:
    """Each likely leak prepare found (eval/data.json) fails until the gate acknowledges
    its column with a reason; an acknowledged one passes and the report shows why."""
    found = []
    for leak in leaks:
        column, reason = leak["column"], acknowledged.get(leak["column"])
        note = f"likely leak acknowledged in `{paths.LIFECYCLE}`: {leak['warning']}; "
        found.append(
            Criterion(
                f"no likely leak: {column}",
                reason is not None,
                f"likely leak (prepare): {leak['warning']}. If it is sound, name "
                f"`{column}` with the reason under gate.acknowledged_leaks in "
                f"`{paths.LIFECYCLE}`: the owners review it, and it applies once merged",
                note=note + f"“{reason}”" if reason is not None else "",
            )
        )
    return found or [Criterion("no likely leak", True, "")]


def freshness_criterion(
    freshness: dict, remote: bool, what: str = "this pull request"
) -> Criterion:
    stale = freshness.get("stale", {})
    detail = "; ".join(f"stage {stage}: {', '.join(why)}" for stage, why in stale.items())
    fix = (
        "`dvc repro --pull`, then commit `dvc.lock` and `eval/`"
        if remote
        else "`dvc repro`, then commit `dvc.lock` and `eval/`"
    )
    return Criterion(
        "dvc.lock is fresh",
        not stale,
        f"`dvc.lock` does not match {what} ({detail}); run {fix}",
    )


def reproducibility_criterion(
    committed: dict[str, float] | None,
    obtained: dict[str, float],
    tolerance: float,
    within: dict[str, Estimate] | None = None,
) -> Criterion:
    """CI's metrics against the committed ones: equal within ``tolerance`` when CI has the
    model dvc.lock records; when CI had to make it again and got other bytes (``within``:
    the intervals of CI's model's metrics on the test rows), each committed metric inside
    its interval (widened by ``tolerance``). Never a byte comparison: machines differ."""
    if committed is None:
        return Criterion(
            "metrics reproduced",
            False,
            f"`{paths.METRICS}` is not committed; run `dvc repro` and commit it",
        )
    if within is None:
        differ = [
            f"`{name}` committed {committed.get(name, float('nan')):.6g}, CI {value:.6g}"
            for name, value in obtained.items()
            if not abs(committed.get(name, float("inf")) - value) <= tolerance
        ]
        return Criterion(
            "metrics reproduced",
            not differ,
            f"CI's metrics differ from the committed ones by more than {tolerance:g}: "
            + "; ".join(differ),
        )
    differ = []
    for name, value in obtained.items():
        mine = committed.get(name, float("nan"))
        estimate = within.get(name)
        low, high = (value, value)
        if estimate and estimate.known:  # an interval near 0 or 1 may leave out its value
            low, high = min(estimate.low, value), max(estimate.high, value)
        if not low - tolerance <= mine <= high + tolerance:
            differ.append(
                f"`{name}` committed {mine:.6g}, CI {value:.6g} (interval {low:.6g} to {high:.6g})"
            )
    return Criterion(
        "metrics reproduced",
        not differ,
        "CI trained the model again (this machine makes other bytes than dvc.lock records) "
        "and its metrics are not the committed ones within their intervals: " + "; ".join(differ),
        note=""
        if differ
        else "CI trained the model again (other bytes than dvc.lock's); "
        "its metrics match the committed ones within their intervals",
    )


def criteria(
    gate: Gate,
    comparison: Comparison,
    freshness: dict,
    remote: bool,
    what: str = "this pull request",
) -> list[Criterion]:
    """Every criterion of the gate: a fresh dvc.lock, metrics that CI reproduced (when the
    lock is fresh: a stale lock's metrics differ anyway, one failure, one fix), varying
    predictions, unseen test rows, no unacknowledged leak, and each metric's floor,
    ceiling and regression against production and base."""
    found = [freshness_criterion(freshness, remote, what)]
    obtained = metrics_at(None) or {}
    found.append(agreement_criterion(obtained, comparison.scores, gate.reproducibility_tolerance))
    if freshness.get("fresh"):
        limit = gate.reproducibility_tolerance
        within = own_intervals(comparison) if remade_model(freshness) else None
        found.append(reproducibility_criterion(metrics_at("HEAD"), obtained, limit, within))
    found.append(constant_criterion(comparison.predictions.predicted))
    found.append(unseen_criterion(comparison.trained_on_test, comparison.rows))
    profile = read_json(paths.DATA_PROFILE, "repro")
    found += leak_criteria(profile.get("leaks", []), gate.acknowledged_leaks)
    return found + metric_criteria(gate, comparison.scores, comparison.baselines)


def remade_model(freshness: dict) -> bool:
    """Whether CI made the model again with other bytes than dvc.lock records."""
    return paths.MODEL.as_posix() in freshness.get("remade", {})


def own_intervals(comparison: Comparison) -> dict[str, Estimate]:
    """The intervals of this model's metrics on the test rows, at the gate's level."""
    from .stats import alone, scored

    mine = comparison.predictions
    found = scored(
        comparison.actual, mine.predicted, mine.probabilities, comparison.labels,
        comparison.positive,
    )  # fmt: skip
    return alone(found, comparison.level, comparison.seed)


def passed(found: list[Criterion]) -> bool:
    return all(criterion.passed for criterion in found)


def write_result(found: list[Criterion]) -> bool:
    """build/pr/result.json, the verdict `make gate` reads; whether the gate passes."""
    data = {"passed": passed(found), "criteria": [asdict(criterion) for criterion in found]}
    write_json(data, paths.RESULT)
    return data["passed"]


def verdict() -> tuple[list[dict], list[str]]:
    """The last report's criteria, and the reasons of those that failed."""
    criteria = read_json(paths.RESULT, "pr-report", {"criteria": list})["criteria"]
    return criteria, [item["reason"] for item in criteria if not item["passed"]]


def reasons_text(reasons: list[str]) -> str:
    return "\n".join(f"  - {reason}" for reason in reasons)


def main() -> None:
    """Exit non-zero when the last report's verdict is a failure, naming each reason."""
    criteria, failed = verdict()
    if failed:
        raise ProjectError(f"the promotion gate failed:\n{reasons_text(failed)}")
    print(f"gate: passed ({len(criteria)} criteria)")
