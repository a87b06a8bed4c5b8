"""The Python environment generated projects run in, built once and reused.

Generated projects pin their dependencies in pyproject.toml; this installs those pins
(from a baked project) into one virtual environment with uv, then each baked project
on its own with ``--no-deps``. Reused while the pins do not change.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from .bake import TEMPLATE

ENV_DIR = TEMPLATE / "build" / "project-env"
UV = Path(sys.executable).with_name("uv")


def uv(*args: str) -> None:
    subprocess.run([str(UV), *args, "--quiet"], check=True)


def project_env(pyproject: Path, env_dir: Path = ENV_DIR) -> Path:
    """A virtual environment with the pinned dependencies of a generated project."""
    stamp = env_dir / ".pins-sha256"
    digest = hashlib.sha256(pyproject.read_bytes() + sys.version.encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return env_dir
    uv("venv", "--clear", "--python", sys.executable, str(env_dir))
    uv(
        "pip",
        "install",
        "--python",
        str(env_dir / "bin" / "python"),
        "--compile-bytecode",
        "-r",
        str(pyproject),
        "--extra",
        "dev",
    )
    stamp.write_text(digest)
    return env_dir


def install(project: Path, env_dir: Path = ENV_DIR) -> None:
    """Install one generated project into the environment, without touching its pins (its
    dependencies were byte-compiled when the environment was made)."""
    uv(
        "pip",
        "install",
        "--python",
        str(env_dir / "bin" / "python"),
        "--no-deps",
        "-e",
        str(project),
    )


def environ(env_dir: Path = ENV_DIR, **extra: str) -> dict[str, str]:
    """Process environment in which `python`, `dvc`, `gto` are the project's."""
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(env_dir)
    env.update(extra)
    return env


def run(
    project: Path, *command: str, env_dir: Path = ENV_DIR, check: bool = True, **extra_env: str
) -> subprocess.CompletedProcess:
    """Run ``command`` in ``project`` with the project environment; output captured."""
    result = subprocess.run(
        command,
        cwd=project,
        env=environ(env_dir, **extra_env),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({result.returncode}) in {project}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result
