"""`serve` over real HTTP on loopback (uvicorn in a thread; `serve` itself for two
workers): the Open Inference Protocol beside /predict, the bearer token, the metrics
and the access log. (A client of the
protocol, tritonclient, scores a registered model in the template's tests.)"""

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import uvicorn

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.operate.bundle import EXPECTED_MD5, Served, write_bundle
from {{ cookiecutter.package_name }}.operate.metrics import MULTIPROCESS
from {{ cookiecutter.package_name }}.operate.serve import app
from {{ cookiecutter.package_name }}.pipeline.model import save

from .conftest import fit, mixed_table

TOKEN = "a-token-of-32-characters-exactly"


@contextlib.contextmanager
def listening(service):
    """``service`` answering on a free loopback port; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(service, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def call(url: str, body: object = None, token: str | None = None):
    """(status, headers, JSON or text answer) of a GET, or of a POST of ``body``."""
    data = None if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, header, text = answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, header, text = error.code, error.headers, error.read().decode()
    with contextlib.suppress(ValueError):
        return status, header, json.loads(text)
    return status, header, text


@pytest.fixture(scope="module")
def model_and_rows():
    """A classification model with an ID column (text, yes/no, dates, missing values), and
    three rows for it as /predict takes them (the third lacks x01)."""
    frame = mixed_table("classification", rows=120)
    model = fit(frame, "classification", ids=["customer_id"])
    rows = json.loads(frame.drop(columns="target").head(3).to_json(orient="records"))
    rows[2]["x01"] = None
    return model, rows


@pytest.fixture(scope="module")
def url(model_and_rows):
    model, _ = model_and_rows
    with listening(app(Served("a-model", "v1.0.0", None, None), model)) as base:
        yield base


def inputs_of(rows: list[dict], metadata: dict) -> list[dict]:
    """The protocol's inputs for ``rows``: one per input the metadata lists, yes/no as
    true/false, and the ID column as BYTES."""
    inputs = []
    for tensor in metadata["inputs"]:
        values = [row[tensor["name"]] for row in rows]
        if tensor["datatype"] == "BOOL":
            values = [value == "yes" for value in values]
        inputs.append({**tensor, "shape": [len(rows)], "data": values})
    ids = [row["customer_id"] for row in rows]
    return [*inputs, {"name": "customer_id", "shape": [len(rows)], "datatype": "BYTES",
                      "data": ids}]  # fmt: skip


def test_the_protocol_scores_as_predict_does(url, model_and_rows):
    """Health, server and model metadata (inputs typed from the schema), model ready in
    both path forms; infer scores the rows as /predict does, a null as a missing value,
    the ID carried; ``outputs`` picks outputs; the request's id comes back."""
    _, rows = model_and_rows
    assert call(f"{url}/v2/health/live")[2] == {"live": True}
    assert call(f"{url}/v2/health/ready")[2] == {"ready": True}
    assert call(f"{url}/v2")[2]["extensions"] == []
    status, _, metadata = call(f"{url}/v2/models/a-model")
    assert status == 200 and metadata == call(f"{url}/v2/models/a-model/versions/v1.0.0")[2]
    assert metadata["name"] == "a-model" and metadata["versions"] == ["v1.0.0"]
    datatypes = {tensor["name"]: tensor["datatype"] for tensor in metadata["inputs"]}
    assert datatypes == {"x00": "FP64", "x01": "FP64", "x02": "FP64", "x03": "FP64",
                         "plan": "BYTES", "newsletter": "BOOL", "signed_up": "BYTES"}  # fmt: skip
    assert [tensor["name"] for tensor in metadata["outputs"]] == [
        "predicted", "proba_churned", "proba_stayed",
    ]  # fmt: skip
    assert {tensor["datatype"] for tensor in metadata["outputs"]} == {"BYTES", "FP64"}
    for path in ("a-model/ready", "a-model/versions/v1.0.0/ready"):
        assert call(f"{url}/v2/models/{path}")[2] == {"name": "a-model", "ready": True}

    status, _, expected = call(f"{url}/predict", {"rows": rows})
    assert status == 200
    request = {"id": "42", "inputs": inputs_of(rows, metadata)}
    status, _, answer = call(f"{url}/v2/models/a-model/infer", request)
    assert status == 200, answer
    assert answer["model_name"] == "a-model" and answer["model_version"] == "v1.0.0"
    assert answer["id"] == "42"
    outputs = {output["name"]: output for output in answer["outputs"]}
    assert list(outputs) == ["predicted", "proba_churned", "proba_stayed", "customer_id"]
    assert outputs["predicted"]["data"] == [row["predicted"] for row in expected["predictions"]]
    for label in ("churned", "stayed"):
        served = outputs[f"proba_{label}"]
        assert served["shape"] == [3] and served["datatype"] == "FP64"
        assert served["data"] == [row["probabilities"][label] for row in expected["predictions"]]
    assert outputs["customer_id"]["data"] == [row["customer_id"] for row in rows]

    # Nested [n, 1] data, the versioned path, one output asked for.
    nested = [{**tensor, "shape": [3, 1], "data": [[value] for value in tensor["data"]]}
              for tensor in request["inputs"]]  # fmt: skip
    only = {"inputs": nested, "outputs": [{"name": "proba_churned"}]}
    status, _, answer = call(f"{url}/v2/models/a-model/versions/v1.0.0/infer", only)
    assert status == 200 and [output["name"] for output in answer["outputs"]] == ["proba_churned"]
    assert answer["outputs"][0]["data"] == outputs["proba_churned"]["data"]


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (lambda _: b"{not json", 400, "the body is not JSON"),
        (lambda _: {"inputs": []}, 400, "inputs: List should have at least 1 item"),
        (lambda r: {"inputs": [{**r["inputs"][0], "datatype": "FP128"}]}, 400,
         "inputs.0.datatype: Input should be 'BOOL'"),
        (lambda r: {"inputs": r["inputs"][1:]}, 400, "missing input(s) for 1 feature(s): 'x00'"),
        (lambda r: {"inputs": [*r["inputs"], {**r["inputs"][0], "name": "x" * 10_000}]}, 400,
         "is not an input of this model"),
        (lambda r: {"inputs": [*r["inputs"], r["inputs"][0]]}, 400, "'x00' is given twice"),
        (lambda r: {"inputs": [{**r["inputs"][0], "shape": [2]}, *r["inputs"][1:]]}, 400,
         "inputs[0] ('x00'): data: 3 value(s) for shape [2]"),
        (lambda r: {"inputs": [{**r["inputs"][0], "shape": [3, 2]}, *r["inputs"][1:]]}, 400,
         "shape [3, 2]: expected [n] or [n, 1]"),
        (lambda r: {"inputs": [{**r["inputs"][0], "data": [1, "2", 3]}, *r["inputs"][1:]]},
         400, "inputs[0] ('x00'): data[1]: expected a number (FP64), found str"),
        (lambda r: {"inputs": [{**r["inputs"][0], "datatype": "INT8", "data": [1, 2, 300]},
                               *r["inputs"][1:]]}, 400,
         "data[2]: expected an integer from -128 to 127 (INT8), found int"),
        (lambda r: {"inputs": [{**r["inputs"][0], "datatype": "BYTES"}, *r["inputs"][1:]]},
         400, "datatype BYTES: the column is numeric, expected FP64"),
        (lambda r: {"inputs": [{**r["inputs"][0], "data": [1e300, 0, 0]}, *r["inputs"][1:]]},
         400, "rows[0]: column x00: expected a number within ±3.4e+38, found 1e+300"),
        (lambda r: {"inputs": [{**r["inputs"][6], "data": ["soon", "x", "y"]},
                               *r["inputs"][:6]]}, 400,
         "column signed_up: expected dates, found 'soon' (3 row(s))"),
        (lambda r: {"inputs": [{**r["inputs"][0], "shape": [2], "data": [1, 2]},
                               *r["inputs"][1:]]}, 400, "different numbers of rows: [2, 3]"),
        (lambda r: {**r, "outputs": [{"name": "proba_maybe"}]}, 400, "no output 'proba_maybe'"),
        (lambda r: {"inputs": [{**r["inputs"][0], "parameters": {"binary_data_size": 24}},
                               *r["inputs"][1:]]}, 400, "binary tensor data is not supported"),
    ],
)  # fmt: skip
def test_the_protocol_refuses_what_is_not_its_request(
    url, model_and_rows, change, status, message
):
    """Each request not of the protocol's schema, or not of the model's inputs, is a 400
    with the protocol's {"error": ...} naming the input, element or column; short (a
    10,000-character name is not echoed)."""
    _, rows = model_and_rows
    metadata = call(f"{url}/v2/models/a-model")[2]
    request = {"inputs": inputs_of(rows, metadata)}
    got, _, answer = call(f"{url}/v2/models/a-model/infer", change(request))
    assert got == status and list(answer) == ["error"], answer
    assert message in answer["error"] and len(answer["error"]) < 500


