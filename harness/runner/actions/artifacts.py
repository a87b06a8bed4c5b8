"""actions/upload-artifact and actions/download-artifact: a run's artifacts are folders
under the GitHub's root; another run's need a token with ``actions: read``."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from ..errors import StepFailed
from ..globs import glob_regex, match_files, search_root, split_lines
from ..standins import localgh
from .base import Action, Call, copy_tree

_ARTIFACT_NAME_FORBIDDEN = set('"<>|*?\r\n\\/:')


def upload(call: Call) -> None:
    job, inputs = call.job, call.inputs
    name = inputs["name"] or "artifact"
    if set(name) & _ARTIFACT_NAME_FORBIDDEN:
        raise StepFailed(f"The artifact name is not valid: {name}")
    patterns = split_lines(inputs["path"])
    if not patterns:
        raise StepFailed("Input required and not supplied: path")
    if_none = inputs["if-no-files-found"]
    if if_none not in ("warn", "error", "ignore"):
        raise StepFailed(f"Unrecognized if-no-files-found input. Provided: {if_none}.")
    if inputs["retention-days"] and not 1 <= int(inputs["retention-days"]) <= 90:
        raise StepFailed("retention-days must be between 1 and 90")
    if not 0 <= int(inputs["compression-level"] or 6) <= 9:
        raise StepFailed("Invalid compression-level. Valid values are 0-9.")
    overwrite, hidden = call.boolean("overwrite"), call.boolean("include-hidden-files")
    workspace = job.workspace
    files = [f for f in match_files(workspace, patterns, hidden=hidden) if f.is_file()]
    if not files:
        message = f"No files were found with the provided path: {', '.join(patterns)}."
        if if_none == "error":
            raise StepFailed(f"{message} No artifacts will be uploaded.")
        if if_none == "warn":
            call.say(f"##[warning]{message} No artifacts will be uploaded.")
        return
    roots = [search_root(workspace, p) for p in patterns if not p.startswith("!")]
    if len(files) == 1 and roots[0] == files[0]:
        root = files[0].parent
    else:
        root = Path(os.path.commonpath(roots)) if len(roots) > 1 else roots[0]
    directory = job.run.gh.root / "artifacts" / str(job.run.run_id)
    dest, meta = directory / name, directory / f"{name}.json"
    if dest.exists():
        if not overwrite:
            raise StepFailed(
                "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) "
                "Conflict: an artifact with this name already exists on the workflow run"
            )
        shutil.rmtree(dest)
    for file in files:
        target = dest / file.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
    artifact_id = int(hashlib.sha256(f"{job.run.run_id}/{name}".encode()).hexdigest()[:8], 16)
    meta.write_text(
        json.dumps(
            {
                "id": artifact_id,
                "name": name,
                "run_id": job.run.run_id,
                "files": len(files),
                "retention_days": int(inputs["retention-days"] or 90),
            }
        ),
        encoding="utf-8",
    )
    call.say(f"Uploaded {len(files)} file(s) from {root} as artifact {name!r}")
    call.outputs.update(
        {
            "artifact-id": str(artifact_id),
            "artifact-url": f"{localgh.SERVER_URL}/{job.run.gh.repository}/actions/runs/"
            f"{job.run.run_id}/artifacts/{artifact_id}",
        }
    )


def download(call: Call) -> None:
    job, gh, inputs = call.job, call.job.run.gh, call.inputs
    token, run_id = inputs["github-token"], job.run.run_id
    if inputs["repository"] != gh.repository:
        raise StepFailed(
            f"repository {inputs['repository']}: the local runner has only {gh.repository}"
        )
    if token:
        if localgh.token_scopes(token) is None:
            raise StepFailed("Unable to download artifact(s): Bad credentials")
        if not localgh.allows(token, "actions", "read"):
            raise StepFailed(
                "Unable to download artifact(s): Resource not accessible by integration "
                "(the token lacks actions: read)"
            )
        run_id = int(inputs["run-id"])
    elif inputs["run-id"] != str(run_id):
        call.say(
            f"note: run-id {inputs['run-id']} is ignored without github-token "
            "(as in download-artifact); looking in this run"
        )
    workspace = job.workspace
    dest = workspace / Path(inputs["path"]).expanduser() if inputs["path"] else workspace
    directory = gh.root / "artifacts" / str(run_id)
    available = (
        sorted(p.name for p in directory.iterdir() if p.is_dir()) if directory.is_dir() else []
    )
    if inputs["name"]:
        if inputs["name"] not in available:
            raise StepFailed(
                f"Unable to download artifact(s): Artifact not found for name: {inputs['name']}"
                "\n        Please ensure that your artifact is not expired and the artifact was "
                "uploaded using a compatible version of toolkit/upload-artifact."
            )
        copy_tree(directory / inputs["name"], dest)
        call.say(f"Artifact {inputs['name']!r} of run {run_id} downloaded to {dest}")
    else:
        pattern = glob_regex(inputs["pattern"]) if inputs["pattern"] else None
        chosen = [n for n in available if pattern is None or pattern.match(n)]
        merge = call.boolean("merge-multiple")
        for name in chosen:
            copy_tree(directory / name, dest if merge else dest / name)
        call.say(f"{len(chosen)} artifact(s) of run {run_id} downloaded to {dest}")
    call.outputs["download-path"] = str(dest)


UPLOAD = Action(
    inputs={
        "name": "artifact", "path": "", "if-no-files-found": "warn", "retention-days": "",
        "compression-level": "6", "overwrite": "false", "include-hidden-files": "false",
    },
    not_emulated=frozenset(),
    run=upload,
)  # fmt: skip


DOWNLOAD = Action(
    inputs={
        "name": "", "path": "", "pattern": "", "merge-multiple": "false",
        "github-token": "", "repository": "$repository", "run-id": "$run_id",
    },
    not_emulated=frozenset({"artifact-ids"}),
    run=download,
)  # fmt: skip
