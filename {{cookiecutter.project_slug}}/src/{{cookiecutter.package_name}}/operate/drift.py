"""The statistics of drift, per column: how far a batch of new data has moved from the
reference (the training data of the model in production).

Per numeric (or date) column: the population stability index (PSI, over the
reference's deciles; a column with few distinct values gets one bin per value) and a
two-sample Kolmogorov-Smirnov test; per boolean or categorical column: the PSI over its
values and a chi-square test. The tests run on a seeded sample of at most
``sample_rows`` rows per side (SciPy's; with millions of rows any test finds some
difference). And the share of missing values. Per batch: the columns against the
model's schema (missing, new, or holding values not of their kind).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import DriftThresholds
from ..markdown import p_value as p_text
from ..markdown import percent
from ..pipeline.features import as_booleans, parse_dates, problems

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


def compare(
    name: str,
    reference: pd.Series,
    batch: pd.Series,
    limits: DriftThresholds,
    kind: str = "numeric",
) -> Column:
    """One column of the batch against the reference, with why it drifted. Numbers and
    dates: PSI over the reference's deciles and a Kolmogorov-Smirnov test; booleans and
    categories: PSI over the values and a chi-square test of the two samples' counts."""
    column = Column(name, missing_reference=float(reference.isna().mean()))
    column.missing_batch = float(batch.isna().mean())
    if column.missing_batch - column.missing_reference > limits.missing_increase:
        column.reasons.append(
            f"missing {percent(column.missing_reference)} → {percent(column.missing_batch)}"
        )
    old, new = reference.dropna(), batch.dropna()
    if old.empty or new.empty:
        return column
    rng = np.random.default_rng(SEED)
    if kind in ("boolean", "categorical"):
        old, new = as_values(old, kind), as_values(new, kind)
        column.psi = category_psi(old, new)
        column.statistic, column.p_value = chi_square(
            sample(old.to_numpy(), limits.sample_rows, rng),
            sample(new.to_numpy(), limits.sample_rows, rng),
        )
    else:
        from scipy import stats

        old, new = as_numbers(old, kind), as_numbers(new, kind)
        column.psi = psi(old, new)
        test = stats.ks_2samp(
            sample(old, limits.sample_rows, rng), sample(new, limits.sample_rows, rng)
        )
        column.statistic, column.p_value = float(test.statistic), float(test.pvalue)
    if column.psi >= limits.psi:
        column.reasons.append(f"PSI {column.psi:.3f}")
    if column.p_value is not None and column.p_value < limits.p_value:
        test_name = "KS" if kind in ("numeric", "datetime") else "χ²"
        column.reasons.append(f"{test_name} p {p_text(column.p_value)}")
    return column


def as_numbers(values: pd.Series, kind: str) -> np.ndarray:
    """Numbers as floats; dates as days since 1970."""
    if kind == "datetime":
        dates = parse_dates(values).dropna()
        return ((dates - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86_400).to_numpy()
    return pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64")


def as_values(values: pd.Series, kind: str) -> pd.Series:
    """Booleans as True/False however they are written; categories as text."""
    if kind == "boolean":
        found = as_booleans(values)
        return found if found is not None else values.astype(bool)
    return values.astype(str)


def chi_square(old: np.ndarray, new: np.ndarray) -> tuple[float | None, float | None]:
    """Pearson's chi-square test that two samples of values come from one distribution:
    (the statistic, its p-value); (None, None) when there is one value only."""
    from scipy import stats

    values = pd.Index(np.concatenate([old, new])).unique()
    if len(values) < 2:
        return None, None
    counts = np.vstack(
        [
            pd.Series(side).value_counts().reindex(values, fill_value=0).to_numpy()
            for side in (old, new)
        ]
    )
    result = stats.chi2_contingency(counts)
    return float(result.statistic), float(result.pvalue)


def schema_changes(
    expected: dict[str, str], known: set[str], batch: pd.DataFrame
) -> dict[str, list]:
    """Feature columns the batch lacks, columns the model does not know (``known``: the
    features, the IDs, the target), and columns whose values are not of their kind."""
    columns = [str(name) for name in batch.columns]
    present = {name: kind for name, kind in expected.items() if name in columns}
    retyped = [{"column": name, "problem": text} for name, text in problems(batch, present)]
    return {
        "missing": [name for name in expected if name not in columns],
        "new": [name for name in columns if name not in known],
        "retyped": retyped,
    }
