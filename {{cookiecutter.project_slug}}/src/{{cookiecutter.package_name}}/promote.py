"""Promotion on main: the reviewed model, gated again, registered and staged with GTO.

Run by `make promote` after `lock-check` and `dvc repro` (the "Promote" workflow does it
on every push to main). In order:

1. the model `dvc repro` left is byte for byte the one the commit's dvc.lock records
   (else what would ship is not what was reviewed);
2. the same artifact as production's, a commit promoted before (a re-run), or a commit
   older than production's: nothing to do;
3. the pull request's gate (lifecycle.yaml), against production and the previous
   commit of main; a failure promotes nothing;
4. otherwise `gto register` (lifecycle.yaml's bump) and `gto assign` of the staging
   stage if lifecycle.yaml declares one (production then waits for an approval),
   else of the production stage.

Tags are only made here; the workflow pushes them (`make push-tags`, after `dvc push`)
and releases the version with the model card. Writes build/promote/: promotion.json,
tags.txt (the tags to push), model-card.md; in GitHub Actions, step outputs too.
"""

from __future__ import annotations

import argparse
import subprocess

from . import paths
from .compare import git, lock_outputs, show, working_lock
from .config import load_lifecycle
from .errors import ProjectError
from .gate import freshness_criterion, reasons_text, verdict
from .github import step_outputs
from .lockcheck import recorded
from .outputs import write_json
from .registry import (
    Version,
    assigned_ever,
    at_commit,
    find,
    holder,
    previous,
    put,
    register,
)
from .registry import push as push_tags


def model_md5(lock_text: str | None) -> str | None:
    return lock_outputs(lock_text).get(paths.MODEL.as_posix())


def gate(base: str, head: str) -> list[dict]:
    """The pull request's report and gate, for this commit; criteria as dicts."""
    from .report import main as report

    report(argparse.Namespace(base=base, pull_request="", head_sha=head))
    criteria, failed = verdict()
    if failed:
        reasons = reasons_text(failed)
        raise ProjectError(f"the gate failed on {head[:7]}; nothing promoted:\n{reasons}")
    return criteria


def is_ancestor(older: str, newer: str) -> bool:
    result = subprocess.run(["git", "merge-base", "--is-ancestor", older, newer], check=False)
    return result.returncode == 0


def superseded(stage: str, head: str, production: Version | None) -> str | None:
    """Why this commit's model is not to become a new version, or None."""
    if production is None:
        return None
    if production.commit != head and is_ancestor(head, production.commit):
        return (
            f"production holds {production.version} from a later commit "
            f"({production.commit[:7]}); to go back, run the rollback"
        )
    if model_md5(show(production.commit, paths.LOCK)) == model_md5(show(head, paths.LOCK)):
        return f"the model is the same artifact as {production.version} in {stage}; no new version"
    return None


def parent(head: str) -> str:
    """The previous commit of main (the first parent), or ``head`` for the first one."""
    try:
        return git("rev-parse", "--verify", "--quiet", "HEAD^")
    except ProjectError:
        return head


def outputs(values: dict[str, str]) -> None:
    """build/promote/promotion.json, and the step's outputs in GitHub Actions."""
    write_json(values, paths.PROMOTION)
    step_outputs(values)


def main(arguments: argparse.Namespace) -> None:
    lifecycle = load_lifecycle()
    name, production_stage = lifecycle.model.name, lifecycle.promotion.stage
    stage = lifecycle.promotion.staging or production_stage  # the one assigned here
    head = git("rev-parse", "HEAD")
    paths.PROMOTE_DIR.mkdir(parents=True, exist_ok=True)
    paths.TAGS.write_text("", encoding="utf-8")
    outputs({"version": "", "tag": "", "stage": "", "approval": "false"})

    freshness = recorded()
    if not freshness["fresh"]:
        reason = freshness_criterion(freshness, False, f"commit {head[:7]}").reason
        raise ProjectError(f"{reason}; nothing promoted")
    committed, reproduced = model_md5(show(head, paths.LOCK)), model_md5(working_lock())
    if committed is None or committed != reproduced:
        raise ProjectError(
            f"{paths.MODEL}: the model here (md5 {reproduced}) is not the one dvc.lock "
            f"records at {head[:7]} (md5 {committed}); nothing promoted. Reproduce and "
            "commit dvc.lock, or push the model to the DVC remote"
        )
    production = holder(name, production_stage)
    mine = at_commit(name, head)
    if mine is not None and mine.version in assigned_ever(name, stage):
        # a re-run: no new tag; the outputs let the workflow finish what it had not
        print(f"promote: {mine.version} (this commit) was promoted before; no new tag")
        publish(name, mine, stage, head, previous(name, production_stage, mine), None, lifecycle)
        return
    why_not = superseded(production_stage, head, production)
    if why_not:
        print(f"promote: {why_not}")
        return
    criteria = gate(arguments.base or parent(head), head)

    version = mine or register(name, head, lifecycle.promotion.bump)
    made = ([] if mine else [f"{name}@{version.version}"]) + put(name, stage, version)
    paths.TAGS.write_text("".join(f"{tag}\n" for tag in made), encoding="utf-8")
    publish(name, version, stage, head, production, criteria, lifecycle)
    waiting = f"; {production_stage} after approval" if lifecycle.promotion.staging else ""
    print(f"promote: {name} {version.version} -> {stage}{waiting} (tags: {', '.join(made)})")


def publish(name, version, stage, head, previous_version, criteria, lifecycle) -> None:
    """The model card and the outputs the workflow releases and pushes from."""
    from .card import render

    card = render(name, version.version, head, stage, previous_version, criteria)
    paths.CARD.write_text(card, encoding="utf-8")
    outputs(
        {
            "version": version.version,
            "tag": f"{name}@{version.version}",
            "stage": stage,
            "approval": "true" if lifecycle.promotion.staging else "false",
        }
    )


def push_main(_arguments: argparse.Namespace) -> None:
    """Push the tags the last `promote` made (build/promote/tags.txt) to origin."""
    made = paths.TAGS.read_text(encoding="utf-8").split() if paths.TAGS.is_file() else []
    push_tags(made)
    print(f"push-tags: {', '.join(made) or 'nothing to push'}")


def set_stage(name: str, stage: str, version: Version, push: bool) -> None:
    made = put(name, stage, version)
    if push:
        push_tags(made)
    where = " and pushed to origin" if push and made else ""
    if made:
        print(f"{name}: {stage} -> {version.version} (tags {', '.join(made)}{where})")
    else:
        print(f"{name}: {version.version} already holds {stage}; nothing to do")


def assign_main(arguments: argparse.Namespace) -> None:
    """Give a registered version a stage (the production stage by default)."""
    lifecycle = load_lifecycle()
    name = lifecycle.model.name
    stage = arguments.stage or lifecycle.promotion.stage
    set_stage(name, stage, find(name, arguments.version), arguments.push)


def rollback_main(arguments: argparse.Namespace) -> None:
    """Put production back to a version: by default the one before the current one."""
    lifecycle = load_lifecycle()
    name, stage = lifecycle.model.name, lifecycle.promotion.stage
    current = holder(name, stage)
    if arguments.to:
        target = find(name, arguments.to)
    else:
        target = previous(name, stage)
        if target is None:
            held = f"{current.version} is the first" if current else "nothing is"
            raise ProjectError(
                f"model {name}: no earlier version to roll back to ({held} in {stage}); "
                "pass --to <version>"
            )
    set_stage(name, stage, target, arguments.push)
