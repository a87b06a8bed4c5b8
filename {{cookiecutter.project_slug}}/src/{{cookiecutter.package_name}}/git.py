"""The one place that runs git: commands, files at a commit, commits and their order."""

import subprocess
from pathlib import Path

from .errors import ProjectError


def _run(args: tuple[str, ...]) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


def git(*args: str) -> str:
    """Run git and return what it printed; a failure is a ProjectError with git's message."""
    result = _run(args)
    if result.returncode != 0:
        raise ProjectError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def succeeds(*args: str) -> bool:
    """Whether git exits 0 (a question such as `merge-base --is-ancestor`)."""
    return _run(args).returncode == 0


def show(commit: str, path: Path) -> str | None:
    """A Git-tracked file's content at a commit, or None when it did not exist there."""
    result = _run(("show", f"{commit}:{path.as_posix()}"))
    return result.stdout if result.returncode == 0 else None


def read(path: Path, commit: str | None = None) -> str | None:
    """A file's content at ``commit`` (Git), or in the workspace (None); None when absent."""
    if commit is not None:
        return show(commit, path)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def head() -> str:
    return git("rev-parse", "HEAD")


def commit_of(revision: str) -> str | None:
    """The commit a branch, tag or commit names, or None when there is none."""
    result = _run(("rev-parse", "--verify", "--quiet", revision + "^{commit}"))
    return result.stdout.strip() if result.returncode == 0 else None


def main_branch() -> str:
    """origin's main when fetched (CI), else the local one: the branch whose commits may
    ship, and whose files say who may sign the registry."""
    return "origin/main" if commit_of("origin/main") else "main"


def merge_base(base: str) -> str:
    """The commit this branch forked from ``base``: what a pull request changes."""
    if commit_of(base) is None:
        raise ProjectError(
            f"base revision {base!r} not found; fetch it (git fetch origin) or pass BASE=<branch>"
        )
    return git("merge-base", "HEAD", base)


def is_ancestor(older: str, newer: str) -> bool:
    return succeeds("merge-base", "--is-ancestor", older, newer)
