"""The emulated GitHub state shared by the local runner and the stand-ins (stdlib only).

One JSON file holds what GitHub's web services would hold: pull requests, comments,
issues, releases and workflow runs. Every read-modify-write holds an exclusive fcntl
lock on a sidecar ``.lock`` file, so steps and the runner may use it concurrently.

Tokens are fake and encode their permissions, e.g.
``ghs_local.contents=read.metadata=read.pull-requests=write``.
"""

import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STATE_ENV = "LOCAL_GITHUB_STATE"
SERVER_URL = "https://github.com"
API_URL = "https://api.github.com"
TOKEN_PREFIX = "ghs_local"
LEVELS = {"none": 0, "read": 1, "write": 2}
BOT = {"login": "github-actions[bot]", "type": "Bot"}


def initial_state(repository: str, default_branch: str) -> dict:
    return {
        "repository": repository,
        "default_branch": default_branch,
        "counters": {},
        "pulls": [],
        "comments": [],
        "releases": [],
        "issues": [],
        "runs": [],
    }


@contextmanager
def locked(path: Path) -> Iterator[dict]:
    """The state, locked; written back when the block ends without an exception."""
    path = Path(path)
    with Path(f"{path}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            yield state
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
            temporary.replace(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read(path: Path) -> dict:
    path = Path(path)
    with Path(f"{path}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def next_id(state: dict, kind: str, start: int = 1) -> int:
    counters = state.setdefault("counters", {})
    counters[kind] = max(counters.get(kind, start - 1) + 1, start)
    return counters[kind]


def make_token(permissions: dict[str, str]) -> str:
    scopes = sorted(f"{scope}={level}" for scope, level in permissions.items() if level != "none")
    return ".".join([TOKEN_PREFIX, *scopes])


def token_scopes(token: str) -> dict[str, str] | None:
    """The permissions a local token grants, or None when it is not a local token."""
    parts = token.strip().split(".")
    if parts[0] != TOKEN_PREFIX:
        return None
    scopes = {}
    for part in parts[1:]:
        scope, _, level = part.partition("=")
        if level not in LEVELS:
            return None
        scopes[scope] = level
    return scopes


def allows(token: str, scope: str, level: str) -> bool:
    scopes = token_scopes(token) or {}
    return LEVELS[scopes.get(scope, "none")] >= LEVELS[level]


def public(record: dict) -> dict:
    """A stored record without the emulator's private keys (those starting with _)."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def state_path() -> Path:
    value = os.environ.get(STATE_ENV, "")
    if not value:
        sys.exit(f"local stand-in: {STATE_ENV} is not set (run this through harness.runner)")
    return Path(value)
