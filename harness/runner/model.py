"""A workflow (or a local composite action) parsed once into typed objects: every key,
job, step, action and expression is checked against what GitHub and the runner know,
before anything runs; the runner then executes these objects and never the YAML."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .actions import ACTIONS
from .actions.cml import check_cml_version
from .errors import ExprError, RunnerError, StepFailed
from .expressions import Evaluator, split_template, to_str
from .permissions import effective_permissions

if TYPE_CHECKING:
    from .actions import Action


class _Loader(yaml.SafeLoader):
    """YAML as GitHub reads it: only true/false are booleans (``on:`` stays a string),
    dates stay strings, and duplicate keys are an error."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}  # fmt: skip
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        keys.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> dict:
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as error:
        raise RunnerError(f"{path}: invalid YAML: {error}") from error
    if not isinstance(data, dict):
        raise RunnerError(f"{path}: a workflow is a mapping")
    return data


WORKFLOW_KEYS = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"}
JOB_KEYS = {
    "name", "permissions", "needs", "if", "runs-on", "environment", "concurrency",
    "outputs", "env", "defaults", "steps", "timeout-minutes", "continue-on-error",
}  # fmt: skip
JOB_NOT_EMULATED = {"strategy", "container", "services", "uses", "with", "secrets", "snapshot"}
STEP_KEYS = {
    "id", "if", "name", "uses", "run", "working-directory", "shell", "with", "env",
    "continue-on-error", "timeout-minutes",
}  # fmt: skip
EVENT_FILTERS = {
    "pull_request": {"types", "branches", "branches-ignore", "paths", "paths-ignore"},
    "push": {"branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"},
    "workflow_run": {"workflows", "types", "branches", "branches-ignore"},
    "workflow_dispatch": {"inputs"},
    "schedule": set(),
}
OTHER_EVENTS = {
    "branch_protection_rule", "check_run", "check_suite", "create", "delete", "deployment",
    "deployment_status", "discussion", "discussion_comment", "fork", "gollum",
    "issue_comment", "issues", "label", "merge_group", "milestone", "page_build", "public",
    "pull_request_review", "pull_request_review_comment", "pull_request_target",
    "registry_package", "release", "repository_dispatch", "status", "watch", "workflow_call",
}  # fmt: skip
DEFAULT_TYPES = {
    "pull_request": ["opened", "synchronize", "reopened"],
    "workflow_run": ["completed", "requested"],
}
STEP_CONTEXTS = {"github", "needs", "job", "runner", "env", "vars", "secrets", "steps", "inputs"}
JOB_CONTEXTS = {"github", "needs", "vars", "inputs"}
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# local composite actions (action.yml)
ACTION_KEYS = {"name", "description", "author", "inputs", "outputs", "runs", "branding"}
COMPOSITE_STEP_KEYS = STEP_KEYS - {"timeout-minutes"}
COMPOSITE_CONTEXTS = {"github", "inputs", "env", "job", "runner", "steps"}


def parse_triggers(workflow: dict, name: str) -> dict[str, Any]:
    on = workflow.get("on")
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = dict.fromkeys(on)
    if not isinstance(on, dict) or not on:
        raise RunnerError(f"{name}: on: expected an event, a list or a mapping of events")
    for event, config in on.items():
        if event not in EVENT_FILTERS and event not in OTHER_EVENTS:
            raise RunnerError(f"{name}: on.{event}: unknown event")
        if event == "schedule":
            if not isinstance(config, list) or not all(
                isinstance(c, dict) and set(c) == {"cron"} and len(str(c["cron"]).split()) == 5
                for c in config
            ):
                raise RunnerError(f"{name}: on.schedule: expected a list of {{cron: '* * * * *'}}")
        elif event in EVENT_FILTERS and config is not None:
            if not isinstance(config, dict):
                raise RunnerError(f"{name}: on.{event}: expected a mapping")
            unknown = set(config) - EVENT_FILTERS[event]
            if unknown:
                raise RunnerError(f"{name}: on.{event}: unknown key(s) {sorted(unknown)}")
            for key in (
                "branches",
                "branches-ignore",
                "tags",
                "tags-ignore",
                "paths",
                "paths-ignore",
                "types",
                "workflows",
            ):
                if key in config and not isinstance(config[key], list | str):
                    raise RunnerError(f"{name}: on.{event}.{key}: expected a list")
                if isinstance(config.get(key), str):
                    config[key] = [config[key]]
            for plus, minus in (
                ("branches", "branches-ignore"),
                ("tags", "tags-ignore"),
                ("paths", "paths-ignore"),
            ):
                if plus in config and minus in config:
                    raise RunnerError(f"{name}: on.{event}: {plus} and {minus} together")
    return on


