"""Batch scoring: predictions for a CSV or Parquet file, from a registered model.

The model is the registry's (GTO tags): the version at a stage (by default the
promotion stage in lifecycle.yaml) or an explicit version, read through DVC at its
commit; ``--model`` scores with a model file instead. The input is the raw table, as
the training data was: every feature column must be there and hold values of its kind
(a missing column, or text in a numeric one, is an error that names it); columns the
model does not read are left out, the ID columns carried to the output.
Rows are scored ``--chunk-rows`` at a time, so memory stays bounded whatever the
input's size; the output (CSV or Parquet, by its extension) appears only once every
row is scored: it holds the input's row number, the prediction and, for
classification, each class's probability.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .. import paths
from ..config import load_lifecycle
from ..dvc import read_at
from ..errors import ProjectError
from ..outputs import atomic_path
from ..pipeline.data import CSV, PARQUET
from ..pipeline.features import problems, unseen
from ..pipeline.model import Model, check, load, unpickled
from ..progress import Progress
from ..registry import Version, chosen
from ..scoring import predict


def registered(stage: str | None, version: str | None) -> tuple[str, str | None, Version, bytes]:
    """(the model's name, the stage it was chosen by or None for a version asked by name,
    the version, its model file's bytes); the stage is lifecycle.yaml's promotion stage
    unless told. The bytes are refused unless their md5 is the one the version must have
    (dvc.expected_md5: its registry record's, else its commit's dvc.lock's), the same
    that `verify-bundle` and `serve --bundle` check a bundle against."""
    lifecycle = load_lifecycle()
    name = lifecycle.model.name
    stage = None if version else stage or lifecycle.promotion.stage
    found = chosen(name, stage, version)
    try:
        data = read_at(found.commit, paths.MODEL, found.shipped).getvalue()
    except FileNotFoundError as error:
        message = f"{name} {found.version}: {error}; `dvc pull` needs the remote"
        raise ProjectError(message) from None
    return name, stage, found, data


def from_bytes(data: bytes, where: Path) -> Model:
    """The model in ``data`` (a model file's bytes), checked as a model file is."""
    return check(unpickled(io.BytesIO(data), where), where)


def chunks(path: Path, rows: int) -> Iterator[tuple[pd.DataFrame, float]]:
    """The input table, ``rows`` rows at a time, each with the share of the input read
    so far (of its rows for Parquet, of its bytes for CSV)."""
    import pyarrow as pa  # here: `serve` imports this module, and its image has no pyarrow
    import pyarrow.parquet as pq

    if not path.is_file():
        raise ProjectError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET:
            table = pq.ParquetFile(path)
            total, read = max(table.metadata.num_rows, 1), 0
            for batch in table.iter_batches(batch_size=rows):
                read += batch.num_rows
                yield batch.to_pandas(), read / total
        elif suffix in CSV:
            size = max(path.stat().st_size, 1)
            with path.open("rb") as handle:
                for frame in pd.read_csv(handle, chunksize=rows):
                    yield frame, handle.tell() / size
        else:
            raise ProjectError(f"{path}: expected a .csv or .parquet file")
    except (ValueError, OSError, pa.ArrowException, pd.errors.ParserError) as error:
        raise ProjectError(f"{path}: cannot be read as a table: {error}") from None


def checked(frame: pd.DataFrame, model: Model, path: Path) -> pd.DataFrame:
    """One chunk, if the model can read it: every feature column present, every value of
    its kind; else a clear error naming the column. Other columns are left alone."""
    missing = [name for name in model.features if name not in frame.columns]
    if missing:
        raise ProjectError(
            f"{path}: columns do not match the model's features (missing "
            f"{', '.join(missing)}); it reads: {', '.join(model.features)}"
        )
    found = problems(frame, model.features)
    if found:
        raise ProjectError(f"{path}: {found[0][1]}")
    return frame


def free(name: str, taken: set[str]) -> str:
    """``name``, or ``name_``... when the input has a column of that name already."""
    while name in taken:
        name += "_"
    return name


def score_file(
    model: Model, source: Path, output: Path, chunk_rows: int = 100_000
) -> tuple[int, dict[str, int], list[str]]:
    """Write ``model``'s predictions for every row of ``source`` to ``output``: each row's
    ID columns (as in the input), its position (``row``), the prediction and, for
    classification, each class's probability. Returns (rows, unseen values per column,
    the input's columns the model does not read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if output.suffix.lower() not in PARQUET | CSV:
        raise ProjectError(f"{output}: expected a .csv or .parquet output file")
    scored, writer, unseen_values, ignored = 0, None, {}, []
    counted = Progress("predict", f"scoring {source.name}", unit="rows", heartbeat=True)
    with atomic_path(output) as temporary, counted as progress:
        try:
            for frame, share in chunks(source, chunk_rows):
                if frame.empty:
                    continue
                checked(frame, model, source)
                if not scored:
                    read = {*model.features, *model.ids, model.target}
                    ignored = [str(name) for name in frame.columns if name not in read]
                for column, rows in unseen(frame, model.categories).items():
                    unseen_values[column] = unseen_values.get(column, 0) + rows
                predicted, probabilities = predict(model, frame)
                ids = [name for name in model.ids if name in frame.columns]
                result = frame[ids].reset_index(drop=True)
                taken = set(ids)
                result[free("row", taken)] = range(scored, scored + len(frame))
                result[free("predicted", taken)] = predicted.to_numpy()
                if probabilities is not None:
                    for index, label in enumerate(model.classes):
                        result[free(f"proba_{label}", taken)] = probabilities[:, index]
                if output.suffix.lower() in CSV:
                    result.to_csv(temporary, mode="a", header=scored == 0, index=False)
                else:
                    table = pa.Table.from_pandas(result, preserve_index=False)
                    writer = writer or pq.ParquetWriter(temporary, table.schema)
                    writer.write_table(table)
                scored += len(frame)
                progress.advance(len(frame), share)
        finally:
            if writer is not None:
                writer.close()
        if scored == 0:
            raise ProjectError(f"{source}: no rows to score")
    return scored, unseen_values, ignored


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
        name, stage, chosen_version, data = registered(stage, version)
        commit = chosen_version.commit[:7]
        label = f"{name} {f'{stage} ' if stage else ''}{chosen_version.version} ({commit})"
        found = from_bytes(data, Path(f"{paths.MODEL}@{commit}"))
    rows, unseen_values, ignored = score_file(found, Path(source), Path(output), chunk_rows)
    print(f"predict: {rows:,} rows scored with {label} -> {output}")
    for column, count in unseen_values.items():
        print(f"predict: {count:,} row(s) have a value of {column!r} unseen in training")
    if ignored:
        print(f"predict: columns the model does not read, left out: {', '.join(ignored)}")
