"""Stage 1: load the source, check it, learn its columns' roles and kinds, split it into
train and test tables that keep each row's key (split.py)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from .. import paths
from ..config import load_params
from ..markdown import table
from ..outputs import write_json, write_table
from .data import (
    check_sides,
    check_split,
    leaks,
    load_source,
    positive_class,
    validate,
    without_target,
)
from .features import describe, notes, schema_of
from .split import row_keys, split


def index_name(columns: list[str]) -> str:
    """The name of the prepared tables' index (each row's key): "row", unless a column of
    the table is called that."""
    name = "row"
    while name in columns:
        name += "_"
    return name


def main() -> None:
    params = load_params()
    kind, settings, seed = params.base.problem_type, params.prepare, params.base.seed
    frame, source = load_source(settings, kind, seed)
    validate(frame, settings, source, kind)
    frame, unlabelled = without_target(frame, settings.target)
    schema = schema_of(frame, settings.target, settings.ids, settings.drop, settings.kinds)
    keys, hashes = row_keys(frame, settings.ids, source)
    stratify_by = settings.target if kind == "classification" else None
    method, column = settings.split.method, settings.split.column
    train, test = split(frame, hashes, method, column, settings.test_size, seed, stratify_by)
    check_sides(frame, train, test, method, column)
    labels = frame[settings.target]
    positive = None
    if kind == "classification":
        check_split(labels, train, test, method, column)
        positive = positive_class(labels, settings.positive_class)
    training = frame.iloc[train]  # one copy of the training rows, for both
    found, noted = leaks(training, schema, kind), notes(training, schema)
    del training
    kept = [settings.target, *settings.ids, *schema.features]
    if column is not None and column not in kept:  # the report's intervals read it
        kept.append(column)
    rows = describe(frame, schema)
    frame = frame[kept]
    frame.index = pd.Index(keys, name=index_name(list(map(str, frame.columns))))
    profile = {
        "source": source,
        "target": settings.target,
        "rows": {"train": len(train), "test": len(test), "without target": unlabelled},
        "columns": {str(name): str(dtype) for name, dtype in frame.dtypes.items()},
        "features": schema.features,
        "ids": list(schema.ids),
        "dropped": list(schema.dropped),
        "split": {"method": method, "column": column, "test_size": settings.test_size},
        "positive_class": None if positive is None else str(positive),
        "leaks": found,
        "notes": noted,  # warnings only: the gate reads "leaks", not these
    }
    table_ = pa.Table.from_pandas(frame, preserve_index=True)
    del frame
    write_table(table_.take(train), paths.TRAIN)
    write_table(table_.take(test), paths.TEST)
    write_json(profile, paths.DATA_PROFILE)
    header = ["column", "role", "", "missing", "distinct", "example"]
    print("\n".join(table(header, rows, align="lllrrl")))
    if positive is not None:
        print(f"prepare: positive class {positive!r} (params.yaml: prepare.positive_class)")
    if unlabelled:
        print(f"prepare: {unlabelled} row(s) without a target left out")
    for note in noted:
        print(f"prepare: warning: {note['note']}")
    for leak in found:
        print(f"prepare: warning: {leak['warning']}")
    if found:
        print(
            "prepare: a likely leak fails the promotion gate until lifecycle.yaml's "
            "gate.acknowledged_leaks names its column with the reason it is sound"
        )
    print(
        f"prepare: {len(train)} training rows, {len(test)} test rows from {source} "
        f"({method} split)"
    )
