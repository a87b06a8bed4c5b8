"""Online scoring: one registered model over HTTP (FastAPI, served by uvicorn).

`serve` loads the model once: the version at a stage (by default lifecycle.yaml's
promotion stage) or an explicit version, read through DVC at its commit like
`predict`'s, or a bundle (the container's; bundle.py says what it is checked against
before it is loaded). Then it answers:

- ``POST /predict`` with ``{"rows": [{column: value, ...}, ...]}``: the raw columns
  `predict` takes, feature and ID columns only: a key the model does not read is a 422
  naming it; so is a feature column no row has (one a row lacks is a missing value), a
  value not of its column's kind, or a
  number no model computes with (NaN, Infinity, beyond ±3.4e38), each named by its row
  and column, never echoing the input. Each row gets ``predicted``, for classification
  ``probabilities`` per class, and its ID columns under ``ids``.
- ``GET /health``: ``{"status": "ok"}`` once the model is loaded; it answers while
  ``/predict`` is busy (it never waits for the scoring thread).
- ``GET /metadata``: model, version, stage, commit, and the schema (features and their
  kinds, ID columns, target, classes).

Limits (limits.py's ``Limits``; `serve`'s options set them): a body beyond ``max_body_bytes`` is a
413 (refused by its Content-Length before it is read, or once that many bytes have
arrived); more than ``max_rows`` rows a 422; more than ``max_concurrent`` scoring
requests in flight in a worker a 503 with Retry-After (each worker scores on one
thread, on which the model library's pools are limited to one thread: SCORING_THREADS
to change it); a connection whose request headers take longer than ``header_timeout``
seconds, or its body longer than ``body_timeout``, is closed, as is an idle kept-alive
one after ``keep_alive``; beyond ``max_connections`` open connections, a new one is
closed at once. uvicorn has no timeout for slow headers or bodies: ``Guarded``, a
subclass of its h11 protocol, adds them.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import h11
import numpy as np
import pandas as pd
from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..errors import ProjectError
from ..pipeline.features import LARGEST, SHOWN, problems, unseen
from ..pipeline.model import Model
from ..scoring import predict
from ..threads import ENV as THREADS_ENV
from ..threads import limit
from . import auth, fast, inference_protocol, metrics
from .bundle import Served, from_bundle
from .limits import Limits
from .predict import from_bytes, registered

ARGUMENTS = "SERVE_ARGUMENTS"  # what each worker process loads (`serve --workers N`)


LIMITS = Limits()  # this process's, set by app()


class Refused(Exception):
    """A request refused: its HTTP status and what is wrong (never the input itself)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def shown(name: object) -> str:
    """A key or value as a message quotes it: at most SHOWN characters."""
    text = repr(name)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


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
                shown_value = f"{value:g}" if isinstance(value, float) else digits
                found = f"expected a number within ±{LARGEST:.1e}, found {shown_value}"
            elif kind == "datetime" and isinstance(value, (int, float)):
                found = f"expected a date as text (e.g. 2024-05-31), found the number {value}"
            elif kind == "numeric" and isinstance(value, bool):
                found = f"expected a number, found {str(value).lower()}"
            else:
                continue
            return f"rows[{index}]: column {column}: {found}"
    return None


