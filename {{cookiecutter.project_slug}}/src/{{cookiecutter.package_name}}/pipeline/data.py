"""Where the data comes from, and the checks it must pass before anything is trained."""

import math
from pathlib import Path

import pandas as pd
from pandas.api import types

from ..config import PrepareParams
from ..errors import ProjectError

MIN_ROWS_PER_SPLIT = 2
ROW = "row"  # the index of prepared tables: each row's position in the source
PARQUET, CSV = {".parquet", ".pq"}, {".csv", ".txt"}  # the file suffixes read as tables


def load_source(params: PrepareParams, problem_type: str, seed: int) -> tuple[pd.DataFrame, str]:
    """Return the raw table and a name for it that error messages can use."""
    if params.source == "sklearn":
        return bundled_dataset(problem_type), "the bundled scikit-learn dataset"
    if params.source == "synthetic":
        settings = params.synthetic
        return synthetic(problem_type, settings.rows, settings.features, seed), "synthetic data"
    return read_table(Path(params.path)), params.path


def bundled_dataset(problem_type: str) -> pd.DataFrame:
    """Breast cancer diagnosis (569 rows, 30 features; classification) or diabetes
    progression (442 rows, 10 features; regression), shipped with scikit-learn."""
    from sklearn.datasets import load_breast_cancer, load_diabetes

    load = load_breast_cancer if problem_type == "classification" else load_diabetes
    return load(as_frame=True).frame


def synthetic(problem_type: str, rows: int, features: int, seed: int) -> pd.DataFrame:
    """A seeded synthetic table of any size, for trying the pipeline at scale."""
    from sklearn.datasets import make_classification, make_regression

    shape = {"n_samples": rows, "n_features": features, "n_informative": max(2, features // 2)}
    if problem_type == "classification":
        x, y = make_classification(**shape, random_state=seed)
    else:
        x, y = make_regression(**shape, noise=10.0, random_state=seed)
    frame = pd.DataFrame(x, columns=[f"x{i:02d}" for i in range(features)], copy=False)
    frame["target"] = y
    return frame


def read_table(path: Path, setting: str = "params.yaml: prepare.path") -> pd.DataFrame:
    """Read a CSV or Parquet file; anything else is a clear error naming the file and the
    ``setting`` that names it."""
    if not path.is_file():
        raise ProjectError(f"{path}: file not found ({setting}; add it with 'dvc add {path}')")
    try:
        if path.suffix.lower() in PARQUET:
            return pd.read_parquet(path)
        if path.suffix.lower() in CSV:
            return pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise ProjectError(f"{path}: cannot be read as a table: {error}") from None
    raise ProjectError(f"{path}: expected a .csv or .parquet file ({setting})")


def validate(
    frame: pd.DataFrame, target: str, test_size: float, source: str, problem_type: str
) -> None:
    """Refuse data that cannot give a trustworthy model, naming the column or file."""
    if frame.empty or len(frame.columns) == 0:
        raise ProjectError(f"{source}: the table has no rows")
    if target not in frame.columns:
        raise ProjectError(
            f"{source}: target column {target!r} not found (params.yaml: prepare.target); "
            f"the columns are: {', '.join(map(str, frame.columns))}"
        )
    features = [column for column in frame.columns if column != target]
    if not features:
        raise ProjectError(f"{source}: no feature columns besides the target {target!r}")
    for column in features:
        values = frame[column]
        if not (types.is_numeric_dtype(values) or types.is_bool_dtype(values)):
            example = values.dropna().iloc[0] if values.notna().any() else None
            raise ProjectError(
                f"{source}: feature column {column!r} is not numeric "
                f"(found {example!r}); encode it as numbers or drop it"
            )
    missing = frame[target].isna()
    if missing.any():
        raise ProjectError(
            f"{source}: target column {target!r} is missing in {int(missing.sum())} row(s), "
            f"first at row {int(missing.to_numpy().argmax())}"
        )
    if problem_type == "regression" and (
        not types.is_numeric_dtype(frame[target]) or types.is_bool_dtype(frame[target])
    ):
        raise ProjectError(f"{source}: target column {target!r} must be numeric for regression")
    rows = len(frame)
    test_rows = math.ceil(rows * test_size)
    if min(test_rows, rows - test_rows) < MIN_ROWS_PER_SPLIT:
        raise ProjectError(
            f"{source}: {rows} rows are too few to split with test_size {test_size} "
            f"(params.yaml: prepare.test_size); each split needs at least "
            f"{MIN_ROWS_PER_SPLIT} rows"
        )
    if problem_type == "classification":
        check_classes(frame[target], rows, test_rows, source, test_size)


def check_classes(labels: pd.Series, rows: int, test_rows: int, source: str, test_size: float):
    """Stratified splitting needs two classes at least, each in both splits."""
    counts = labels.value_counts()
    target = labels.name
    if len(counts) < 2:
        raise ProjectError(f"{source}: target column {target!r} has a single class")
    rare = counts[counts < MIN_ROWS_PER_SPLIT]
    if not rare.empty:
        label = rare.index[0].item() if hasattr(rare.index[0], "item") else rare.index[0]
        raise ProjectError(
            f"{source}: class {label!r} of {target!r} has {int(rare.iloc[0])} row(s); "
            f"each class needs at least {MIN_ROWS_PER_SPLIT} to appear in both splits"
        )
    if test_rows < len(counts) or rows - test_rows < len(counts):
        raise ProjectError(
            f"{source}: {rows} rows are too few to split {len(counts)} classes with test_size "
            f"{test_size} (params.yaml: prepare.test_size)"
        )


def read_split(path: Path, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Read a prepared table (see prepare.py) as (features, target), indexed by ``row``.

    Numeric features are read column by column into one array that scikit-learn uses
    without a copy, so reading takes little more memory than the data itself.
    """
    import numpy as np
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path)

    def column(name: str) -> np.ndarray:
        return table.read(columns=[name], use_pandas_metadata=False).column(0).to_numpy()

    names = [name for name in table.schema_arrow.names if name not in {target, ROW}]
    features = np.empty((table.metadata.num_rows, len(names)), order="F")
    for position, name in enumerate(names):
        features[:, position] = column(name)
    index = pd.Index(column(ROW), name=ROW)
    return (
        pd.DataFrame(features, columns=names, index=index, copy=False),
        pd.Series(column(target), index=index, name=target),
    )
