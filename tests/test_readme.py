"""Every command the template's README shows is run here (`make test` is CI itself,
`make lint` runs in .ci/run; `cruft create`, in test_update.py)."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from harness.bake import TEMPLATE

from .conftest import RATE_CHANGE, git

README = (TEMPLATE / "README.md").read_text(encoding="utf-8")


def make(*args, **env):
    return subprocess.run(
        ["make", *args],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )


def test_readme_commands_are_the_tested_ones():
    """The README shows exactly the make targets that are run by CI or below."""
    shown = set(re.findall(r"`?make (\w[\w-]*)", README))
    assert shown == {"demo", "test", "bench", "lint", "help", "install", "repro", "lock"}


def test_make_lock_makes_the_locks_the_template_has(tmp_path):
    """`make lock` bakes each Python's project and locks it: starting from the committed
    locks, nothing moves (they are current and complete); written elsewhere here."""
    result = make("lock", LOCK_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    committed = sorted((TEMPLATE / "templates" / "uv-lock").glob("*.lock"))
    assert [p.name for p in committed] == sorted(p.name for p in tmp_path.glob("*.lock"))
    for lock in committed:
        assert (tmp_path / lock.name).read_bytes() == lock.read_bytes(), lock.name
    assert re.search(r"py3\.11\.lock: \d+ packages", result.stdout)


def test_make_help_lists_the_commands():
    result = make("help")
    assert result.returncode == 0
    for target in ("demo", "test", "bench", "lint"):
        assert f"make {target}" in result.stdout


def test_cookiecutter_cli_with_defaults(tmp_path):
    """`cookiecutter --no-input <template>` makes a committed project on main."""
    cli = str(Path(sys.executable).with_name("cookiecutter"))
    subprocess.run(
        [cli, "--no-input", str(TEMPLATE)], cwd=tmp_path, check=True, capture_output=True
    )
    project = tmp_path / "churn-model"
    assert git(project, "branch", "--show-current") == "main"
    assert git(project, "status", "--porcelain") == ""


def test_replay_file_from_the_cli(tmp_path):
    """`cookiecutter --replay-file .cookiecutter.json <template>` regenerates the project."""
    cli = str(Path(sys.executable).with_name("cookiecutter"))
    first, second = tmp_path / "first", tmp_path / "second"
    subprocess.run(
        [cli, "--no-input", "-o", str(first), str(TEMPLATE), "problem_type=regression"],
        check=True,
        capture_output=True,
    )
    replay = first / "churn-model" / ".cookiecutter.json"
    subprocess.run(
        [cli, "--replay-file", str(replay), "-o", str(second), str(TEMPLATE)],
        check=True,
        capture_output=True,
    )
    again = json.loads((second / "churn-model" / ".cookiecutter.json").read_text())
    assert again == json.loads(replay.read_text())
    assert again["cookiecutter"]["problem_type"] == "regression"


def test_make_demo_needs_no_npm():
    """`make demo` sets up the Python tools alone: the npm packages are the tests'."""
    result = make("--dry-run", "--always-make", "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "python -m harness.demo" in result.stdout
    assert "npm" not in result.stdout


def in_a_terminal(command: str, timeout: float, **env: str) -> str:
    """What ``command`` prints run in a pseudo-terminal (util-linux `script`), as a user
    runs it, with no keystroke ever typed (stdin closed) and no pager settings of ours:
    a pager that waits for `q` waits until the timeout fails the test."""
    # As a user types it: no pager, and not a sub-make of `make test` (which would print
    # "Entering/Leaving directory" around it).
    drop = {"PAGER", "GIT_PAGER", "LESS", "MAKELEVEL", "MAKEFLAGS", "MFLAGS"}
    keep = {k: v for k, v in os.environ.items() if k not in drop}
    try:
        result = subprocess.run(
            ["script", "--quiet", "--return", "--command", command, "/dev/null"],
            cwd=TEMPLATE,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**keep, **env},
        )
    except subprocess.TimeoutExpired as error:
        shown = error.stdout or b""  # bytes, whatever `text` said
        shown = (shown.decode(errors="replace") if isinstance(shown, bytes) else shown)[-3000:]
        pytest.fail(f"{command} did not finish in {timeout:.0f}s (waiting for a key?):\n{shown}")
    out = ANSI.sub("", result.stdout.replace("\r\n", "\n"))
    assert result.returncode == 0, out + result.stderr
    return out


# Terminal colours and cursor moves, left out of what the tests read.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DEMO_TIMEOUT = 1800  # seconds; the demo takes some minutes on two shared cores


