"""actions/cache: entries kept under the GitHub's root, scoped by ref as on GitHub (a
pull request reads its own, its base's and the default branch's), saved by a post step."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from ..errors import StepFailed
from ..github import GitHub
from ..globs import match_files, split_lines
from .base import Action, Call, copy_tree


def cache_version(paths: list[str], cross_os: bool) -> str:
    return hashlib.sha256(json.dumps([paths, "zstd", cross_os]).encode()).hexdigest()[:16]


def cache_entries(gh: GitHub, scope: str, version: str) -> list[dict]:
    entries = []
    for meta in (gh.root / "cache" / quote(scope, safe="")).glob(f"*/{version}/entry.json"):
        entry = json.loads(meta.read_text(encoding="utf-8"))
        entries.append({**entry, "dir": meta.parent})
    return entries


def cache(call: Call) -> None:
    job, gh, inputs = call.job, call.job.run.gh, call.inputs
    paths, key, restore_keys = (
        split_lines(inputs["path"]),
        inputs["key"],
        split_lines(inputs["restore-keys"]),
    )
    for required in ("path", "key"):
        if not inputs[required].strip():
            raise StepFailed(f"Input required and not supplied: {required}")
    for candidate in [key, *restore_keys]:
        if len(candidate) > 512 or "," in candidate:
            raise StepFailed(
                f"Key Validation Error: {candidate} cannot be larger than 512 characters "
                "nor contain commas."
            )
    cross_os, fail_on_miss = (
        call.boolean("enableCrossOsArchive"),
        call.boolean("fail-on-cache-miss"),
    )
    lookup_only, save_always = call.boolean("lookup-only"), call.boolean("save-always")
    version = cache_version(paths, cross_os)
    hit = None
    for scope in job.run.cache_scopes:
        entries = cache_entries(gh, scope, version)
        exact = [e for e in entries if e["key"] == key]
        if exact:
            hit = exact[0]
            break
        for prefix in [key, *restore_keys]:
            matching = [e for e in entries if e["key"].startswith(prefix)]
            if matching:
                hit = max(matching, key=lambda e: e["created"])
                break
        if hit:
            break
    exact_hit = hit is not None and hit["key"] == key
    if hit is None:
        if fail_on_miss:
            raise StepFailed(
                "Failed to restore cache entry. Exiting as fail-on-cache-miss is set. "
                f"Input key: {key}"
            )
        call.say(f"Cache not found for input keys: {', '.join([key, *restore_keys])}")
    else:
        call.outputs["cache-hit"] = "true" if exact_hit else "false"
        if lookup_only:
            call.say(f"Cache found and can be restored from key: {hit['key']}")
        else:
            copy_tree(hit["dir"] / "data" / "workspace", job.workspace)
            copy_tree(hit["dir"] / "data" / "absolute", Path("/"))
            call.say(f"Cache restored from key: {hit['key']} (scope {hit['scope']})")
    if exact_hit or lookup_only:
        return
    scope = job.run.ref

    def save(post: Call) -> None:
        files = match_files(job.workspace, paths)
        if not files:
            post.say(
                "##[warning]Path Validation Error: Path(s) specified in the action for "
                "caching do(es) not exist, hence no cache is being saved."
            )
            return
        entry = gh.root / "cache" / quote(scope, safe="") / quote(key, safe="") / version
        if entry.exists():
            post.say(
                f"##[warning]Failed to save: Unable to reserve cache with key {key}, "
                "another job may be creating this cache."
            )
            return
        staging = entry.with_name(f".{version}.{uuid.uuid4().hex}")
        workspace = job.workspace.resolve()
        for file in files:
            absolute = Path(os.path.normpath(file.absolute()))
            if absolute.is_relative_to(workspace):
                target = staging / "data" / "workspace" / absolute.relative_to(workspace)
            else:
                target = staging / "data" / "absolute" / absolute.relative_to("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target, follow_symlinks=False)
        meta = {
            "key": key,
            "version": version,
            "scope": scope,
            "paths": paths,
            "created": time.time_ns(),
            "run_id": job.run.run_id,
        }
        (staging / "entry.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        staging.rename(entry)
        post.say(f"Cache saved with key: {key} (scope {scope}, {len(files)} files)")

    job.post.append((f"Post {call.name}", save_always, save))


ACTION = Action(
    inputs={
        "path": "", "key": "", "restore-keys": "", "enableCrossOsArchive": "false",
        "fail-on-cache-miss": "false", "lookup-only": "false", "save-always": "false",
    },
    not_emulated=frozenset({"upload-chunk-size"}),
    run=cache,
)  # fmt: skip
