"""The columns of a table as the pipeline sees them, and the encoding that turns them into
what an estimator computes with. Your own feature engineering goes here.

Every column but the target has a role: an ID (never a feature; the row's key, carried
to predictions), dropped, or a feature of a kind: numeric, boolean, categorical (text
and categories) or datetime. Roles and kinds come from params.yaml's ``prepare`` section
where it names them, and are inferred for the rest. ``encoder`` builds the scikit-learn
transformer that goes inside the model, so that the saved model takes the raw table:
categories are encoded (natively where the estimator has support for them), dates become
numbers, values unseen in training are handled, not a crash.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

KINDS = ("numeric", "boolean", "categorical", "datetime")
FLOATS = ("float32", "float64")  # numeric columns held as they are (no copy, no widening)
TRUE, FALSE = {"true", "yes", "y", "t"}, {"false", "no", "n", "f"}
SAMPLE = 2_000  # values looked at to infer a text column's kind
MAX_CATEGORIES = 250  # distinct values an encoder keeps per column; rarer ones are grouped
DATE_PARTS = ("year", "month", "day", "weekday", "days")
# The largest number a model computes with: scikit-learn's trees read their input as
# float32, so a number beyond means nothing to them (scoring would fail on it).
LARGEST = float(np.finfo(np.float32).max)
SHOWN = 40  # characters of a value quoted in a message
# Free text (or names, or codes): a category with more than TEXT_VALUES distinct values,
# at least TEXT of its values distinct. Its values say little as categories (drift
# compares its lengths and its words new to the training data; prepare warns that the
# model does not use its words).
TEXT, TEXT_VALUES = 0.5, 20


@dataclass(frozen=True)
class Schema:
    """What the columns of a table are: the features by kind, the IDs, what is dropped."""

    target: str
    features: dict[str, str]  # column -> kind, in the table's order
    ids: tuple[str, ...]
    dropped: tuple[str, ...]
    inferred: frozenset[str]  # the features whose kind was inferred, not declared

    def of(self, kind: str) -> list[str]:
        return [name for name, found in self.features.items() if found == kind]


# kinds ---------------------------------------------------------------------------------


def as_booleans(values: pd.Series) -> pd.Series | None:
    """``values`` as True/False/missing when every value is one (True, "yes", "false", 0/1
    are not: numbers stay numbers); else None."""
    if types.is_bool_dtype(values):
        return values
    if types.is_numeric_dtype(values) or types.is_datetime64_any_dtype(values):
        return None
    present = values.dropna()
    if present.empty:
        return None
    try:  # each distinct value looked at once, not once a row
        distinct = pd.unique(present)
    except TypeError:  # unhashable values (lists): each row's
        distinct = present
    if not all(str(value).strip().lower() in TRUE | FALSE for value in distinct):
        return None
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    mapped = values.map(lambda value: None if pd.isna(value) else str(value).strip().lower())
    return mapped.map({**dict.fromkeys(TRUE, True), **dict.fromkeys(FALSE, False)})


def parse_dates(values: pd.Series) -> pd.Series:
    """Text or dates as datetimes (NaT where a value is not one)."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # each distinct value parsed once
        parsed = parse_dates(pd.Series(values.cat.categories.astype(str)))
        codes = values.cat.codes.to_numpy()
        dates = parsed.to_numpy()[np.where(codes < 0, 0, codes)] if len(parsed) else codes
        return pd.Series(dates, index=values.index).where(codes >= 0)
    if types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if getattr(values.dt, "tz", None) else values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format": tried value by value
        parsed = pd.to_datetime(values, errors="coerce")
        if parsed.notna().sum() < values.notna().sum():
            parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed


def looks_like_dates(values: pd.Series) -> bool:
    """Whether a text column holds dates: almost every value (of a sample) parses as one
    and has the digits and separators of a date."""
    present = values.dropna()
    if present.empty:
        return False
    sample = present.sample(min(len(present), SAMPLE), random_state=0).astype(str)
    shaped = sample.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", regex=True)
    if shaped.mean() < 0.95:
        return False
    return parse_dates(sample).notna().mean() >= 0.95


