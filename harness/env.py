"""The Python environment generated projects run in, built once and reused.

Generated projects pin their dependencies in pyproject.toml; this installs those pins
(from a baked project) into one virtual environment with uv, then each baked project
on its own with ``--no-deps``. Reused while the pins do not change.
"""

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from .bake import TEMPLATE

# The message of a version tag that tests and the benchmark register by hand, standing in
# for a promotion: the registry lets only versions whose tag records a passing gate hold
# a stage (registry.GATE_RECORD).
GATE = "gate passed (registered by hand for a test, as the promotion would)"
DEFAULT_ENV = TEMPLATE / "build" / "project-env"
UV = Path(sys.executable).with_name("uv")


def env_dir_now() -> Path:
    """Where the environment is: PROJECT_ENV when set (one per parallel test worker, say),
    else build/project-env; read at each call, since a test session sets it."""
    return Path(os.environ.get("PROJECT_ENV", DEFAULT_ENV))


def uv(*args: str) -> None:
    subprocess.run([str(UV), *args, "--quiet"], check=True)


def project_env(pyproject: Path, env_dir: Path | None = None) -> Path:
    """A virtual environment with the pinned dependencies of a generated project; one
    process builds it while the others (parallel test workers) wait for it."""
    env_dir = env_dir or env_dir_now()
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    with Path(f"{env_dir}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _project_env(pyproject, env_dir)


def _project_env(pyproject: Path, env_dir: Path) -> Path:
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


def install(project: Path, env_dir: Path | None = None) -> None:
    """Install one generated project into the environment, without touching its pins (its
    dependencies were byte-compiled when the environment was made)."""
    python = (env_dir or env_dir_now()) / "bin" / "python"
    uv("pip", "install", "--python", str(python), "--no-deps", "-e", str(project))


def environ(env_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """Process environment in which `python`, `dvc`, `gto` are the project's."""
    env_dir = env_dir or env_dir_now()
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(env_dir)
    env.update(extra)
    return env


def run(
    project: Path,
    *command: str,
    env_dir: Path | None = None,
    check: bool = True,
    **extra_env: str,
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
