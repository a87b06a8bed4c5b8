"""The statistics of drift, per column: how far a batch of new data has moved from the
reference (the training data of the model in production).

Per numeric column: the population stability index (PSI, over the reference's
deciles; a column with few distinct values gets one bin per value), a two-sample
Kolmogorov-Smirnov test (SciPy's, on a seeded sample of at most ``sample_rows`` rows per
side: with millions of rows any test finds some difference) and the share of missing
values. Per batch: the columns against the model's schema (missing, new, retyped).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import DriftThresholds
from ..markdown import p_value as p_text
from ..markdown import percent

BINS = 10  # PSI bins: the reference's deciles
FLOOR = 1e-4  # smallest share of a bin, so that an empty bin keeps the PSI finite
SEED = 0


@dataclass
class Column:
    name: str
    psi: float | None = None
    statistic: float | None = None  # Kolmogorov-Smirnov D
    p_value: float | None = None
    missing_reference: float = 0.0
    missing_batch: float = 0.0
    reasons: list[str] = field(default_factory=list)  # why it drifted; empty when it did not

    @property
    def drift(self) -> bool:
        return bool(self.reasons)


def psi(reference: np.ndarray, batch: np.ndarray) -> float:
    """Population stability index of ``batch`` against ``reference`` (no missing values
    in either), over the reference's deciles; a column with few distinct values gets
    one bin per value."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, BINS + 1)[1:-1]))
    expected = np.bincount(
        np.searchsorted(edges, reference, side="right"), minlength=edges.size + 1
    )
    actual = np.bincount(np.searchsorted(edges, batch, side="right"), minlength=edges.size + 1)
    return shares_psi(expected / reference.size, actual / batch.size)


def shares_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    expected, actual = np.maximum(expected, FLOOR), np.maximum(actual, FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def category_psi(reference: pd.Series, batch: pd.Series) -> float:
    """PSI over the categories (e.g. predicted classes) of either side."""
    expected = reference.value_counts(normalize=True)
    actual = batch.value_counts(normalize=True)
    categories = expected.index.union(actual.index)
    return shares_psi(
        expected.reindex(categories, fill_value=0).to_numpy(),
        actual.reindex(categories, fill_value=0).to_numpy(),
    )


def sample(values: np.ndarray, rows: int, rng: np.random.Generator) -> np.ndarray:
    return values if values.size <= rows else rng.choice(values, size=rows, replace=False)


def compare(name: str, reference: pd.Series, batch: pd.Series, limits: DriftThresholds) -> Column:
    """One numeric column of the batch against the reference, with why it drifted."""
    from scipy import stats

    column = Column(name, missing_reference=float(reference.isna().mean()))
    column.missing_batch = float(batch.isna().mean())
    if column.missing_batch - column.missing_reference > limits.missing_increase:
        column.reasons.append(
            f"missing {percent(column.missing_reference)} → {percent(column.missing_batch)}"
        )
    old = reference.dropna().to_numpy(dtype="float64")
    new = batch.dropna().to_numpy(dtype="float64")
    if old.size == 0 or new.size == 0:
        return column
    column.psi = psi(old, new)
    rng = np.random.default_rng(SEED)
    test = stats.ks_2samp(
        sample(old, limits.sample_rows, rng), sample(new, limits.sample_rows, rng)
    )
    column.statistic, column.p_value = float(test.statistic), float(test.pvalue)
    if column.psi >= limits.psi:
        column.reasons.append(f"PSI {column.psi:.3f}")
    if column.p_value < limits.p_value:
        column.reasons.append(f"KS p {p_text(column.p_value)}")
    return column


def kind(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return "text"


def schema_changes(expected: dict[str, str], target: str, batch: pd.DataFrame) -> dict:
    """Columns the model needs that the batch lacks, columns it does not know (the
    target aside), and columns whose kind of value changed."""
    columns = [str(name) for name in batch.columns]
    retyped = [
        {"column": name, "expected": kind(np.dtype(dtype)), "found": kind(batch[name].dtype)}
        for name, dtype in expected.items()
        if name in batch.columns and kind(np.dtype(dtype)) != kind(batch[name].dtype)
    ]
    return {
        "missing": [name for name in expected if name not in columns],
        "new": [name for name in columns if name not in expected and name != target],
        "retyped": retyped,
    }
