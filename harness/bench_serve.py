"""`make bench`'s serving section, run with a generated project's own Python and package:
`python bench_serve.py PACKAGE REQUESTS` in a trained project.

A bounded load test of `serve` over real HTTP on loopback: REQUESTS single-row
requests, then REQUESTS / 10 requests of 100 rows, from one client (latency: each
request's round trip) and from CLIENTS concurrent clients (throughput; one persistent
connection each), against the same scoring function called in this process, one call
after the other (the baseline: the model's own cost, without HTTP and JSON). Twice:
with the model library's thread pools at the CPUs this process may use (as they were
before `serve` limited them: SCORING_THREADS set to that number), and at one thread
(`serve`'s default, one scoring thread per worker). Prints throughput and latency
percentiles, the ratios to the baseline, the single-row p99 overhead of HTTP, the same
single rows scored in-process through the pipeline without serve's fast path
(operate/fast.py), and the issue's targets next to this run's figures.
"""

import contextlib
import hashlib
import http.client
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pandas as pd

CLIENTS = 4
BATCH = 100


def percentiles(seconds: list[float]) -> dict[str, float]:
    values = pd.Series(seconds) * 1000
    return {f"p{q}": float(values.quantile(q / 100)) for q in (50, 95, 99)}


def in_process(
    scored, model, bodies: list[list[dict]], threads: int, limit
) -> tuple[float, list[float]]:
    """(wall seconds, each call's seconds) of scoring every body here, one by one, in a
    thread of its own whose thread pools are limited to ``threads``."""
    found: list = []

    def run() -> None:
        limit(threads)
        scored(model, bodies[0])  # warm
        latencies = []
        start = time.perf_counter()
        for rows in bodies:
            begin = time.perf_counter()
            scored(model, rows)
            latencies.append(time.perf_counter() - begin)
        found.append((time.perf_counter() - start, latencies))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return found[0]


