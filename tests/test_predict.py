"""Scoring from the registry on a real repository: `predict` (batch) and `serve` (HTTP)
load the version at the production stage (GTO tags) or an explicit version, through DVC
at its commit; the container image serves a version's bundle."""

import concurrent.futures
import contextlib
import hashlib
import http.client
import json
import os
import pty
import re
import shlex
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tritonclient.http

from harness.bake import bake
from harness.env import assign_by_hand, environ, install, register_by_hand, run

from .conftest import edit_yaml, free_port, git, hgb, readme_commands, server, swap_bundle


@pytest.fixture(scope="module")
def registry(tmp_path_factory, project_env):
    """v1.0.0 in production; v1.1.0 (another learning rate) registered, not promoted.
    Shared by the tests below, which only read it."""
    tmp_path = tmp_path_factory.mktemp("registry")
    project = bake(tmp_path / "out", problem_type="classification")
    install(project, project_env)
    for version, rate in (("v1.0.0", 0.1), ("v1.1.0", 0.05)):
        edit_yaml(
            project / "params.yaml",
            lambda p, rate=rate: hgb(p).update(learning_rate=rate),
        )
        run(project, "dvc", "repro")
        git(project, "add", "--all")
        git(project, "commit", "-q", "-m", f"Model {version}")
        register_by_hand(project, "churn-model", "HEAD", version)
    assign_by_hand(project, "churn-model", "v1.0.0", "prod")
    batch = pd.read_parquet(project / "data" / "prepared" / "test.parquet")
    batch.drop(columns=["target", "row"], errors="ignore").to_csv(
        tmp_path / "batch.csv", index=False
    )
    return project, tmp_path / "batch.csv"


def test_predict_uses_production_by_default_and_any_version_on_request(registry, tmp_path):
    project, batch = registry
    default = run(project, "python", "-m", "churn_model", "predict", str(batch), "prod.parquet")
    head = git(project, "rev-parse", "--short=7", "HEAD~1")
    rows = len(pd.read_csv(batch))
    assert f"{rows} rows scored with churn-model prod v1.0.0 ({head})" in default.stdout
    newer = run(
        project, "python", "-m", "churn_model", "predict", str(batch), "v11.csv",
        "--version", "v1.1.0",
    )  # fmt: skip
    assert "with churn-model v1.1.0" in newer.stdout
    production = pd.read_parquet(project / "prod.parquet")
    candidate = pd.read_csv(project / "v11.csv")
    workspace = pd.read_parquet(project / "eval" / "predictions.parquet")  # v1.1.0's own
    assert len(production) == len(candidate) == rows
    assert candidate["proba_1"].to_numpy() == pytest.approx(workspace["proba_1"].to_numpy())
    assert (production["proba_1"] != candidate["proba_1"]).any()


def test_unknown_version_is_refused_and_nothing_is_written(registry):
    project, batch = registry
    failed = run(
        project, "python", "-m", "churn_model", "predict", str(batch), "out.csv",
        "--version", "v9.9.9", check=False,
    )  # fmt: skip
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: model churn-model: no version v9.9.9 in the registry")
    assert "gto show churn-model" in failed.stderr
    assert not (project / "out.csv").exists()