def infer_kind(values: pd.Series) -> str:
    """numeric, boolean, categorical or datetime, from the values."""
    if as_booleans(values) is not None:
        return "boolean"
    if types.is_numeric_dtype(values):
        return "numeric"
    if types.is_datetime64_any_dtype(values) or looks_like_dates(values):
        return "datetime"
    return "categorical"


def schema_of(
    frame: pd.DataFrame,
    target: str,
    ids: list[str],
    drop: list[str],
    kinds: dict[str, str],
) -> Schema:
    """The table's schema: declared roles and kinds first, the rest inferred."""
    features, inferred = {}, set()
    for column in frame.columns:
        name = str(column)
        if name == target or name in ids or name in drop:
            continue
        if name in kinds:
            features[name] = kinds[name]
        else:
            features[name] = infer_kind(frame[column])
            inferred.add(name)
    return Schema(target, features, tuple(ids), tuple(drop), frozenset(inferred))


def typed(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The feature columns as their kinds hold them: numbers as floats (float32 stays
    float32), booleans as True/False/missing (pandas' nullable boolean), categories as
    text, dates as datetimes. The same function serves training, evaluation and scoring,
    so a column is read one way everywhere. A column already held so is not copied."""
    columns = {}
    for name, kind in schema.features.items():
        values = frame[name]
        if kind == "numeric":
            held = isinstance(values.dtype, np.dtype) and values.dtype.name in FLOATS
            columns[name] = (
                values if held else pd.to_numeric(values, errors="coerce").astype("float64")
            )
        elif kind == "boolean":
            booleans = as_booleans(values)
            if booleans is None:  # declared boolean, but some values are not
                booleans = values.map(lambda v: None if pd.isna(v) else bool(v))
            columns[name] = booleans.astype("boolean")
        elif kind == "datetime":
            columns[name] = parse_dates(values)
        else:
            columns[name] = as_categories(values)
    # Not consolidated into one block: that would copy the whole table.
    return pd.DataFrame(columns, index=frame.index, copy=False)


def as_categories(values: pd.Series) -> pd.Series:
    """Values as a categorical column of text (missing stays missing): each distinct value
    is turned into text once, whatever the column's length."""
    codes = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    names = [str(category) for category in codes.cat.categories]
    if len(set(names)) < len(names):  # e.g. 1 and "1": merged as text
        return values.astype(str).where(values.notna()).astype("category")
    return codes.cat.rename_categories(names)


# the encoding inside the model ---------------------------------------------------------


class DateParts(BaseEstimator, TransformerMixin):
    """Each date column as numbers: its year, month, day, weekday and days since 1970
    (missing stays missing)."""

    def fit(self, frame, y=None):  # noqa: ARG002 (scikit-learn's signature)
        self.columns_ = list(frame.columns)
        return self

    def transform(self, frame):
        parts = []
        for name in self.columns_:
            dates = parse_dates(frame[name])
            days = (dates - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86_400
            parts += [dates.dt.year, dates.dt.month, dates.dt.day, dates.dt.weekday, days]
        return np.column_stack([np.asarray(part, dtype="float64") for part in parts])

    def get_feature_names_out(self, input_features=None):  # noqa: ARG002
        return np.array([f"{name}_{part}" for name in self.columns_ for part in DATE_PARTS])


class Booleans(BaseEstimator, TransformerMixin):
    """Boolean columns as 0/1, missing as NaN."""

    def fit(self, frame, y=None):  # noqa: ARG002 (scikit-learn's signature)
        self.columns_ = list(frame.columns)
        return self

    def transform(self, frame):
        return np.column_stack(
            [
                frame[name].astype("Float64").to_numpy("float64", na_value=np.nan)
                for name in self.columns_
            ]
        )

    def get_feature_names_out(self, input_features=None):  # noqa: ARG002
        return np.array(self.columns_)


class Numbers(BaseEstimator, TransformerMixin):
    """Numeric columns as one array, as a ColumnTransformer passing them through gives
    it (the same values, dtype and column-major layout), copied once where that copies
    the table three times."""

    def fit(self, frame, y=None):  # noqa: ARG002 (scikit-learn's signature)
        self.columns_ = list(frame.columns)
        return self

    def transform(self, frame):
        columns = [frame[name].to_numpy() for name in self.columns_]
        numbers = np.empty((len(frame), len(columns)), np.result_type(*columns), order="F")
        for position, values in enumerate(columns):
            numbers[:, position] = values
        return numbers

    def get_feature_names_out(self, input_features=None):  # noqa: ARG002
        return np.array(self.columns_)


def encoder(schema: Schema, style: str) -> tuple[ColumnTransformer | Numbers, list[int]]:
    """The transformer from raw (typed) columns to numbers, and the positions of its
    categorical outputs. ``style``: "native" (trees that take categories as ordinal codes
    and missing values as they are: gradient boosting, random forests) or "linear"
    (imputed, scaled, one-hot; any other estimator)."""
    numeric, booleans = schema.of("numeric"), schema.of("boolean")
    categorical, dates = schema.of("categorical"), schema.of("datetime")
    if style == "native" and numeric == list(schema.features):
        return Numbers(), []  # numbers only: no columns to combine
    parts = []
    if style == "native":
        parts += [("numeric", "passthrough", numeric)] if numeric else []
        parts += [("boolean", Booleans(), booleans)] if booleans else []
        parts += [("datetime", DateParts(), dates)] if dates else []
        if categorical:
            codes = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=np.nan,
                encoded_missing_value=np.nan,
                max_categories=MAX_CATEGORIES,
            )
            parts.append(("categorical", codes, categorical))
        first = len(numeric) + len(booleans) + len(dates) * len(DATE_PARTS)
        positions = list(range(first, first + len(categorical)))
    else:
        scaled = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        parts += [("numeric", scaled, numeric)] if numeric else []
        if booleans:
            parts.append(("boolean", make_pipeline(Booleans(), SimpleImputer()), booleans))
        if dates:
            parts.append(
                ("datetime", make_pipeline(DateParts(), SimpleImputer(), StandardScaler()), dates)
            )
        if categorical:
            onehot = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=MAX_CATEGORIES,
                sparse_output=False,
            )
            parts.append(("categorical", make_pipeline(_Fill(), onehot), categorical))
        positions = []
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False), positions


