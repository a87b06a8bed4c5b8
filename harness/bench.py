"""`make bench`: the generated pipeline's cost against a plain script, measured together.

For each size (synthetic classification data, 20 features): wall time and peak memory
of one plain Python script doing the same work in one process (the baseline), of a
full `dvc repro` in a freshly generated project, and of a `dvc repro` with nothing
changed. Figures are printed as ratios against the baseline of the same run.
BENCH_ROWS overrides the sizes, e.g. BENCH_ROWS=20000.

Then a pull request (BENCH_PR_TEST_ROWS test rows, 200,000 by default): the report
and the gate, with production and base scored on the same rows and the bootstrap,
against a plain script that only loads the model and scores it three times; and a
pull request that changes nothing the pipeline reads, which must rerun no stage.
And batch scoring (BENCH_PREDICT_ROWS new rows, 1,000,000 by default) with the
`predict` command against one plain predict_proba call on the same in-memory frame.

Drift monitoring (BENCH_MONITOR_ROWS rows, 1,000,000 by default): `monitor` on a batch
with three drifted features (exit status 3, the whole report written) against the
production model's training rows, and a plain numpy/SciPy script computing the same
statistics (bench_plain.py monitor). A table with text (BENCH_TEXT_ROWS rows, 1,000,000
by default; 15 numeric and 5 text columns, one of 1,000 distinct values): a full `dvc
repro` against a plain script doing the same encoding and fit (bench_plain.py mixed).
Then the pipeline at BENCH_BIG_ROWS rows
(5,000,000 by default, 0 skips it): a full `dvc repro` against the plain script, and
whether its peak memory fits a 24 GB machine. Last, the statistics (bench_statistics.py):
the gate's and the drift monitor's error rates, power and coverage by seeded simulation
with the generated project's own functions, each next to its target (BENCH_STAT_SCALE
scales the number of simulated runs, 1 by default; BENCH_STAT_PARTS picks some of its
parts, comma-separated: gate, proposal, coverage, structure, seeds, drift, long_tails,
monitor_year, every one by default; each part's wall and CPU time is printed).

Experiment tracking: at the largest BENCH_ROWS size, the train stage's fit (the
project's own `fitted`) against what its DVCLive log adds after it (`log_training`, its
import of DVCLive and DVC included), in one fresh process; target ≤ 5% of the fit.

Serving (bench_serve.py): a bounded load test of `serve` over HTTP on loopback,
BENCH_SERVE_REQUESTS single-row requests (10,000 by default) and a tenth as many of 100
rows, against the same scoring called in-process. Then the container image's Python
environment, built here with uv as its Dockerfile builds it (copies, bytecode compiled),
before and after the `serve` group: the whole project environment (what the image held
before) against the `serve` group and the package alone (the Dockerfile's `RUN uv`
lines); the base image is not counted. BENCH_IMAGE_BYTECODE=0 leaves the bytecode out
(faster; the sizes are then smaller than the image's).

Both sides of each comparison run on the same CPU threads: BENCH_THREADS (this machine's
CPUs by default) for the plain script and as the recipe's train.threads and
SCORING_THREADS. Each measurement gives its wall time, its CPU time (user and system, all
its processes: on a busy machine, the figure that still compares) and its peak memory.

Each time and peak measured here (the pipeline, tracking, predict, pr, monitor, text and
big sections) is printed against the last saved run, harness/bench_last.json, a rise of
more than 10% flagged; `make bench SAVE=1` (BENCH_SAVE=1) saves this run's figures there,
over those of the same names, to be committed with the change they measure.

BENCH_SECTIONS picks sections by name, comma-separated, in this order: pipeline,
tracking, predict, serve, pr, monitor, text, big, statistics (every one by default),
e.g. BENCH_SECTIONS=monitor,big. `tracking`, `predict` and `serve` train a project at
the largest BENCH_ROWS size when `pipeline` is not run.
"""

import importlib.resources
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from .bake import TEMPLATE, bake
from .env import environ, install, project_env, register_by_hand

