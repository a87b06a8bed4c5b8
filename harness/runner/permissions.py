"""A job's GITHUB_TOKEN permissions, as GitHub computes them (forks get read at most)."""

from __future__ import annotations

from typing import Any

from .errors import RunnerError

SCOPES = (
    "actions", "attestations", "checks", "contents", "deployments", "discussions",
    "id-token", "issues", "models", "packages", "pages", "pull-requests",
    "repository-projects", "security-events", "statuses",
)  # fmt: skip


def effective_permissions(spec: Any, where: str, *, fork: bool) -> dict[str, str]:
    """A job's token permissions. No ``permissions`` key anywhere: contents read (a
    simplification of GitHub's restricted default). Metadata is always readable."""
    if spec is None:
        permissions = {"contents": "read"}
    elif spec in ("read-all", "write-all"):
        level = spec.split("-")[0]
        permissions = dict.fromkeys(SCOPES, level)
        permissions["id-token"] = "write" if level == "write" else "none"
    elif isinstance(spec, dict):
        permissions = {}
        for scope, level in spec.items():
            if scope not in SCOPES:
                raise RunnerError(f"{where}: unknown permission scope {scope!r}")
            allowed = ("write", "none") if scope == "id-token" else ("read", "write", "none")
            if level not in allowed:
                raise RunnerError(f"{where}: permissions.{scope}: {level!r} not in {allowed}")
            permissions[scope] = level
    else:
        raise RunnerError(f"{where}: permissions: expected read-all, write-all or a mapping")
    permissions["metadata"] = "read"
    if fork:
        permissions = {
            scope: ("none" if scope == "id-token" else "read") if level == "write" else level
            for scope, level in permissions.items()
        }
    return {scope: level for scope, level in sorted(permissions.items()) if level != "none"}