class _Fill(BaseEstimator, TransformerMixin):
    """Missing categories as a category of their own (one-hot encoders need text)."""

    def fit(self, frame, y=None):  # noqa: ARG002 (scikit-learn's signature)
        return self

    def transform(self, frame):
        return frame.astype("object").where(frame.notna(), "(missing)")


# what a person reads -------------------------------------------------------------------


def describe(frame: pd.DataFrame, schema: Schema) -> list[list[str]]:
    """One row per column: its name, role or kind, whether it was inferred, how many values
    are missing, how many are distinct, an example."""
    rows = []
    roles = {schema.target: "target"} | dict.fromkeys(schema.ids, "ID")
    roles |= dict.fromkeys(schema.dropped, "dropped")
    for column in frame.columns:
        name = str(column)
        values = frame[column]
        role = roles.get(name) or schema.features[name]
        how = "inferred" if name in schema.inferred else "declared"
        present = values.notna().to_numpy()
        example = values.iloc[int(present.argmax())] if present.any() else ""
        rows.append(
            [
                name,
                role,
                how if name in schema.features else "",
                f"{int(values.isna().sum()):,}",
                f"{distinct(values):,}",
                str(example)[:30],
            ]
        )
    return rows


def distinct(values: pd.Series) -> int:
    """How many distinct values a column holds, missing left out; numbers counted by
    sorting them, several times faster than hashing them (as pandas' nunique does)."""
    if not (isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiu"):
        return values.nunique(dropna=True)
    numbers = values.to_numpy()
    if values.dtype.kind == "f":
        numbers = numbers[~np.isnan(numbers)]
    return int(np.unique(numbers).size)


def free_text(values: pd.Series) -> bool:
    """Whether a category's values (missing left out) are free text: more than
    TEXT_VALUES distinct and at least TEXT of them distinct, so that most values are
    rare and a fresh batch holds mostly values never seen in training."""
    distinct = values.nunique()
    return distinct > TEXT_VALUES and distinct >= TEXT * len(values)


def notes(frame: pd.DataFrame, schema: Schema) -> list[dict[str, str]]:
    """What a person should know about the features in the training rows ``frame``, as
    {"column", "note"}: a column with a single value or none (it teaches the model
    nothing), a column that is free text (encoded as a category, its words unused).
    Warnings only: unlike a leak, a note does not fail the gate."""
    found = []
    for name, kind in schema.features.items():
        column = frame[name]
        missing = column.isna()
        # A single value or none, compared, not counted (counting hashes every value).
        if missing.all() or (not missing.any() and bool((column == column.iloc[0]).all())):
            held = (
                "no values (all missing)"
                if missing.all()
                else f"a single value ({str(column.iloc[0])[:SHOWN]!r})"
            )
            found.append(
                {
                    "column": name,
                    "note": (
                        f"column {name!r} has {held} in the {len(frame):,} training rows: "
                        "it teaches the model nothing; drop it (params.yaml: prepare.drop)"
                    ),
                }
            )
        elif (
            kind == "categorical"
            and free_text(text := as_categories(column).dropna())  # each value as text once
            and column.nunique() < len(frame)  # one value a row: named as a likely ID (leaks)
        ):
            found.append(
                {
                    "column": name,
                    "note": (
                        f"column {name!r} looks like free text ({text.nunique():,} "
                        f"distinct values in {len(text):,} training rows): it is encoded "
                        f"as a category, where only its {MAX_CATEGORIES - 1} most frequent "
                        "values keep their own code, so its words are not used; drop it "
                        "(params.yaml: prepare.drop) or make features of its words "
                        "(pipeline/features.py)"
                    ),
                }
            )
    return found


def seen(values: pd.Series) -> list[str]:
    """A column's distinct values as text, sorted, missing left out: those of a
    categorical column turned into text once each, not once a row."""
    values = values.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        used = values.cat.remove_unused_categories().dtype
        values = pd.Series(pd.Categorical.from_codes(range(len(used.categories)), dtype=used))
    return sorted(values.astype(str).unique().tolist())


def unseen(frame: pd.DataFrame, known: dict[str, list]) -> dict[str, int]:
    """column -> rows whose category was not seen in training (they are encoded as
    unknown: missing for trees, "infrequent" for one-hot encoders)."""
    counts = {}
    for name, categories in known.items():
        values = frame[name]
        found = int((values.notna() & ~values.astype("string").isin(categories)).sum())
        if found:
            counts[name] = found
    return counts


def problems(
    frame: pd.DataFrame, features: dict[str, str], rows: str | None = None
) -> list[tuple[str, str]]:
    """What in ``frame`` a model with these features cannot read: (column, what is wrong)
    for each column holding a value that is not of its kind (a category can be anything;
    a boolean can also be 0 or 1). With ``rows`` (e.g. "rows"), each message starts with
    the first such row's position, e.g. ``rows[3]: ``."""
    found = []
    for name, kind in features.items():
        values = frame[name]
        present = values.notna()
        if kind == "numeric":
            numbers = pd.to_numeric(values, errors="coerce")
            bad = present & ~(numbers.astype(float).abs() <= LARGEST)  # NaN, inf, too large
        elif kind == "boolean":
            if as_booleans(values) is not None:
                continue
            numbers = pd.to_numeric(values, errors="coerce")
            bad = present & ~numbers.isin([0, 1])
        elif kind == "datetime":
            bad = present & parse_dates(values).isna()
        else:
            continue
        if bad.any():
            expected = {"numeric": "numbers", "boolean": "true/false", "datetime": "dates"}
            first = values[bad].iloc[0]
            first = repr(first.item() if isinstance(first, np.generic) else first)
            first = first if len(first) <= SHOWN else first[:SHOWN] + "…"
            where = f"{rows}[{int(np.flatnonzero(bad.to_numpy())[0])}]: " if rows else ""
            found.append(
                (
                    name,
                    f"{where}column {name}: expected {expected[kind]}, found "
                    f"{first} ({int(bad.sum())} row(s))",
                )
            )
    return found