FEATURES = 20
SECTIONS = (
    "pipeline", "tracking", "predict", "serve", "pr", "monitor", "text", "big", "statistics",
)  # fmt: skip
MIB, GIB = 2**20, 2**30
MACHINE = 24 * 10**9  # the target: a 2-core, 24 GB machine
WORK = TEMPLATE / "build" / "bench"  # the bakes, kept between runs
# Runs a command and reports its wall time, its CPU time (user and system, every process
# of it) and the peak RSS of its largest process (RUSAGE_CHILDREN covers every
# descendant that was waited for). CPU time says what wall time means on a busy machine.
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
used = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu, peak = used.ru_utime + used.ru_stime, used.ru_maxrss * 1024
print(json.dumps({"code": code, "seconds": seconds, "cpu": cpu, "peak": peak}))
"""
# The CPU threads of both sides of each comparison: the plain script's (threadpoolctl,
# bench_plain.py) and the recipe's, params.yaml's train.threads and the scoring's
# SCORING_THREADS; BENCH_THREADS, by default this machine's CPUs.
THREADS = int(os.environ.get("BENCH_THREADS") or os.cpu_count() or 1)


def measure(
    command: list[str], cwd: Path, env: dict, name: str = "", ok: tuple[int, ...] = (0,)
) -> dict:
    """Wall time, peak memory and exit code of ``command``; an exit code not in ``ok``
    stops the benchmark. Named, its time and peak are figures of this run (``record``)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout)
    if figures["code"] not in ok:
        raise SystemExit(f"{' '.join(command)} failed ({figures['code']}) in {cwd}")
    if name:
        record(f"{name}: time", figures["seconds"], "s")
        record(f"{name}: CPU time", figures["cpu"], "s")
        record(f"{name}: peak memory", figures["peak"] / MIB, "MiB")
    return figures


# The figures of a run, compared with those of the last saved run (LAST, in the
# repository): `make bench SAVE=1` saves them there, merged into the figures of sections
# not run. Every figure is a time or a memory peak: lower is better.
LAST = TEMPLATE / "harness" / "bench_last.json"
REGRESSION = 0.10  # a figure more than this much above its last value is flagged
FIGURES: dict[str, dict] = {}  # this run's: name -> {"value": ..., "unit": "s" or "MiB"}


def record(name: str, value: float, unit: str) -> None:
    FIGURES[name] = {"value": round(value, 3), "unit": unit}


def changes(last: dict, now: dict) -> list[tuple[str, str, str, str, bool]]:
    """(figure, last value, this value, change, regression) for each figure of ``now``,
    in its order; a figure the last run lacks has no change. A regression is a value
    more than REGRESSION above the last one."""
    rows = []
    for name, figure in now.items():
        value, unit = figure["value"], figure["unit"]
        before = last.get(name)
        if before is None or before["unit"] != unit:
            rows.append((name, "none", f"{value:,.2f} {unit}", "new", False))
            continue
        old = before["value"]
        change = (value - old) / old if old > 0 else 0.0
        rows.append(
            (
                name,
                f"{old:,.2f} {unit}",
                f"{value:,.2f} {unit}",
                f"{100 * change:+.1f}%",
                change > REGRESSION,
            )
        )
    return rows


def compare_with_last(save: bool) -> None:
    """Print this run's figures against the last saved run's; with ``save``, save them."""
    last = json.loads(LAST.read_text(encoding="utf-8")) if LAST.is_file() else {}
    rows = changes(last.get("figures", {}), FIGURES)
    where = LAST.relative_to(TEMPLATE)
    print(
        f"\nAgainst the last saved run ({where}, {last.get('saved', 'none')}); "
        f"⚠ marks a time or peak more than {REGRESSION:.0%} above it.\n"
    )
    print("| figure | last run | this run | change | |")
    print("|---|---:|---:|---:|---|")
    for name, old, new, change, regressed in rows:
        print(f"| {name} | {old} | {new} | {change} | {'⚠ regression' if regressed else ''} |")
    flagged = sum(regressed for *_, regressed in rows)
    print(f"\n{flagged} regression(s) of more than {REGRESSION:.0%}.")
    if save:
        saved = {
            "saved": time.strftime("%Y-%m-%d", time.gmtime()),
            "machine": f"{os.cpu_count()} cores, {memory() / GIB:.0f} GiB",
            "figures": {**last.get("figures", {}), **FIGURES},
        }
        LAST.write_text(json.dumps(saved, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"Saved as the last run: {where} (commit it with the change it measures).")


def answers(project: Path) -> dict:
    """The answers a project was generated with."""
    return json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]


