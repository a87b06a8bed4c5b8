"""A job: its contexts, environment and token, its steps (run scripts and actions) in
order with their `if`, outputs, timeouts and file commands, and its post steps."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import model
from .actions import Call
from .composite import run_composite
from .errors import StepFailed
from .expressions import Ctx, Evaluator, number, truthy
from .permissions import effective_permissions
from .results import JobResult, StepResult
from .standins import localgh

if TYPE_CHECKING:
    from .run import RunContext


def parse_file_command(text: str, what: str) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV lines: ``key=value`` or ``key<<DELIMITER`` heredocs."""
    values, lines, index = {}, text.splitlines(), 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip():
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            key, value = line[:equals], line[equals + 1 :]
        elif heredoc > 0:
            key, delimiter = line[:heredoc], line[heredoc + 2 :]
            body = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise StepFailed(
                    f"Invalid value in {what}: matching delimiter not found {delimiter!r}"
                )
            index += 1
            value = "\n".join(body)
        else:
            raise StepFailed(f"Invalid format in {what}: {line!r}")
        if not key:
            raise StepFailed(f"Invalid format in {what}: empty name in {line!r}")
        values[key] = value
    return values


class Job:
    """One job of a run, executing its model (model.Job): its contexts, environment,
    token and steps, and what it leaves (a JobResult)."""

    def __init__(self, run: RunContext, spec: model.Job):
        self.run, self.spec, self.id = run, spec, spec.id
        job_id = spec.id
        self.where = spec.where
        self.workspace = run.workdir / job_id
        self.temp = run.dir / "_temp" / job_id
        self.status = "success"
        self.env: dict[str, str] = {}
        self.path_additions: list[str] = []
        self.summary: list[str] = []
        self.post: list[tuple[str, bool, Callable[[Call], None]]] = []
        self.steps: dict[str, Any] = dict.fromkeys(spec.step_ids)
        self.results: list[StepResult] = []
        self.process_groups: list[int] = []
        self.deadline = math.inf
        self.permissions = effective_permissions(spec.permissions, self.where, fork=run.fork)
        self.token = localgh.make_token(self.permissions)
        self.secrets = {**run.secrets, "GITHUB_TOKEN": self.token}
        self.masks: list[str] = []  # values actions masked (core.setSecret)
        # GitHub gives steps a way to request an OIDC token only with id-token: write.
        self.id_token_request = (
            {
                "ACTIONS_ID_TOKEN_REQUEST_URL": f"{localgh.API_URL}/_local/oidc/token?"
                f"run={run.run_id}&job={job_id}",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": f"local-oidc-{uuid.uuid4().hex}",
            }
            if self.permissions.get("id-token") == "write"
            else {}
        )
        self.masks.extend(self.id_token_request.values())
        self.github = {
            **run.github,
            "job": job_id,
            "token": self.token,
            "workspace": str(self.workspace),
        }

    # contexts
    def needs_ctx(self) -> Ctx:
        needs = {}
        for need in self.spec.needs:
            job = self.run.result.jobs[need]
            outputs = Ctx(f"needs.{need}.outputs", job.outputs)
            needs[need] = Ctx(f"needs.{need}", {"result": job.conclusion, "outputs": outputs})
        return Ctx("needs", needs)

    def job_contexts(self) -> dict[str, Any]:
        return {
            "github": Ctx("github", self.github),
            "needs": self.needs_ctx(),
            "vars": Ctx("vars", self.run.vars, strict=False),
            "inputs": self.run.inputs_ctx(),
        }

    def step_contexts(self, env: dict[str, str]) -> dict[str, Any]:
        return {
            **self.job_contexts(),
            "job": Ctx("job", {"status": self.status, "container": {}, "services": {}}),
            "runner": Ctx(
                "runner",
                {
                    "os": "Linux",
                    "arch": "X64",
                    "name": "local-runner",
                    "temp": str(self.temp),
                    "tool_cache": str(self.run.dir / "_tool"),
                    "environment": "github-hosted",
                    "debug": None,
                },
            ),
            "env": Ctx("env", env, strict=False),
            "secrets": Ctx("secrets", self.secrets, strict=False),
            "steps": Ctx("steps", self.steps),
        }

    def ancestors(self, job_id: str) -> set[str]:
        found: set[str] = set()
        for need in self.run.workflow.jobs[job_id].needs:
            found |= {need} | self.ancestors(need)
        return found

    def job_status(self, name: str) -> bool:
        results = [self.run.result.jobs[a].conclusion for a in self.ancestors(self.id)]
        return {
            "success": all(r == "success" for r in results),
            "failure": any(r == "failure" for r in results),
            "always": True,
            "cancelled": False,
        }[name]

    def step_status(self, name: str) -> bool:
        return {
            "success": self.status == "success",
            "failure": self.status == "failure",
            "always": True,
            "cancelled": False,
        }[name]

    # the job
    def execute(self) -> JobResult:
        spec = self.spec
        evaluator = Evaluator(f"{self.where}.if", self.job_contexts(), status=self.job_status)
        declared = spec.outputs
        result = JobResult(
            id=self.id,
            name=self.id,
            conclusion="skipped",
            steps=[],
            outputs=dict.fromkeys(declared, ""),
            summary="",
            workspace=self.workspace,
            permissions=self.permissions,
        )
        if not evaluator.condition(spec.condition):
            return result
        evaluator = Evaluator(self.where, self.job_contexts())
        result.name = evaluator.text(spec.name)
        result.runs_on = evaluator.template(spec.runs_on)
        refused = self.enter_environment(evaluator.text(spec.environment or ""))
        if refused:
            result.conclusion = "failure"
            result.steps = [StepResult("Set up job", None, "failure", "failure", refused)]
            return result
        evaluator.template(spec.concurrency)
        result.continue_on_error = truthy(evaluator.template(spec.continue_on_error))
        timeout = number(evaluator.template(spec.timeout_minutes))
        self.deadline = time.monotonic() + timeout * 60
        workflow_env = Evaluator(
            f"{self.run.label}: env",
            {
                **self.run.workflow_contexts(),
                "secrets": Ctx("secrets", self.secrets, False),
                "github": Ctx("github", self.github),
            },
        )
        self.env = {k: workflow_env.text(v) for k, v in self.run.workflow.env.items()}
        job_env = Evaluator(
            f"{self.where}.env",
            {**self.job_contexts(), "secrets": Ctx("secrets", self.secrets, strict=False)},
        )
        self.env.update({k: job_env.text(v) for k, v in spec.env.items()})
        defaults_evaluator = Evaluator(
            f"{self.where}.defaults", {**self.job_contexts(), "env": Ctx("env", self.env, False)}
        )
        self.defaults = {key: defaults_evaluator.text(v) for key, v in spec.defaults.items()}
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.temp.mkdir(parents=True, exist_ok=True)
        for step in spec.steps:
            self.results.append(self.step(step))
        for name, always, action in reversed(self.post):
            if always or self.status == "success":
                self.results.append(self.post_step(name, action))
        for group in self.process_groups:  # orphan processes
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        outputs = Evaluator(f"{self.where}.outputs", self.step_contexts(self.env))
        result.outputs = {key: outputs.text(value) for key, value in declared.items()}
        secrets = [value for value in self.secrets.values() if value]
        result.outputs = {
            key: value
            for key, value in result.outputs.items()
            if not any(secret in value for secret in secrets)
        }
        result.conclusion, result.steps = self.status, self.results
        result.summary = "".join(self.summary)
        return result

    def enter_environment(self, name: str) -> str:
        """Give the job its environment's secrets; the reason it may not, if so (GitHub
        fails such a job before any step)."""
        environment = self.run.environments.get(name)
        if environment is None:
            return ""  # none, or one GitHub creates on first use: no rules, no secrets
        branch = self.run.ref.removeprefix("refs/heads/")
        if environment.branches is not None and (
            not self.run.ref.startswith("refs/heads/") or branch not in environment.branches
        ):
            return (
                f'Branch "{branch}" is not allowed to deploy to {name} due to '
                "environment protection rules."
            )
        if not self.run.fork:
            self.secrets.update(environment.secrets)
        return ""

    def mask(self, text: str) -> str:
        for secret in sorted(
            (v for v in [*self.secrets.values(), *self.masks] if v.strip()), key=len, reverse=True
        ):
            text = text.replace(secret, "***")
        return text

    def step(self, step: model.Step) -> StepResult:
        where, step_id = step.where, step.id
        evaluator = Evaluator(where, self.step_contexts(self.env), workspace=self.workspace)
        step_env = {k: evaluator.text(v) for k, v in step.env.items()}
        env = {**self.env, **step_env}
        contexts = self.step_contexts(env)
        evaluator = Evaluator(where, contexts, workspace=self.workspace)
        condition = Evaluator(
            f"{where}.if",
            {k: v for k, v in contexts.items() if k != "secrets"},
            status=self.step_status,
            workspace=self.workspace,
        )
        name = step.default_name if step.name is None else evaluator.text(step.name)
        skipped = StepResult(name, step_id, "skipped", "skipped", "")
        if time.monotonic() > self.deadline:
            self.status = "failure"
            skipped.log = "##[error]The job has exceeded its timeout-minutes"
            self.record(step_id, skipped)
            return skipped
        if not condition.condition(step.condition):
            self.record(step_id, skipped)
            return skipped
        continue_on_error = truthy(evaluator.template(step.continue_on_error))
        minutes = number(evaluator.template(step.timeout_minutes))
        timeout = max(0.0, min(minutes * 60, self.deadline - time.monotonic()))
        log: list[str] = []
        outputs: dict[str, str] = {}
        try:
            if step.run is not None:
                ok = self.run_script(step, evaluator, env, timeout, log, outputs)
            else:
                ok = self.run_action(step, evaluator, env, log, outputs, name)
        except StepFailed as error:
            log.append(f"##[error]{error}")
            ok = False
        outcome = "success" if ok else "failure"
        conclusion = "success" if ok or continue_on_error else "failure"
        if conclusion == "failure":
            self.status = "failure"
        result = StepResult(name, step_id, outcome, conclusion, self.mask("\n".join(log)), outputs)
        self.record(step_id, result)
        return result

    def record(self, step_id: str | None, result: StepResult) -> None:
        if step_id:
            self.steps[step_id] = Ctx(
                f"steps.{step_id}",
                {
                    "outputs": Ctx(f"steps.{step_id}.outputs", result.outputs, strict=False),
                    "outcome": result.outcome,
                    "conclusion": result.conclusion,
                },
            )

    def process_env(self, env: dict[str, str], action: str) -> dict[str, str]:
        process = {**self.run.base_env, **env}
        process.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_ACTION": action,
                "GITHUB_ACTOR": self.github["actor"],
                "GITHUB_ACTOR_ID": self.github["actor_id"],
                "GITHUB_API_URL": localgh.API_URL,
                "GITHUB_BASE_REF": self.run.base_ref,
                "GITHUB_EVENT_NAME": self.run.event_name,
                "GITHUB_EVENT_PATH": str(self.run.event_path),
                "GITHUB_GRAPHQL_URL": self.github["graphql_url"],
                "GITHUB_HEAD_REF": self.run.head_ref,
                "GITHUB_JOB": self.id,
                "GITHUB_REF": self.run.ref,
                "GITHUB_REF_NAME": self.github["ref_name"],
                "GITHUB_REF_PROTECTED": "false",
                "GITHUB_REF_TYPE": self.github["ref_type"],
                "GITHUB_REPOSITORY": self.run.gh.repository,
                "GITHUB_REPOSITORY_ID": self.github["repository_id"],
                "GITHUB_REPOSITORY_OWNER": self.run.gh.owner,
                "GITHUB_REPOSITORY_OWNER_ID": "1",
                "GITHUB_RETENTION_DAYS": "90",
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_RUN_ID": str(self.run.run_id),
                "GITHUB_RUN_NUMBER": str(self.run.run_number),
                "GITHUB_SERVER_URL": localgh.SERVER_URL,
                "GITHUB_SHA": self.run.sha,
                "GITHUB_TRIGGERING_ACTOR": self.github["triggering_actor"],
                "GITHUB_WORKFLOW": self.run.name,
                "GITHUB_WORKFLOW_REF": self.github["workflow_ref"],
                "GITHUB_WORKFLOW_SHA": self.run.sha,
                "GITHUB_WORKSPACE": str(self.workspace),
                "RUNNER_ARCH": "X64",
                "RUNNER_ENVIRONMENT": "github-hosted",
                "RUNNER_NAME": "local-runner",
                "RUNNER_OS": "Linux",
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_TOOL_CACHE": str(self.run.dir / "_tool"),
                **self.id_token_request,
            }
        )
        base_path = self.run.base_env.get("PATH", os.defpath)
        process["PATH"] = os.pathsep.join(
            [*self.path_additions, *self.run.extra_path, str(self.run.bin), base_path]
        )
        return process

    def run_script(self, step: model.Step, evaluator, env, timeout, log, outputs) -> bool:
        shell = evaluator.text(step.shell or self.defaults.get("shell") or "")
        directory = evaluator.text(step.working_directory or "") or self.defaults.get(
            "working-directory", ""
        )
        cwd = self.workspace / directory if directory else self.workspace
        script = evaluator.text(step.run)
        if not cwd.is_dir():
            raise StepFailed(
                f"An error occurred trying to start process '/usr/bin/bash' with working "
                f"directory '{cwd}'. No such file or directory"
            )
        commands = self.temp / "_runner_file_commands"
        commands.mkdir(exist_ok=True)
        files = {
            name: commands / f"{name.lower()}_{uuid.uuid4()}"
            for name in (
                "GITHUB_OUTPUT",
                "GITHUB_ENV",
                "GITHUB_PATH",
                "GITHUB_STEP_SUMMARY",
                "GITHUB_STATE",
            )
        }
        for path in files.values():
            path.touch()
        process_env = self.process_env(env, step.id or f"__run_{step.index}")
        process_env.update({name: str(path) for name, path in files.items()})
        script_file = self.temp / f"{uuid.uuid4()}.sh"
        script_file.write_text(script, encoding="utf-8")
        if shell == "bash":
            argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)]
        else:  # no shell: GitHub's default, without pipefail
            argv = ["bash", "-e", str(script_file)]
        log.append(f"[command]{' '.join(argv)}  (in {cwd})")
        # Output goes to a file, not a pipe: a background process a step leaves running
        # (a server for later steps) must not hold the step open. Such processes are
        # killed when the job ends, as GitHub cleans up orphan processes.
        output_file = self.temp / f"{script_file.stem}.log"
        with output_file.open("wb") as output:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=process_env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.process_groups.append(process.pid)
            try:
                process.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                timed_out = True
        log.append(output_file.read_text(encoding="utf-8", errors="replace"))
        if timed_out:
            log.append(f"##[error]The action has timed out after {timeout / 60:g} minutes.")
        elif process.returncode != 0:
            log.append(f"##[error]Process completed with exit code {process.returncode}.")
        self.read_file_commands(files, outputs)
        return not timed_out and process.returncode == 0

    def read_file_commands(self, files: dict[str, Path], outputs: dict[str, str]) -> None:
        outputs.update(parse_file_command(files["GITHUB_OUTPUT"].read_text(), "GITHUB_OUTPUT"))
        self.env.update(parse_file_command(files["GITHUB_ENV"].read_text(), "GITHUB_ENV"))
        for line in files["GITHUB_PATH"].read_text().splitlines():
            if line.strip():
                self.path_additions.insert(0, line.strip())
        self.summary.append(files["GITHUB_STEP_SUMMARY"].read_text())

    def run_action(self, step: model.Step, evaluator, env, log, outputs, name) -> bool:
        uses = step.uses
        given = {key: evaluator.text(value) for key, value in step.inputs.items()}
        if uses.local:
            return run_composite(self, uses.name, given, env, log, outputs)
        inputs = {key: self.default_input(default) for key, default in uses.action.inputs.items()}
        inputs.update(given)
        call = Call(
            job=self,
            name=name,
            inputs=inputs,
            env=self.process_env(env, step.id or f"__{uses.name.replace('/', '_')}"),
            log=log,
            outputs=outputs,
        )
        uses.action.run(call)
        return True

    def id_token(self, audience: str) -> str:
        """An OIDC token with GitHub's claims for this job. Unsigned (a placeholder
        signature): the stand-ins that take it (moto's STS) do not verify signatures,
        while the cloud would check it against GitHub's published keys."""
        run, event = self.run, self.run.event_name
        environment = self.spec.environment
        if environment:
            subject = f"environment:{environment}"
        elif event == "pull_request":
            subject = "pull_request"
        else:
            subject = f"ref:{run.ref}"
        now = int(time.time())
        claims = {
            "iss": "https://token.actions.githubusercontent.com",
            "aud": audience,
            "sub": f"repo:{run.gh.repository}:{subject}",
            "repository": run.gh.repository,
            "repository_owner": run.gh.owner,
            "ref": run.ref,
            "sha": run.sha,
            "event_name": event,
            "workflow": run.name,
            "job_workflow_ref": self.github["workflow_ref"],
            "run_id": str(run.run_id),
            "actor": self.github["actor"],
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        if environment:
            claims["environment"] = environment

        def part(value: dict) -> str:
            raw = json.dumps(value, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        token = f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'local'})}.{part(claims)}.local"
        self.masks.append(token)
        return token

    def default_input(self, default: str | None) -> str:
        return {
            "$token": self.token,
            "$repository": self.run.gh.repository,
            "$run_id": str(self.run.run_id),
        }.get(default or "", default or "")

    def post_step(self, name: str, action: Callable[[Call], None]) -> StepResult:
        log: list[str] = []
        call = Call(self, name, {}, self.process_env(self.env, "__post"), log, {})
        try:
            action(call)
            ok = True
        except StepFailed as error:
            log.append(f"##[error]{error}")
            ok = False
            self.status = "failure"
        outcome = "success" if ok else "failure"
        return StepResult(name, None, outcome, outcome, self.mask("\n".join(log)))
