"""What a pull request's model is compared with, and what changed since its base.

Two baselines: the version at the production stage of the registry (GTO tags) and the
base branch at the merge base. Each is scored on this pull request's own test rows
when its model can be obtained (DVC cache or remote); otherwise its recorded metrics
(eval/metrics.json in Git at its commit) are used, and the report says so.
"""

import io
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import yaml

from . import paths
from .errors import ProjectError
from .model import Model, check


@dataclass
class Baseline:
    role: str  # "production" or "base"
    label: str  # how the report names it: a version or a short commit
    commit: str | None
    recorded: dict[str, float] | None  # metrics committed at that commit
    model: Model | None = None
    note: str = ""  # why it is compared by recorded metrics, or absent
    scores: dict[str, float] = field(default_factory=dict)  # on this PR's test rows
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    def value(self, metric: str) -> float | None:
        """The metric on this PR's rows when it was scored there, else as recorded."""
        return self.scores.get(metric, (self.recorded or {}).get(metric))


def git(*args: str) -> str:
    """Run git; a failure is a ProjectError with git's own message."""
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ProjectError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def show(commit: str, path: Path) -> str | None:
    """A file's content at a commit, or None when it did not exist there."""
    result = subprocess.run(
        ["git", "show", f"{commit}:{path.as_posix()}"], capture_output=True, text=True, check=False
    )
    return result.stdout if result.returncode == 0 else None


def merge_base(base: str) -> str:
    try:
        git("rev-parse", "--verify", "--quiet", base + "^{commit}")
    except ProjectError:
        raise ProjectError(
            f"base revision {base!r} not found; fetch it (git fetch origin) or pass BASE=<branch>"
        ) from None
    return git("merge-base", "HEAD", base)


def recorded_metrics(commit: str) -> dict[str, float] | None:
    text = show(commit, paths.METRICS)
    return json.loads(text) if text else None


def load_model_at(commit: str) -> Model:
    """The model file of a commit, read through DVC (its cache, then the remote)."""
    import dvc.api
    from dvc.exceptions import PathMissingError

    try:
        with dvc.api.open(str(paths.MODEL), rev=commit, mode="rb") as stream:
            model = joblib.load(io.BytesIO(stream.read()))
    except PathMissingError:  # DVC's own message blames the repository
        raise FileNotFoundError(
            f"{paths.MODEL} of {commit[:7]} is in neither the DVC cache nor a reachable DVC remote"
        ) from None
    return check(model, Path(f"{paths.MODEL}@{commit[:7]}"))


def production(name: str, stage: str) -> tuple[str, str] | None:
    """(version, commit) at ``stage`` in the registry, or None when nothing is there."""
    if not git("tag", "--list", f"{name}#{stage}#*"):
        return None  # no assignment tag: skip importing GTO
    from gto.api import find_versions_in_stage

    found = find_versions_in_stage(".", name, stage)
    return (found[0].version, found[0].commit_hexsha) if found else None


def baseline(role: str, label: str, commit: str | None, note: str = "") -> Baseline:
    """A baseline with its recorded metrics and, when it can be loaded, its model."""
    if commit is None:
        return Baseline(role, label, None, None, note=note)
    found = Baseline(role, label, commit, recorded_metrics(commit))
    if found.recorded is None:
        found.note = f"no {paths.METRICS} at {commit[:7]}: nothing to compare"
        return found
    try:
        found.model = load_model_at(commit)
    except Exception as error:  # any failure means: compare recorded metrics instead
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        found.note = f"model not available ({reason}); recorded metrics compared"
    return found


def flatten(data, prefix: str = "") -> dict[str, object]:
    if isinstance(data, dict):
        items: dict[str, object] = {}
        for key, value in data.items():
            items.update(flatten(value, f"{prefix}{key}."))
        return items
    return {prefix.rstrip("."): data}


def changed_params(commit: str) -> list[tuple[str, object, object]]:
    """(key, base value, this PR's value) for every parameter that differs."""
    before = flatten(yaml.safe_load(show(commit, paths.PARAMS) or "{}") or {})
    after = flatten(yaml.safe_load(paths.PARAMS.read_text(encoding="utf-8")) or {})
    missing = "(absent)"
    return [
        (key, before.get(key, missing), after.get(key, missing))
        for key in sorted(before.keys() | after.keys())
        if before.get(key, missing) != after.get(key, missing)
    ]


def lock_entries(text: str | None) -> dict[str, dict[str, str]]:
    """stage -> {path: md5} of its dependencies in a dvc.lock: code and data, not the
    outputs of other stages (a retrained model is the change's result, not its cause)."""
    stages = (yaml.safe_load(text or "") or {}).get("stages") or {}
    produced = {item["path"] for stage in stages.values() for item in stage.get("outs", [])}
    return {
        name: {
            item["path"]: item.get("md5", "")
            for item in stage.get("deps", [])
            if item["path"] not in produced
        }
        for name, stage in stages.items()
    }


def changed_files(commit: str) -> dict[str, list[str]]:
    """stage -> the dependencies whose content differs between base and this PR."""
    before = lock_entries(show(commit, Path("dvc.lock")))
    after = lock_entries(
        Path("dvc.lock").read_text(encoding="utf-8") if Path("dvc.lock").is_file() else ""
    )
    changes = {}
    for stage, files in after.items():
        old = before.get(stage, {})
        differ = [path for path, md5 in files.items() if old.get(path) != md5]
        differ += [path for path in old if path not in files]
        if differ:
            changes[stage] = sorted(differ)
    return changes


def data_profile(commit: str | None) -> dict | None:
    if commit is None:
        text = (
            paths.DATA_PROFILE.read_text(encoding="utf-8")
            if paths.DATA_PROFILE.is_file()
            else None
        )
    else:
        text = show(commit, paths.DATA_PROFILE)
    return json.loads(text) if text else None


def gate_changed(commit: str) -> bool:
    """Whether this PR edits the promotion gate in lifecycle.yaml."""
    before = yaml.safe_load(show(commit, paths.LIFECYCLE) or "{}") or {}
    after = yaml.safe_load(paths.LIFECYCLE.read_text(encoding="utf-8")) or {}
    return bool(before) and before.get("gate") != after.get("gate")
