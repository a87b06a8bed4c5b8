"""One run of a workflow for one event: what its jobs share (the event, its ref and
commit, secrets and variables, the contexts), and the jobs in `needs` order."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import RunnerError
from .expressions import Ctx, Evaluator, to_str
from .github import GitHub
from .job import Job
from .model import parse_workflow
from .results import Environment, Run
from .standins import install_standin, localgh
from .triggers import check_trigger, dispatch_inputs


class RunContext:
    """Everything about one run that its jobs share."""

    def __init__(self, gh: GitHub, file: Path, event_name: str, payload: dict, **options):
        self.gh, self.path, self.event_name = gh, file, event_name
        self.workflow = parse_workflow(file)
        self.label = self.workflow.label
        self.triggers = self.workflow.on
        self.payload = json.loads(json.dumps(payload))
        self.payload.setdefault("repository", gh.repo_object())
        self.payload.setdefault("sender", {"login": gh.owner})
        self.inputs: dict[str, Any] = {}
        declared = self.workflow.dispatch_inputs()
        if event_name == "workflow_dispatch":
            self.inputs = dispatch_inputs(
                self.label, self.triggers.get("workflow_dispatch"), options["inputs"]
            )
            self.payload["inputs"] = {key: to_str(value) for key, value in self.inputs.items()}
        elif options["inputs"]:
            raise RunnerError(f"{self.label}: inputs are only for workflow_dispatch")
        else:
            self.inputs = dict.fromkeys(declared)
        check_trigger(gh, self.label, self.triggers, event_name, self.payload)
        self._resolve_ref()
        self.fork = event_name == "pull_request" and (
            self.payload["pull_request"]["head"]["repo"]["full_name"] != gh.repository
        )
        self.secrets = {} if self.fork else dict(options["secrets"] or {})
        self.environments = dict(options["environments"] or {})
        self.vars = dict(options["vars"] or {})
        self.extra_path = [str(Path(p).resolve()) for p in options["path"] or []]
        with localgh.locked(gh.state_file) as state:
            self.run_id = localgh.next_id(state, "run", start=1_000_001)
            self.run_number = localgh.next_id(state, f"run_number:{file}")
        self.dir = gh.root / "runs" / str(self.run_id)
        self.workdir = Path(options["workdir"]).resolve() if options["workdir"] else self.dir
        self.bin = self.dir / "bin"
        self.bin.mkdir(parents=True)
        install_standin(self.bin, "gh")
        install_standin(self.bin, "docker")
        self.event_path = self.dir / "event.json"
        self.event_path.write_text(json.dumps(self.payload, indent=2), encoding="utf-8")
        strip = ("GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_", "STATE_")
        secret_like = {"GH_TOKEN", "GH_REPO", "GH_HOST", "REPO_TOKEN", "VIRTUAL_ENV", "CI"}
        self.base_env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(strip) and key not in secret_like
        }
        self.base_env.update(options["env"] or {})
        self.base_env[localgh.STATE_ENV] = str(gh.state_file)
        self.name = self.workflow.name or self.workflow_ref_path
        self.github = self._github_context()
        concurrency = self.workflow.concurrency
        self.concurrency = None
        if concurrency is not None:
            evaluator = Evaluator(f"{self.label}: concurrency", self.workflow_contexts())
            group = concurrency["group"] if isinstance(concurrency, dict) else concurrency
            self.concurrency = evaluator.text(group)
        self.cache_scopes = list(
            dict.fromkeys(
                [
                    self.ref,
                    *([f"refs/heads/{self.base_ref}"] if self.base_ref else []),
                    f"refs/heads/{gh.default_branch}",
                ]
            )
        )
        self.result = Run(
            run_id=self.run_id,
            run_number=self.run_number,
            workflow=file,
            workflow_name=self.name,
            workflow_ref_path=self.workflow_ref_path,
            event_name=event_name,
            payload=self.payload,
            sha=self.sha,
            ref=self.ref,
            concurrency=self.concurrency,
        )

    @property
    def workflow_ref_path(self) -> str:
        """Where GitHub would find the file (the caller's copy may live anywhere)."""
        return f".github/workflows/{self.path.name}"

    def _resolve_ref(self) -> None:
        gh, payload, event = self.gh, self.payload, self.event_name
        self.base_ref = self.head_ref = ""
        if event == "pull_request":
            pull = payload["pull_request"]
            number = pull["number"]
            record = gh.pull(number)
            if not record["mergeable"] or not pull.get("merge_commit_sha"):
                raise RunnerError(
                    f"{self.label}: pull request #{number} has merge conflicts: GitHub does "
                    "not run pull_request workflows without a test merge commit"
                )
            if pull["merge_commit_sha"] != record["merge_commit_sha"]:
                raise RunnerError(
                    f"{self.label}: stale pull_request payload for #{number}: its test merge "
                    "changed since gh.event() made it (make a new event)"
                )
            self.ref, self.sha = f"refs/pull/{number}/merge", pull["merge_commit_sha"]
            self.base_ref, self.head_ref = pull["base"]["ref"], pull["head"]["ref"]
        elif event == "push":
            self.ref, self.sha = payload["ref"], payload["after"]
        elif event == "workflow_dispatch":
            self.ref = payload.get("ref") or f"refs/heads/{gh.default_branch}"
            if not self.ref.startswith("refs/"):
                self.ref = f"refs/heads/{self.ref}"
            self.sha = gh.tip(self.ref)
        else:
            self.ref = f"refs/heads/{gh.default_branch}"
            self.sha = gh.tip(self.ref)

    def _github_context(self) -> dict:
        gh = self.gh
        actor = (self.payload.get("sender") or {}).get("login") or gh.owner
        ref_type = "tag" if self.ref.startswith("refs/tags/") else "branch"
        return {
            "action": "",
            "action_path": "",
            "action_ref": "",
            "action_repository": "",
            "action_status": "",
            "actor": actor,
            "actor_id": "1",
            "api_url": localgh.API_URL,
            "base_ref": self.base_ref,
            "env": "",
            "event": self.payload,
            "event_name": self.event_name,
            "event_path": str(self.event_path),
            "graphql_url": f"{localgh.API_URL}/graphql",
            "head_ref": self.head_ref,
            "job": "",
            "path": "",
            "ref": self.ref,
            "ref_name": self.ref.split("/", 2)[-1],
            "ref_protected": False,
            "ref_type": ref_type,
            "repository": gh.repository,
            "repository_id": str(gh.repo_object()["id"]),
            "repository_owner": gh.owner,
            "repository_owner_id": "1",
            "repositoryUrl": f"git://github.com/{gh.repository}.git",
            "retention_days": "90",
            "run_id": str(self.run_id),
            "run_number": str(self.run_number),
            "run_attempt": "1",
            "secret_source": "None" if self.fork else "Actions",
            "server_url": localgh.SERVER_URL,
            "sha": self.sha,
            "token": "",
            "triggering_actor": actor,
            "workflow": self.name,
            "workflow_ref": f"{gh.repository}/{self.workflow_ref_path}@{self.ref}",
            "workflow_sha": self.sha,
            "workspace": "",
        }

    def inputs_ctx(self) -> Ctx:
        return Ctx("inputs", self.inputs)

    def workflow_contexts(self) -> dict[str, Any]:
        return {
            "github": Ctx("github", self.github),
            "inputs": self.inputs_ctx(),
            "vars": Ctx("vars", self.vars, strict=False),
        }

    def run(self) -> Run:
        for job_id in self.workflow.order:
            self.result.jobs[job_id] = Job(self, self.workflow.jobs[job_id]).execute()
        failed = [
            job_id
            for job_id, job in self.result.jobs.items()
            if job.conclusion == "failure" and not self._continue_on_error(job_id)
        ]
        self.result.conclusion = "failure" if failed else "success"
        with localgh.locked(self.gh.state_file) as state:
            state["runs"].append(
                {
                    "id": self.run_id,
                    "run_number": self.run_number,
                    "name": self.name,
                    "path": self.workflow_ref_path,
                    "event": self.event_name,
                    "head_sha": self.sha,
                    "conclusion": self.result.conclusion,
                }
            )
        return self.result

    def _continue_on_error(self, job_id: str) -> bool:
        return self.result.jobs[job_id].continue_on_error


def run_workflow(
    gh: GitHub,
    workflow: Path,
    event_name: str,
    payload: dict,
    *,
    secrets: dict[str, str] | None = None,
    environments: dict[str, Environment] | None = None,
    vars: dict | None = None,
    inputs: dict | None = None,
    env: dict[str, str] | None = None,
    path: list[Path] | None = None,
    workdir: Path | None = None,
) -> Run:
    """Run ``workflow``'s jobs for one event. A failing step is a "failure" result;
    anything the runner does not know raises RunnerError."""
    return RunContext(
        gh,
        Path(workflow).resolve(),
        event_name,
        payload,
        secrets=secrets,
        environments=environments,
        vars=vars,
        inputs=inputs,
        env=env,
        path=path,
        workdir=workdir,
    ).run()
