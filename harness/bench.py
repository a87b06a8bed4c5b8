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
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .bake import TEMPLATE, bake
from .env import environ, install, project_env

FEATURES = 20
WORK = TEMPLATE / "build" / "bench"  # bakes and their environment, kept between runs
# Runs a command and reports its wall time and the peak RSS of its largest process
# (RUSAGE_CHILDREN covers every descendant that was waited for).
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"code": code, "seconds": seconds, "peak": peak}))
"""


def measure(command: list[str], cwd: Path, env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout)
    if figures["code"] != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}")
    return figures


def answers(project: Path) -> dict:
    """The answers a project was generated with."""
    return json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]


def edit_params(project: Path, change) -> None:
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(params)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def prepare_project(rows: int, name: str | None = None) -> Path:
    shutil.rmtree(WORK / (name or str(rows)), ignore_errors=True)
    project = bake(WORK / (name or str(rows)))
    edit_params(
        project,
        lambda p: p["prepare"].update(
            source="synthetic", synthetic={"rows": rows, "features": FEATURES}
        ),
    )
    return project


LIBRARIES = (
    "import pandas, pyarrow.parquet, sklearn.ensemble, sklearn.metrics, sklearn.model_selection"
)


# The work no comparison can skip: read the test rows, load the model, score three
# models (this PR, base, production) with two metrics each. No DVC, Git or bootstrap.
SCORE_ONLY = """
from pathlib import Path
import joblib
from sklearn import metrics
from {package}.data import read_split
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
from {package}.data import synthetic
rows, features, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
synthetic(rows, features, seed=7).drop(columns="target").to_parquet(path, index=False)
"""
PLAIN_PREDICT = """
import sys
import joblib
import pandas as pd
model = joblib.load("models/model.joblib")
frame = pd.read_parquet(sys.argv[1])
model.estimator.predict_proba(frame[list(model.features)])
"""


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
    plain = measure([python, "-c", PLAIN_PREDICT, str(batch)], project, env)
    command = [python, "-m", package, "predict", str(batch), str(scored)]
    ours = measure([*command, "--model", "models/model.joblib"], project, env)
    mib = 2**20
    print(
        f"\nBatch scoring, {rows:,} rows × {FEATURES} features, the model trained above; "
        "baseline = a plain script: read the file, one predict_proba call.\n"
    )
    print("| | time | rows/s | ratio | peak memory | peak ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, figures in (("plain predict (baseline)", plain), ("`predict` command", ours)):
        print(
            f"| {name} | {figures['seconds']:.2f} s | {rows / figures['seconds']:,.0f} "
            f"| {figures['seconds'] / plain['seconds']:.2f}× | {figures['peak'] / mib:.0f} MiB "
            f"| {figures['peak'] / plain['peak']:.2f}× |"
        )


def pull_request(env_dir: Path, env: dict, test_rows: int) -> None:
    """Report and gate on ``test_rows`` rows; a no-op pull request reruns nothing."""
    project = prepare_project(test_rows * 2, name="pr")
    edit_params(project, lambda p: p["prepare"].update(test_size=0.5))
    install(project, env_dir)
    given = answers(project)
    package, model = given["package_name"], given["model_name"]

    def sh(*command: str) -> str:
        return subprocess.run(
            command, cwd=project, env=env, check=True, capture_output=True, text=True
        ).stdout

    sh("dvc", "repro")
    sh("git", "add", "--all")
    sh("git", *IDENTITY, "commit", "-q", "-m", "First model")
    sh("gto", "register", model, "main", "--version", "v1.0.0")
    sh("gto", "assign", model, "--version", "v1.0.0", "--stage", "prod")
    sh("git", "checkout", "-q", "-b", "proposal")
    edit_params(project, lambda p: p["train"]["hyperparameters"].update(learning_rate=0.05))
    sh("dvc", "repro")
    sh("git", "add", "--all")
    sh("git", *IDENTITY, "commit", "-q", "-m", "Lower the learning rate")

    sh("python", "-m", package, "lock-check")  # as `make pr-report` does before repro
    python = str(env_dir / "bin" / "python")
    base = measure([python, "-c", SCORE_ONLY.format(package=package)], project, env)
    report = measure([python, "-m", package, "report", "--base", "main"], project, env)
    gate = measure([python, "-m", package, "gate"], project, env)
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
    reran = output.count("Running stage")

    both = report["seconds"] + gate["seconds"]
    print(
        f"\nPull request, {test_rows:,} test rows, three models (this PR, base, production); "
        "baseline = a plain script that reads the rows and scores the model three times.\n"
    )
    print("| | time | ratio to baseline | peak memory |")
    print("|---|---:|---:|---:|")
    mib = 2**20
    for name, figures, seconds in (
        ("score only (baseline)", base, base["seconds"]),
        ("report, bootstrap included", report, report["seconds"]),
        ("gate", gate, gate["seconds"]),
        ("report and gate", report, both),
    ):
        print(
            f"| {name} | {seconds:.2f} s | {seconds / base['seconds']:.2f}× "
            f"| {figures['peak'] / mib:.0f} MiB |"
        )
    print(
        f"\nNothing changed (`make pr-report` on a README-only branch): {noop:.2f} s, "
        f"stages rerun: {reran}."
    )
    print("Targets: report and gate ≤ 5 s at 200,000 test rows; no stage rerun.")


def main() -> None:
    sizes = [int(n) for n in os.environ.get("BENCH_ROWS", "100000,1000000").split(",")]
    first = prepare_project(sizes[0])
    env_dir = project_env(first / "pyproject.toml", WORK / "env")
    env = environ(env_dir)
    plain = str(TEMPLATE / "harness" / "bench_plain.py")
    python = str(env_dir / "bin" / "python")
    libraries = measure([python, "-c", LIBRARIES], first, env)["peak"]
    table = []
    for rows in sizes:
        project = first if rows == sizes[0] else prepare_project(rows)
        install(project, env_dir)
        dataset = rows * (FEATURES + 1) * 8  # float64 features and target, in memory
        base = measure([python, plain, str(rows), str(FEATURES)], project, env)
        full = measure(["dvc", "repro"], project, env)
        noop = measure(["dvc", "repro"], project, env)
        table.append((rows, dataset, base, full, noop))

    mib = 2**20
    print(
        f"\nSynthetic classification, {FEATURES} features; baseline = one plain script "
        "doing the same work in one process, measured in this run.\n"
    )
    print(
        "| rows | plain script | dvc repro | time ratio | overhead | no-op repro "
        "| peak plain / repro | peak ratio | repro peak ÷ dataset | same, less libraries |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows, dataset, base, full, noop in table:
        print(
            f"| {rows:,} | {base['seconds']:.2f} s | {full['seconds']:.2f} s "
            f"| {full['seconds'] / base['seconds']:.2f}× "
            f"| {full['seconds'] - base['seconds']:+.2f} s | {noop['seconds']:.2f} s "
            f"| {base['peak'] / mib:.0f} / {full['peak'] / mib:.0f} MiB "
            f"| {full['peak'] / base['peak']:.2f}× "
            f"| {full['peak'] / dataset:.2f}× | {(full['peak'] - libraries) / dataset:.2f}× |"
        )
    print(
        f"\nDataset in memory: rows × {FEATURES + 1} float64 columns. Libraries: the peak of "
        f"a process that only imports pandas, pyarrow and scikit-learn "
        f"({libraries / mib:.0f} MiB here)."
    )
    print(
        "Targets at 1,000,000 rows: overhead ≤ 3 s and time ratio ≤ 1.15×; no-op repro "
        "≤ 1.5 s; peak memory ≤ 3× the dataset's in-memory size."
    )
    batch_scoring(project, env_dir, env, int(os.environ.get("BENCH_PREDICT_ROWS", "1000000")))
    pull_request(env_dir, env, int(os.environ.get("BENCH_PR_TEST_ROWS", "200000")))


if __name__ == "__main__":
    main()