def edit_params(project: Path, change) -> None:
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(params)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def prepare_project(rows: int, name: str | None = None, categorical: int = 0) -> Path:
    shutil.rmtree(WORK / (name or str(rows)), ignore_errors=True)
    project = bake(WORK / (name or str(rows)))
    synthetic = {"rows": rows, "features": FEATURES, "categorical": categorical}

    def change(params: dict) -> None:
        params["prepare"].update(source="synthetic", synthetic=synthetic)
        params["train"]["threads"] = THREADS  # the plain script's (bench_plain.py)

    edit_params(project, change)
    return project


def pins() -> Path:
    """A baked project whose uv.lock the environment installs (every storage plugin), the
    same environment the tests use, so that neither builds it twice."""
    shutil.rmtree(WORK / "pins", ignore_errors=True)
    return bake(WORK / "pins")


def shell(project: Path, env: dict, *command: str) -> str:
    return subprocess.run(
        command, cwd=project, env=env, check=True, capture_output=True, text=True
    ).stdout


def trained(project: Path, env_dir: Path, env: dict) -> Path:
    """``project`` installed and its pipeline run once (not measured)."""
    install(project, env_dir)
    shell(project, env, "dvc", "repro")
    return project


def put_in_production(project: Path, env: dict) -> None:
    """Commit the trained model and give it the production stage, as a promotion does."""
    model = answers(project)["model_name"]
    shell(project, env, "git", "add", "--all")
    shell(project, env, "git", *IDENTITY, "commit", "-q", "-m", "First model")
    register_by_hand(project, model, "HEAD", "v1.0.0", "prod")


LIBRARIES = (
    "import pandas, pyarrow.parquet, sklearn.ensemble, sklearn.metrics, sklearn.model_selection"
)


# The work no comparison can skip: read the test rows, load the model, score three
# models (this PR, base, production) with two metrics each. No DVC, Git or bootstrap.
SCORE_ONLY = """
from pathlib import Path
import joblib
from sklearn import metrics
from {package}.pipeline.data import read_split
features, actual = read_split(Path("data/prepared/test.parquet"), "target")
model = joblib.load("models/model.joblib").estimator
for _ in range(3):
    probabilities = model.predict_proba(features)
    metrics.roc_auc_score(actual, probabilities[:, 1])
    metrics.f1_score(actual, model.classes_[probabilities.argmax(axis=1)])
"""
IDENTITY = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]


# Batch scoring: the `predict` command against a plain script that reads the same file
# into one in-memory frame and calls the estimator once.
MAKE_BATCH = """
import sys
from {package}.pipeline.data import synthetic
rows, features, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
frame = synthetic("classification", rows, features, seed=7).drop(columns="target")
frame.to_parquet(path, index=False)
"""
PLAIN_PREDICT = """
import sys
import joblib
import pandas as pd
model = joblib.load("models/model.joblib")
frame = pd.read_parquet(sys.argv[1])
model.estimator.predict_proba(frame[list(model.features)])
"""


