"""What a pull request changes since its base: parameters, the code and data its stages
read (dvc.lock), the prepared data's profile, and the promotion gate."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .. import dvc, paths
from ..config import flatten, parse_yaml, read_yaml
from ..git import read, show

MISSING = "(absent)"


def changed_params(commit: str) -> list[tuple[str, object, object]]:
    """(key, base value, this PR's value) for every parameter that differs."""
    before = flatten(
        parse_yaml(show(commit, paths.PARAMS) or "{}", f"{paths.PARAMS}@{commit[:7]}") or {}
    )
    after = flatten(read_yaml(paths.PARAMS) or {})
    return [
        (key, before.get(key, MISSING), after.get(key, MISSING))
        for key in sorted(before.keys() | after.keys())
        if before.get(key, MISSING) != after.get(key, MISSING)
    ]


def changed_files(commit: str) -> dict[str, list[str]]:
    """stage -> the dependencies whose content differs between base and this checkout."""
    before, after = dvc.inputs(dvc.lock(commit)), dvc.inputs(dvc.lock())
    changes = {}
    for stage, files in after.items():
        old = before.get(stage, {})
        differ = [path for path, md5 in files.items() if old.get(path) != md5]
        differ += [path for path in old if path not in files]
        if differ:
            changes[stage] = sorted(differ)
    return changes


def data_profile(commit: str | None) -> dict | None:
    """eval/data.json at ``commit``, or in the workspace."""
    text = read(paths.DATA_PROFILE, commit)
    return json.loads(text) if text else None


def gate_changes(commit: str) -> list[tuple[str, object, object]]:
    """(key, base value, this checkout's value) for every setting of lifecycle.yaml's
    gate that differs from ``commit``'s; none when the base had no lifecycle.yaml."""
    text = show(commit, paths.LIFECYCLE)
    if text is None:
        return []
    before = parse_yaml(text, f"{paths.LIFECYCLE}@{commit[:7]}") or {}
    after = read_yaml(paths.LIFECYCLE) or {}
    old = flatten({"gate": before.get("gate")})
    new = flatten({"gate": after.get("gate")})
    return [
        (key, old.get(key, MISSING), new.get(key, MISSING))
        for key in sorted(old.keys() | new.keys())
        if old.get(key, MISSING) != new.get(key, MISSING)
    ]


@dataclass
class Changes:
    """What a pull request changes since ``commit``, its base."""

    commit: str
    params: list[tuple[str, object, object]]
    files: dict[str, list[str]]
    profile_before: dict | None
    profile_after: dict | None
    gate: list[tuple[str, object, object]]  # the gate's settings it changes


def since(commit: str) -> Changes:
    return Changes(
        commit=commit,
        params=changed_params(commit),
        files=changed_files(commit),
        profile_before=data_profile(commit),
        profile_after=data_profile(None),
        gate=gate_changes(commit),
    )
