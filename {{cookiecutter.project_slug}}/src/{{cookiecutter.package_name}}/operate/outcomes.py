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
from pandas.api import types

from ..config import HIGHER_IS_BETTER, Gate
from ..errors import ProjectError
from ..evidence import tolerance, worsening, worsening_interval
from ..review.stats import ROWS, Estimate, Structure, alone, scored, unpaired


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


@dataclass
class Joined:
    """How a file of outcomes met the batch: its rows, how many of them found their batch
    row by the ID columns, and how IDs were read to compare them (``notes``)."""

    source: str  # the outcomes file
    ids: list[str]
    rows: int
    matched: int
    notes: dict[str, str] = field(default_factory=dict)  # ID column -> how it was read


def outcomes_of(
    batch: pd.DataFrame,
    model,
    table: pd.DataFrame | None,
    source: str,
    batch_source: str = "the batch",
) -> tuple[pd.Series | None, Joined | None]:
    """The target of each batch row where it is known (None without outcomes): from
    ``table`` (outcomes, joined to the batch on the model's ID columns: a merge on the
    columns themselves), else from the batch's own target column; and, for ``table``,
    how the join went. On either side, a row without an ID or an ID on more than one row
    is an error (neither can be matched to one row), and so are outcomes of which none
    matches."""
    target = model.target
    if table is None:
        return (batch[target] if target in batch.columns else None), None
    if not model.ids:
        raise ProjectError(
            f"{source}: outcomes are joined to the batch by its ID columns, and the model "
            "has none (params.yaml: prepare.ids)"
        )
    ids = list(model.ids)
    for frame, columns, where in ((batch, ids, batch_source), (table, [*ids, target], source)):
        absent = [name for name in columns if name not in frame.columns]
        if absent:
            raise ProjectError(
                f"{where}: no column {', '.join(map(repr, absent))} (outcomes are joined "
                f"by the ID columns {', '.join(map(repr, ids))}, params.yaml: prepare.ids, "
                f"and hold the target {target!r})"
            )
    if table.empty:
        raise ProjectError(f"{source}: no outcomes (the file has no rows)")
    for frame, where in ((batch, batch_source), (table, source)):
        identified(frame, ids, where)
    left, right, notes = batch[ids].copy(), table[ids].copy(), {}
    for name in ids:
        left[name], right[name], note = comparable(batch[name], table[name])
        if note:
            notes[name] = note
    right[target] = table[target].to_numpy()
    left = left.reset_index(drop=True)
    matched = len(left.merge(right[ids], on=ids, how="inner"))
    if not matched:
        raise ProjectError(
            f"{source}: none of its {len(table):,} outcomes matches a row of {batch_source} "
            f"by the ID columns {', '.join(map(repr, ids))} (params.yaml: prepare.ids); "
            f"e.g. {shown(right, ids)} there, {shown(left, ids)} in the batch"
        )
    found = left.merge(right, on=ids, how="left", validate="one_to_one")[target]
    values = pd.Series(found.to_numpy(), index=batch.index, name=target)
    return values, Joined(source, ids, len(table), matched, notes)


def shown(frame: pd.DataFrame, ids: list[str], row: int = 0) -> str:
    """One row's IDs, as ``name=value`` pairs."""
    values = frame[ids].iloc[row]
    return ", ".join(f"{name}={plain(value)!r}" for name, value in values.items())


def plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def identified(frame: pd.DataFrame, ids: list[str], where: str) -> None:
    """Refuse rows without an ID, or sharing one: neither can be matched to one row."""
    for name in ids:
        missing = int(frame[name].isna().sum())
        if missing:
            raise ProjectError(
                f"{where}: {missing:,} row(s) have no value in the ID column {name!r} "
                "(params.yaml: prepare.ids); outcomes are joined by ID, and a row without "
                "one matches nothing"
            )
    repeated = frame.duplicated(subset=ids, keep=False)
    if repeated.any():
        first = frame.loc[repeated, ids].reset_index(drop=True)
        raise ProjectError(
            f"{where}: {int(repeated.sum()):,} rows share their ID (params.yaml: "
            f"prepare.ids), e.g. {shown(first, ids)}; an ID names one row, so that each "
            "outcome is of one batch row"
        )


def comparable(left: pd.Series, right: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """Two ID columns as values a merge compares by what they mean, and what was done to
    them that a reader should know (empty when nothing): decimals that are all whole
    numbers as integers (1.0 is 1: a CSV column of whole numbers with a gap is read as
    decimals), categories as their values; numbers against other decimals as decimals,
    against text as text, and text against dates as text."""
    left, right = as_ids(left), as_ids(right)
    kinds = {number_kind(left), number_kind(right)}
    if kinds <= NUMBERS and "decimal" in kinds:
        return left.astype("Float64"), right.astype("Float64"), ""
    notes = []
    if "whole" in kinds:
        left, right = as_whole(left), as_whole(right)
        if kinds != {"whole"}:
            notes.append("whole numbers written as decimals (1.0) read as integers (1)")
    mixed = None in kinds and kinds != {None}
    if mixed:
        notes.append("numbers on one side, text on the other: compared as text")
    if mixed or (kinds == {None} and left.dtype != right.dtype):
        left, right = left.astype("string"), right.astype("string")
    return left, right, "; ".join(notes)


NUMBERS = {"integer", "whole", "decimal"}


def as_ids(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(values.cat.categories.dtype)
    return values


def number_kind(values: pd.Series) -> str | None:
    """What numbers ``values`` holds: integers, "whole" (decimals that are all whole
    numbers), "decimal", or None (not numbers)."""
    if types.is_bool_dtype(values) or not types.is_numeric_dtype(values):
        return None
    if types.is_integer_dtype(values):
        return "integer"
    numbers = values.dropna().to_numpy(dtype="float64")
    whole = np.isfinite(numbers).all() and (numbers == np.round(numbers)).all()
    return "whole" if whole and (np.abs(numbers) < 2.0**63).all() else "decimal"


def as_whole(values: pd.Series) -> pd.Series:
    """Whole decimals as integers (any other values as they are)."""
    return values.astype("Int64") if number_kind(values) == "whole" else values


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
    structure: Structure = ROWS,
) -> list[Realized]:
    """Each metric on the rows with outcomes, its interval at 1 - 2 x ``alpha`` (each
    side one test at ``alpha``) with the rows' ``structure`` (the model's split: by group,
    or in time order), and whether the gated ones dropped."""
    labels, positive = model.classes, model.positive_index
    level = 1 - 2 * alpha
    rows = scored(actual, predicted, probabilities, labels, positive, structure)
    found = alone(rows, level, seed)
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
