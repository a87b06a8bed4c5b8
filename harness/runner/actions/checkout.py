"""actions/checkout: a real clone of the bare origin at the event's commit (or ``ref``),
with the token in git's configuration only if ``persist-credentials``."""

from __future__ import annotations

import base64
import re
import shutil

from ..errors import StepFailed
from ..github import GitHub, rev
from .base import Action, Call


def checkout(call: Call) -> None:
    job, gh = call.job, call.job.run.gh
    workspace = job.workspace.resolve()
    dest = (workspace / call.inputs["path"]).resolve() if call.inputs["path"] else workspace
    if not dest.is_relative_to(workspace):
        raise StepFailed(f"Repository path '{dest}' is not under '{workspace}'")
    try:
        depth = int(call.inputs["fetch-depth"])
    except ValueError:
        raise StepFailed(f"fetch-depth: {call.inputs['fetch-depth']!r} is not a number") from None
    persist, fetch_tags = call.boolean("persist-credentials"), call.boolean("fetch-tags")
    clean = call.boolean("clean")
    call.boolean("show-progress")
    call.boolean("set-safe-directory")
    ref = call.inputs["ref"]
    if ref:
        ref, sha = resolve_ref(gh, ref)
    else:
        ref, sha = job.run.ref, job.run.sha
    if ref.startswith("refs/heads/"):
        target = f"refs/remotes/origin/{ref.removeprefix('refs/heads/')}"
    elif ref.startswith("refs/pull/"):
        target = f"refs/remotes/pull/{ref.removeprefix('refs/pull/')}"
    else:
        target = ref  # refs/tags/... or a bare SHA
    dest.mkdir(parents=True, exist_ok=True)
    if not clean and (dest / ".git").exists():
        call.say("note (local runner): clean: false is not emulated; the directory is emptied")
    for child in dest.iterdir():
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    call.git("init", "--quiet", str(dest), cwd=dest)
    call.git("remote", "add", "origin", str(gh.origin), cwd=dest)
    call.git("config", "--local", "gc.auto", "0", cwd=dest)
    if persist:
        basic = base64.b64encode(f"x-access-token:{call.inputs['token']}".encode()).decode()
        call.git(
            "config",
            "--local",
            "http.https://github.com/.extraheader",
            f"AUTHORIZATION: basic {basic}",
            cwd=dest,
        )
    fetch = ["-c", "protocol.version=2", "fetch", "--prune", "--no-recurse-submodules"]
    refspec = f"+{sha}:{target}" if target != sha else sha
    if depth <= 0:
        call.git(
            *fetch,
            "origin",
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/tags/*:refs/tags/*",
            cwd=dest,
        )
        # like actions/checkout: fetch the event's commit unless the ref already has it
        if rev(dest / ".git", target) != sha:
            call.git(*fetch, "origin", refspec, cwd=dest)
    else:
        tags = ["+refs/tags/*:refs/tags/*"] if fetch_tags else []
        no_tags = [] if fetch_tags else ["--no-tags"]
        call.git(*fetch, *no_tags, f"--depth={depth}", "origin", refspec, *tags, cwd=dest)
    if ref.startswith("refs/heads/"):
        branch = ref.removeprefix("refs/heads/")
        call.git("checkout", "--progress", "--force", "-B", branch, target, cwd=dest)
    else:
        call.git("checkout", "--progress", "--force", target, cwd=dest)
    head = call.git("rev-parse", "HEAD", cwd=dest)
    if head != sha:
        raise StepFailed(f"checked out {head}, expected {sha}")
    call.outputs.update(ref=ref if ref != sha else "", commit=sha)


def resolve_ref(gh: GitHub, ref: str) -> tuple[str, str]:
    if re.fullmatch(r"[0-9a-f]{40}", ref):
        if rev(gh.origin, ref) is None:
            raise StepFailed(f"commit {ref} not found in the repository")
        return ref, ref
    candidates = [ref] if ref.startswith("refs/") else [f"refs/heads/{ref}", f"refs/tags/{ref}"]
    for candidate in candidates:
        sha = rev(gh.origin, candidate)
        if sha:
            return candidate, sha
    raise StepFailed(f"A branch or tag with the name '{ref}' could not be found")


ACTION = Action(
    inputs={
        "ref": "", "token": "$token", "persist-credentials": "true", "path": "",
        "clean": "true", "fetch-depth": "1", "fetch-tags": "false",
        "show-progress": "true", "set-safe-directory": "true",
    },
    not_emulated=frozenset({
        "repository", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "filter",
        "sparse-checkout", "sparse-checkout-cone-mode", "lfs", "submodules",
        "github-server-url",
    }),
    run=checkout,
)  # fmt: skip