def rows_of(body: bytes, model: Model, max_rows: int) -> list[dict[str, Any]]:
    """The rows in ``body`` (``{"rows": [...]}``), each an object of the model's feature
    and ID columns, nothing else, every feature in one row at least (a row without one
    has a missing value), at most ``max_rows``; else Refused."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as error:  # its message: what was expected, and where
        raise Refused(400, f"the body is not JSON: {error}") from None
    except UnicodeDecodeError:
        raise Refused(400, "the body is not JSON: not UTF-8 text") from None
    except ValueError:  # Python's guard against quadratic time: an integer of 4,300 digits
        raise Refused(422, "the body holds a number of over 4,300 digits") from None
    except RecursionError:
        raise Refused(400, "the body is not JSON this server reads: nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise Refused(422, 'expected an object {"rows": [{column: value, ...}, ...]}')
    if extra := [key for key in data if key != "rows"]:
        raise Refused(422, f"unknown key {shown(extra[0])}; expected only rows")
    rows = data["rows"]
    if not rows:
        raise Refused(422, "rows: expected at least 1 row, found none")
    if len(rows) > max_rows:
        raise Refused(422, f"rows: at most {max_rows:,} rows per request, found {len(rows):,}")
    allowed = {*model.features, *model.ids}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise Refused(422, f"rows[{index}]: expected an object, found {type(row).__name__}")
        if len(row) > len(allowed) or not row.keys() <= allowed:
            unknown = [key for key in row if key not in allowed]
            named = ", ".join(shown(key) for key in unknown[:5])
            more = f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else ""
            raise Refused(
                422,
                f"rows[{index}]: column(s) the model does not read: {named}{more} (GET "
                f"/metadata lists its features and ID columns)",
            )
    if missing := [name for name in model.features if not any(name in row for row in rows)]:
        raise Refused(
            422,
            f"rows: missing {', '.join(missing)} in every row (feature columns; a row "
            f"without one has a missing value)",
        )
    return rows


def frame_of(rows: list[dict[str, Any]], model: Model) -> tuple[pd.DataFrame, dict[str, str]]:
    """The rows as the model's table, and the feature columns whose values are still to
    be checked (features.problems). A numeric column of JSON numbers and nulls is read as
    floats at once, as the model would (value_problem has bounded them): the costly part
    of one row's scoring is pandas' work per column. Other columns hold objects as JSON
    gave them: a row reads the same whatever the other rows hold (pandas would otherwise
    turn a column of 1 and null into 1.0 and NaN, and 1 into "1.0")."""
    present = [name for name in model.ids if any(name in row for row in rows)]
    columns: dict[str, Any] = {}
    unchecked = {}
    for name in [*model.features, *present]:
        values = [row.get(name) for row in rows]
        numbers = model.features.get(name) == "numeric" and all(
            value is None or type(value) in (int, float) for value in values
        )
        if numbers:
            columns[name] = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:
            columns[name] = np.empty(len(values), dtype=object)
            columns[name][:] = values
            if name in model.features:
                unchecked[name] = model.features[name]
    return pd.DataFrame(columns, copy=False), unchecked


def through_pipeline(model: Model, rows: list[dict[str, Any]]) -> tuple:
    """(predictions, probabilities or None, each row's IDs or None, unseen values per
    column) of ``rows`` by the model's pipeline (scoring.predict); a ProjectError names the
    row and column of a value the model cannot read."""
    frame, unchecked = frame_of(rows, model)
    found = problems(frame, unchecked, rows="rows")
    if found:
        raise ProjectError(found[0][1])
    predicted, probabilities = predict(model, frame)
    ids = [name for name in model.ids if name in frame.columns]
    id_values = frame[ids].where(frame[ids].notna(), None).to_dict("records") if ids else None
    return predicted.tolist(), probabilities, id_values, unseen(frame, model.categories)


def scored(model: Model, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`/predict`'s answer for ``rows`` (raw columns, each feature in one row at least):
    by the fast path when it takes them (fast.py: the same bits), else by the pipeline; a
    ProjectError names the row and column of a value the model cannot read."""
    problem = value_problem(rows, model.features, model.ids)
    if problem:
        raise ProjectError(problem)
    compiled = fast.compiled(model)
    found = compiled.scores(rows) if compiled else None
    predicted, probabilities, ids, new = found or through_pipeline(model, rows)
    metrics.rows_scored(len(rows))
    labels = [str(label) for label in model.classes]
    answers = []
    for index, value in enumerate(predicted):
        answer: dict[str, Any] = {"predicted": value}
        if probabilities is not None:
            answer["probabilities"] = dict(zip(labels, probabilities[index].tolist(), strict=True))
        if ids:
            answer["ids"] = ids[index]
        answers.append(answer)
    result: dict[str, Any] = {"predictions": answers}
    if new:
        result["unseen"] = {column: int(count) for column, count in new.items()}
    return result