def test_another_model_or_version_is_not_found(url):
    for path in ("other/infer", "a-model/versions/v9/infer", "other", "a-model/versions/v9"):
        body = {"inputs": []} if path.endswith("infer") else None
        status, _, answer = call(f"{url}/v2/models/{path}", body)
        assert status == 404 and "this server serves a-model" in answer["error"], path


def test_a_token_guards_all_but_health_and_metrics(model_and_rows, monkeypatch, tmp_path):
    """With SERVE_TOKEN (or SERVE_TOKEN_FILE) set, /predict, metadata and the protocol's
    model routes want ``Authorization: Bearer <token>`` (401 and WWW-Authenticate:
    Bearer without it, or with another); /health, /v2/health/* and /metrics do not. A
    token too short, an unreadable file, or both variables are refused at start."""
    model, rows = model_and_rows
    served = Served("a-model", "v1.0.0", None, None)
    (tmp_path / "token").write_text(f"{TOKEN}\n", encoding="utf-8")
    for variable, value in (("SERVE_TOKEN", TOKEN), ("SERVE_TOKEN_FILE", tmp_path / "token")):
        monkeypatch.delenv("SERVE_TOKEN", raising=False)
        monkeypatch.setenv(variable, str(value))
        with listening(app(served, model)) as url:
            for path in ("/health", "/v2/health/live", "/v2/health/ready", "/metrics"):
                assert call(f"{url}{path}")[0] == 200, path
            status, headers, answer = call(f"{url}/predict", {"rows": rows})
            assert status == 401 and answer == {"detail": "a bearer token is required"}
            assert headers["WWW-Authenticate"] == 'Bearer realm="serve"'
            status, headers, answer = call(f"{url}/v2/models/a-model", token="x" + TOKEN[1:])
            assert status == 401 and answer == {"error": "invalid bearer token"}
            assert headers["WWW-Authenticate"] == 'Bearer realm="serve", error="invalid_token"'
            assert call(f"{url}/metadata")[0] == 401
            assert call(f"{url}/predict", {"rows": rows}, token=TOKEN)[0] == 200
            assert call(f"{url}/v2/models/a-model", token=TOKEN)[0] == 200
    monkeypatch.setenv("SERVE_TOKEN", TOKEN)
    with pytest.raises(ProjectError, match="SERVE_TOKEN and SERVE_TOKEN_FILE are both set"):
        app(served, model)
    monkeypatch.delenv("SERVE_TOKEN_FILE")
    monkeypatch.setenv("SERVE_TOKEN", "short")
    with pytest.raises(ProjectError, match="SERVE_TOKEN: expected a token of at least 16"):
        app(served, model)
    monkeypatch.delenv("SERVE_TOKEN")
    monkeypatch.setenv("SERVE_TOKEN_FILE", str(tmp_path / "absent"))
    with pytest.raises(ProjectError, match=f"SERVE_TOKEN_FILE={tmp_path / 'absent'}: cannot"):
        app(served, model)


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` whose labels include ``labels``, else 0."""
    for line in metrics.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_and_one_log_line_per_request(url, model_and_rows, capsys):
    """/metrics counts requests by route and status, rows scored, errors by kind and
    latency, each labelled with the model's version; each request logs one JSON line with
    no value of its body."""
    _, rows = model_and_rows
    before = call(f"{url}/metrics")[2]
    labels = {"route": "/predict", "version": "v1.0.0", "model": "a-model"}
    assert call(f"{url}/predict", {"rows": rows})[0] == 200
    assert call(f"{url}/predict", {"rows": [{**rows[0], "x00": "high"}]})[0] == 422
    assert call(f"{url}/v2/models/a-model/infer", b"[]")[0] == 400
    assert call(f"{url}/nowhere")[0] == 404
    status, headers, after = call(f"{url}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")

    def grew(name, **more):
        return sample(after, name, **more) - sample(before, name, **more)

    assert grew("serve_requests_total", **labels, method="POST", status="200") == 1
    assert grew("serve_requests_total", **labels, method="POST", status="422") == 1
    assert grew("serve_rows_scored_total", **labels) == 3
    assert grew("serve_errors_total", **labels, kind="invalid_input") == 1
    infer = {"route": "/v2/models/{name}/infer", "kind": "invalid_request"}
    assert grew("serve_errors_total", **infer) == 1
    assert grew("serve_errors_total", route="unmatched", kind="not_found") == 1
    assert grew("serve_request_duration_seconds_count", **labels) == 2
    assert grew("serve_request_duration_seconds_bucket", **labels, le="+Inf") == 2

    lines: list[str] = []
    deadline = time.monotonic() + 30  # each line is written once its answer is sent
    while len(lines) < 6:
        assert time.monotonic() < deadline, lines
        lines += capsys.readouterr().out.splitlines()
        time.sleep(0.05)
    logged = [json.loads(line) for line in lines]
    assert sorted(
        (line["method"], line["route"], line["status"], line["rows"], line["error"])
        for line in logged
        if line["route"] != "/metrics"
    ) == [
        ("GET", "unmatched", 404, 0, "not_found"),
        ("POST", "/predict", 200, 3, None), ("POST", "/predict", 422, 0, "invalid_input"),
        ("POST", "/v2/models/{name}/infer", 400, 0, "invalid_request"),
    ]  # fmt: skip
    assert {line["version"] for line in logged} == {"v1.0.0"}
    assert all(line["duration_ms"] >= 0 and line["time"].endswith("Z") for line in logged)
    assert "high" not in "\n".join(lines) and rows[0]["customer_id"] not in "\n".join(lines)


def test_two_workers_report_their_metrics_together(model_and_rows, tmp_path):
    """`serve --workers 2` over real HTTP: whichever worker answers a scrape, /metrics
    counts the requests both answered (prometheus-client's multiprocess mode)."""
    model, rows = model_and_rows
    folder = tmp_path / "bundle"
    save(model, tmp_path / "model.joblib")
    data = (tmp_path / "model.joblib").read_bytes()
    write_bundle(Served("a-model", "v1.0.0", None, None), data, folder)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environment = {**os.environ, EXPECTED_MD5: hashlib.md5(data).hexdigest()}
    environment.pop(MULTIPROCESS, None)
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "serve", "--bundle",
               str(folder), "--port", str(port), "--workers", "2"]  # fmt: skip
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # three processes import the stack
        while (text := (tmp_path / "serve.log").read_text()).count("startup complete") < 2:
            assert server.poll() is None and time.monotonic() < deadline, text[-2000:]
            time.sleep(0.2)
        # Four clients at once, so that both workers answer (each is busy in turn).
        with ThreadPoolExecutor(4) as clients:
            body = {"rows": rows}
            answers = list(clients.map(lambda _: call(f"{url}/predict", body), range(24)))
        assert {status for status, _, _ in answers} == {200}
        labels = {"route": "/predict", "status": "200", "model": "a-model"}
        for _ in range(6):  # scrapes: each answered by either worker
            scraped = call(f"{url}/metrics")[2]
            assert sample(scraped, "serve_requests_total", **labels) == 24
            assert sample(scraped, "serve_rows_scored_total", route="/predict") == 24 * len(rows)
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