def test_make_demo(tmp_path):
    """`make demo`, in a terminal and with no keystroke, generates, installs (the
    project's own `make install`), trains on the named dataset and commits a first
    model, which the Promote workflow makes v1.0.0 in production; opens a pull request
    that changes a parameter, runs the PR workflows locally and prints the one comment
    they posted; merges it, and promotion makes v1.1.0 production, with the registry
    before and after and the release's model card; then a drifted batch, the Monitor
    workflow's report and the issue it would open; last, the project's `serve` answers
    one request with the production version and stops cleanly."""
    demo = tmp_path / "demo"
    out = in_a_terminal(f"make demo DEMO_DIR={shlex.quote(str(demo))}", DEMO_TIMEOUT)
    project = demo / "churn-model"
    assert (project / ".venv" / "bin" / "dvc").is_file()
    assert "roc_auc" in out
    trained = out.split("Train and evaluate the first model")[1]
    assert re.search(r"train: \w+ fitted on \d+ rows of scikit-learn's breast cancer", trained)
    assert "Terminated" not in out and "make[1]: ***" not in out
    assert out.rstrip().splitlines()[-1].startswith("The project is in ")
    assert git(project, "log", "--format=%s", "main") == (
        "Merge pull request #1\nLower the learning rate\nTrain the first model\n"
        "Generate project from the GitOps ML template"
    )
    assert git(project, "status", "--porcelain") == ""
    assert (project / "dvc.lock").is_file()
    comment = out.split("(one, updated by every push)")[1].split("== Merge pull request")[0]
    assert comment.lstrip("\x1b[0m\n").startswith(
        "✅ **This pull request's check succeeded** (its *Pull request* run).\n\n"
        "## ✅ Model report: the gate passes"
    )
    assert RATE_CHANGE in comment
    scored = r"Every model scored on this pull request's \d+ test rows \(production, base\)"
    assert re.search(scored, comment)
    assert comment.count("<!-- cml watermark: model-report -->") == 1
    assert "promote: churn-model v1.0.0 -> prod" in out
    assert "promote: churn-model v1.1.0 -> prod" in out
    registry_after = out.split("The registry after: gto show")[-1]
    assert re.search(r"churn-model\s*│\s*v1.1.0\s*│\s*v1.1.0", registry_after), registry_after
    card = out.split("(its notes are the model card)")[1]
    assert "# Model card: churn-model v1.1.0" in card
    assert "Previous production version: `v1.0.0`" in card
    operate = out.split("Operate: new rows arrive")[1]
    assert re.search(r"failure\s+Compare the batch with the production model", operate)
    assert "## ⚠️ Drift check: churn-model v1.1.0 (prod)" in operate
    assert "**Drift found: " in operate and "the predictions drifted" in operate
    assert "The issue it would open: #2 'Drift: churn-model v1.1.0 (prod)'" in operate
    assert "labels: model-drift" in operate
    served = out.split("Serve the production version over HTTP")[1]
    start = served.index("\n{\n")  # the answer, indented (the server logs JSON lines too)
    answer = json.loads(served[start : served.index("\n}", start) + 2])
    assert answer["model"] == "churn-model" and answer["version"] == "v1.1.0"
    [prediction] = answer["predictions"]
    assert sum(prediction["probabilities"].values()) == pytest.approx(1.0)


