"""The statistics of drift, per column: how far a batch of new data has moved from the
reference (the training data of the model in production), and whether that is more than
chance.

Per column, two tests. Its values: numbers with many distinct values get a
two-sample Kolmogorov-Smirnov test (on a seeded sample of at most ``sample_rows`` rows
per side) and a population stability index (PSI) over the reference's deciles, a value
that holds 5% of the reference or more getting a bin of its own; booleans, categories
and numbers with few distinct values get one bin per value (values too rare for the
batch's size grouped, so that every bin expects EXPECTED batch rows) and a chi-square
test of the two samples' counts (with more than FEW_VALUES values, bins chosen from one
random half of the reference and the other half tested: split_counts). Free text (half
its values distinct or more: pipeline/features.py's free_text) by its length and by the
share of its words new to the reference (text); dates by
their weekday and hour of the day (dated), not their position. Its share of missing
values: Fisher's exact test that it rose.

The tests of a batch share ``false_alarm_rate`` (Bonferroni): half of it between the
features' tests, half between the model's (its predictions, and its realized metrics
when outcomes are known), so a batch with no drift, of any size and with any number of
features, is called drifted at most that often, and the predictions keep their power
however many features there are. A significant shift drifts when it is also
material (a PSI of ``psi`` or more; a rise of more than ``missing_increase`` in missing
values). Each column also says what shift its test detects at this batch size (with
80% power).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..config import DriftThresholds
from ..markdown import code, percent
from ..pipeline.features import as_booleans, free_text, parse_dates, problems

BINS = 10  # PSI bins of a continuous column: the reference's deciles
MASS = 0.05  # a value holding this share of the reference gets a bin of its own
FEW_VALUES = 20  # numbers with at most this many distinct values are binned per value
# the batch rows a bin of values expects, at least: with 5 (the textbook rule, for tests
# at 5%) a 50-row batch's categories alarmed 3-9 times as often as the test level meant
# (at a batch's Bonferroni level of about 1e-5); with 10, as often as meant
EXPECTED = 10
FLOOR = 1e-4  # smallest share of a bin, so that an empty bin keeps the PSI finite
POWER = 0.8  # the detectable shift each column states
SEED = 0
DAY, HOUR, WEEK = pd.Timedelta(days=1), pd.Timedelta(hours=1), pd.Timedelta(days=7)
TESTS_PER_COLUMN = 2  # its values, its share of missing values
WORD = r"\w+"  # a word of free text (any script)
# a number whose ranks correlate this much with a date's in the reference trends with time
# (an ID counter, a cumulative count): a later batch's values move by design
TREND = 0.9


@dataclass
class Column:
    name: str
    test: str = ""  # "KS" or "χ²"; empty when there is nothing to test
    compared: str = ""  # what the test compares when not the values: "length", "weekday"…
    unseen: float | None = None  # many values: the batch's share new to half the reference
    unseen_reference: float | None = None  # free text: the other half's share of new words
    psi: float | None = None
    statistic: float | None = None
    p_value: float | None = None
    missing_reference: float = 0.0
    missing_batch: float = 0.0
    missing_p_value: float | None = None
    detectable: str = ""  # the shift its test detects at this batch size, in words
    reasons: list[str] = field(default_factory=list)  # why it drifted; empty when it did not

    @property
    def drift(self) -> bool:
        return bool(self.reasons)


def level(limits: DriftThresholds, tests: int) -> float:
    """The p-value below which one of a batch's ``tests`` tests is significant."""
    return limits.false_alarm_rate / max(tests, 1)


def levels(limits: DriftThresholds, features: int, model: int) -> tuple[float, float]:
    """The p-values below which a test of a feature, and one of the model's outputs (its
    predictions, its realized metrics: what users feel first), is significant: half the
    false-alarm rate shared between the features' tests, half between the model's
    (weighted Bonferroni), all of it to one side when the other has none."""
    if not features or not model:
        return level(limits, features + model), level(limits, features + model)
    return level(limits, features) / 2, level(limits, model) / 2


# the shift itself ---------------------------------------------------------------------


