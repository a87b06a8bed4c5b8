"""Stand-ins for GitHub's web services, put on PATH by the local workflow runner.

`gh` and `cml` are small stdlib-only programs that read and write the emulated GitHub
state (a JSON file, see localgh.py) instead of calling api.github.com.
"""

import shlex
import sys
from pathlib import Path

STANDINS = Path(__file__).resolve().parent


def install_standin(directory: Path, name: str) -> None:
    """An executable ``name`` running the stand-in with this Python (stdlib only, -E -s
    so the step's Python variables cannot change it)."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / name
    script = STANDINS / f"{name}.py"
    shim.write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -E -s {shlex.quote(str(script))} "$@"\n',
        encoding="utf-8",
    )
    shim.chmod(0o755)
