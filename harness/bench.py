"""`make bench`: the generated pipeline's cost against a plain script, measured together.

For each size (synthetic classification data, 20 features): wall time and peak memory
of one plain Python script doing the same work in one process (the baseline), of a
full `dvc repro` in a freshly generated project, and of a `dvc repro` with nothing
changed. Figures are printed as ratios against the baseline of the same run.
BENCH_ROWS overrides the sizes, e.g. BENCH_ROWS=20000.
"""

import json
import os
import shutil
import subprocess
import sys
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


def prepare_project(rows: int) -> Path:
    shutil.rmtree(WORK / str(rows), ignore_errors=True)
    project = bake(WORK / str(rows))
    params_path = project / "params.yaml"
    params = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    params["prepare"]["source"] = "synthetic"
    params["prepare"]["synthetic"] = {"rows": rows, "features": FEATURES}
    params_path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return project


LIBRARIES = (
    "import pandas, pyarrow.parquet, sklearn.ensemble, sklearn.metrics, sklearn.model_selection"
)


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


if __name__ == "__main__":
    main()
