"""What a run leaves: each job's result, each step's, their logs and outputs."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class Environment:
    """A deployment environment's settings: its secrets (which override the repository's
    of the same name, for the jobs that name it) and, when set, the only branches whose
    runs may use it (a deployment branch rule); a pull request's run is never one."""

    secrets: dict[str, str] = dataclasses.field(default_factory=dict)
    branches: tuple[str, ...] | None = None


@dataclasses.dataclass
class StepResult:
    name: str
    id: str | None
    outcome: str  # success, failure, skipped
    conclusion: str  # success (also a failure with continue-on-error), failure, skipped
    log: str
    outputs: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class JobResult:
    id: str
    name: str
    conclusion: str  # success, failure, skipped
    steps: list[StepResult]
    outputs: dict[str, str]
    summary: str
    workspace: Path
    permissions: dict[str, str] = dataclasses.field(default_factory=dict)
    runs_on: Any = None
    continue_on_error: bool = False

    @property
    def log(self) -> str:
        parts = [f"=== job {self.id} ({self.name}): {self.conclusion} ==="]
        for step in self.steps:
            parts.append(f"--- step {step.name!r} [{step.outcome}] ---")
            parts.append(step.log.rstrip("\n"))
        return "\n".join(parts) + "\n"

    def step(self, name_or_id: str) -> StepResult:
        for step in self.steps:
            if name_or_id in (step.id, step.name):
                return step
        raise KeyError(f"job {self.id} has no step {name_or_id!r}")


@dataclasses.dataclass
class Run:
    run_id: int
    run_number: int
    workflow: Path
    workflow_name: str
    workflow_ref_path: str
    event_name: str
    payload: dict
    sha: str
    ref: str
    conclusion: str = "success"
    concurrency: str | None = None
    jobs: dict[str, JobResult] = dataclasses.field(default_factory=dict)

    @property
    def ref_name(self) -> str:
        return self.ref.split("/", 2)[-1]

    def log(self) -> str:
        header = (
            f"##### run {self.run_id} of {self.workflow_name} ({self.workflow}) on "
            f"{self.event_name}: {self.conclusion}\n"
        )
        return header + "".join(job.log for job in self.jobs.values())
