"""Online scoring: one registered model over HTTP (FastAPI, served by uvicorn).

`serve` loads the model once: the version at a stage (by default lifecycle.yaml's
promotion stage) or an explicit version, read through DVC at its commit like
`predict`'s, or a bundle (the container's; bundle.py says what it is checked against
before it is loaded). Then it answers:

- ``POST /predict`` with ``{"rows": [{column: value, ...}, ...]}``: the raw columns
  `predict` takes, with the same checks (a missing feature column, or a value not of
  its column's kind, is a 422 whose detail names the column; so is a number no model
  computes with, NaN, Infinity or beyond ±3.4e38; other columns are left out). Each
  row gets ``predicted``, for classification ``probabilities`` per class, and its ID
  columns under ``ids``.
- ``GET /health``: ``{"status": "ok"}`` once the model is loaded.
- ``GET /metadata``: model, version, stage, commit, and the schema (features and their
  kinds, ID columns, target, classes).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from ..errors import ProjectError
from ..pipeline.features import LARGEST, unseen
from ..pipeline.model import Model
from ..scoring import predict
from . import auth, inference_protocol, metrics
from .bundle import Served, from_bundle
from .predict import checked, from_bytes, registered

MAX_ROWS = 10_000  # rows in one request: bounded memory and latency


class Rows(BaseModel):
    """`/predict`'s body: the rows to score, as column -> value objects."""

    rows: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ROWS)


def schema(model: Model) -> dict[str, Any]:
    return {
        "problem_type": model.problem_type,
        "features": model.features,
        "ids": list(model.ids),
        "target": model.target,
        "classes": np.asarray(model.classes).tolist(),
    }


def value_problem(
    rows: list[dict[str, Any]], features: dict[str, str], ids: tuple[str, ...] = ()
) -> str | None:
    """The first value JSON gives a meaning the model would not: a list or an object; a
    number no model computes with (NaN, Infinity, beyond ±LARGEST: 400 digits, say) in a
    column it reads or carries; a number for a date (it would read as nanoseconds since
    1970); true/false for a number."""
    for index, row in enumerate(rows):
        for column, value in row.items():
            kind = features.get(column)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if isinstance(value, (list, dict)):
                kind_of = type(value).__name__
                found = f"expected a number, text, true/false or null, found {kind_of}"
            elif number and (kind or column in ids) and not abs(value) <= LARGEST:
                digits = f"a number of {len(str(abs(value)))} digits"
                shown = f"{value:g}" if isinstance(value, float) else digits
                found = f"expected a number within ±{LARGEST:.1e}, found {shown}"
            elif kind == "datetime" and isinstance(value, (int, float)):
                found = f"expected a date as text (e.g. 2024-05-31), found the number {value}"
            elif kind == "numeric" and isinstance(value, bool):
                found = f"expected a number, found {str(value).lower()}"
            else:
                continue
            return f"rows[{index}]: column {column}: {found}"
    return None


def scored(model: Model, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`/predict`'s answer for ``rows`` (raw columns); a ProjectError names the problem."""
    problem = value_problem(rows, model.features, model.ids)
    if problem:
        raise ProjectError(problem)
    # Objects as JSON gave them: a row reads the same whatever the other rows hold (pandas
    # would otherwise turn a column of 1 and null into 1.0 and NaN, and 1 into "1.0").
    frame = checked(pd.DataFrame(rows, dtype=object), model, Path("rows"))
    predicted, probabilities = predict(model, frame)
    metrics.rows_scored(len(frame))
    labels = [str(label) for label in model.classes]
    ids = [name for name in model.ids if name in frame.columns]
    id_values = frame[ids].where(frame[ids].notna(), None).to_dict("records")
    answers = []
    for index, value in enumerate(predicted.tolist()):
        answer: dict[str, Any] = {"predicted": value}
        if probabilities is not None:
            answer["probabilities"] = dict(zip(labels, probabilities[index].tolist(), strict=True))
        if ids:
            answer["ids"] = id_values[index]
        answers.append(answer)
    result: dict[str, Any] = {"predictions": answers}
    new = unseen(frame, model.categories)
    if new:
        result["unseen"] = {column: int(count) for column, count in new.items()}
    return result


def app(served: Served, model: Model):
    """The FastAPI application serving ``model``."""
    from fastapi import FastAPI, HTTPException

    service = FastAPI(title=f"{served.model} {served.version or ''}".strip())
    described = {**asdict(served), **schema(model)}

    @service.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @service.get("/metadata")
    def metadata() -> dict[str, Any]:
        return described

    @service.post("/predict")
    def predict_rows(request: Rows) -> dict[str, Any]:
        try:
            result = scored(model, request.rows)
        except ProjectError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        return {"model": served.model, "version": served.version, **result}

    service.include_router(inference_protocol.router(served, model, scored, MAX_ROWS))
    token = auth.configured_token()
    if token:
        service.add_middleware(auth.BearerToken, token=token)
    service.add_middleware(metrics.Observed, model=served.model, version=served.version)
    return service


def main(
    stage: str | None, version: str | None, bundle_dir: str | None, host: str, port: int
) -> None:
    """The `serve` command: answer on http://host:port until stopped (Ctrl-C)."""
    import uvicorn

    if bundle_dir:
        served, model = from_bundle(bundle_dir)
    else:
        name, stage, found, data = registered(stage, version)
        served = Served(name, found.version, stage, found.commit)
        model = from_bytes(data, Path(f"{name}@{found.version}"))
    held = f", {served.stage}" if served.stage else ""
    commit = f" ({served.commit[:7]}{held})" if served.commit else ""
    print(f"serve: {served.model} {served.version}{commit} on http://{host}:{port}", flush=True)
    service = app(served, model)  # reads the token (auth.py) before listening
    uvicorn.run(service, host=host, port=port, log_level="info", access_log=False)
