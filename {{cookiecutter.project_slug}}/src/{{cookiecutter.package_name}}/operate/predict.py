"""Batch scoring: predictions for a CSV or Parquet file, from a registered model.

The model is the registry's (GTO tags): the version at a stage (by default the
promotion stage in lifecycle.yaml) or an explicit version, read through DVC at its
commit; ``--model`` scores with a model file instead. The input must have exactly the
training features: a missing, extra or non-numeric column is an error that names it.
Rows are scored ``--chunk-rows`` at a time, so memory stays bounded whatever the
input's size; the output (CSV or Parquet, by its extension) appears only once every
row is scored: it holds the input's row number, the prediction and, for
classification, each class's probability.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import load_lifecycle
from ..errors import ProjectError
from ..outputs import atomic_path
from ..pipeline.data import CSV, PARQUET
from ..pipeline.evaluate import predict
from ..pipeline.model import Model, load, load_at
from ..registry import chosen


def registered_model(name: str, stage: str | None, version: str | None) -> tuple[str, Model]:
    """(what was loaded, the model) for a version or the version at a stage."""
    found = chosen(name, stage, version)
    label = f"{name} {version or f'{stage} {found.version}'} ({found.commit[:7]})"
    return label, load_at(found.commit)


def chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """The input table, ``rows`` rows at a time."""
    if not path.is_file():
        raise ProjectError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
                yield batch.to_pandas()
        elif suffix in CSV:
            yield from pd.read_csv(path, chunksize=rows)
        else:
            raise ProjectError(f"{path}: expected a .csv or .parquet file")
    except (ValueError, OSError, pa.ArrowException, pd.errors.ParserError) as error:
        raise ProjectError(f"{path}: cannot be read as a table: {error}") from None


def features_of(frame: pd.DataFrame, model: Model, path: Path) -> pd.DataFrame:
    """The model's features from one chunk, as trained (float64); else a clear error."""
    missing = [name for name in model.features if name not in frame.columns]
    extra = [str(name) for name in frame.columns if name not in model.features]
    if missing or extra:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unexpected {', '.join(extra)}"] if extra else []
        raise ProjectError(
            f"{path}: columns do not match the model's features ({'; '.join(parts)}); "
            f"expected exactly: {', '.join(model.features)}"
        )
    for name in model.features:
        kind = frame[name].dtype
        if not (pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind)):
            raise ProjectError(f"{path}: column {name}: expected numbers, found {kind}")
    return frame[list(model.features)].astype("float64")


def score_file(model: Model, source: Path, output: Path, chunk_rows: int = 100_000) -> int:
    """Write ``model``'s predictions for every row of ``source`` to ``output``; the rows."""
    if output.suffix.lower() not in PARQUET | CSV:
        raise ProjectError(f"{output}: expected a .csv or .parquet output file")
    scored, writer = 0, None
    with atomic_path(output) as temporary:
        try:
            for frame in chunks(source, chunk_rows):
                features = features_of(frame, model, source)
                predicted, probabilities = predict(model, features)
                result = pd.DataFrame({"row": range(scored, scored + len(frame))})
                result["predicted"] = predicted.to_numpy()
                if probabilities is not None:
                    for index, label in enumerate(model.classes):
                        result[f"proba_{label}"] = probabilities[:, index]
                if output.suffix.lower() in CSV:
                    result.to_csv(temporary, mode="a", header=scored == 0, index=False)
                else:
                    table = pa.Table.from_pandas(result, preserve_index=False)
                    writer = writer or pq.ParquetWriter(temporary, table.schema)
                    writer.write_table(table)
                scored += len(frame)
        finally:
            if writer is not None:
                writer.close()
        if scored == 0:
            raise ProjectError(f"{source}: no rows to score")
    return scored


def main(
    source: str,
    output: str,
    stage: str | None = None,
    version: str | None = None,
    model: str | None = None,
    chunk_rows: int = 100_000,
) -> None:
    """The `predict` command: score ``source`` into ``output`` with a registered version
    (the production stage's by default) or a model file."""
    if chunk_rows < 1:
        raise ProjectError(f"--chunk-rows: expected a positive number, got {chunk_rows}")
    if model:
        label, found = model, load(Path(model))
    else:
        lifecycle = load_lifecycle()
        stage = stage or lifecycle.promotion.stage
        label, found = registered_model(lifecycle.model.name, stage, version)
    rows = score_file(found, Path(source), Path(output), chunk_rows)
    print(f"predict: {rows:,} rows scored with {label} -> {output}")