async def refuse(send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    """Answer an ASGI request with ``{"detail": ...}`` and close its connection."""
    body = json.dumps({"detail": detail}).encode()
    fields = {"content-type": "application/json", "connection": "close", **(headers or {})}
    fields["content-length"] = str(len(body))
    raw = [(key.encode(), value.encode()) for key, value in fields.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware for requests with a body (POST): at most ``max_concurrent`` in
    flight (else 503, before the body is read), each body read whole before the app sees
    it and at most ``max_body_bytes`` (else 413). Other requests (GET /health) pass."""

    def __init__(self, app, limits: Limits) -> None:
        self.app, self.limits, self.busy = app, limits, 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if self.busy >= self.limits.max_concurrent:
            busy = f"busy: {self.busy} requests in flight; retry shortly"
            await refuse(send, 503, busy, {"retry-after": "1"})
            return
        self.busy += 1
        try:
            cap = self.limits.max_body_bytes
            too_big = f"the body is over {cap:,} bytes (serve --max-body-bytes)"
            length = dict(scope["headers"]).get(b"content-length", b"0")
            if not length.isdigit() or int(length) > cap:
                await refuse(send, 413, too_big)
                return
            chunks, size, more = [], 0, True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                more = message.get("more_body", False)
                if size > cap:
                    await refuse(send, 413, too_big)
                    return
            whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            given = False

            async def replay():
                nonlocal given
                if given:
                    return await receive()
                given = True
                return whole

            await self.app(scope, replay, send)
        finally:
            self.busy -= 1


def app(served: Served, model: Model, limits: Limits | None = None):
    """The FastAPI application serving ``model`` within ``limits`` (by default, Limits'
    defaults): routes (and other middleware) can be added to it."""
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    global LIMITS
    LIMITS = limits = limits or Limits()
    threads = int(os.environ[THREADS_ENV]) if os.environ.get(THREADS_ENV, "").isdigit() else 1
    # One scoring thread: the model library's pools limited to `threads` on it (OpenMP's
    # limit is a thread's own), and the event loop left free for /health.
    scoring = ThreadPoolExecutor(1, "scoring", initializer=limit, initargs=(threads,))
    service = FastAPI(title=f"{served.model} {served.version or ''}".strip())
    service.add_middleware(Guard, limits=limits)
    described = {**asdict(served), **schema(model)}
    fast.compiled(model)  # before the first request

    @service.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @service.get("/metadata")
    async def metadata() -> dict[str, Any]:
        return described

    def answer(body: bytes) -> dict[str, Any]:
        try:
            result = scored(model, rows_of(body, model, limits.max_rows))
        except ProjectError as error:
            raise Refused(422, str(error)) from None
        return {"model": served.model, "version": served.version, **result}

    async def on_scoring(function, *arguments):
        # in the request's context (its metrics record), as FastAPI's own thread pool does
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(scoring, context.run, function, *arguments)

    @service.post("/predict")
    async def predict_rows(request: Request):
        body = await request.body()
        try:
            result = await on_scoring(answer, body)
        except Refused as refused:
            return JSONResponse({"detail": refused.detail}, status_code=refused.status)
        return JSONResponse(result)

    protocol = inference_protocol.router(served, model, scored, limits.max_rows, on_scoring)
    service.include_router(protocol)
    token = auth.configured_token()
    if token:
        service.add_middleware(auth.BearerToken, token=token)
    service.add_middleware(metrics.Observed, model=served.model, version=served.version)
    return service


class Guarded(H11Protocol):
    """uvicorn's h11 protocol with what it lacks: a request's line and headers must arrive
    within LIMITS.header_timeout seconds (of the connection's opening, or of its last
    answer), its body within LIMITS.body_timeout (of its headers), else the connection is
    closed; beyond LIMITS.max_connections, a new connection is closed at once."""

    timer: asyncio.TimerHandle | None = None
    waiting: object = None  # the h11 state the timer watches

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > LIMITS.max_connections:
            self.logger.warning(f"over {LIMITS.max_connections} open connections: one closed")
            transport.close()
            return
        self.watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self.watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop()
        super().connection_lost(exc)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.waiting = None

    def watch(self) -> None:
        """Time the part of a request the client is sending: none once it is in."""
        state = self.conn.their_state
        if state is self.waiting or self.transport.is_closing():
            return
        self.stop()
        seconds = {h11.IDLE: LIMITS.header_timeout, h11.SEND_BODY: LIMITS.body_timeout}
        if state in seconds:
            self.waiting = state
            self.timer = self.loop.call_later(seconds[state], self.transport.close)


def loaded(stage: str | None, version: str | None, bundle_dir: str | None) -> tuple[Served, Model]:
    """The model `serve` answers with, and what it is."""
    if bundle_dir:
        return from_bundle(bundle_dir)
    name, stage, found, data = registered(stage, version)
    served = Served(name, found.version, stage, found.commit)
    return served, from_bytes(data, Path(f"{name}@{found.version}"))


def worker():
    """A worker process's application (`serve --workers N`): the model `serve` was asked
    for, loaded and checked in this process, within the same limits."""
    arguments = json.loads(os.environ[ARGUMENTS])
    return app(*loaded(*arguments["model"]), Limits(**arguments["limits"]))


def main(
    stage: str | None,
    version: str | None,
    bundle_dir: str | None,
    host: str,
    port: int,
    limits: Limits | None = None,
) -> None:
    """The `serve` command: answer on http://host:port until stopped (Ctrl-C)."""
    import uvicorn

    limits = limits or Limits()
    served, model = loaded(stage, version, bundle_dir)
    held = f", {served.stage}" if served.stage else ""
    commit = f" ({served.commit[:7]}{held})" if served.commit else ""
    workers = f"; {limits.workers} workers" if limits.workers > 1 else ""
    where = f"on http://{host}:{port}{workers}"
    print(f"serve: {served.model} {served.version}{commit} {where}", flush=True)
    options = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": False,  # one JSON line per request instead (metrics.py)
        "http": Guarded,
        "timeout_keep_alive": limits.keep_alive,
        "h11_max_incomplete_event_size": 16_384,  # a request's line and headers
    }
    if limits.workers == 1:
        uvicorn.run(app(served, model, limits), **options)  # app() reads the token
        return
    # Each worker (a process of its own) loads and checks the model itself; uvicorn's
    # health check of a worker waits 5 s by default, less than a loaded machine takes to
    # import the stack and load a model (it would restart the worker again and again).
    os.environ[ARGUMENTS] = json.dumps(
        {"model": [stage, version, bundle_dir], "limits": asdict(limits)}
    )
    del model
    options["timeout_worker_healthcheck"] = 120
    # The workers' metrics, summed at /metrics whichever worker answers: prometheus-client's
    # multiprocess mode, each worker's values in files of a folder made for this run.
    folder = tempfile.mkdtemp(prefix="serve-metrics-")
    os.environ[metrics.MULTIPROCESS] = folder
    try:
        uvicorn.run(f"{__name__}:worker", factory=True, workers=limits.workers, **options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
