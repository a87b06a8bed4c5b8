"""Local composite actions (``uses: ./path``), read from the workspace when the step runs:
their inputs and defaults, their steps in order with the action's own ``steps`` context
and status, and their outputs. Environment files written by its steps act on the job,
as on GitHub."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .errors import StepFailed
from .expressions import Ctx, Evaluator, to_str, truthy
from .model import parse_action

if TYPE_CHECKING:
    from .job import Job


def run_composite(job: Job, path: str, given: dict, env: dict, log: list, outputs: dict) -> bool:
    """Run the action at ``path`` (in the job's workspace) with the inputs ``given``;
    whether it succeeded. Its outputs go to ``outputs``, its log lines to ``log``."""
    action = parse_action((job.workspace / path).resolve(), path)
    folder, declared = action.folder, action.inputs
    unexpected = sorted(set(given) - set(declared))
    if unexpected:
        log.append(
            f"##[warning]Unexpected input(s) {', '.join(map(repr, unexpected))}, valid "
            f"inputs are {sorted(declared)}"
        )
    inputs = {key: to_str(spec.get("default", "")) for key, spec in declared.items()}
    inputs.update(given)
    inner: dict[str, Any] = dict.fromkeys(step.id for step in action.steps if step.id)
    status = {"failed": False}
    github = {**job.github, "action_path": str(folder)}

    def contexts(step_env: dict[str, str]) -> dict[str, Any]:
        base = job.step_contexts(step_env)
        return {
            **{key: base[key] for key in ("env", "job", "runner")},
            "github": Ctx("github", github),
            "inputs": Ctx("inputs", inputs, strict=False),
            "steps": Ctx("steps", inner),
        }

    def step_status(name: str) -> bool:
        return {
            "success": not status["failed"],
            "failure": status["failed"],
            "always": True,
            "cancelled": False,
        }[name]

    for step in action.steps:
        where = step.where
        first = Evaluator(where, contexts({**job.env, **env}), workspace=job.workspace)
        step_env = {**env, **{k: first.text(v) for k, v in step.env.items()}}
        context = contexts({**job.env, **step_env})
        evaluator = Evaluator(where, context, workspace=job.workspace)
        condition = Evaluator(f"{where}.if", context, status=step_status, workspace=job.workspace)
        written = step.default_name.removeprefix("Run ") if step.uses else "run"
        name = evaluator.text(step.name or written)
        result: dict[str, Any] = {"outputs": {}, "outcome": "skipped"}
        if condition.condition(step.condition):
            log.append(f"##[group]{path}: {name}")
            step_log: list[str] = []
            step_outputs: dict[str, str] = {}
            try:
                if step.run is not None:
                    ok = job.run_script(
                        step,
                        evaluator,
                        {**job.env, **step_env, "GITHUB_ACTION_PATH": str(folder)},
                        max(0.0, job.deadline - time.monotonic()),
                        step_log,
                        step_outputs,
                    )
                else:
                    ok = job.run_action(
                        step, evaluator, {**job.env, **step_env}, step_log, step_outputs, name
                    )
            except StepFailed as error:
                step_log.append(f"##[error]{error}")
                ok = False
            log.extend(step_log)
            log.append("##[endgroup]")
            result = {"outputs": step_outputs, "outcome": "success" if ok else "failure"}
        conclusion = result["outcome"]
        if conclusion == "failure":
            if truthy(evaluator.template(step.continue_on_error)):
                conclusion = "success"
            else:
                status["failed"] = True
        if step.id:
            inner[step.id] = Ctx(
                f"steps.{step.id}",
                {
                    "outputs": Ctx("outputs", result["outputs"], strict=False),
                    "outcome": result["outcome"],
                    "conclusion": conclusion,
                },
            )
    values = Evaluator(f"{path}: outputs", contexts({**job.env, **env}))
    for key, spec in action.outputs.items():
        outputs[key] = values.text(spec.get("value", ""))
    return not status["failed"]