def shares_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    expected, actual = np.maximum(expected, FLOOR), np.maximum(actual, FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def continuous_bins(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values that hold MASS of the reference or more, the deciles of the rest)."""
    values, counts = np.unique(reference, return_counts=True)
    masses = values[counts >= MASS * reference.size]
    rest = reference[~np.isin(reference, masses)] if masses.size else reference
    if not rest.size:
        return masses, np.array([])
    edges = np.unique(np.quantile(rest, np.linspace(0, 1, BINS + 1)[1:-1]))
    return masses, edges


def continuous_counts(values: np.ndarray, masses: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """How many ``values`` fall in each bin: one per mass, then the intervals between
    the edges."""
    at_mass = np.searchsorted(masses, values)
    if masses.size:
        is_mass = masses[np.minimum(at_mass, masses.size - 1)] == values
    else:
        is_mass = np.zeros(values.size, dtype=bool)
    rest = np.searchsorted(edges, values[~is_mass], side="right")
    return np.concatenate(
        [
            np.bincount(at_mass[is_mass], minlength=masses.size),
            np.bincount(rest, minlength=edges.size + 1),
        ]
    )


def psi(reference: np.ndarray, batch: np.ndarray) -> float:
    """Population stability index of ``batch`` against ``reference`` (numbers, no missing
    values): over the reference's deciles, a value holding MASS of it in a bin of its own."""
    masses, edges = continuous_bins(reference)
    expected = continuous_counts(reference, masses, edges)
    actual = continuous_counts(batch, masses, edges)
    return shares_psi(expected / reference.size, actual / batch.size)


def value_bins(chooser: pd.Series, rows: int) -> tuple[dict, int]:
    """Bins of values chosen from ``chooser``'s counts: its values from the most common
    down, each bin closed once it expects EXPECTED of ``rows`` batch rows (a common value
    is a bin of its own); (value -> bin, the last bin, where the rest and values
    ``chooser`` never had go)."""
    expected = chooser.value_counts(normalize=True) * rows
    bins, filled = np.zeros(len(expected), dtype=np.int64), 0.0
    for position, count in enumerate(expected.to_numpy()):
        bins[position] = bins[position - 1] + (position > 0 and filled >= EXPECTED)
        filled = count if position > 0 and filled >= EXPECTED else filled + count
    if len(bins) > 1 and filled < EXPECTED:  # the last bin expects too few: merge it
        bins[bins == bins[-1]] = max(bins[-1] - 1, 0)
    last = int(bins[-1]) if len(bins) else 0
    return dict(zip(expected.index, bins, strict=True)), last


def value_counts(
    reference: pd.Series, batch: pd.Series, rows: int, chooser: pd.Series | None = None
) -> np.ndarray:
    """The counts of either side per bin of values (2 x bins), the bins chosen from
    ``chooser``'s counts (the reference's by default; value_bins), empty bins left out."""
    of, last = value_bins(reference if chooser is None else chooser, rows)
    counts = [
        np.bincount(side.map(of).fillna(last).to_numpy(dtype=np.int64), minlength=last + 1)
        for side in (reference, batch)
    ]
    table = np.vstack(counts)
    return table[:, table.sum(axis=0) > 0]


def halves(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A seeded random half of ``values`` and the other half."""
    chosen = np.random.default_rng(SEED).permutation(len(values)) < len(values) // 2
    return values[chosen], values[~chosen]


def split_counts(reference: pd.Series, batch: pd.Series) -> tuple[np.ndarray, float]:
    """The counts per bin of values of a many-valued column (2 x bins): the bins chosen
    from a random half of the reference, the other half and the batch counted in them;
    and the share of the batch whose values the choosing half never had.

    Bins chosen from the very counts they test are not fixed: the values that happen
    to be common in the reference get bins of their own and the reference's share of
    them is too high, and values the reference never had all land in its last bin, whose
    share is only the reference's rare values. On a long tail (job titles, names) a
    clean batch then always looks drifted. Chosen from one half and tested on the
    other, the bins are fixed before the test looks, and the last bin's share in the
    other half is what the reference itself predicts for values new to it (values
    unseen in the choosing half, as a fresh batch's are)."""
    chooser, counted = halves(reference)
    counts = value_counts(counted, batch, len(batch), chooser)
    return counts, float((~batch.isin(set(chooser.unique()))).mean())


# the tests ----------------------------------------------------------------------------


def sample(values: np.ndarray, rows: int, rng: np.random.Generator) -> np.ndarray:
    return values if values.size <= rows else rng.choice(values, size=rows, replace=False)


def chi_square(counts: np.ndarray) -> tuple[float | None, float | None]:
    """Pearson's chi-square test that two samples' counts (2 x values) come from one
    distribution: (the statistic, its p-value); (None, None) with one value only."""
    if counts.shape[1] < 2:
        return None, None
    result = stats.chi2_contingency(counts, correction=False)
    return float(result.statistic), float(result.pvalue)


def missing_rise(reference: pd.Series, batch: pd.Series) -> float:
    """Fisher's exact one-sided p-value that the batch's share of missing values is
    higher than the reference's."""
    old, new = int(reference.isna().sum()), int(batch.isna().sum())
    if not new:
        return 1.0
    rows = len(reference) + len(batch)
    return float(stats.hypergeom.sf(new - 1, rows, old + new, len(batch)))


def effective(rows: int, other: int) -> float:
    return rows * other / (rows + other)


def ks_detectable(rows: float, alpha: float, limits: DriftThresholds) -> str:
    """The shift of a normal distribution's mean, in SDs, that drifts with POWER on
    ``rows`` effective rows: its KS test significant at ``alpha`` and its PSI over the
    deciles at least ``psi``."""
    critical = math.sqrt(-math.log(alpha / 2) / 2)
    distance = (critical + stats.norm.ppf(POWER) * 0.5) / math.sqrt(rows)
    if distance >= 1:
        return "none: too few rows"
    tested = 2 * stats.norm.ppf((1 + distance) / 2)
    material = psi_shift(psi_needed(fewer(rows), BINS, 0.0, limits.psi))
    return f"a mean shift of {rounded_up(max(tested, material))} SD"


def fewer(rows: float) -> float:
    """``rows`` rounded down to three significant digits (fewer rows detect less, so the
    stated shift stays on the safe side; and the columns of a batch share the work)."""
    unit = 10 ** max(math.floor(math.log10(max(rows, 1))) - 2, 0)
    return max(rows // unit * unit, 1.0)


@functools.cache
def psi_needed(rows: float, values: int, critical: float, psi: float) -> float:
    """The true PSI over ``values`` bins at which a batch drifts with POWER: its
    measured PSI (about Pearson's statistic over ``rows``, a noncentral chi-square) at
    least ``psi`` and that statistic at least ``critical``."""
    freedom, bound = values - 1, max(critical, rows * psi)
    if stats.chi2.sf(bound, freedom) >= POWER:
        return 0.0
    noncentral = optimize.brentq(
        lambda shift: stats.ncx2.sf(bound, freedom, shift) - POWER, 1e-9, 1e9
    )
    return noncentral / rows


@functools.cache
def psi_shift(threshold: float) -> float:
    """The shift of a normal distribution's mean, in SDs, whose PSI over its deciles is
    ``threshold``."""
    if threshold <= 0:
        return 0.0
    edges = stats.norm.ppf(np.linspace(0, 1, BINS + 1)[1:-1])

    def binned(shift: float) -> float:
        cuts = np.concatenate([[0.0], stats.norm.cdf(edges - shift), [1.0]])
        return shares_psi(np.full(BINS, 1 / BINS), np.diff(cuts))

    return float(optimize.brentq(lambda shift: binned(shift) - threshold, 0.0, 10.0))


def chi_detectable(rows: float, values: int, alpha: float, limits: DriftThresholds) -> str:
    """The PSI over ``values`` values that drifts with POWER on ``rows`` effective rows
    (the chi-square statistic is about ``rows`` x the PSI)."""
    if values < 2:
        return "none: one value"
    critical = float(stats.chi2.isf(alpha, values - 1))
    return f"a PSI of {rounded_up(psi_needed(fewer(rows), values, critical, limits.psi))}"


def rounded_up(value: float) -> str:
    """Two decimals, rounded up: a stated detectable shift is never smaller than it is."""
    return f"{math.ceil(value * 100 - 1e-9) / 100:.2f}"


def compare(
    name: str,
    reference: pd.Series,
    batch: pd.Series,
    limits: DriftThresholds,
    kind: str = "numeric",
    alpha: float = 0.01,
    trend: str = "",
) -> Column:
    """One column of the batch against the reference, each test at ``alpha``, with why it
    drifted; with ``trend`` (why its values move by design: trending), by its share of
    missing values only."""
    column = Column(name, missing_reference=float(reference.isna().mean()))
    column.missing_batch = float(batch.isna().mean())
    column.missing_p_value = missing_rise(reference, batch)
    rise = column.missing_batch - column.missing_reference
    if column.missing_p_value < alpha and rise > limits.missing_increase:
        column.reasons.append(
            f"missing {percent(column.missing_reference)} → {percent(column.missing_batch)}"
        )
    old, new = reference.dropna(), batch.dropna()
    if trend:
        column.compared = f"not compared: {trend}"
        return column
    if old.empty or new.empty:
        return column
    if kind == "datetime":
        return dated(column, old, new, limits, alpha)
    if kind in ("boolean", "categorical"):
        old, new = as_values(old, kind), as_values(new, kind)
        if kind == "categorical" and free_text(old):
            return text(column, old, new, limits, alpha)
        return values(column, old, new, limits, alpha)
    return numbers(column, as_numbers(old), as_numbers(new), limits, alpha)


def numbers(
    column: Column, old: np.ndarray, new: np.ndarray, limits: DriftThresholds, alpha: float
) -> Column:
    """Numbers with many distinct values by KS, with few by their values."""
    if len(pd.unique(old)) > FEW_VALUES:
        return continuous(column, old, new, limits, alpha)
    return values(column, pd.Series(old), pd.Series(new), limits, alpha)


def values(
    column: Column, old: pd.Series, new: pd.Series, limits: DriftThresholds, alpha: float
) -> Column:
    """Chi-square over bins of values: with more than FEW_VALUES values, bins chosen from
    one half of the reference and the other half tested (split_counts)."""
    if old.nunique() > FEW_VALUES:
        counts, column.unseen = split_counts(old, new)
        rows = len(old) - len(old) // 2
    else:
        counts, rows = value_counts(old, new, len(new)), len(old)
    column.test = "χ²"
    column.psi = shares_psi(counts[0] / counts[0].sum(), counts[1] / counts[1].sum())
    column.statistic, column.p_value = chi_square(counts)
    column.detectable = chi_detectable(effective(rows, len(new)), counts.shape[1], alpha, limits)
    return judged(column, limits, alpha)


def continuous(
    column: Column, old: np.ndarray, new: np.ndarray, limits: DriftThresholds, alpha: float
) -> Column:
    rng = np.random.default_rng(SEED)
    left, right = sample(old, limits.sample_rows, rng), sample(new, limits.sample_rows, rng)
    test = stats.ks_2samp(left, right)
    column.test = "KS"
    column.psi = psi(old, new)
    column.statistic, column.p_value = float(test.statistic), float(test.pvalue)
    column.detectable = ks_detectable(effective(len(left), len(right)), alpha, limits)
    return judged(column, limits, alpha)


def judged(column: Column, limits: DriftThresholds, alpha: float) -> Column:
    """A shift drifts when its test is significant and its PSI material."""
    significant = column.p_value is not None and column.p_value < alpha
    if significant and column.psi >= limits.psi:
        what = f" ({column.compared})" if column.compared else ""
        column.reasons.append(f"PSI {column.psi:.3f}, {column.test}{what} p {column.p_value:.1e}")
    return column


# text and dates -----------------------------------------------------------------------


def lengths(values: pd.Series) -> np.ndarray:
    return values.str.len().to_numpy(dtype="float64")


def new_words(values: pd.Series, known: set[str]) -> np.ndarray:
    """Per value with words, the share of its words (WORD, lower-cased) not in ``known``."""
    words = values.str.lower().str.findall(WORD).explode().dropna()
    return (~words.isin(known)).groupby(level=0).mean().to_numpy(dtype="float64")


def text(
    column: Column, old: pd.Series, new: pd.Series, limits: DriftThresholds, alpha: float
) -> Column:
    """Free text by what can drift in it, two tests at half the column's ``alpha`` each:
    its length, and its vocabulary: per value, the share of its words new to a random
    half of the reference, the other half's shares (what the reference itself predicts
    for words it has not seen, as a fresh batch's are) against the batch's. Text in
    another language or on another topic is mostly new words; a clean batch's share is
    the reference's own. The column shows the figures of the test with the smaller
    p-value, that p-value doubled (Bonferroni)."""
    chooser, counted = halves(old.reset_index(drop=True))
    known = set(chooser.str.lower().str.findall(WORD).explode().dropna())
    tried = []
    for what, left, right in (
        ("length", lengths(old), lengths(new)),
        ("new words", new_words(counted, known), new_words(new.reset_index(drop=True), known)),
    ):
        part = Column(column.name, compared=what)
        if left.size and right.size:
            numbers(part, left, right, limits, alpha / 2)
        tried.append(part)
        if what == "new words" and right.size:
            column.unseen = float(right.mean())
            column.unseen_reference = float(left.mean()) if left.size else None
    shown = min(tried, key=lambda part: 1.0 if part.p_value is None else part.p_value)
    column.test, column.psi, column.statistic = shown.test, shown.psi, shown.statistic
    column.p_value = None if shown.p_value is None else min(1.0, 2 * shown.p_value)
    column.detectable = shown.detectable
    column.compared = "length and new words"
    column.reasons += [reason for part in tried for reason in part.reasons]
    if column.unseen is not None and any(p.compared == "new words" and p.drift for p in tried):
        column.reasons.append(
            f"words new to the reference: {percent(column.unseen)} of a value's (the "
            f"reference's own: {percent(column.unseen_reference or 0.0)})"
        )
    return column


def spacing(values: pd.Series) -> pd.Timedelta:
    """The median gap between a column's distinct values (NaT with fewer than two)."""
    distinct = np.sort(values.unique())
    if distinct.size < 2:
        return pd.NaT
    return pd.Timedelta(np.median(np.diff(distinct)))


def whole(dates: pd.Series, period: pd.Timedelta) -> pd.Series:
    """The dates within whole ``period``s from the first (each weekday, or each hour of
    the day, equally often in the time they span)."""
    start = dates.min()
    return dates[dates < start + ((dates.max() - start) // period) * period]


def weekday(dates: pd.Series) -> pd.Series:
    """0 (Monday) to 6: labels are only counted, and numbers count fastest."""
    return dates.dt.dayofweek


def hour(dates: pd.Series) -> pd.Series:
    return dates.dt.hour


def weekday_hour(dates: pd.Series) -> pd.Series:
    return dates.dt.dayofweek * 24 + dates.dt.hour


def dated(
    column: Column, old: pd.Series, new: pd.Series, limits: DriftThresholds, alpha: float
) -> Column:
    """Dates by what can drift in them, not by their position (a batch comes after the
    training data by design): their weekday, over the whole weeks each side spans, when
    the reference is daily or finer; their hour of the day, over whole days, when it has
    times of the day hourly or finer; both when both apply. Neither when the batch spans
    less than one of those periods, or the dates are sparser (monthly, yearly)."""
    old, new = parse_dates(old).dropna(), parse_dates(new).dropna()
    if old.empty or new.empty:
        return column
    daily = spacing(old.dt.normalize()) <= DAY
    hourly = bool((old != old.dt.normalize()).any()) and spacing(old.dt.floor("h")) <= HOUR
    spans = min(new.max() - new.min(), old.max() - old.min())
    if daily and spans >= WEEK:
        column.compared = "weekday and hour" if hourly else "weekday"
        label, period = (weekday_hour if hourly else weekday), WEEK
    elif hourly and spans >= DAY:
        column.compared, label, period = "hour", hour, DAY
    else:
        sparse = "dates sparser than daily" if not daily else ""
        column.compared = "not compared: " + (
            sparse or f"less than {'a day' if hourly else 'a week'} of dates"
        )
        return column
    return values(column, label(whole(old, period)), label(whole(new, period)), limits, alpha)


# rows that are not independent draws -------------------------------------------------


def trending(reference: pd.DataFrame, features: dict[str, str], times: list[str]) -> dict:
    """The numeric features that trend with time in the reference (an ID counter, a
    cumulative count): their Spearman rank correlation with one of the date columns
    ``times``, in absolute value, at least TREND. Their position in a later batch moves
    by design, so a test of their values would call every batch drifted: name -> why
    they are not compared by their values.
    (Their differences are no remedy: a batch's gaps depend on how densely it samples.)"""
    found = {}
    for time in (name for name in times if name in reference):
        order = parse_dates(reference[time]).rank()
        if order.notna().sum() < 3:
            continue
        for name, kind in features.items():
            if kind != "numeric" or name in found or name == time or name not in reference:
                continue
            rho = order.corr(pd.to_numeric(reference[name], errors="coerce").rank())
            if abs(rho) >= TREND:
                found[name] = (
                    f"trends with {code(time)} (rank correlation {rho:.2f} in the reference)"
                )
    return found


def one_per_group(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    """A seeded random row of each ``group`` value: the rows of one user (a group split's
    column) are not independent draws, and the tests take them to be."""
    shuffled = frame.iloc[np.random.default_rng(SEED).permutation(len(frame))]
    return shuffled[~shuffled[group].duplicated()]


def as_numbers(values: pd.Series) -> np.ndarray:
    """Numbers as floats."""
    return pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64")


def as_values(values: pd.Series, kind: str) -> pd.Series:
    """Booleans as True/False however they are written; categories as text."""
    if kind == "boolean":
        found = as_booleans(values)
        return found if found is not None else values.astype(bool)
    return values.astype(str)


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