def post(url: str, body: object) -> tuple[int, dict]:
    """(status, JSON answer) of a POST of ``body`` as JSON."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.load(answer)


@contextlib.contextmanager
def serving(project, command: list[str], log, **env: str):
    """``command`` (a `serve`; ``{port}`` in it is replaced) started in ``project``; its
    base URL once /health answers."""
    port = str(free_port())
    command = [part.replace("{port}", port) for part in command]
    url = f"http://127.0.0.1:{port}"
    environment = environ(**{key: value.replace("{port}", port) for key, value in env.items()})
    with server(command, f"{url}/health", "serve", log, cwd=project, env=environment):
        yield url


def test_serve_answers_like_predict_and_names_what_is_wrong(registry, tmp_path):
    """`serve` (production's model by default) on loopback, real HTTP: the scores equal
    `predict`'s, and a client of the Open Inference Protocol (tritonclient) gets /predict's
    answer; /health and /metadata; a missing column, text in a numeric column, a list for
    a value, no rows and a body that is not JSON are each a 422 naming it."""
    project, batch = registry
    rows = pd.read_csv(batch)
    records = json.loads(rows.head(25).to_json(orient="records"))
    run(project, "python", "-m", "churn_model", "predict", str(batch), "prod.csv")
    expected = pd.read_csv(project / "prod.csv").head(25)
    shown = readme_commands(project, "Serving")
    assert shown[:2] == [["make", "serve"], ["VERSION=v1.2.0", "PORT=8001", "make", "serve"]]
    with serving(project, ["make", "serve"], tmp_path / "serve.log", PORT="{port}") as url:
        assert get(f"{url}/health") == {"status": "ok"}
        # The README's request, as it is shown (its port is the one this test serves on).
        (project / "rows.json").write_text(json.dumps({"rows": records[:2]}), encoding="utf-8")
        curl = shlex.split(" ".join(shown[2]).replace("http://127.0.0.1:8000", url))
        shown_answer = json.loads(subprocess.run(curl, cwd=project, capture_output=True,
                                                 text=True, check=True).stdout)  # fmt: skip
        assert len(shown_answer["predictions"]) == 2
        # The README's protocol metadata and metrics.
        shown_metadata = json.loads(shell(project, shown[3], url))
        assert shown_metadata["name"] == "churn-model" and shown_metadata["inputs"]
        assert 'serve_rows_scored_total{model="churn-model",route="/predict",version="v1.0.0"}' \
            in shell(project, shown[4], url)  # fmt: skip
        metadata = get(f"{url}/metadata")
        head = git(project, "rev-parse", "HEAD~1")
        assert {key: metadata[key] for key in ("model", "version", "stage", "commit")} == {
            "model": "churn-model", "version": "v1.0.0", "stage": "prod", "commit": head,
        }  # fmt: skip
        assert metadata["features"]["mean radius"] == "numeric"
        assert metadata["classes"] == [0, 1] and metadata["target"] == "target"

        status, answer = post(f"{url}/predict", {"rows": records})
        assert status == 200 and answer["version"] == "v1.0.0"
        served = [row["probabilities"]["1"] for row in answer["predictions"]]
        assert served == pytest.approx(expected["proba_1"].tolist())
        assert [row["predicted"] for row in answer["predictions"]] == expected[
            "predicted"
        ].tolist()
        status, one = post(f"{url}/predict", {"rows": records[:1]})
        assert status == 200 and one["predictions"] == answer["predictions"][:1]
        assert protocol_client_scores(url, records[0]) == one["predictions"][0]

        missing = {key: value for key, value in records[0].items() if key != "mean radius"}
        text = {**records[0], "mean radius": "large"}
        nested = {**records[0], "mean radius": [1.0]}
        refused = {
            "rows: missing mean radius in every row": {"rows": [missing]},
            "rows[1]: column mean radius: expected numbers, found 'large'": {
                "rows": [records[0], text]
            },
            "rows[0]: column mean radius: expected a number": {"rows": [nested]},
            "rows[0]: column mean radius: expected a number, found true": {
                "rows": [{**records[0], "mean radius": True}]
            },
            "rows: expected at least 1 row, found none": {"rows": []},
            'expected an object {"rows": [{column: value, ...}, ...]}': {"records": records},
            "the body is not JSON: Expecting property name": b"{not json",
        }
        for expected_text, body in refused.items():
            status, answer = post(f"{url}/predict", body)
            assert status == (400 if b"not json" in body else 422), (expected_text, answer)
            assert answer["detail"].startswith(expected_text), (expected_text, answer)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
    # The README's second line: another registered version (v1.1.0 here), another port;
    # with the README's token, which all but the health checks need.
    shell(project, shown[5], "")
    assert shown[6] == ["SERVE_TOKEN_FILE=serve-token", "make", "serve"]
    with serving(project, ["make", "serve"], tmp_path / "v11.log", PORT="{port}",
                 VERSION="v1.1.0", SERVE_TOKEN_FILE="serve-token") as url:  # fmt: skip
        assert get(f"{url}/v2/health/ready") == {"ready": True}
        with pytest.raises(urllib.error.HTTPError, match="401"):
            get(f"{url}/metadata")
        assert len(json.loads(shell(project, shown[7], url))["predictions"]) == 2
        token = (project / "serve-token").read_text(encoding="utf-8").strip()
        request = urllib.request.Request(f"{url}/metadata", headers={
            "Authorization": f"Bearer {token}"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert json.load(answer)["version"] == "v1.1.0"


def shell(project, command: list[str], url: str) -> str:
    """The output of a README ``command`` run by bash in ``project`` (the project's
    environment), its http://127.0.0.1:8000 replaced by ``url``."""
    line = " ".join(command).replace("http://127.0.0.1:8000", url)
    done = subprocess.run(["bash", "-c", line], cwd=project, env=environ(),
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout


def protocol_client_scores(url: str, row: dict) -> dict:
    """``row`` scored through the Open Inference Protocol by a real client of it (Triton's
    HTTP client), its inputs built from the model's metadata; as /predict answers."""
    client = tritonclient.http.InferenceServerClient(url.removeprefix("http://"))
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready("churn-model", "v1.0.0")
        metadata = client.get_model_metadata("churn-model")
        assert metadata["versions"] == ["v1.0.0"] and len(metadata["inputs"]) == len(row)
        inputs = []
        for tensor in metadata["inputs"]:
            assert tensor["datatype"] == "FP64" and tensor["shape"] == [-1]
            sent = tritonclient.http.InferInput(tensor["name"], [1], "FP64")
            sent.set_data_from_numpy(np.array([row[tensor["name"]]]), binary_data=False)
            inputs.append(sent)
        result = client.infer("churn-model", inputs, model_version="v1.0.0")
        assert result.get_response()["model_version"] == "v1.0.0"
        probabilities = {label: float(result.as_numpy(f"proba_{label}")[0]) for label in "01"}
        return {"predicted": int(result.as_numpy("predicted")[0]), "probabilities": probabilities}
    finally:
        client.close()


def rss_kb(pid: int, field: str) -> int:
    """A process's resident memory from /proc: VmRSS (now) or VmHWM (its peak), in kB."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))


def raw_request(port: int, head: bytes, body: bytes = b"") -> tuple[int, dict]:
    """(status, JSON answer) of a request written as is; the server may answer before the
    whole body it announces has been sent (a refusal by Content-Length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head + body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, json.loads(answer.read())


def closed(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (it reads the end), in at most 60 s: a timeout
    is an open connection."""
    sock.settimeout(60)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_serve_refuses_abuse_with_its_memory_bounded(registry, tmp_path):
    """The server's limits, each a request an attacker could send, over real HTTP: a body
    over the cap (announced, or streamed in chunks), concurrent ones, a row of a million
    extra columns, too many rows, a 400-digit number, a huge string: each a 4xx naming
    the row and column without echoing the input, and the server's peak RSS within a
    bound of its idle RSS; while requests are scored and a scoring slot is held, /health
    answers and a request beyond the slots is a 503; slow headers, a slow body and
    connections beyond the cap are closed."""
    project, batch = registry
    port = free_port()
    command = [
        "python", "-m", "churn_model", "serve", "--port", str(port), "--max-concurrent", "2",
        "--header-timeout", "3", "--body-timeout", "3", "--max-connections", "20",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    records = json.loads(pd.read_csv(batch).to_json(orient="records"))
    row = records[0]
    log = tmp_path / "serve.log"
    with server(command, f"{url}/health", "serve", log, cwd=project, env=environ()) as process:
        assert post(f"{url}/predict", {"rows": records[:5]})[0] == 200
        idle = rss_kb(process.pid, "VmRSS")

        # Over the cap by Content-Length: refused before a byte of the body is read.
        # (the size of a row of 1,000,000 extra columns: 19 MB)
        head = "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 19000000\r\n\r\n"
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: raw_request(port, head.encode()), range(8)))
        for status, answer in answers:
            assert status == 413, answer
            assert answer["detail"] == "the body is over 1,048,576 bytes (serve --max-body-bytes)"
        # Streamed in chunks (no length): refused once the cap is passed.
        chunk = b"x" * 65_536
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(40))
        head = b"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        assert raw_request(port, head, chunked)[0] == 413

        # Within the cap: a row of extra columns, too many rows, numbers and text too big.
        extra = {**row, **{f"c{i}": 1 for i in range(60_000)}, "x" * 500: 1}
        status, answer = post(f"{url}/predict", {"rows": [row, extra]})
        assert status == 422
        assert answer["detail"].startswith(
            "rows[1]: column(s) the model does not read: 'c0', 'c1', 'c2', 'c3', 'c4' and "
            "59,996 more (GET /metadata lists its features and ID columns)"
        ), answer
        status, answer = post(f"{url}/predict", {"rows": [row] * 1_001})
        assert status == 422 and answer["detail"] == (
            "rows: at most 1,000 rows per request, found 1,001"
        )
        digits = json.dumps({"rows": [row, {**row, "mean radius": "@"}]})
        status, answer = post(f"{url}/predict", digits.replace('"@"', "9" * 400).encode())
        assert status == 422 and answer["detail"] == (
            "rows[1]: column mean radius: expected a number within ±3.4e+38, found a number of "
            "400 digits"
        ), answer
        status, answer = post(f"{url}/predict", b'{"rows": [' + b"9" * 5_000 + b"]}")
        assert status == 422 and answer["detail"] == "the body holds a number of over 4,300 digits"
        status, answer = post(f"{url}/predict", {"rows": [{**row, "mean radius": "z" * 900_000}]})
        assert status == 422 and len(json.dumps(answer)) < 300, answer
        assert answer["detail"].startswith("rows[0]: column mean radius: expected numbers, found")

        # Scoring in flight (two clients, 1,000 rows each): /health still answers.
        stop = threading.Event()

        def scoring() -> list[int]:
            statuses = []
            while not stop.is_set():
                statuses.append(post(f"{url}/predict", {"rows": (records * 10)[:900]})[0])
            return statuses

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            clients = [pool.submit(scoring) for _ in range(2)]
            for _ in range(5):
                assert get(f"{url}/health") == {"status": "ok"}
            stop.set()
            assert {status for client in clients for status in client.result()} <= {200, 503}

        # Both scoring slots held by bodies arriving slowly: a third request is a 503,
        # /health answers; the slow bodies' connections are closed (--body-timeout).
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        for sock in slow:
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        for _ in range(100):  # until both reach the server (a loaded machine: later)
            status, answer = post(f"{url}/predict", {"rows": [row]})
            if status != 200:
                break
            time.sleep(0.02)
        assert status == 503 and answer["detail"].startswith("busy: 2 requests in flight")
        assert get(f"{url}/health") == {"status": "ok"}
        assert all(closed(sock) for sock in slow)
        # Headers that never end, and an idle connection, are closed (--header-timeout);
        # beyond 20 open connections, a new one is closed at once.
        partial = socket.create_connection(("127.0.0.1", port))
        partial.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        idle_ones = [socket.create_connection(("127.0.0.1", port)) for _ in range(25)]
        assert closed(partial) and all(closed(sock) for sock in idle_ones)
        assert log.read_text().count("over 20 open connections: one closed") >= 5
        for sock in [*slow, partial, *idle_ones]:
            sock.close()
        assert get(f"{url}/health") == {"status": "ok"}
        assert post(f"{url}/predict", {"rows": records[:5]})[0] == 200
        peak = rss_kb(process.pid, "VmHWM")
    # Generous (a 1 MiB body costs tens of MB parsed), far below the 790 MB that one
    # request of a million columns took without limits.
    assert peak < idle + 200_000, (idle, peak)
    assert "Traceback" not in log.read_text()


def image_command(project, bundle) -> list[str]:
    """The Dockerfile's CMD as this machine runs it: the project environment's python,
    ``bundle`` for /app/model, ``{port}`` for the port."""
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    [cmd] = [line for line in dockerfile.splitlines() if line.startswith("CMD ")]
    command = json.loads(cmd.removeprefix("CMD "))
    assert command[0] == "/opt/venv/bin/python" and "/app/model" in command
    port_at = command.index("--port")
    command = ["python", *command[1:port_at], "--port", "{port}"]
    return [str(bundle) if part == "/app/model" else part for part in command]


def test_the_image_serves_the_bundle_of_a_version(registry, tmp_path):
    """`bundle --version` writes the version's model and metadata; `verify-bundle`
    checks them against the registry; the Dockerfile's own command serves them (no
    Docker engine here: its CMD is run with the bundle's folder), in the project's
    checkout with the md5 the registry records, elsewhere with the image's MODEL_MD5."""
    project, batch = registry
    bundle = project / "build" / "image"
    done = run(project, "make", "bundle", VERSION="v1.1.0")
    assert "bundle: churn-model v1.1.0" in done.stdout
    md5 = hashlib.md5((bundle / "model.joblib").read_bytes()).hexdigest()
    checked = run(project, "make", "verify-bundle", VERSION="v1.1.0").stdout
    head = git(project, "rev-parse", "--short=7", "HEAD")
    assert f"holds churn-model v1.1.0 ({head})" in checked
    assert f"(md5 {md5})" in checked
    other = run(project, "make", "verify-bundle", VERSION="v1.0.0", check=False)
    assert other.returncode != 0 and "names churn-model v1.1.0 at commit" in other.stderr
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY build/image/ /app/model/" in dockerfile and "\nUSER model\n" in dockerfile
    assert "\nENV MODEL_MD5=${MODEL_MD5}\n" in dockerfile
    command = image_command(project, bundle)
    records = json.loads(pd.read_csv(batch).head(3).to_json(orient="records"))
    with serving(project, command, tmp_path / "image.log") as url:
        metadata = get(f"{url}/metadata")
        assert metadata["version"] == "v1.1.0" and metadata["stage"] is None
        status, answer = post(f"{url}/predict", {"rows": records})
        assert status == 200 and answer["version"] == "v1.1.0"
    assert (
        f"md5 {md5}, as the registry's record of v1.1.0 names it"
        in (tmp_path / "image.log").read_text()
    )
    # As in the image: no checkout, the md5 the build was given, and the environment its
    # `RUN uv` lines make (the `serve` group and the package, from uv.lock): nothing of
    # the training stack, and the bundle served from it.
    elsewhere = tmp_path / "app"
    shutil.copytree(bundle, elsewhere / "model")
    venv = tmp_path / "serve-venv"  # the image's /opt/venv, made by its Python
    run(project, "uv", "venv", "--quiet", "--python", "python", str(venv))
    image_env = {"UV_PROJECT_ENVIRONMENT": str(venv), "VIRTUAL_ENV": str(venv)}
    for line in dockerfile.splitlines():
        if line.startswith("RUN uv "):
            run(project, "sh", "-c", line.removeprefix("RUN "), **image_env)
    installed = {
        path.name.split("-")[0].lower() for path in venv.glob("lib/*/site-packages/*.dist-info")
    }
    assert {"fastapi", "uvicorn", "scikit_learn", "churn_model"} <= installed
    assert not {"dvc", "dvclive", "gto", "pytest", "ruff", "pyarrow"} & installed, installed
    moved = image_command(project, elsewhere / "model")
    moved[0] = str(venv / "bin" / "python")
    with serving(elsewhere, moved, tmp_path / "app.log", MODEL_MD5=md5) as url:
        assert get(f"{url}/metadata")["version"] == "v1.1.0"
        status, answer = post(f"{url}/predict", {"rows": records})
        assert status == 200 and answer["version"] == "v1.1.0"
    assert f"md5 {md5}, as MODEL_MD5 names it" in (tmp_path / "app.log").read_text()

    # The build's check that the bundle is of VERSION and its model file of MODEL_MD5
    # (its RUN line, on the bundle here).
    [check] = [line for line in dockerfile.splitlines() if line.startswith('RUN ["python"')]
    code = json.loads(check.removeprefix("RUN "))[2].replace("/app/model", str(bundle))
    assert run(project, "python", "-c", code, VERSION="v1.1.0", MODEL_MD5=md5).returncode == 0
    other = run(project, "python", "-c", code, VERSION="v1.0.0", MODEL_MD5=md5, check=False)
    assert other.returncode == 1 and "build/image holds v1.1.0, not VERSION=v1.0.0" in other.stderr
    wrong = run(project, "python", "-c", code, VERSION="v1.1.0", MODEL_MD5="0" * 32, check=False)
    assert wrong.returncode == 1
    assert f"build/image/model.joblib has md5 {md5}, not MODEL_MD5={'0' * 32}" in wrong.stderr


def test_a_swapped_bundle_is_refused_before_it_is_loaded(registry, tmp_path):
    """A bundle whose model file is a pickle that runs a command when loaded, its
    metadata carrying that pickle's md5 (a bundle that vouches for itself): `serve
    --bundle` refuses it before unpickling, in the project's checkout (the registry's
    record) and with the image's MODEL_MD5 alike, and `verify-bundle` refuses it; without
    either md5, `serve --bundle` refuses even the genuine bundle, saying how to give it.
    The payload never runs."""
    project, _ = registry
    genuine, swapped = tmp_path / "genuine", tmp_path / "swapped"
    run(project, "python", "-m", "churn_model", "bundle", "--version", "v1.1.0",
        "--to", str(genuine))  # fmt: skip
    md5 = hashlib.md5((genuine / "model.joblib").read_bytes()).hexdigest()
    shutil.copytree(genuine, swapped)
    marker = tmp_path / "payload-ran"
    payload_md5 = swap_bundle(swapped, marker)
    # (a bounded time: a regression would serve)
    serve = ["timeout", "120", "python", "-m", "churn_model", "serve", "--bundle", str(swapped)]
    serve += ["--port", str(free_port())]

    in_checkout = run(project, *serve, check=False)
    assert in_checkout.returncode == 1, in_checkout.stdout + in_checkout.stderr
    assert in_checkout.stderr.startswith(
        f"error: {swapped / 'model.joblib'}: its bytes (md5 {payload_md5}) are not the ones "
        f"the registry's record of v1.1.0 names (md5 {md5}); refused before loading"
    ), in_checkout.stderr
    in_image = run(tmp_path, *serve, check=False, MODEL_MD5=md5)
    assert in_image.returncode == 1
    assert f"are not the ones MODEL_MD5 names (md5 {md5}); refused before" in in_image.stderr
    verified = run(project, "python", "-m", "churn_model", "verify-bundle", "v1.1.0",
                   "--bundle", str(swapped), check=False)  # fmt: skip
    assert verified.returncode == 1
    assert f"its bytes (md5 {payload_md5}) are not the ones the registry's" in verified.stderr
    nothing = run(tmp_path, *serve[:-3], str(genuine), *serve[-2:], check=False)
    assert nothing.returncode == 1
    assert nothing.stderr.startswith(f"error: {genuine}: no md5 to check its model file")
    assert "set MODEL_MD5" in nothing.stderr and "git checkout" in nothing.stderr
    assert "Traceback" not in in_checkout.stderr + in_image.stderr + nothing.stderr
    assert not marker.exists()


def test_predict_says_how_far_it_is_on_stderr_plain_in_logs_rewritten_on_a_terminal(registry):
    """Progress goes to stderr, stdout keeps only the summary. In a log or a pipe: plain
    lines, no \\r; on a terminal (a pseudo-terminal here): one line rewritten in place.
    A batch this small is scored in well under the 2 s that keep quick work quiet, so
    PROGRESS_INTERVAL=0 shows every chunk; without it the run says nothing (on a loaded
    machine that takes longer: nothing before those 2 s)."""
    project, batch = registry
    rows = len(pd.read_csv(batch))
    command = ["python", "-m", "churn_model", "predict", str(batch), "out.csv"]
    command += ["--model", "models/model.joblib", "--chunk-rows", "20"]
    # (a duration as progress.py writes it, whatever the machine's speed: "12 s",
    # "3 min 05 s", "1 h 02 min")
    took = r"(?:\d+ s|\d+ min \d+ s|\d+ h \d+ min)"
    line = rf"predict: scoring batch\.csv, (\d+) rows \(\d+%\), elapsed {took}(, ETA {took})?"
    settings = {"PROGRESS": "", "TERM": "xterm"}
    quiet = run(project, *command, PROGRESS_INTERVAL="", **settings)
    # Nothing on a machine that scores it within the quiet 2 s (any quiet one). A loaded
    # machine may take longer: then only progress lines, none before those 2 s, at most
    # one per 15 s and the last, never one per chunk.
    # (the first may be the heartbeat's, from before the first chunk: no rows yet)
    said = quiet.stderr.splitlines()
    shown = drop_first_heartbeats(said, took)
    done = rf"predict: {rows:,} rows, done in {took}"
    assert all(re.fullmatch(rf"{line}|{done}", text) for text in shown), quiet.stderr
    elapsed = [seconds_of(re.findall(r"(?:elapsed|done in) ([^,]+)", text)[0]) for text in said]
    assert all(value >= 2 for value in elapsed), quiet.stderr
    assert len(said) <= 2 + max(elapsed, default=0) // 15, quiet.stderr
    settings["PROGRESS_INTERVAL"] = "0"
    logged = run(project, *command, **settings)
    assert logged.stdout == quiet.stdout and logged.stdout.startswith(f"predict: {rows:,} rows")
    assert "\r" not in logged.stderr
    *lines, last = logged.stderr.splitlines()
    # a line per chunk (the share is of the file's bytes read, 256 KB ahead for CSV), and
    # maybe more from the heartbeat (every 0.25 s: before the first chunk on a loaded
    # machine, with no rows yet); then the last one
    lines = drop_first_heartbeats(lines, took)
    counts = [int(re.fullmatch(line, text)[1]) for text in lines]
    assert set(range(20, rows, 20)) <= set(counts) and counts == sorted(counts)
    assert re.fullmatch(rf"predict: {rows:,} rows, done in {took}", last)
    terminal, other = pty.openpty()
    try:
        subprocess.run(
            command, cwd=project, env=environ(**settings), stderr=other,
            stdout=subprocess.DEVNULL, check=True,
        )  # fmt: skip
    finally:
        os.close(other)
    text = read_all(terminal).decode()
    assert text.startswith("\r")
    rewrites = drop_first_heartbeats(text[1:].split("\r"), took)
    assert rewrites[0].startswith("predict: scoring batch.csv, 20 rows")
    assert text.count("\n") == 1  # the terminal writes the last \n as \r\n
    assert re.search(rf"\rpredict: {rows:,} rows, done in {took} *\r\n$", text)


def drop_first_heartbeats(lines: list[str], took: str) -> list[str]:
    """``lines`` without the heartbeat's lines from before the first chunk was scored."""
    heartbeat = rf"predict: scoring batch\.csv, 0 rows, elapsed {took} *"
    while lines and re.fullmatch(heartbeat, lines[0]):
        lines = lines[1:]
    return lines


def seconds_of(duration: str) -> int:
    """The seconds of a duration as progress.py writes it: 12 s, 3 min 05 s, 1 h 02 min."""
    units = {"s": 1, "min": 60, "h": 3600}
    numbers = duration.split()
    return sum(int(n) * units[unit] for n, unit in zip(numbers[::2], numbers[1::2], strict=True))


def read_all(terminal: int) -> bytes:
    """What a pseudo-terminal's other end was sent, once it is closed (then EIO)."""
    shown = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(terminal, 4096):
            shown += chunk
    os.close(terminal)
    return shown
