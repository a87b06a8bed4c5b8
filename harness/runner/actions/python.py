"""actions/setup-python: validates its inputs and files like the real one and installs
nothing (Python comes from the runner's PATH); the pip cache is not kept."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from ..errors import StepFailed
from ..globs import match_files, split_lines
from .base import Action, Call


def setup_python(call: Call) -> None:
    workspace, inputs = call.job.workspace, call.inputs
    for key in ("check-latest", "allow-prereleases", "update-environment"):
        call.boolean(key)
    version = inputs["python-version"]
    if version and inputs["python-version-file"]:
        call.say(
            "##[warning]Both python-version and python-version-file inputs are specified, "
            "only python-version will be used."
        )
    elif not version:
        version_file = inputs["python-version-file"] or ".python-version"
        path = workspace / version_file
        if not path.is_file():
            if inputs["python-version-file"]:
                raise StepFailed(f"The specified python version file at: {path} doesn't exist.")
            call.say("python-version input is not specified: the Python on PATH is used")
        elif path.name == "pyproject.toml":
            project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
            version = project.get("requires-python", "")
            call.say(f"Resolved {version_file} as {version}")
        else:
            lines = [
                line.strip()
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.strip().startswith("#")
            ]
            version = lines[0] if lines else ""
            call.say(f"Resolved {version_file} as {version}")
    found = subprocess.run(
        [
            "python3",
            "-c",
            "import platform, sys; print(platform.python_version()); print(sys.executable)",
        ],
        env=call.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise StepFailed(f"no python3 on PATH: {found.stderr.strip()}")
    actual, executable = found.stdout.split("\n")[:2]
    if version and actual.split(".")[: len(version.split("."))] != version.split("."):
        call.say(
            f"note (local runner): {version} requested, the python3 on PATH is {actual}; "
            "setup-python installs nothing here"
        )
    call.say(f"Successfully set up CPython ({actual}) from {executable}")
    cache = inputs["cache"]
    if cache:
        defaults = {
            "pip": "**/requirements.txt",
            "pipenv": "**/Pipfile.lock",
            "poetry": "**/poetry.lock",
        }
        if cache not in defaults:
            raise StepFailed(f"Caching for '{cache}' is not supported")
        patterns = split_lines(inputs["cache-dependency-path"]) or [defaults[cache]]
        if not match_files(workspace, patterns):
            raise StepFailed(
                f"No file in {workspace} matched to [{','.join(patterns)}], make sure you "
                "have checked out the target repository"
            )
        call.say(f"note (local runner): the {cache} cache is not emulated (cache-hit false)")
        call.outputs["cache-hit"] = "false"
    call.outputs.update({"python-version": actual, "python-path": executable})
    call.job.env["pythonLocation"] = str(Path(executable).parent.parent)


ACTION = Action(
    inputs={
        "python-version": "", "python-version-file": "", "cache": "",
        "cache-dependency-path": "", "check-latest": "false", "allow-prereleases": "false",
        "token": "$token", "update-environment": "true",
    },
    not_emulated=frozenset({"architecture", "freethreaded", "pip-version", "pip-install"}),
    run=setup_python,
)  # fmt: skip
