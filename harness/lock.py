"""Refresh the generated projects' lock files: `make lock` (UPGRADE=1 to take every
package's newest release the pins allow).

A generated project's uv.lock depends on two answers: `python_version` (its
`requires-python`) and `project_slug` (the root package's name). This bakes the default
project once per Python offered, locks it with uv (starting from the lock the template
has, so that only what must move moves), and keeps it in ``templates/`` with the name
left for cookiecutter to fill in; the project's uv.lock includes the one of its Python.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .bake import TEMPLATE, bake, choices

LOCKS = TEMPLATE / "templates" / "uv-lock"  # LOCK_DIR writes them elsewhere (a check)
DEFAULT_SLUG = "churn-model"  # what cookiecutter.json's default project name slugifies to
NAME = f'name = "{DEFAULT_SLUG}"'
PLACEHOLDER = 'name = "{{ cookiecutter.project_slug }}"'
UV = Path(sys.executable).with_name("uv")


def lock_file(python: str) -> Path:
    return Path(os.environ.get("LOCK_DIR", LOCKS)) / f"py{python}.lock"


def refresh(python: str, upgrade: bool, work: Path) -> None:
    """Lock the default project baked for ``python``: it starts from the template's current
    lock (the bake renders it), so only what must move moves."""
    project = bake(work / python, python_version=python)
    lock = project / "uv.lock"
    if not lock.read_text(encoding="utf-8").strip():
        lock.unlink()  # the first lock for this Python
    command = [str(UV), "lock", "--quiet", *(["--upgrade"] * upgrade)]
    subprocess.run(command, cwd=project, check=True)
    text = lock.read_text(encoding="utf-8")
    if text.count(NAME) != 1:
        raise SystemExit(f"{lock}: expected one package {NAME}")
    known = lock_file(python)
    known.parent.mkdir(parents=True, exist_ok=True)
    known.write_text(text.replace(NAME, PLACEHOLDER), encoding="utf-8")
    print(f"{known}: {text.count('[[package]]')} packages")


def main() -> None:
    upgrade = os.environ.get("UPGRADE", "") not in ("", "0")
    with tempfile.TemporaryDirectory() as work:
        for python in sorted(choices("python_version")):
            refresh(python, upgrade, Path(work))


if __name__ == "__main__":
    main()
