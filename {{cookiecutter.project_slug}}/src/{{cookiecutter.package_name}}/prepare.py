"""Stage 1: load the source, validate it, split it into train and test tables."""

import pandas as pd
from sklearn.model_selection import train_test_split

from . import PROBLEM_TYPE, paths
from .config import load_params
from .data import load_source, validate
from .outputs import write_parquet


def prepare(
    frame: pd.DataFrame, test_size: float, seed: int, stratify_by: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` reproducibly; each row keeps its source position as the index ``row``.

    ``stratify_by`` names a column whose proportions both splits keep (the class labels).
    """
    frame = frame.rename_axis("row")
    stratify = frame[stratify_by] if stratify_by else None
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=stratify
    )
    return train, test


def main() -> None:
    params = load_params()
    frame, source = load_source(params.prepare, params.base.seed)
    validate(frame, params.prepare.target, params.prepare.test_size, source)
    stratify_by = params.prepare.target if PROBLEM_TYPE == "classification" else None
    train, test = prepare(frame, params.prepare.test_size, params.base.seed, stratify_by)
    del frame
    write_parquet(train, paths.TRAIN)
    write_parquet(test, paths.TEST)
    print(f"prepare: {len(train)} training rows, {len(test)} test rows from {source}")