def throughput(rows: int, *measured: tuple[str, dict]) -> None:
    """A table of time, rows/s and peak memory, as ratios against the first (baseline)."""
    base = measured[0][1]
    print("| | time | rows/s | ratio | peak memory | peak ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, figures in measured:
        print(
            f"| {name} | {figures['seconds']:.2f} s | {rows / figures['seconds']:,.0f} "
            f"| {figures['seconds'] / base['seconds']:.2f}× | {figures['peak'] / MIB:.0f} MiB "
            f"| {figures['peak'] / base['peak']:.2f}× |"
        )


TRAINING_LOG = """
import json, tempfile, time
from pathlib import Path
from {package}.config import load_params
from {package}.pipeline.tracking import log_training
from {package}.pipeline.train import fitted
params = load_params()
start = time.perf_counter()
model, features, target = fitted(params)
fit = time.perf_counter() - start
with tempfile.TemporaryDirectory() as folder:
    start = time.perf_counter()
    ended = log_training(model, features, target, params.base.seed, Path(folder) / "training")
    log = time.perf_counter() - start
print(json.dumps({{"rows": len(features), "fit": fit, "log": log, "curves": sorted(ended)}}))
"""


def training_log(project: Path, env_dir: Path, env: dict) -> None:
    """The train stage's fit against the cost of its DVCLive log, in one process."""
    package = answers(project)["package_name"]
    python = str(env_dir / "bin" / "python")
    script = TRAINING_LOG.format(package=package)
    found = json.loads(shell(project, env, python, "-c", script).splitlines()[-1])
    record(f"tracking {found['rows']:,} rows: fit time", found["fit"], "s")
    record(f"tracking {found['rows']:,} rows: DVCLive log time", found["log"], "s")
    print(
        f"\nExperiment tracking, {found['rows']:,} training rows × {FEATURES} features "
        f"(curves: {', '.join(found['curves'])}); baseline = the fit, in the same process.\n"
    )
    print("| fit | DVCLive log after it | overhead | target |")
    print("|---:|---:|---:|---:|")
    print(
        f"| {found['fit']:.2f} s | {found['log']:.2f} s "
        f"| {100 * found['log'] / found['fit']:.1f}% | ≤ 5% at 1,000,000 rows |"
    )


def batch_scoring(project: Path, env_dir: Path, env: dict, rows: int) -> None:
    """`predict` on ``rows`` new rows: throughput and peak memory against one plain call."""
    package = answers(project)["package_name"]
    python = str(env_dir / "bin" / "python")
    batch, scored = project.parent / "batch.parquet", project.parent / "scored.parquet"
    subprocess.run(
        [python, "-c", MAKE_BATCH.format(package=package), str(rows), str(FEATURES), str(batch)],
        cwd=project,
        env=env,
        check=True,
    )
    plain = measure(
        [python, "-c", PLAIN_PREDICT, str(batch)], project, env, f"predict {rows:,} rows: plain"
    )
    command = [python, "-m", package, "predict", str(batch), str(scored)]
    ours = measure(
        [*command, "--model", "models/model.joblib"],
        project,
        env,
        f"predict {rows:,} rows: predict",
    )
    print(
        f"\nBatch scoring, {rows:,} rows × {FEATURES} features, the model trained above; "
        "baseline = a plain script: read the file, one predict_proba call.\n"
    )
    throughput(rows, ("plain predict (baseline)", plain), ("`predict` command", ours))


def pull_request(env_dir: Path, env: dict, test_rows: int) -> None:
    """Report and gate on ``test_rows`` rows; a no-op pull request reruns nothing."""
    project = prepare_project(test_rows * 2, name="pr")
    edit_params(project, lambda p: p["prepare"].update(test_size=0.5))
    install(project, env_dir)
    package = answers(project)["package_name"]

    def sh(*command: str) -> str:
        return shell(project, env, *command)

    sh("dvc", "repro")
    put_in_production(project, env)
    sh("git", "checkout", "-q", "-b", "proposal")
    edit_params(
        project,
        lambda p: p["train"]["hyperparameters"]["hist_gradient_boosting"].update(
            learning_rate=0.05
        ),
    )
    sh("dvc", "repro")
    sh("git", "add", "--all")
    sh("git", *IDENTITY, "commit", "-q", "-m", "Lower the learning rate")

    pr = f"pull request {test_rows:,} test rows"
    sh("python", "-m", package, "lock-check")  # as `make pr-report` does before repro
    python = str(env_dir / "bin" / "python")
    base = measure(
        [python, "-c", SCORE_ONLY.format(package=package)], project, env, f"{pr}: score only"
    )
    report = measure(
        [python, "-m", package, "report", "--base", "main"], project, env, f"{pr}: report"
    )
    gate = measure([python, "-m", package, "gate"], project, env, f"{pr}: gate")
    text = (project / "build" / "pr" / "report.md").read_text(encoding="utf-8")
    if "Every model scored on this pull request's" not in text:
        raise SystemExit("the benchmark's report did not score the baselines on its rows")

    # As CI sees it: a fresh clone of a branch that changes only the README, with the
    # DVC cache that actions/cache restores.
    sh("git", "checkout", "-q", "-b", "docs-only", "main")
    (project / "README.md").write_text("Only the README changes.\n", encoding="utf-8")
    sh("git", *IDENTITY, "commit", "-q", "-am", "Reword the README")
    clone = project.parent / "ci-clone"
    shutil.rmtree(clone, ignore_errors=True)
    sh("git", "clone", "-q", "--branch", "docs-only", ".", str(clone))
    shutil.copytree(project / ".dvc" / "cache", clone / ".dvc" / "cache")
    start = time.perf_counter()
    output = subprocess.run(
        ["make", "pr-report", "BASE=origin/main"],
        cwd=clone,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    noop = time.perf_counter() - start
    record(f"{pr}: no-op pr-report time", noop, "s")
    reran = output.count("Running stage")

    both = report["seconds"] + gate["seconds"]
    print(
        f"\nPull request, {test_rows:,} test rows, three models (this PR, base, production); "
        "baseline = a plain script that reads the rows and scores the model three times.\n"
    )
    print("| | time | ratio to baseline | peak memory |")
    print("|---|---:|---:|---:|")
    for name, figures, seconds in (
        ("score only (baseline)", base, base["seconds"]),
        ("report, intervals included", report, report["seconds"]),
        ("gate", gate, gate["seconds"]),
        ("report and gate", report, both),
    ):
        print(
            f"| {name} | {seconds:.2f} s | {seconds / base['seconds']:.2f}× "
            f"| {figures['peak'] / MIB:.0f} MiB |"
        )
    print(
        f"\nNothing changed (`make pr-report` on a README-only branch): {noop:.2f} s, "
        f"stages rerun: {reran}."
    )
    print("Targets: report and gate ≤ 5 s at 200,000 test rows; no stage rerun.")


# Drift monitoring: the project's own synthetic rows (training and test rows alike) with
# three features drifted, so that `monitor` finds drift and writes its whole report.
DRIFTED = ("x00", "x01", "x02")
MAKE_DRIFTED = """
import sys
import numpy as np
from {package}.pipeline.data import synthetic
rows, features, seed, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
frame = synthetic("classification", rows, features, seed).drop(columns="target")
frame["x00"] += frame["x00"].std()  # shifted by one standard deviation
frame["x01"] *= 2.0  # twice as spread
frame.loc[np.random.default_rng(0).random(rows) < 0.1, "x02"] = np.nan  # 10% missing
frame.to_parquet(path, index=False)
"""


def monitoring(project: Path, env: dict, rows: int) -> None:
    """`monitor` on ``rows`` rows with drift against the plain numpy/SciPy statistics."""
    put_in_production(project, env)
    package = answers(project)["package_name"]
    python = str(Path(env["VIRTUAL_ENV"]) / "bin" / "python")
    batch = project.parent / "drifted.parquet"
    seed = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))["base"]["seed"]
    maker = [python, "-c", MAKE_DRIFTED.format(package=package), str(rows), str(FEATURES)]
    subprocess.run([*maker, str(seed), str(batch)], cwd=project, env=env, check=True)
    plain = str(TEMPLATE / "harness" / "bench_plain.py")
    base = measure(
        [python, plain, "monitor", str(batch)], project, env, f"monitor {rows:,} rows: plain"
    )
    ours = measure(
        [python, "-m", package, "monitor", str(batch)],
        project,
        env,
        f"monitor {rows:,} rows: monitor",
        ok=(0, 3),
    )
    drift = json.loads((project / "build" / "monitor" / "drift.json").read_text("utf-8"))
    if ours["code"] != 3 or sorted(drift["drifted_features"]) != list(DRIFTED):
        raise SystemExit(
            f"monitor should find drift in {', '.join(DRIFTED)} (exit 3); it exited "
            f"{ours['code']} with {drift['drifted_features']} drifted"
        )
    predictions = "drifted" if drift["predictions"]["reasons"] else "stable"
    print(
        f"\nDrift monitoring, {rows:,} rows × {FEATURES} features against the production "
        f"model's {drift['reference_rows']:,} training rows; {len(DRIFTED)} features drifted "
        f"and found, predictions {predictions}, exit status {ours['code']}. Baseline = a "
        "plain script: read the files, per feature PSI, KS test on 100,000-row samples and "
        "missing shares, predict_proba and the same for its scores (numpy, SciPy).\n"
    )
    throughput(rows, ("plain statistics (baseline)", base), ("`monitor` command", ours))


