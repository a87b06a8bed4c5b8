"""What an emulated action is (its inputs and its emulation) and what it is given when a
step runs it."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StepFailed

if TYPE_CHECKING:
    from ..job import Job


@dataclasses.dataclass
class Call:
    """What an emulated action gets: its inputs, the step's process environment, a log
    and its outputs."""

    job: Job
    name: str
    inputs: dict[str, str]
    env: dict[str, str]
    log: list[str]
    outputs: dict[str, str]

    def say(self, line: str) -> None:
        self.log.append(line)

    def boolean(self, key: str) -> bool:
        value = self.inputs[key]
        if value not in ("true", "True", "TRUE", "false", "False", "FALSE"):
            raise StepFailed(
                f'Input does not meet YAML 1.2 "Core Schema" specification: {key}\n'
                "Support boolean input list: `true | True | TRUE | false | False | FALSE`"
            )
        return value.lower() == "true"

    def git(self, *args: str, cwd: Path) -> str:
        self.say(f"[command]git {' '.join(args)}")
        result = subprocess.run(
            ["git", *args], cwd=cwd, env=self.env, capture_output=True, text=True, check=False
        )
        if result.stdout.strip() or result.stderr.strip():
            self.say((result.stdout + result.stderr).rstrip())
        if result.returncode != 0:
            raise StepFailed(f"The process 'git' failed with exit code {result.returncode}")
        return result.stdout.strip()


@dataclasses.dataclass(frozen=True)
class Action:
    inputs: dict[
        str, str | None
    ]  # emulated input -> default (``$token``, ``$repository``, ``$run_id``: the job's)
    not_emulated: frozenset[str]
    run: Callable[[Call], None]


def copy_tree(source: Path, dest: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, dest, symlinks=True, dirs_exist_ok=True)
