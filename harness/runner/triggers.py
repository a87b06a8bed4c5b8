"""Whether an event triggers a workflow (its types, branches, tags, paths, workflows,
schedules), and the typed inputs of a workflow_dispatch run."""

from __future__ import annotations

import math
from typing import Any

from .errors import RunnerError
from .expressions import number, to_str
from .github import GitHub, git
from .globs import filter_match
from .model import DEFAULT_TYPES, EVENT_FILTERS


def dispatch_inputs(name: str, config: dict | None, given: dict | None) -> dict[str, Any]:
    """The inputs context of a workflow_dispatch run, typed like GitHub's."""
    declared = (config or {}).get("inputs") or {}
    given = dict(given or {})
    unknown = set(given) - set(declared)
    if unknown:
        raise RunnerError(f"{name}: unexpected workflow_dispatch inputs {sorted(unknown)}")
    values = {}
    for key, spec in declared.items():
        spec = spec or {}
        extra = set(spec) - {"description", "required", "default", "type", "options"}
        if extra:
            raise RunnerError(
                f"{name}: on.workflow_dispatch.inputs.{key}: unknown {sorted(extra)}"
            )
        kind = spec.get("type", "string")
        value = given.get(key, spec.get("default"))
        if value is None:
            if spec.get("required"):
                raise RunnerError(f"{name}: workflow_dispatch input {key!r} is required")
            value = False if kind == "boolean" else ""
        if kind == "boolean":
            if to_str(value) not in ("true", "false"):
                raise RunnerError(f"{name}: input {key}: expected true or false, got {value!r}")
            value = to_str(value) == "true"
        elif kind == "number":
            value = number(value)
            if math.isnan(value):
                raise RunnerError(f"{name}: input {key}: not a number")
            value = int(value) if value.is_integer() else value
        elif kind == "choice":
            if to_str(value) not in [to_str(o) for o in spec.get("options") or []]:
                raise RunnerError(f"{name}: input {key}: {value!r} not in {spec.get('options')}")
            value = to_str(value)
        elif kind in ("string", "environment"):
            value = to_str(value)
        else:
            raise RunnerError(f"{name}: input {key}: unknown type {kind!r}")
        values[key] = value
    return values


def changed_files(gh: GitHub, base: str, head: str) -> list[str]:
    if not base or set(base) == {"0"}:
        return git("--git-dir", str(gh.origin), "ls-tree", "-r", "--name-only", head).split()
    return git("--git-dir", str(gh.origin), "diff", "--name-only", f"{base}...{head}").split()


def check_trigger(gh: GitHub, name: str, on: dict, event: str, payload: dict) -> None:
    def refuse(reason: str):
        raise RunnerError(f"{name}: not triggered by this {event} event: {reason}")

    if event not in EVENT_FILTERS:
        raise RunnerError(f"{name}: the local runner does not emulate the {event!r} event")
    if event not in on:
        refuse(f"on: lists {sorted(on)}")
    config = on[event] or {}
    if event == "schedule":
        crons = [str(c["cron"]) for c in on[event]]
        if payload.get("schedule") not in crons:
            refuse(f"payload schedule {payload.get('schedule')!r} not in {crons}")
        return
    action = payload.get("action")
    if event in DEFAULT_TYPES and action not in config.get("types", DEFAULT_TYPES[event]):
        refuse(f"action {action!r} not in types {config.get('types', DEFAULT_TYPES[event])}")
    if event == "pull_request":
        branch, tag = payload["pull_request"]["base"]["ref"], None
    elif event == "push":
        ref = payload.get("ref", "")
        branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
        tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else None
    elif event == "workflow_run":
        run = payload.get("workflow_run", {})
        if run.get("name") not in config.get("workflows", []):
            refuse(f"workflow {run.get('name')!r} not in workflows {config.get('workflows')}")
        branch, tag = run.get("head_branch"), None
    else:
        return
    has_ref_filter = any(
        k in config for k in ("branches", "branches-ignore", "tags", "tags-ignore")
    )
    if has_ref_filter:
        if (
            branch is not None
            and "branches" in config
            and not filter_match(config["branches"], branch)
        ):
            refuse(f"branch {branch!r} not in branches {config['branches']}")
        if (
            branch is not None
            and "branches-ignore" in config
            and filter_match(config["branches-ignore"], branch)
        ):
            refuse(f"branch {branch!r} in branches-ignore")
        if branch is not None and "branches" not in config and "branches-ignore" not in config:
            refuse("only tags are filtered in")
        if tag is not None and "tags" in config and not filter_match(config["tags"], tag):
            refuse(f"tag {tag!r} not in tags {config['tags']}")
        if (
            tag is not None
            and "tags-ignore" in config
            and filter_match(config["tags-ignore"], tag)
        ):
            refuse(f"tag {tag!r} in tags-ignore")
        if tag is not None and "tags" not in config and "tags-ignore" not in config:
            refuse("only branches are filtered in")
    if "paths" in config or "paths-ignore" in config:
        if event == "pull_request":
            pull = payload["pull_request"]
            files = changed_files(gh, pull["base"]["sha"], pull["head"]["sha"])
        else:
            files = changed_files(gh, payload.get("before", ""), payload.get("after", ""))
        if "paths" in config and not any(filter_match(config["paths"], f) for f in files):
            refuse(f"no changed file matches paths {config['paths']}")
        if "paths-ignore" in config and all(
            filter_match(config["paths-ignore"], f) for f in files
        ):
            refuse(f"every changed file matches paths-ignore {config['paths-ignore']}")
