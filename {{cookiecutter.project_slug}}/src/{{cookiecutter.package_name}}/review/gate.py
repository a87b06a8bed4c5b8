"""The promotion gate declared in lifecycle.yaml, applied to a pull request's model.

Criteria: each metric's floor or ceiling; its largest regression against production
and base (counted only when its 95% interval excludes zero, if the gate says so); a
fresh dvc.lock; metrics that CI reproduced within the declared tolerance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from .. import paths
from ..config import HIGHER_IS_BETTER
from ..dvc import metrics_at
from ..errors import ProjectError
from ..outputs import read_json, write_json

if TYPE_CHECKING:  # `make gate` only reads the verdict: no model libraries to import
    from ..config import Gate, MetricGate
    from .compare import Baseline, Comparison


@dataclass(frozen=True)
class Criterion:
    name: str
    passed: bool
    reason: str  # why it fails; empty when it passes

    def __post_init__(self):
        if self.passed:
            object.__setattr__(self, "reason", "")


def worsening(metric: str, new: float, old: float) -> float:
    """How much worse ``new`` is than ``old`` (negative when it is better)."""
    return old - new if metric in HIGHER_IS_BETTER else new - old


def significant(metric: str, interval: tuple[float, float] | None) -> bool:
    """Whether a worsening's 95% interval of (new - old) excludes zero; unknown counts."""
    if interval is None or any(math.isnan(bound) for bound in interval):
        return True
    low, high = interval
    return high < 0 if metric in HIGHER_IS_BETTER else low > 0


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


def metric_criteria(
    gate: Gate, scores: dict[str, float], baselines: list[Baseline]
) -> list[Criterion]:
    criteria = []
    for metric, rule in gate.metrics.items():
        value = scores.get(metric)
        if value is None:
            criteria.append(Criterion(metric, False, f"`{metric}` is not in {paths.METRICS}"))
            continue
        if rule.min is not None:
            ok = value >= rule.min
            criteria.append(
                Criterion(
                    f"{metric} ≥ {rule.min:g}",
                    ok,
                    f"`{metric}` is {value:.4f}, below the floor {rule.min:g}",
                )
            )
        if rule.max is not None:
            ok = value <= rule.max
            criteria.append(
                Criterion(
                    f"{metric} ≤ {rule.max:g}",
                    ok,
                    f"`{metric}` is {value:.4f}, above the ceiling {rule.max:g}",
                )
            )
        if rule.max_regression is None and rule.max_relative_regression is None:
            continue
        for other in baselines:
            old = other.value(metric)
            if old is None:
                continue
            # on the rows both were scored on (those the baseline did not train on)
            worse = worsening(metric, other.mine.get(metric, value), old)
            allowed, text = tolerance(rule, old)
            interval = other.intervals.get(metric)
            counted = worse > allowed and (
                not gate.regression_must_be_significant or significant(metric, interval)
            )
            criteria.append(
                Criterion(
                    f"{metric} vs {other.role}",
                    not counted,
                    f"`{metric}` is {worse:.4f} worse than {other.role} ({other.label}); "
                    f"at most {text} is allowed",
                )
            )
    return criteria


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


def constant_criterion(predicted) -> Criterion:
    """A model that predicts one thing for every test row learned nothing: it never passes."""
    from ..pipeline.evaluate import constant

    same = constant(predicted)
    return Criterion(
        "predictions vary",
        same is None,
        f"the model predicts {same} for all {len(predicted):,} test rows: it learned nothing "
        "from the features (too few rows, or nothing in them to learn from; see README, "
        '"Bring your own data")',
    )


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
    committed: dict[str, float] | None, obtained: dict[str, float], tolerance: float
) -> Criterion:
    if committed is None:
        return Criterion(
            "metrics reproduced",
            False,
            f"`{paths.METRICS}` is not committed; run `dvc repro` and commit it",
        )
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


def criteria(
    gate: Gate,
    comparison: Comparison,
    freshness: dict,
    remote: bool,
    what: str = "this pull request",
) -> list[Criterion]:
    """Every criterion of the gate: a fresh dvc.lock, metrics that CI reproduced (when the
    lock is fresh: a stale lock's metrics differ anyway, one failure, one fix), and each
    metric's floor, ceiling and regression against production and base."""
    found = [freshness_criterion(freshness, remote, what)]
    if freshness.get("fresh"):
        obtained = metrics_at(None) or {}
        limit = gate.reproducibility_tolerance
        found.append(reproducibility_criterion(metrics_at("HEAD"), obtained, limit))
    found.append(constant_criterion(comparison.predictions.predicted))
    return found + metric_criteria(gate, comparison.scores, comparison.baselines)


def passed(found: list[Criterion]) -> bool:
    return all(criterion.passed for criterion in found)


def write_result(found: list[Criterion]) -> bool:
    """build/pr/result.json, the verdict `make gate` reads; whether the gate passes."""
    data = {"passed": passed(found), "criteria": [asdict(criterion) for criterion in found]}
    write_json(data, paths.RESULT)
    return data["passed"]


def verdict() -> tuple[list[dict], list[str]]:
    """The last report's criteria, and the reasons of those that failed."""
    criteria = read_json(paths.RESULT, "pr-report")["criteria"]
    return criteria, [item["reason"] for item in criteria if not item["passed"]]


def reasons_text(reasons: list[str]) -> str:
    return "\n".join(f"  - {reason}" for reason in reasons)


def main() -> None:
    """Exit non-zero when the last report's verdict is a failure, naming each reason."""
    criteria, failed = verdict()
    if failed:
        raise ProjectError(f"the promotion gate failed:\n{reasons_text(failed)}")
    print(f"gate: passed ({len(criteria)} criteria)")