# ------------------------------------------------------------------ the typed model


@dataclasses.dataclass(frozen=True)
class Uses:
    """What a ``uses:`` step runs: an emulated action, or a local composite action (read
    from the workspace when the step runs)."""

    name: str  # owner/repo, lowercased; or the local action's ./path
    action: Action | None  # the emulation; None for a local action

    @property
    def local(self) -> bool:
        return self.action is None


@dataclasses.dataclass(frozen=True)
class Step:
    where: str
    index: int  # its position in the job (or the action)
    id: str | None
    name: Any  # as written (may hold expressions); None when absent
    default_name: str  # GitHub's name for it when ``name`` is absent
    condition: Any  # `if:`
    run: str | None
    uses: Uses | None
    inputs: dict[str, Any]  # `with:`
    env: dict[str, Any]
    shell: Any
    working_directory: Any
    continue_on_error: Any
    timeout_minutes: Any


@dataclasses.dataclass(frozen=True)
class Job:
    id: str
    where: str
    name: Any
    permissions: Any  # the job's, else the workflow's (None: neither says)
    needs: tuple[str, ...]
    condition: Any
    runs_on: Any
    environment: Any  # its name, as written
    concurrency: Any
    outputs: dict[str, Any]
    env: dict[str, Any]
    defaults: dict[str, Any]  # defaults.run of the workflow, then of the job
    steps: tuple[Step, ...]
    timeout_minutes: Any
    continue_on_error: Any

    @property
    def step_ids(self) -> list[str]:
        return [step.id for step in self.steps if step.id]


@dataclasses.dataclass(frozen=True)
class Workflow:
    path: Path
    label: str  # the file's name, in messages
    name: str | None
    on: dict[str, Any]  # event -> its filters
    env: dict[str, Any]
    concurrency: Any
    jobs: dict[str, Job]
    order: tuple[str, ...]  # the jobs in `needs` order

    def dispatch_inputs(self) -> dict:
        return ((self.on.get("workflow_dispatch") or {}).get("inputs")) or {}


@dataclasses.dataclass(frozen=True)
class CompositeAction:
    folder: Path
    where: str
    inputs: dict[str, dict]  # name -> its declaration (description, default, ...)
    outputs: dict[str, dict]  # name -> its declaration (value)
    steps: tuple[Step, ...]


# ------------------------------------------------------------------------ parsing


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _static(where: str, value: Any, contexts: set[str], *, condition=False, step=False) -> None:
    """Parse every expression in ``value`` and check its functions and contexts against
    what GitHub offers at that place, before anything runs."""
    evaluator = Evaluator(
        where,
        dict.fromkeys(contexts),
        status=(lambda _: True) if condition else None,
        workspace=Path() if step else None,
    )
    if condition:
        evaluator.condition_node(value)
        return
    for text in _strings(value):
        try:
            parts = split_template(text)
        except ExprError as error:
            raise RunnerError(f"{where}: {error}") from None
        for is_expr, part in parts:
            if is_expr:
                evaluator.parse(part)


def _defaults(defaults: Any, where: str, contexts: set[str]) -> dict:
    if defaults is None:
        return {}
    if not isinstance(defaults, dict) or set(defaults) - {"run"}:
        raise RunnerError(f"{where}.defaults: only defaults.run is known")
    run = defaults.get("run") or {}
    if not isinstance(run, dict) or set(run) - {"shell", "working-directory"}:
        raise RunnerError(f"{where}.defaults.run: only shell and working-directory are known")
    if run.get("shell", "bash") != "bash":
        raise RunnerError(f"{where}.defaults.run.shell: {run['shell']!r} (only bash is emulated)")
    _static(f"{where}.defaults", run, contexts)
    return run


