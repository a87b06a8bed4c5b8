"""The Python environment generated projects run in, built once and reused.

Generated projects lock every dependency in uv.lock (with hashes); this installs a baked
project's lock, every storage plugin included, into one virtual environment with uv
(``uv sync --locked``, as `make install` does), then each baked project on its own with
``--no-deps``. Reused while the lock does not change.
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
# Where generation writes the registry's private signing key (hooks/post_gen_project.py).
SIGNING_KEY = ".registry-signing-key"


def signing_key(project: Path) -> str:
    """The text of a generated project's registry signing key: the secret
    REGISTRY_SIGNING_KEY of its workflows' `writer` and `production` environments."""
    return (project / SIGNING_KEY).read_text(encoding="utf-8")


def _signed_tag(project: Path, tag: str, message: str, rev: str) -> None:
    key = str(project / SIGNING_KEY)
    sign = ["git", "-c", "gpg.format=ssh", "-c", f"user.signingKey={key}", "tag", "--sign"]
    subprocess.run([*sign, "-m", message, tag, rev], cwd=project, check=True)


def register_by_hand(
    project: Path, name: str, rev: str, version: str, stage: str | None = None
) -> None:
    """Register ``rev`` as ``version`` (and assign it ``stage``) as the promotion would:
    GTO's tags, signed with the project's registry key, the version's message recording
    a passing gate. Standing in for a promotion in tests and the benchmark."""
    _signed_tag(project, f"{name}@{version}", GATE, rev)
    if stage:
        assign_by_hand(project, name, version, stage)


def assign_by_hand(project: Path, name: str, version: str, stage: str) -> None:
    """Assign ``stage`` to a registered ``version``: GTO's tag, signed (see above)."""
    listed = subprocess.run(
        ["git", "tag", "--list", f"{name}#*"], cwd=project, capture_output=True, text=True,
        check=True,
    ).stdout.split()  # fmt: skip
    tag = f"{name}#{stage}#{len(listed) + 1}"
    _signed_tag(project, tag, f"Assigning stage {stage}", f"{name}@{version}^{{}}")


DEFAULT_ENV = TEMPLATE / "build" / "project-env"
UV = Path(sys.executable).with_name("uv")


def env_dir_now() -> Path:
    """Where the environment is: PROJECT_ENV when set (one per parallel test worker, say),
    else build/project-env; read at each call, since a test session sets it."""
    return Path(os.environ.get("PROJECT_ENV", DEFAULT_ENV))


def uv(*args: str, **env: str) -> None:
    subprocess.run([str(UV), *args, "--quiet"], check=True, env={**os.environ, **env})


def project_env(project: Path, env_dir: Path | None = None, base: Path | None = None) -> Path:
    """A virtual environment with what a baked project's uv.lock pins, every extra. It is
    built once (relocatable, byte-compiled) in ``base`` (project-env-base beside
    ``env_dir``), and each other environment (one per parallel test worker, the demo's
    runner) is a copy of it: copying is some seconds, building about a minute. One
    process works while the others wait."""
    env_dir = env_dir or env_dir_now()
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(
        (project / "uv.lock").read_bytes()
        + (project / "pyproject.toml").read_bytes()
        + sys.version.encode()
    ).hexdigest()
    base = base or env_dir.with_name("project-env-base")
    base.parent.mkdir(parents=True, exist_ok=True)
    with Path(f"{base}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not current(base, digest):
            build(project, base, digest)
    with Path(f"{env_dir}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not current(env_dir, digest):
            subprocess.run(["rm", "-rf", str(env_dir)], check=True)
            subprocess.run(["cp", "-a", str(base), str(env_dir)], check=True)
    return env_dir


def current(env_dir: Path, digest: str) -> bool:
    stamp = env_dir / ".lock-sha256"
    return stamp.is_file() and stamp.read_text() == digest


def build(project: Path, env_dir: Path, digest: str) -> None:
    uv("venv", "--clear", "--relocatable", "--python", sys.executable, str(env_dir))
    uv(
        "sync",
        "--project",
        str(project),
        "--locked",
        "--all-extras",
        "--no-install-project",
        "--compile-bytecode",  # where PYTHONDONTWRITEBYTECODE is set, imports compile each time
        UV_PROJECT_ENVIRONMENT=str(env_dir),
    )
    (env_dir / ".lock-sha256").write_text(digest)


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
