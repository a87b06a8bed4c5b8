"""Realized performance: once a batch's outcomes are known (the batch holds the target
column, or a file of outcomes is joined to it by the ID columns), the model's metrics on
those rows, with intervals, against the gate's floors and ceilings and against the
metrics its model card states (measured on its test rows).

A metric has dropped when its interval shows it below its floor (above its ceiling), or
worse than on the test rows by more than the gate's allowance for it (any worsening, for
a metric without one). Each test runs at the monitor's share of its false-alarm rate
(drift.py), so that a model that still works is called dropped at most that often.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import HIGHER_IS_BETTER, Gate
from ..errors import ProjectError
from ..review.gate import tolerance, worsening, worsening_interval
from ..review.stats import Estimate, alone, scored, unpaired


@dataclass
class Realized:
    """One metric on the rows whose outcomes are known."""

    metric: str
    value: float
    low: float
    high: float
    test: float | None = None  # on the model's test rows (its model card)
    change: tuple[float, float] | None = None  # interval of value - test
    reasons: list[str] = field(default_factory=list)  # why it dropped; empty when it did not

    @property
    def dropped(self) -> bool:
        return bool(self.reasons)


def outcomes_of(
    batch: pd.DataFrame, model, table: pd.DataFrame | None, source: str
) -> pd.Series | None:
    """The target of each batch row where it is known: from ``table`` (outcomes joined by
    the model's ID columns), else from the batch's own target column; None without
    either."""
    target = model.target
    if table is None:
        return batch[target] if target in batch.columns else None
    if not model.ids:
        raise ProjectError(
            f"{source}: outcomes are joined to the batch by its ID columns, and the model "
            "has none (params.yaml: prepare.ids)"
        )
    for columns, where in ((model.ids, "the batch"), ([*model.ids, target], source)):
        frame = batch if where == "the batch" else table
        absent = [name for name in columns if name not in frame.columns]
        if absent:
            raise ProjectError(f"{where}: no column {', '.join(map(repr, absent))} (outcomes)")
    ids = list(model.ids)
    keys = table[ids].astype(str).agg("\x1f".join, axis=1)
    if keys.duplicated().any():
        repeated = table.loc[keys.duplicated(), ids].iloc[0].tolist()
        raise ProjectError(f"{source}: more than one outcome for the ID {repeated}")
    known = pd.Series(table[target].to_numpy(), index=keys.to_numpy())
    wanted = batch[ids].astype(str).agg("\x1f".join, axis=1)
    return pd.Series(known.reindex(wanted.to_numpy()).to_numpy(), index=batch.index, name=target)


def as_classes(values: pd.Series, classes: list, source: str) -> pd.Series:
    """Outcomes as the model's classes (a CSV may spell 1 as "1")."""
    spelled = {str(label): label for label in classes}
    found = values.map(lambda value: spelled.get(str(value), value))
    unknown = sorted({str(value) for value in found if value not in classes})
    if unknown:
        raise ProjectError(
            f"{source}: outcomes with classes the model does not know: {', '.join(unknown[:5])} "
            f"(its classes: {', '.join(map(str, classes))})"
        )
    return found


def tests(gate: Gate, recorded: dict[str, float]) -> int:
    """The tests realized performance adds to the batch's: per gated metric, its floor
    or ceiling, and its change from the test rows."""
    return sum(
        (rule.min is not None or rule.max is not None) + (metric in recorded)
        for metric, rule in gate.metrics.items()
    )


def realized(
    model,
    actual: pd.Series,
    predicted: pd.Series,
    probabilities: np.ndarray | None,
    gate: Gate,
    recorded: dict[str, float],
    test_rows: int | None,
    alpha: float,
    seed: int,
) -> list[Realized]:
    """Each metric on the rows with outcomes, its interval at 1 - 2 x ``alpha`` (each
    side one test at ``alpha``), and whether the gated ones dropped."""
    labels, positive = model.classes, model.positive_index
    level = 1 - 2 * alpha
    found = alone(scored(actual, predicted, probabilities, labels, positive), level, seed)
    scale = math.sqrt(len(actual) / (test_rows or len(actual)))
    results = []
    for metric, estimate in found.items():
        item = Realized(metric, estimate.value, estimate.low, estimate.high)
        item.test = recorded.get(metric)
        rule = gate.metrics.get(metric)
        change: Estimate | None = None
        if item.test is not None and estimate.known:
            change = unpaired(estimate, item.test, estimate.se * scale, level)
            item.change = (change.low, change.high)
        if rule is not None and estimate.known:
            item.reasons += dropped(metric, rule, estimate, item.test, change)
        results.append(item)
    return results


def dropped(metric: str, rule, estimate: Estimate, test: float | None, change) -> list[str]:
    reasons = []
    if rule.min is not None and estimate.high < rule.min:
        reasons.append(f"below the floor {rule.min:g} (interval up to {estimate.high:.4f})")
    if rule.max is not None and estimate.low > rule.max:
        reasons.append(f"above the ceiling {rule.max:g} (interval from {estimate.low:.4f})")
    if test is not None and change is not None and change.known:
        low, _ = worsening_interval(metric, change)
        worse = worsening(metric, estimate.value, test)
        has_allowance = rule.max_regression is not None or rule.max_relative_regression is not None
        allowed, text = tolerance(rule, test) if has_allowance else (0.0, "0")
        if low > 0 and worse > allowed:
            direction = "lower" if metric in HIGHER_IS_BETTER else "higher"
            reasons.append(
                f"{worse:.4f} {direction} than on the test rows ({test:.4f}); at most {text} "
                "is allowed"
            )
    return reasons