TEXT_COLUMNS = 5
TABLE_BYTES = """
import sys
from {package}.pipeline.data import synthetic
frame = synthetic("classification", int(sys.argv[1]), int(sys.argv[2]), 42, int(sys.argv[3]))
print(int(frame.memory_usage(deep=True).sum()))
"""


def text_pipeline(env_dir: Path, env: dict, rows: int) -> None:
    """A full `dvc repro` of a table with text columns (one of 1,000 distinct values),
    against a plain script doing the same encoding and fit in one process."""
    project = prepare_project(rows, name="text", categorical=TEXT_COLUMNS)
    install(project, env_dir)
    package = answers(project)["package_name"]
    python = str(env_dir / "bin" / "python")
    plain = str(TEMPLATE / "harness" / "bench_plain.py")
    shape = [str(rows), str(FEATURES), str(TEXT_COLUMNS)]
    base = measure(
        [python, plain, "mixed", package, *shape], project, env, f"text {rows:,} rows: plain"
    )
    full = measure(["dvc", "repro"], project, env, f"text {rows:,} rows: dvc repro")
    table = int(shell(project, env, python, "-c", TABLE_BYTES.format(package=package), *shape))
    libraries = measure([python, "-c", LIBRARIES], project, env)["peak"]
    numbers = FEATURES - TEXT_COLUMNS
    print(
        f"\nA table with text: {rows:,} rows, {numbers} numeric and {TEXT_COLUMNS} text columns "
        "(one of 1,000 distinct values, the others 20), a full `dvc repro` (kinds inferred, "
        "hash split, encoding inside the model); baseline = a plain script doing the same "
        f"encoding and fit in one process. {threads()}\n"
    )
    print(
        "| | time | ratio | CPU time | peak memory | peak ratio | peak ÷ table "
        "| same, less libraries |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, figures in (("plain script (baseline)", base), ("dvc repro", full)):
        print(
            f"| {name} | {figures['seconds']:.2f} s | {figures['seconds'] / base['seconds']:.2f}× "
            f"| {figures['cpu']:.2f} s | {figures['peak'] / MIB:.0f} MiB "
            f"| {figures['peak'] / base['peak']:.2f}× "
            f"| {figures['peak'] / table:.2f}× | {(figures['peak'] - libraries) / table:.2f}× |"
        )
    print(
        f"\nThe table in memory: {table / MIB:.0f} MiB (pandas, text as categories). "
        "Targets: time ratio ≤ 1.15×; peak ≤ 3× the table's size."
    )


def big_pipeline(env_dir: Path, env: dict, rows: int) -> None:
    """A full `dvc repro` of ``rows`` synthetic rows; whether it fits a 24 GB machine."""
    project = prepare_project(rows, name="big")
    install(project, env_dir)
    python = str(env_dir / "bin" / "python")
    plain = str(TEMPLATE / "harness" / "bench_plain.py")
    base = measure(
        [python, plain, str(rows), str(FEATURES)], project, env, f"big {rows:,} rows: plain"
    )
    full = measure(["dvc", "repro"], project, env, f"big {rows:,} rows: dvc repro")
    noop = measure(
        ["dvc", "repro"], project, env, f"big {rows:,} rows: no-op repro"
    )  # DVC's own process, beside each stage
    dataset = rows * (FEATURES + 1) * 8
    total = full["peak"] + noop["peak"]
    print(
        f"\nThe pipeline at {rows:,} rows × {FEATURES} features (synthetic source), a full "
        f"`dvc repro` in a fresh project; baseline = the plain script. {threads()}\n"
    )
    print("| | time | ratio | CPU time | peak memory | peak ratio | peak ÷ dataset |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, figures in (("plain script (baseline)", base), ("dvc repro", full)):
        print(
            f"| {name} | {figures['seconds']:.2f} s | {figures['seconds'] / base['seconds']:.2f}× "
            f"| {figures['cpu']:.2f} s | {figures['peak'] / GIB:.2f} GiB "
            f"| {figures['peak'] / base['peak']:.2f}× "
            f"| {figures['peak'] / dataset:.2f}× |"
        )
    verdict = "within" if total <= MACHINE else "NOT within"
    print(
        f"\nPeak: the largest process (a stage) {full['peak'] / GIB:.2f} GiB, plus DVC's own "
        f"({noop['peak'] / MIB:.0f} MiB, a no-op repro) = {total / GIB:.2f} GiB: {verdict} "
        f"the memory of a 24 GB machine ({MACHINE / GIB:.1f} GiB). "
        f"This machine: {os.cpu_count()} cores, {memory() / GIB:.1f} GiB."
    )


def threads() -> str:
    """The threads of both sides, as the tables' captions say them."""
    return (
        f"Threads: {THREADS} for the plain script (threadpoolctl) and for the recipe "
        f"(params.yaml's train.threads, SCORING_THREADS); BENCH_THREADS sets both. Load "
        f"average (1 minute) now: {os.getloadavg()[0]:.2f}."
    )


def tree_size(folder: Path) -> int:
    """The bytes of the files under ``folder`` (symbolic links not followed)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def image_environment(project: Path, env_dir: Path, env: dict) -> None:
    """The image's environment before and after the `serve` group, built with uv (its
    bytecode compiled, as the Dockerfile does, unless BENCH_IMAGE_BYTECODE=0)."""
    python = str(env_dir / "bin" / "python")
    bytecode = os.environ.get("BENCH_IMAGE_BYTECODE", "1") != "0"
    package = answers(project)["package_name"]
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    after = [
        line.removeprefix("RUN ") for line in dockerfile.splitlines() if line.startswith("RUN uv ")
    ]
    # What the Dockerfile ran before: the project with every dependency of it.
    before = ["uv sync --locked --no-editable"]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, commands in (
            ("project environment (before)", before),
            ("`serve` group (after)", after),
        ):
            venv = Path(work) / name.split()[0].strip("`")
            # The image's /opt/venv, made by its Python; `uv pip` installs into VIRTUAL_ENV.
            subprocess.run([python, "-m", "uv", "venv", "--quiet", "--python", python, str(venv)],
                           check=True)  # fmt: skip
            build = {
                **env, "UV_PROJECT_ENVIRONMENT": str(venv), "VIRTUAL_ENV": str(venv),
                # Hard links from uv's cache: the same files and sizes as copies (tree_size
                # reads each file's size), without writing the environment's bytes again.
                "UV_PYTHON_DOWNLOADS": "never", "UV_LINK_MODE": "hardlink",
                "UV_COMPILE_BYTECODE": str(int(bytecode)),
            }  # fmt: skip
            for command in commands:
                subprocess.run(["sh", "-c", command], cwd=project, env=build, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            # What `serve` imports at start: it must load in this environment.
            check = f"import fastapi, uvicorn, {package}.operate.serve, {package}.cli"
            subprocess.run([str(venv / "bin" / "python"), "-c", check], cwd=work, check=True)
            site = next(venv.glob("lib/python*/site-packages"))
            packages = len(list(site.glob("*.dist-info")))
            training = sorted(n for n in ("dvc", "dvclive", "gto") if (site / n).is_dir())
            rows.append((name, tree_size(venv), packages, training))
    compiled = "" if bytecode else "; without bytecode (BENCH_IMAGE_BYTECODE=0)"
    print("\nThe image's Python environment (built here with uv, as the Dockerfile does; "
          f"the base image not counted{compiled}):\n")  # fmt: skip
    print("| environment | size | packages | training stack in it |")
    print("|---|---:|---:|---|")
    for name, size, packages, training in rows:
        print(f"| {name} | {size / 1e6:,.0f} MB | {packages} | {', '.join(training) or 'none'} |")
    print(f"\nThe `serve` group: {rows[1][1] / rows[0][1]:.0%} of the project environment's size.")


def memory() -> int:
    """This machine's memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def sections() -> list[str]:
    names = os.environ.get("BENCH_SECTIONS", ",".join(SECTIONS))
    chosen = {name.strip() for name in names.split(",") if name.strip()}
    if unknown := chosen - set(SECTIONS):
        raise SystemExit(
            f"BENCH_SECTIONS: unknown {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(SECTIONS)}"
        )
    return [name for name in SECTIONS if name in chosen]


def pipeline(sizes: list[int], first: Path, env_dir: Path, env: dict) -> dict[int, Path]:
    """The pipeline table; returns the trained project of each size."""
    plain = str(TEMPLATE / "harness" / "bench_plain.py")
    python = str(env_dir / "bin" / "python")
    libraries = measure([python, "-c", LIBRARIES], first, env)["peak"]
    table, projects = [], {}
    for rows in sizes:
        project = first if rows == sizes[0] else prepare_project(rows)
        install(project, env_dir)
        dataset = rows * (FEATURES + 1) * 8  # float64 features and target, in memory
        named = f"pipeline {rows:,} rows"
        base = measure([python, plain, str(rows), str(FEATURES)], project, env, f"{named}: plain")
        full = measure(["dvc", "repro"], project, env, f"{named}: dvc repro")
        noop = measure(["dvc", "repro"], project, env, f"{named}: no-op repro")
        table.append((rows, dataset, base, full, noop))
        projects[rows] = project

    print(
        f"\nSynthetic classification, {FEATURES} features; baseline = one plain script "
        f"doing the same work in one process, measured in this run. {threads()}\n"
    )
    print(
        "| rows | plain script | dvc repro | time ratio | overhead | CPU plain / repro "
        "| no-op repro | peak plain / repro | peak ratio | repro peak ÷ dataset "
        "| same, less libraries |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows, dataset, base, full, noop in table:
        print(
            f"| {rows:,} | {base['seconds']:.2f} s | {full['seconds']:.2f} s "
            f"| {full['seconds'] / base['seconds']:.2f}× "
            f"| {full['seconds'] - base['seconds']:+.2f} s "
            f"| {base['cpu']:.2f} / {full['cpu']:.2f} s | {noop['seconds']:.2f} s "
            f"| {base['peak'] / MIB:.0f} / {full['peak'] / MIB:.0f} MiB "
            f"| {full['peak'] / base['peak']:.2f}× "
            f"| {full['peak'] / dataset:.2f}× | {(full['peak'] - libraries) / dataset:.2f}× |"
        )
    print(
        f"\nDataset in memory: rows × {FEATURES + 1} float64 columns. Libraries: the peak of "
        f"a process that only imports pandas, pyarrow and scikit-learn "
        f"({libraries / MIB:.0f} MiB here)."
    )
    print(
        "Targets at 1,000,000 rows: overhead ≤ 3 s and time ratio ≤ 1.15×; no-op repro "
        "≤ 1.5 s; peak memory ≤ 3× the dataset's in-memory size."
    )
    return projects


def statistics(env_dir: Path, env: dict, scale: str) -> None:
    """The statistics section, run with a generated project's own package."""
    shutil.rmtree(WORK / "statistics", ignore_errors=True)
    project = bake(WORK / "statistics")
    install(project, env_dir)
    sys.stdout.flush()
    script = str(TEMPLATE / "harness" / "bench_statistics.py")
    package = answers(project)["package_name"]
    airports = importlib.resources.files("vega_datasets") / "_data" / "airports.csv"
    subprocess.run(
        [str(env_dir / "bin" / "python"), script, package, scale],
        cwd=project,
        env={**env, "BENCH_AIRPORTS": str(airports)},  # a real table with long tails
        check=True,
    )


def main() -> None:
    chosen = sections()
    sizes = [int(n) for n in os.environ.get("BENCH_ROWS", "100000,1000000").split(",")]
    first = prepare_project(sizes[0])
    env_dir = project_env(pins())
    # Both sides of a comparison on THREADS threads (bench_plain.py reads BENCH_THREADS).
    env = environ(env_dir, SCORING_THREADS=str(THREADS), BENCH_THREADS=str(THREADS))
    projects = pipeline(sizes, first, env_dir, env) if "pipeline" in chosen else {}

    def project_of(rows: int, name: str | None = None) -> Path:
        """A trained project of ``rows`` rows: the pipeline section's, or a new one."""
        if rows not in projects:
            projects[rows] = trained(prepare_project(rows, name), env_dir, env)
        return projects[rows]

    if "tracking" in chosen:
        training_log(project_of(sizes[-1]), env_dir, env)
    if "predict" in chosen:
        project = project_of(sizes[-1])
        batch_scoring(project, env_dir, env, int(os.environ.get("BENCH_PREDICT_ROWS", "1000000")))
    if "serve" in chosen:
        project = project_of(sizes[-1])
        sys.stdout.flush()
        script = str(TEMPLATE / "harness" / "bench_serve.py")
        requests = os.environ.get("BENCH_SERVE_REQUESTS", "10000")
        package = answers(project)["package_name"]
        python = str(env_dir / "bin" / "python")
        subprocess.run([python, script, package, requests], cwd=project, env=env, check=True)
        image_environment(project, env_dir, env)
    if "pr" in chosen:
        pull_request(env_dir, env, int(os.environ.get("BENCH_PR_TEST_ROWS", "200000")))
    if "monitor" in chosen:
        rows = int(os.environ.get("BENCH_MONITOR_ROWS", "1000000"))
        monitoring(project_of(rows, name="monitor"), env, rows)
    if "text" in chosen:
        text_pipeline(env_dir, env, int(os.environ.get("BENCH_TEXT_ROWS", "1000000")))
    big = int(os.environ.get("BENCH_BIG_ROWS", "5000000"))
    if "big" in chosen and big > 0:
        big_pipeline(env_dir, env, big)
    compare_with_last(os.environ.get("BENCH_SAVE", "") not in ("", "0"))
    if "statistics" in chosen:
        statistics(env_dir, env, os.environ.get("BENCH_STAT_SCALE", "1"))


if __name__ == "__main__":
    main()
