"""Retraining as a pull request: refresh the data, rerun the pipeline and, when the model
changed, propose it on a new branch; the pull request goes through the gate like any
other and is never merged here.

``retrain`` (the "Retrain" workflow runs it; it runs the same on a laptop): ``dvc update``
of each file lifecycle.yaml's ``retraining.update`` lists, ``dvc repro``; when the
model's hash in dvc.lock differs from the current commit's, a commit on the new branch
``retrain/<first 8 characters of the model's md5>`` (the same model is never proposed
twice). ``retrain-pr`` pushes that branch and opens the pull request with the GitHub
CLI; with ``retraining.auto_merge`` it turns on GitHub's auto-merge, which merges only
once the required checks (the gate) pass. Writes build/retrain/retraining.json and
pull-request.md; in GitHub Actions, step outputs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .. import dvc, paths
from ..config import load_lifecycle
from ..dvc import metrics_at
from ..errors import ProjectError
from ..git import git, head
from ..github import gh, step_outputs
from ..markdown import MISSING, code, codes, number, signed, table
from ..outputs import read_json, write_json, write_text
from ..review.changes import changed_files

PACKAGE = __package__.rpartition(".")[0]
LABEL = "retraining"


def run(*args: str) -> None:
    """Run DVC; a failure is a ProjectError naming the command and DVC's reason (its
    whole output is above it)."""
    failed = dvc.run(*args, show_errors=True)
    if failed:
        raise ProjectError(f"`dvc {' '.join(args)}` failed: {failed}; nothing committed")


def refresh(files: list[str]) -> None:
    """``dvc update`` each declared file: the newest version of imported data."""
    for index, name in enumerate(files):
        if not name.endswith(".dvc") or not Path(name).is_file():
            raise ProjectError(
                f"lifecycle.yaml: retraining.update.{index}: {name!r} is not a .dvc file of this "
                "project (expected the file `dvc import-url` or `dvc import` wrote)"
            )
        dvc.update(name)


def workflow_token() -> bool:
    """In the Retrain workflow without the RETRAIN_TOKEN secret: GitHub starts no workflow
    for what this token opens or merges."""
    return os.environ.get("RETRAIN_TOKEN_SET") == "false"


def metrics_table(before: dict | None, after: dict | None) -> list[str]:
    before, after = before or {}, after or {}
    rows = [
        [
            name,
            number(before.get(name)),
            number(after[name]),
            MISSING if name not in before else signed(after[name] - before[name]),
        ]
        for name in sorted(after)
    ]
    return table(["Metric", "Current", "Retrained", "Change"], rows, align="lrrr")


def body(name: str, base: str, commit: str, files: list[str], automatic: bool) -> str:
    changes = changed_files(commit)
    note = [
        "> [!NOTE]",
        "> Opened with the workflow's own token, so GitHub starts no check for it: close "
        "and reopen it to run the gate (or set the RETRAIN_TOKEN secret, see the README).",
        "",
    ]
    lines = [
        *(note if workflow_token() else []),
        f"Retraining of **{name}** on refreshed data, proposed by the Retrain workflow "
        f"from {code(base)} at {code(commit[:7])}.",
        "",
        "This pull request goes through the same gate as any other: the **Train, compare "
        "and gate** check and its report comment compare it with production and the base.",
        "",
        "### Metrics on the retrained model's test rows",
        "",
        *metrics_table(metrics_at(commit), metrics_at(None)),
        "",
        "### What changed",
        "",
    ]
    lines += [f"- data refreshed with `dvc update`: {', '.join(files)}"] if files else []
    lines += [f"- {stage}: {codes(changed)}" for stage, changed in changes.items()] or [
        "- no dependency changed: the pipeline's code or environment did"
    ]
    lines += [
        "",
        "Merging promotes it (the Promote workflow). "
        + (
            "Auto-merge is on (lifecycle.yaml: `retraining.auto_merge`): GitHub merges it "
            "once the required checks pass."
            if automatic
            else "It is never merged by itself unless lifecycle.yaml's "
            "`retraining.auto_merge` says so."
        ),
        "",
        "Reproduce: " + code(f"git checkout {commit[:7]} && python -m {PACKAGE} retrain"),
    ]
    return "\n".join(lines) + "\n"


def main(pull: bool = False) -> None:
    """The `retrain` command (see the module's docstring); ``pull``: fetch the stage results
    the DVC remote has instead of rerunning them."""
    lifecycle = load_lifecycle()
    settings = lifecycle.retraining
    if git("status", "--porcelain", "--untracked-files=no"):
        raise ProjectError("the working tree has uncommitted changes; commit or stash them first")
    base = git("rev-parse", "--abbrev-ref", "HEAD")
    commit = head()
    refresh(settings.update)
    run("checkout", "--allow-missing")
    run("repro", *(["--pull"] if pull else []))
    before, after = dvc.model_md5(dvc.lock(commit)), dvc.model_md5(dvc.lock())
    result = {"branch": "", "base": base, "model_md5": after}
    if before == after:
        print(f"retrain: the model did not change (md5 {after}); no pull request")
    else:
        branch = f"retrain/{after[:8]}"
        if git("ls-remote", "--heads", "origin", branch):
            print(f"retrain: this model is already proposed on branch {branch}; nothing to do")
        else:
            today = time.strftime("%Y-%m-%d", time.gmtime())
            title = f"Retrain {lifecycle.model.name} on refreshed data ({today})"
            text = body(lifecycle.model.name, base, commit, settings.update, settings.auto_merge)
            git("checkout", "--quiet", "-b", branch)
            # What the pipeline and the refresh changed, nothing else: an untracked file
            # (a credentials file, say) never lands on the branch.
            git("add", "--update", "--", ".")
            git("add", "--", str(paths.LOCK), *dvc.pipeline_outputs(cached=False))
            git("commit", "--quiet", "-m", title, "-m", "Proposed by `retrain`.")
            result.update(branch=branch, title=title)
            write_text(text, paths.RETRAIN_BODY)
            print(f"retrain: model {before} -> {after}; committed on branch {branch}")
    write_json(result, paths.RETRAINING)
    step_outputs({"branch": result["branch"]})


def open_pr() -> None:
    """Push the branch ``retrain`` committed and open its pull request."""
    result = read_json(paths.RETRAINING, "retrain", {"branch": str, "base": str})
    if not result["branch"]:
        print("retrain-pr: no new model, no pull request")
        return
    git("push", "--quiet", "origin", f"{result['branch']}:refs/heads/{result['branch']}")
    gh("label", "create", LABEL, "--color", "1D76DB", "--force",
       "--description", "Opened by the Retrain workflow")  # fmt: skip
    url = gh(
        "pr", "create", "--base", result["base"], "--head", result["branch"],
        "--title", result["title"], "--body-file", str(paths.RETRAIN_BODY), "--label", LABEL,
    )  # fmt: skip
    print(f"retrain-pr: opened {url}")
    if load_lifecycle().retraining.auto_merge:
        if workflow_token():
            print(
                "retrain-pr: auto-merge skipped: a merge made with the workflow's own token "
                "starts no Promote run; set the RETRAIN_TOKEN secret (see README)"
            )
            return
        gh("pr", "merge", url, "--auto", "--merge")
        print("retrain-pr: auto-merge on: GitHub merges it once the required checks pass")
