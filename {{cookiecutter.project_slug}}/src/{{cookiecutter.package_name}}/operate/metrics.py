"""What `serve` tells whoever watches it: Prometheus metrics at ``GET /metrics`` and one
JSON line per request on stdout (the access log; uvicorn's own is off).

Metrics (each labelled with the model and its version):

- ``serve_requests_total``: requests by route (the path's template, e.g.
  ``/v2/models/{name}/infer``: unknown paths count as ``unmatched``), method and status;
- ``serve_request_duration_seconds``: a histogram of the time to answer, by route;
- ``serve_rows_scored_total``: rows scored, by route;
- ``serve_errors_total``: answers of 400 and more, by route and kind (``invalid_input``
  for rows the model cannot read, ``invalid_request`` for a body that is not the
  protocol's, else named by the status: ``unauthorized``, ``not_found``, ...).

With `serve --workers N`, /metrics reports every worker's requests, summed, whichever
worker answers the scrape (prometheus-client's multiprocess mode: serve sets
PROMETHEUS_MULTIPROC_DIR to a folder of its own for the workers' files); the log lines
are each worker's, on the same stdout.

The log line holds the time, method, path (cut at 200 characters), route, status,
duration, rows scored, error kind, model and version: never the body, the query string
or a header.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"  # set before prometheus_client is imported
PATH_SHOWN = 200  # characters of a request's path in its log line
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
KINDS = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 408: "timeout", 413: "too_large", 422: "invalid_input",
    429: "too_many_requests", 503: "unavailable",
}  # fmt: skip


@dataclass
class Record:
    """What the handling of one request tells its log line and metrics."""

    rows: int = 0
    error: str | None = None  # the kind of error, when the handler knows it better


CURRENT: ContextVar[Record | None] = ContextVar("serve_request", default=None)


def rows_scored(count: int) -> None:
    """Count ``count`` rows scored by the request being answered (none outside one). Works
    from the thread pool that runs a handler: it shares the request's Record."""
    record = CURRENT.get()
    if record is not None:
        record.rows += count


def error_kind(kind: str) -> None:
    """Name the kind of the error the request being answered gets."""
    record = CURRENT.get()
    if record is not None:
        record.error = kind


def stamp(now: float) -> str:
    """``now`` (seconds since 1970) as UTC in ISO 8601, to the millisecond."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    return f"{whole}.{int(now % 1 * 1000):03d}Z"


class Observed:
    """ASGI middleware: counts, times and logs each HTTP request, answers ``/metrics``."""

    def __init__(self, app, model: str, version: str | None) -> None:
        self.app = app
        self.model, self.version = model, version or ""
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["model", "version", "route"]
        self.requests = Counter(
            "serve_requests", "HTTP requests answered", [*labels, "method", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "serve_request_duration_seconds", "Time to answer a request", labels,
            buckets=BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.rows = Counter("serve_rows_scored", "Rows scored", labels, registry=self.registry)
        self.errors = Counter(
            "serve_errors", "Answers with a status of 400 or more", [*labels, "kind"],
            registry=self.registry,
        )  # fmt: skip

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        record = Record()
        token = CURRENT.set(record)
        status = 500  # what the client gets if the application fails before answering

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if scope["path"] == "/metrics" and scope["method"] == "GET":
                await self.exposition(sending)
            else:
                await self.app(scope, receive, sending)
        finally:
            CURRENT.reset(token)
            self.observe(scope, status, time.perf_counter() - start, record)

    async def exposition(self, send) -> None:
        registry = self.registry
        if os.environ.get(MULTIPROCESS):  # every worker's, from their files
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        body = generate_latest(registry)
        headers = [(b"content-type", CONTENT_TYPE_LATEST.encode()),
                   (b"content-length", str(len(body)).encode())]  # fmt: skip
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def observe(self, scope, status: int, seconds: float, record: Record) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or (
            "/metrics" if scope["path"] == "/metrics" else "unmatched"
        )
        labels = {"model": self.model, "version": self.version, "route": template}
        self.requests.labels(**labels, method=scope["method"], status=str(status)).inc()
        self.latency.labels(**labels).observe(seconds)
        if record.rows:
            self.rows.labels(**labels).inc(record.rows)
        kind = None
        if status >= 400:
            kind = record.error or KINDS.get(status, "server_error" if status >= 500 else "other")
            self.errors.labels(**labels, kind=kind).inc()
        line: dict[str, Any] = {
            "time": stamp(time.time()),
            "method": scope["method"],
            "path": scope["path"][:PATH_SHOWN],
            "route": template,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "rows": record.rows,
            "error": kind,
            "model": self.model,
            "version": self.version or None,
        }
        print(json.dumps(line), file=sys.stdout, flush=True)