LOCAL_ACTION = re.compile(r"\./(?:[\w.-]+/)*[\w.-]+/?")


def parse_uses(uses: Any, where: str) -> Uses:
    """An emulated action and its emulation; a local action (``./path``) by its path."""
    if not isinstance(uses, str):
        raise RunnerError(f"{where}.uses: expected a string")
    if uses.startswith("./"):
        if not LOCAL_ACTION.fullmatch(uses) or ".." in uses.split("/"):
            raise RunnerError(f"{where}.uses: {uses!r}: expected ./path/to/action-folder")
        return Uses(uses.rstrip("/"), None)
    if uses.startswith("docker://"):
        raise RunnerError(f"{where}.uses: {uses}: Docker actions are not emulated")
    match = re.fullmatch(r"([\w.-]+/[\w.-]+)(/[^@]*)?@(\S+)", uses)
    if not match:
        raise RunnerError(f"{where}.uses: {uses!r} is not owner/repo@ref")
    if not re.fullmatch(r"[0-9a-f]{40}", match[3]):
        raise RunnerError(f"{where}.uses: {uses} is not pinned to a full 40-character commit SHA")
    action = ACTIONS.get(match[1].lower())
    if action is None or match[2]:
        raise RunnerError(
            f"{where}.uses: {match[1]}{match[2] or ''} is not emulated by the local runner "
            f"(emulated: {', '.join(sorted(ACTIONS))})"
        )
    return Uses(match[1].lower(), action)


def _concurrency(value: Any, where: str) -> None:
    if isinstance(value, dict) and (
        set(value) - {"group", "cancel-in-progress"} or "group" not in value
    ):
        raise RunnerError(f"{where}: concurrency: expected group and cancel-in-progress")
    if value is not None and not isinstance(value, str | dict):
        raise RunnerError(f"{where}: concurrency: expected a string or a mapping")


def job_order(needs: dict[str, list[str]], label: str) -> list[str]:
    order: list[str] = []
    while len(order) < len(needs):
        ready = [j for j in needs if j not in order and all(n in order for n in needs[j])]
        if not ready:
            raise RunnerError(f"{label}: jobs.*.needs has a cycle")
        order.append(ready[0])
    return order


def parse_step(
    step: Any, index: int, where: str, ids: set[str], contexts: set[str] = STEP_CONTEXTS
) -> Step:
    """One step, checked: its keys, its action and inputs, every expression in it."""
    if not isinstance(step, dict):
        raise RunnerError(f"{where}: expected a mapping")
    unknown = set(step) - STEP_KEYS
    if unknown:
        raise RunnerError(f"{where}: unknown step key(s) {sorted(unknown)}")
    if ("run" in step) == ("uses" in step):
        raise RunnerError(f"{where}: a step has either run or uses")
    if "id" in step:
        if not isinstance(step["id"], str) or not _ID.fullmatch(step["id"]):
            raise RunnerError(f"{where}.id: invalid step id {step['id']!r}")
        if step["id"] in ids:
            raise RunnerError(f"{where}.id: duplicate step id {step['id']!r}")
        ids.add(step["id"])
    uses = None
    if "uses" in step:
        for key in ("shell", "working-directory"):
            if key in step:
                raise RunnerError(f"{where}.{key}: only for run steps")
        uses = parse_uses(step["uses"], where)
        given = step.get("with") or {}
        if not isinstance(given, dict):
            raise RunnerError(f"{where}.with: expected a mapping")
        if not uses.local:  # a local action's inputs are known once it is checked out
            version = to_str(given.get("version", "latest"))
            if uses.name == "iterative/setup-cml" and "${{" not in version:
                check_cml_version(version, where)
            for key in given:
                if key in uses.action.not_emulated:
                    raise RunnerError(f"{where}.with.{key}: input of {uses.name} not emulated")
                if key not in uses.action.inputs:
                    raise RunnerError(
                        f"{where}.with.{key}: unknown input of {uses.name} "
                        f"(known: {', '.join(sorted(uses.action.inputs))})"
                    )
        default_name = f"Run {step['uses']}"
    else:
        if "with" in step:
            raise RunnerError(f"{where}.with: only for uses steps")
        if step.get("shell", "bash") != "bash":
            raise RunnerError(f"{where}.shell: {step['shell']!r} (only bash is emulated)")
        if not isinstance(step["run"], str):
            raise RunnerError(f"{where}.run: expected a string")
        first = step["run"].strip().splitlines()[0] if step["run"].strip() else ""
        default_name = f"Run {first}"
    if "env" in step and not isinstance(step["env"], dict):
        raise RunnerError(f"{where}.env: expected a mapping")
    _static(f"{where}.if", step.get("if"), contexts - {"secrets"}, condition=True, step=True)
    rest = {key: value for key, value in step.items() if key not in ("if", "id", "uses")}
    _static(where, rest, contexts, step=True)
    return Step(
        where=where,
        index=index,
        id=step.get("id"),
        name=step.get("name"),
        default_name=default_name,
        condition=step.get("if"),
        run=step.get("run"),
        uses=uses,
        inputs=dict(step.get("with") or {}),
        env=dict(step.get("env") or {}),
        shell=step.get("shell"),
        working_directory=step.get("working-directory"),
        continue_on_error=step.get("continue-on-error", False),
        timeout_minutes=step.get("timeout-minutes", 360),
    )