def test_make_bench_on_small_data():
    """`make bench` runs end to end and prints its tables of ratios (small sizes here),
    including the pull request's report and gate, and a no-op pull request, and its
    statistics' tables (a smoke run: one simulated run each, the clean batches smaller).
    Every section runs; drift monitoring on the pipeline's project (its size), as a
    section does whose size is one the pipeline trained."""
    result = make(
        "bench",
        BENCH_ROWS="3000",
        BENCH_PR_TEST_ROWS="1000",
        BENCH_PREDICT_ROWS="5000",
        BENCH_SERVE_REQUESTS="20",
        BENCH_MONITOR_ROWS="3000",
        BENCH_TEXT_ROWS="2000",
        BENCH_BIG_ROWS="4000",
        BENCH_STAT_SCALE="0.001",
        BENCH_IMAGE_BYTECODE="0",  # sizes are not checked here: half the section's time
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ratios, statistics = result.stdout.split("## Statistics: ", 1)
    pipeline = ratios.split("Serving: `serve`", 1)[0]  # its table starts with threads
    rows = [line for line in pipeline.splitlines() if re.match(r"\| [\d,]+ \|", line)]
    assert [row.split("|")[1].strip() for row in rows] == ["3,000"]
    assert all("×" in row for row in rows)
    assert "Pull request, 1,000 test rows" in result.stdout
    assert re.search(r"\| report and gate \| [\d.]+ s \| [\d.]+× \|", result.stdout)
    assert "stages rerun: 0." in result.stdout
    assert re.search(r"Experiment tracking, [\d,]+ training rows .*train/log_loss", result.stdout)
    assert re.search(
        r"\| [\d.]+ s \| [\d.]+ s \| [\d.]+% \| ≤ 5% at 1,000,000 rows \|", result.stdout
    )
    assert "Batch scoring, 5,000 rows" in result.stdout
    assert re.search(r"\| `predict` command \| [\d.]+ s \| [\d,]+ \| [\d.]+× \|", result.stdout)
    assert "Serving: `serve` over HTTP on loopback" in result.stdout
    assert re.search(
        r"\| 1 \| 100 rows \| HTTP, 4 clients \| 2 \| [\d,]+ \| [\d,]+ \| [\d.]+ ms ",
        result.stdout,
    )
    assert re.search(
        r"Single-row p99 overhead of HTTP \(one client\), 1 thread\(s\): -?[\d.]+ ms",
        result.stdout,
    )
    assert re.search(r"\| `/v2/models/bench/infer` \| [\d.]+ ms \| [\d.]+ ms \|", result.stdout)
    assert re.search(r"\| `serve` group \(after\) \| [\d,]+ MB \| \d+ \| none \|", result.stdout)
    assert "Drift monitoring, 3,000 rows × 20 features" in result.stdout
    assert re.search(r"\| `monitor` command \| [\d.]+ s \| [\d,]+ \| [\d.]+× \|", result.stdout)
    assert "A table with text: 2,000 rows, 15 numeric and 5 text columns" in result.stdout
    assert re.search(r"\| dvc repro \| [\d.]+ s \| [\d.]+× \| [\d.]+ s \| \d+ MiB", result.stdout)
    assert "The pipeline at 4,000 rows × 20 features" in result.stdout
    assert "within the memory of a 24 GB machine" in result.stdout
    # Each figure against the last saved run (sizes not saved there are new).
    assert "Against the last saved run (harness/bench_last.json" in ratios
    assert re.search(r"\| pipeline 3,000 rows: dvc repro: time \| .+ \| [\d.]+ s \| ", ratios)
    assert re.search(r"\d+ regression\(s\) of more than 10%", ratios)
    assert re.search(
        r"\| binary, 114 rows, production ≠ base \| [\d.]+% \(\d+/\d+; ≤ [\d.]+%\) \| ≤ 5% \|",
        statistics,
    )
    assert re.search(r"\| 20 \| 1,000 \| 10,000 \| [\d.]+% ", statistics)
    assert re.search(r"\| 20 \| 200,000 \| 200,000 \| [\d.]+% ", statistics)  # sampled
    assert "Coverage of the paired 95% interval" in statistics
    assert re.search(
        r"\| binary, AUC ≈ 0.98 \| 1,000 \| f1 \| [\d.]+ \| [\d.]+% \(\d+/\d+; ≥ [\d.]+%; "
        r"missed ≤ [\d.]+%\) \| ≥ 80% \|",
        statistics,
    )
    assert re.search(
        r"\| binary, 5% positives \| 2,000 \| roc_auc \| [\d.]+ \| [\d.]+% ", statistics
    )
    assert re.search(
        r"\| as good as both baselines: fails \| 1,000 \| [\d.]+% .* \| [\d.]+% .* "
        r"\| ≤ 5% a push \|",
        statistics,
    )
    for problem, metric in (("binary, AUC ≈ 0.99", "log_loss"), ("regression", "r2")):
        assert re.search(rf"\| {problem} \| {metric} \| [\d.]+% \| [\d.]+% \|", statistics)
    # the rates the issue asks runs enough for: k/n, the bound, whether within 1.5× of target
    rate = r"[\d.]+% \(\d+/\d+; ≤ [\d.]+%\)"
    assert re.search(rf"\| 50 \| 5,000 \| {rate} \| ≤ 1% \| (yes|no) \| \d+ s \|", statistics)
    assert re.search(
        rf"\| binary, 2,000 rows \| [\d.]+% \(\d+/\d+\) \| {rate} \| passes ≥ 95% \| (yes|no) \|",
        statistics,
    )
    assert re.search(
        r"\(statistics section: \d+ s, CPU \d+ s; gate \d+ s, .* monitor_year", statistics
    )