def over_http(port: int, bodies: list[list[dict]], clients: int) -> tuple[float, list[float]]:
    """(wall seconds, each request's seconds) of POSTing every body, ``clients`` at a
    time."""
    payloads = [json.dumps({"rows": rows}).encode() for rows in bodies]
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(share: list[bytes]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        for payload in share:
            begin = time.perf_counter()
            connection.request("POST", "/predict", payload, {"Content-Type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            mine.append(time.perf_counter() - begin)
            if answer.status != 200:
                failures.append(f"HTTP {answer.status}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [
        threading.Thread(target=client, args=(payloads[index::clients],))
        for index in range(clients)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"serve answered {len(failures)} request(s) with {failures[0]}")
    return time.perf_counter() - start, latencies


def protocol_overhead(port: int, model_name: str, records: list[dict], requests: int) -> str:
    """The Open Inference Protocol's cost against /predict: ``requests`` single-row
    requests of each, one client, one persistent connection, taken in turns (the same
    rows, the same moments of the machine). A Markdown table of their p50/p99."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", f"/v2/models/{model_name}")
    metadata = json.loads(connection.getresponse().read())
    datatypes = {tensor["name"]: tensor["datatype"] for tensor in metadata["inputs"]}
    latencies: dict[str, list[float]] = {"/predict": [], "infer": []}
    for index in range(requests):
        row = records[index % len(records)]
        inputs = [
            {"name": name, "shape": [1], "datatype": datatype, "data": [row[name]]}
            for name, datatype in datatypes.items()
        ]
        for route, path, body in (
            ("/predict", "/predict", {"rows": [row]}),
            ("infer", f"/v2/models/{model_name}/infer", {"inputs": inputs}),
        ):
            payload = json.dumps(body).encode()
            begin = time.perf_counter()
            connection.request("POST", path, payload, {"Content-Type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            latencies[route].append(time.perf_counter() - begin)
            if answer.status != 200:
                raise SystemExit(f"serve answered {path} with HTTP {answer.status}")
    connection.close()
    predict, infer = percentiles(latencies["/predict"]), percentiles(latencies["infer"])
    lines = [
        f"\nThe Open Inference Protocol against /predict: {requests:,} single-row requests "
        "of each, taken in turns by one client on one persistent connection.\n",
        "| route | p50 | p99 |",
        "|---|---:|---:|",
        f"| `/predict` | {predict['p50']:.2f} ms | {predict['p99']:.2f} ms |",
        f"| `/v2/models/{model_name}/infer` | {infer['p50']:.2f} ms | {infer['p99']:.2f} ms |",
        f"| difference | {infer['p50'] - predict['p50']:+.2f} ms | "
        f"{infer['p99'] - predict['p99']:+.2f} ms |",
    ]
    return "\n".join(lines)


def main() -> None:
    package, requests = sys.argv[1], int(sys.argv[2])
    serve = importlib.import_module(f"{package}.operate.serve")
    bundle = importlib.import_module(f"{package}.operate.bundle")
    folder = Path("build/bench-serve")
    shutil.rmtree(folder, ignore_errors=True)
    # The trained model as a bundle (`serve --bundle`), labelled as no version; the md5
    # it must have is given as the image gives it (here, and to the server below).
    data = Path("models/model.joblib").read_bytes()
    bundle.write_bundle(bundle.Served("bench", None, None, None), data, folder)
    os.environ[bundle.EXPECTED_MD5] = hashlib.md5(data).hexdigest()
    frame = pd.read_parquet("data/prepared/test.parquet")
    _, model = bundle.from_bundle(str(folder))
    records = json.loads(frame[list(model.features)].to_json(orient="records"))
    singles = [[records[index % len(records)]] for index in range(requests)]
    batches = [
        [records[(index * BATCH + row) % len(records)] for row in range(BATCH)]
        for index in range(max(1, requests // 10))
    ]
    cpus = importlib.import_module(f"{package}.threads").available()
    limit = importlib.import_module(f"{package}.threads").limit
    results = []
    pipeline: dict = {}
    for threads in dict.fromkeys((cpus, 1)):
        for label, bodies in (("1 row", singles), (f"{BATCH} rows", batches)):
            seconds, latency = in_process(serve.scored, model, bodies, threads, limit)
            results.append((threads, label, "in-process", len(bodies), seconds, latency))
        # Single rows through the pipeline, as serve scored them before its fast path
        # (operate/fast.py): the value checks, then scoring.predict on a table (at most
        # 500: slow with more threads on a busy machine).
        some = singles[:500]
        _, latency = in_process(through_pipeline(serve), model, some, threads, limit)
        pipeline[threads] = (len(some), percentiles(latency))
        with serving(package, folder, threads) as port:
            for label, bodies in (("1 row", singles), (f"{BATCH} rows", batches)):
                for clients in (1, CLIENTS):
                    seconds, latency = over_http(port, bodies, clients)
                    how = f"HTTP, {clients} client{'s' if clients > 1 else ''}"
                    results.append((threads, label, how, len(bodies), seconds, latency))
            if threads == 1:  # serve's default
                overhead = protocol_overhead(port, "bench", records, min(requests, 500))
    print(
        f"\nServing: `serve` over HTTP on loopback (one worker; one client, then {CLIENTS} "
        f"concurrent clients, one persistent connection each) against the same scoring "
        f"function called in-process one call at a time (baseline); {len(model.features)} "
        f"features; the model library's thread pools at {cpus} thread(s) (this process's "
        f"CPUs, as before `serve` limited them) and at 1 (`serve`'s default).\n"
    )
    print(
        "| threads | request | how | requests | requests/s | rows/s | p50 | p95 | p99 "
        "| time ratio |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    base: dict = {}
    p99: dict = {}
    for threads, label, how, count, seconds, latency in results:
        base.setdefault((threads, label), seconds)
        size = 1 if label == "1 row" else BATCH
        p = percentiles(latency)
        p99[(threads, label, how)] = p["p99"]
        print(
            f"| {threads} | {label} | {how} | {count:,} | {count / seconds:,.0f} | "
            f"{count * size / seconds:,.0f} | {p['p50']:.2f} ms | {p['p95']:.2f} ms | "
            f"{p['p99']:.2f} ms | {seconds / base[(threads, label)]:.2f}× |"
        )
    for threads in dict.fromkeys((cpus, 1)):
        single = (threads, "1 row")
        over = p99[(*single, "HTTP, 1 client")] - p99[(*single, "in-process")]
        print(
            f"\nSingle-row p99 overhead of HTTP (one client), {threads} thread(s): {over:.2f} ms"
        )
        calls, slow = pipeline[threads]
        print(
            f"In-process single row through the pipeline (no fast path; {calls:,} calls), "
            f"{threads} thread(s): p50 {slow['p50']:.2f} ms, p99 {slow['p99']:.2f} ms; the "
            f"fast path's p99 is {p99[(*single, 'in-process')] / slow['p99']:.2f}× it"
        )
    print(overhead)
    seconds = {(t, label, how): wall for t, label, how, _, wall, _ in results}
    batch = (1, f"{BATCH} rows")
    ratio = seconds[(*batch, "HTTP, 1 client")] / seconds[(*batch, "in-process")]
    print(
        "\nTargets (issue 28, the default estimator, 1 thread): in-process single-row p99 "
        f"{p99[(1, '1 row', 'in-process')]:.2f} ms (≤ 2 ms); HTTP's single-row p99 overhead "
        f"{p99[(1, '1 row', 'HTTP, 1 client')] - p99[(1, '1 row', 'in-process')]:.2f} ms "
        f"(≤ 5 ms); {BATCH}-row requests over HTTP (one client) {ratio:.2f}× in-process "
        "(≤ 1.2×)."
    )


def through_pipeline(serve):
    """serve's scoring without its fast path: the value checks, then the pipeline."""

    def scored(model, rows: list[dict]):
        problem = serve.value_problem(rows, model.features, model.ids)
        if problem:
            raise SystemExit(problem)
        return serve.through_pipeline(model, rows)

    return scored


@contextlib.contextmanager
def serving(package: str, folder: Path, threads: int):
    """`serve --bundle folder` on a free port of loopback, its thread pools at
    ``threads``; its port once /health answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", package, "serve", "--bundle", str(folder)]
    log = folder / f"serve-{threads}.log"
    environment = {**os.environ, "SCORING_THREADS": str(threads)}
    server = subprocess.Popen(
        [*command, "--port", str(port)], stdout=log.open("w"), stderr=subprocess.STDOUT,
        env=environment,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180  # a loaded machine imports the stack slowly
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"serve stopped: {log.read_text()[-2000:]}") from None
                if time.monotonic() > deadline:
                    stopped = f"serve did not answer in 180 s: {log.read_text()[-2000:]}"
                    raise SystemExit(stopped) from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