def parse_job(job_id: Any, job: Any, workflow: dict, label: str) -> Job:
    where = f"{label}: jobs.{job_id}"
    jobs = workflow["jobs"]
    if not isinstance(job_id, str) or not _ID.fullmatch(job_id):
        raise RunnerError(f"{where}: invalid job id")
    if not isinstance(job, dict):
        raise RunnerError(f"{where}: expected a mapping")
    for key in job:
        if key in JOB_NOT_EMULATED:
            raise RunnerError(f"{where}.{key}: not emulated by the local runner")
        if key not in JOB_KEYS:
            raise RunnerError(f"{where}: unknown job key {key!r}")
    if "runs-on" not in job:
        raise RunnerError(f"{where}: runs-on is required")
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    for need in needs:
        if need not in jobs:
            raise RunnerError(f"{where}.needs: unknown job {need!r}")
    if "permissions" in job:
        effective_permissions(job["permissions"], f"{where}.permissions", fork=False)
    _static(f"{where}.if", job.get("if"), JOB_CONTEXTS, condition=True)
    for key in ("name", "runs-on", "concurrency", "timeout-minutes", "continue-on-error"):
        _static(f"{where}.{key}", job.get(key), JOB_CONTEXTS)
    _concurrency(job.get("concurrency"), where)
    _static(f"{where}.env", job.get("env"), JOB_CONTEXTS | {"secrets"})
    run_defaults = _defaults(job.get("defaults"), where, JOB_CONTEXTS | {"env"})
    _static(f"{where}.outputs", job.get("outputs"), STEP_CONTEXTS)
    environment = job.get("environment")
    if isinstance(environment, dict):
        if set(environment) - {"name", "url", "deployment"}:
            raise RunnerError(f"{where}.environment: unknown key(s)")
        _static(f"{where}.environment.url", environment.get("url"), STEP_CONTEXTS)
        environment = environment.get("name")
    _static(f"{where}.environment", environment, JOB_CONTEXTS)
    steps = job.get("steps")
    if not isinstance(steps, list) or not steps:
        raise RunnerError(f"{where}.steps: expected a list of steps")
    ids: set[str] = set()
    parsed = tuple(
        parse_step(step, index, f"{where}.steps[{index}]", ids) for index, step in enumerate(steps)
    )
    workflow_defaults = (workflow.get("defaults") or {}).get("run") or {}
    return Job(
        id=job_id,
        where=where,
        name=job.get("name", job_id),
        permissions=job["permissions"] if "permissions" in job else workflow.get("permissions"),
        needs=tuple(needs),
        condition=job.get("if"),
        runs_on=job["runs-on"],
        environment=environment,
        concurrency=job.get("concurrency"),
        outputs=dict(job.get("outputs") or {}),
        env=dict(job.get("env") or {}),
        defaults={**workflow_defaults, **run_defaults},
        steps=parsed,
        timeout_minutes=job.get("timeout-minutes", 360),
        continue_on_error=job.get("continue-on-error"),
    )


