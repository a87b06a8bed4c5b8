"""What a pull request changes since its base: parameters, the code and data its stages
read (dvc.lock), the prepared data's profile, and the promotion gate."""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

from .. import dvc, paths
from ..config import flatten
from ..git import read, show

MISSING = "(absent)"


def changed_params(commit: str) -> list[tuple[str, object, object]]:
    """(key, base value, this PR's value) for every parameter that differs."""
    before = flatten(yaml.safe_load(show(commit, paths.PARAMS) or "{}") or {})
    after = flatten(yaml.safe_load(paths.PARAMS.read_text(encoding="utf-8")) or {})
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


def gate_changed(commit: str) -> bool:
    """Whether this checkout edits the promotion gate in lifecycle.yaml."""
    before = yaml.safe_load(show(commit, paths.LIFECYCLE) or "{}") or {}
    after = yaml.safe_load(paths.LIFECYCLE.read_text(encoding="utf-8")) or {}
    return bool(before) and before.get("gate") != after.get("gate")


@dataclass
class Changes:
    """What a pull request changes since ``commit``, its base."""

    commit: str
    params: list[tuple[str, object, object]]
    files: dict[str, list[str]]
    profile_before: dict | None
    profile_after: dict | None
    gate: bool


def since(commit: str) -> Changes:
    return Changes(
        commit=commit,
        params=changed_params(commit),
        files=changed_files(commit),
        profile_before=data_profile(commit),
        profile_after=data_profile(None),
        gate=gate_changed(commit),
    )
