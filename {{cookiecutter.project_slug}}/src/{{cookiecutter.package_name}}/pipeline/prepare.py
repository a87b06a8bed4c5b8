"""Stage 1: load the source, validate it, split it into train and test tables."""

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.model_selection import train_test_split

from .. import paths
from ..config import load_params
from ..outputs import write_json, write_table
from .data import ROW, load_source, validate


def prepare(
    frame: pd.DataFrame, test_size: float, seed: int, stratify_by: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split the rows of ``frame`` reproducibly: (train positions, test positions), sorted.

    ``stratify_by`` names a column whose proportions both splits keep (the class labels).
    """
    stratify = frame[stratify_by].to_numpy() if stratify_by else None
    train, test = train_test_split(
        np.arange(len(frame)), test_size=test_size, random_state=seed, stratify=stratify
    )
    return np.sort(train), np.sort(test)


def main() -> None:
    params = load_params()
    kind, settings = params.base.problem_type, params.prepare
    frame, source = load_source(settings, kind, params.base.seed)
    validate(frame, settings.target, settings.test_size, source, kind)
    stratify_by = settings.target if kind == "classification" else None
    train, test = prepare(frame, settings.test_size, params.base.seed, stratify_by)
    # Each row keeps its position in the source as the index `row`. The Arrow table
    # shares the frame's memory; each split is copied out of it in turn.
    frame.index = pd.RangeIndex(len(frame), name=ROW)
    profile = {
        "source": source,
        "target": settings.target,
        "rows": {"train": len(train), "test": len(test)},
        "columns": {str(name): str(dtype) for name, dtype in frame.dtypes.items()},
    }
    table = pa.Table.from_pandas(frame, preserve_index=True)
    del frame
    write_table(table.take(train), paths.TRAIN)
    write_table(table.take(test), paths.TEST)
    write_json(profile, paths.DATA_PROFILE)
    print(f"prepare: {len(train)} training rows, {len(test)} test rows from {source}")