def parse_workflow(path: Path) -> Workflow:
    """The workflow at ``path``: every key, job, step, action and expression known, or
    RunnerError; parsed once, into the objects the runner executes."""
    workflow, label = load_yaml(path), path.name
    unknown = set(workflow) - WORKFLOW_KEYS
    if unknown:
        raise RunnerError(f"{label}: unknown workflow key(s) {sorted(unknown)}")
    jobs = workflow.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        raise RunnerError(f"{label}: jobs: expected a mapping with at least one job")
    _static(f"{label}: run-name", workflow.get("run-name"), {"github", "inputs", "vars"})
    _static(f"{label}: concurrency", workflow.get("concurrency"), {"github", "inputs", "vars"})
    _concurrency(workflow.get("concurrency"), label)
    _static(f"{label}: env", workflow.get("env"), {"github", "secrets", "inputs", "vars"})
    _defaults(workflow.get("defaults"), label, {"github", "env", "vars", "inputs"})
    if "permissions" in workflow:
        effective_permissions(workflow["permissions"], f"{label}: permissions", fork=False)
    parsed = {job_id: parse_job(job_id, job, workflow, label) for job_id, job in jobs.items()}
    order = job_order({job_id: list(job.needs) for job_id, job in parsed.items()}, label)
    return Workflow(
        path=path,
        label=label,
        name=workflow.get("name"),
        on=parse_triggers(workflow, label),
        env=dict(workflow.get("env") or {}),
        concurrency=workflow.get("concurrency"),
        jobs=parsed,
        order=tuple(order),
    )


def parse_action(folder: Path, path: str) -> CompositeAction:
    """The local composite action in ``folder`` (written ``path`` in the workflow)."""
    files = [folder / name for name in ("action.yml", "action.yaml")]
    found = [f for f in files if f.is_file()]
    if not found:
        raise StepFailed(
            f"Can't find 'action.yml', 'action.yaml' or 'Dockerfile' under '{folder}'. "
            "Did you forget to run actions/checkout before running your local action?"
        )
    where = f"{path}/{found[0].name}"
    data = load_yaml(found[0])
    if not isinstance(data, dict) or set(data) - ACTION_KEYS:
        raise RunnerError(f"{where}: expected a mapping with keys {sorted(ACTION_KEYS)}")
    runs = data.get("runs")
    if not isinstance(runs, dict) or runs.get("using") != "composite":
        raise RunnerError(f"{where}: runs.using: only composite local actions are emulated")
    if set(runs) - {"using", "steps"} or not isinstance(runs.get("steps"), list):
        raise RunnerError(f"{where}: runs: expected using: composite and a list of steps")
    for section in ("inputs", "outputs"):
        declared = data.get(section) or {}
        if not isinstance(declared, dict) or not all(
            isinstance(v, dict) for v in declared.values()
        ):
            raise RunnerError(f"{where}: {section}: expected a mapping of mappings")
    _static(f"{where}: outputs", data.get("outputs"), COMPOSITE_CONTEXTS, step=True)
    ids: set[str] = set()
    steps = []
    for index, step in enumerate(runs["steps"]):
        at = f"{where}: runs.steps[{index}]"
        if not isinstance(step, dict) or set(step) - COMPOSITE_STEP_KEYS:
            raise RunnerError(f"{at}: expected a mapping with keys from {COMPOSITE_STEP_KEYS}")
        if "run" in step and "shell" not in step:
            raise RunnerError(f"{at}: shell is required for run steps of composite actions")
        steps.append(parse_step(step, index, at, ids, COMPOSITE_CONTEXTS))
    return CompositeAction(
        folder=folder,
        where=where,
        inputs=dict(data.get("inputs") or {}),
        outputs=dict(data.get("outputs") or {}),
        steps=tuple(steps),
    )
