"""`make demo`: the lifecycle so far, on this machine, with no accounts.

Generates the default project into demo/ (or $DEMO_DIR), installs it with its own
`make install`, trains and evaluates the first model with `make repro`, commits the
result, and shows the metrics and what Git and DVC now hold.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .bake import TEMPLATE, bake


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def sh(project: Path, *command: str) -> None:
    print(f"$ {' '.join(command)}", flush=True)
    subprocess.run(command, cwd=project, check=True)


def main() -> None:
    demo = Path(os.environ.get("DEMO_DIR", TEMPLATE / "demo"))
    shutil.rmtree(demo, ignore_errors=True)
    # The template's tools (uv among them) are on PATH, as they would be for a user.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    os.environ.pop("VIRTUAL_ENV", None)

    step("Generate a project (cookiecutter --no-input, default answers)")
    project = bake(demo)
    sh(project, "git", "log", "--oneline")

    step("Install it: a virtual environment with its pinned dependencies")
    sh(project, "make", "install", f"PYTHON={sys.executable}")

    step("Train and evaluate the first model: prepare -> train -> evaluate")
    sh(project, "make", "repro")

    step("Version it: dvc.lock and the metrics go to Git, the model to DVC's cache")
    sh(project, "git", "add", "--all")
    sh(
        project,
        "git",
        "-c",
        "user.name=Demo",
        "-c",
        "user.email=demo@example.com",
        "commit",
        "--quiet",
        "-m",
        "Train the first model",
    )
    sh(project, "git", "log", "--oneline", "--stat")
    sh(project, ".venv/bin/dvc", "status")
    print(f"\nThe project is in {project}.", flush=True)


if __name__ == "__main__":
    main()
