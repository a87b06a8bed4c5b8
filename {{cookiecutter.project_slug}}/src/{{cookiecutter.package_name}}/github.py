"""GitHub's side of a command: the GitHub CLI, and what a step tells GitHub Actions
(its outputs and the job's summary). Outside GitHub Actions the last two do nothing."""

import os
import subprocess
from pathlib import Path

from .errors import ProjectError


def gh(*args: str) -> str:
    """Run the GitHub CLI and return what it printed; a failure is a ProjectError with
    its message."""
    result = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ProjectError(f"gh {' '.join(args[:2])}: {result.stderr.strip()}")
    return result.stdout.strip()


def exists(*args: str) -> bool:
    """Whether a `gh ... view` finds what it names (GitHub answers 404 otherwise)."""
    result = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    return result.returncode == 0


def step_outputs(values: dict[str, str]) -> None:
    """The step's outputs."""
    if os.environ.get("GITHUB_OUTPUT"):
        with Path(os.environ["GITHUB_OUTPUT"]).open("a", encoding="utf-8") as stream:
            stream.writelines(f"{key}={value}\n" for key, value in values.items())


def job_summary(markdown: str) -> None:
    """Add ``markdown`` to the job's summary page."""
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with Path(os.environ["GITHUB_STEP_SUMMARY"]).open("a", encoding="utf-8") as summary:
            summary.write(markdown + "\n")


def run_url() -> str:
    """This workflow run's page, in GitHub Actions; else ''."""
    run = os.environ.get("GITHUB_RUN_ID")
    if not run:
        return ""
    server, repository = os.environ["GITHUB_SERVER_URL"], os.environ["GITHUB_REPOSITORY"]
    return f"{server}/{repository}/actions/runs/{run}"
