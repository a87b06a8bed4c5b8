"""Which rows train the model and which test it, so that a row never moves.

Each row has a key: a hash of its ID columns (params.yaml's ``prepare.ids``) or, without
IDs, of its content. The default split, ``hash``, puts a row in the test set when its
key's hash falls below ``test_size``: a new seed, a new estimator, new rows or a larger
test size never move an existing test row into training. ``time`` tests on the newest
rows (by a date column), ``group`` keeps the rows that share a value of a column on one
side, ``random`` is a seeded shuffle (stratified by class for classification).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types

from ..errors import ProjectError
from .features import parse_dates

MULTIPLIER = np.uint64(0x100000001B3)  # FNV's prime: mixes one column's hash into the next
SCALE = 2.0**64


def column_hash(values: pd.Series) -> np.ndarray:
    """A stable 64-bit hash of each value, the same for 1 and 1.0, and for text however
    pandas stored it (the hash is seeded by pandas' fixed key)."""
    if types.is_bool_dtype(values) or types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
        return pd.util.hash_array(np.where(np.isnan(numbers), np.inf, numbers))
    if types.is_datetime64_any_dtype(values):
        return pd.util.hash_array(values.to_numpy("datetime64[ns]").view("int64"))
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.categories.dtype == object:
        # Text held as categories: each category hashed once, then taken by its codes
        # (the hash of a value does not depend on the others).
        names = pd.Series(values.cat.categories).astype("string").to_numpy(dtype=object)
        hashes = pd.util.hash_array(np.append(names, "\0missing"), categorize=False)
        return hashes[values.cat.codes.to_numpy()]  # code -1 (missing): the last
    text = values.astype("string").fillna("\0missing").to_numpy(dtype=object)
    return pd.util.hash_array(text, categorize=True)


def row_hash(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One 64-bit hash per row of ``columns`` (in that order)."""
    combined = np.zeros(len(frame), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for name in columns:
            combined = combined * MULTIPLIER ^ column_hash(frame[name])
    return pd.util.hash_array(combined)


def row_keys(frame: pd.DataFrame, ids: list[str], source: str) -> tuple[np.ndarray, np.ndarray]:
    """(each row's key, the hash its side of the split is decided by). Keys are unique: with
    IDs, duplicate IDs are an error; without, identical rows get keys of their own but one
    side of the split (the same content lands on one side only)."""
    columns = ids or [str(name) for name in frame.columns]
    hashes = row_hash(frame, columns)
    keys = hashes.copy()
    duplicated = pd.Series(hashes).duplicated().to_numpy()
    if duplicated.any():
        if ids:
            first = frame.loc[duplicated, ids].iloc[0]
            count = int(pd.Series(hashes).duplicated(keep=False).sum())
            shown = ", ".join(f"{name}={plain(value)!r}" for name, value in first.items())
            raise ProjectError(
                f"{source}: {count} rows share their ID (params.yaml: prepare.ids), "
                f"e.g. {shown}; an ID names one row"
            )
        occurrence = pd.Series(hashes).groupby(hashes).cumcount().to_numpy(dtype=np.uint64)
        with np.errstate(over="ignore"):
            keys[duplicated] = pd.util.hash_array(
                hashes[duplicated] ^ (occurrence[duplicated] * MULTIPLIER)
            )
    return keys, hashes


def split(
    frame: pd.DataFrame,
    hashes: np.ndarray,
    method: str,
    column: str | None,
    test_size: float,
    seed: int,
    stratify_by: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(train positions, test positions), each sorted."""
    rows = np.arange(len(frame))
    if method == "hash":
        test = hashes / SCALE < test_size
    elif method == "group":
        test = row_hash(frame, [column]) / SCALE < test_size
    elif method == "time":
        dates = parse_dates(frame[column])
        if dates.isna().any():
            raise ProjectError(
                f"split.column {column!r}: {int(dates.isna().sum())} row(s) have no date "
                "(params.yaml: prepare.split); the time split needs one on every row"
            )
        order = np.lexsort((hashes, dates.to_numpy("datetime64[ns]").view("int64")))
        test = np.zeros(len(frame), dtype=bool)
        test[order[len(frame) - int(np.ceil(len(frame) * test_size)) :]] = True
    else:
        from sklearn.model_selection import train_test_split

        stratify = frame[stratify_by].to_numpy() if stratify_by else None
        _, chosen = train_test_split(
            rows, test_size=test_size, random_state=seed, stratify=stratify
        )
        test = np.isin(rows, chosen)
    return rows[~test], rows[test]


def plain(value: object) -> object:
    """A NumPy scalar as the Python value it holds (for messages)."""
    return value.item() if hasattr(value, "item") else value
