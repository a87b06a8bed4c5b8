"""What a pull request's model is compared with, and what changed since its base.

Two baselines: the version at the production stage of the registry (GTO tags) and the
base branch at the merge base. Each is scored on this pull request's own test rows:
with the predictions its own evaluate stage made when its test table is byte for byte
this PR's (the same hash in both dvc.lock files), else by its model. Both come through
DVC (cache, then remote); when neither can be had, its recorded metrics
(eval/metrics.json in Git at its commit) are compared, and the report says so.
"""

import io
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import pandas as pd
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
    own_predictions: pd.DataFrame | None = None  # made on this PR's very rows
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


def read_at(commit: str, path: Path) -> io.BytesIO:
    """A DVC-tracked file of a commit, read through DVC (its cache, then the remote)."""
    import dvc.api
    from dvc.exceptions import PathMissingError

    try:
        with dvc.api.open(str(path), rev=commit, mode="rb") as stream:
            return io.BytesIO(stream.read())
    except PathMissingError:  # DVC's own message blames the repository
        raise FileNotFoundError(
            f"{path} of {commit[:7]} is in neither the DVC cache nor a reachable DVC remote"
        ) from None


def load_model_at(commit: str) -> Model:
    return check(joblib.load(read_at(commit, paths.MODEL)), Path(f"{paths.MODEL}@{commit[:7]}"))


def predictions_on_these_rows(commit: str) -> pd.DataFrame | None:
    """The predictions ``commit``'s evaluate stage made, if it made them on this PR's test
    table (same hash in both dvc.lock files): scoring its model again would repeat them."""
    before = lock_outputs(show(commit, paths.LOCK))
    now = lock_outputs(working_lock())
    test, predictions = paths.TEST.as_posix(), paths.PREDICTIONS.as_posix()
    if predictions not in before or test not in now or before.get(test) != now[test]:
        return None
    return pd.read_parquet(read_at(commit, paths.PREDICTIONS))


def baseline(role: str, label: str, commit: str | None, note: str = "") -> Baseline:
    """A baseline with its recorded metrics and, when DVC has them, its predictions on
    these rows or else its model."""
    if commit is None:
        return Baseline(role, label, None, None, note=note)
    found = Baseline(role, label, commit, recorded_metrics(commit))
    if found.recorded is None:
        found.note = f"no {paths.METRICS} at {commit[:7]}: nothing to compare"
        return found
    try:
        found.own_predictions = predictions_on_these_rows(commit)
        if found.own_predictions is None:
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


def working_lock() -> str | None:
    return paths.LOCK.read_text(encoding="utf-8") if paths.LOCK.is_file() else None


def lock_stages(text: str | None) -> dict[str, dict]:
    return (yaml.safe_load(text or "") or {}).get("stages") or {}


def lock_outputs(text: str | None) -> dict[str, str]:
    """path -> md5 of every stage output in a dvc.lock."""
    return {
        item["path"]: item.get("md5", "")
        for stage in lock_stages(text).values()
        for item in stage.get("outs", [])
    }


def lock_entries(text: str | None) -> dict[str, dict[str, str]]:
    """stage -> {path: md5} of its dependencies in a dvc.lock: code and data, not the
    outputs of other stages (a retrained model is the change's result, not its cause)."""
    produced = lock_outputs(text)
    return {
        name: {
            item["path"]: item.get("md5", "")
            for item in stage.get("deps", [])
            if item["path"] not in produced
        }
        for name, stage in lock_stages(text).items()
    }


def changed_files(commit: str) -> dict[str, list[str]]:
    """stage -> the dependencies whose content differs between base and this PR."""
    before = lock_entries(show(commit, paths.LOCK))
    after = lock_entries(working_lock())
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
