"""Promotion on main, in two jobs: one that reproduces and judges (it loads models, so
it holds no secret and no token that writes), one that registers what was judged (it
signs and pushes, and loads nothing).

`make promote-gate` (the "Promote" workflow's read-only job) runs `lock-check` and `dvc
repro`, then `promote-gate`:

1. every output that DVC caches (the model, the prepared data, the predictions) and
   that arrived from the cache or the remote was hashed by `lock-check` before `dvc
   repro`: its bytes must be the ones the commit's dvc.lock records, else nothing is
   loaded and nothing ships (a substituted file). An output `dvc repro` had to make
   again may have other bytes (this machine is not the developer's: threads, CPU,
   operating system): the gate then checks that its metrics on the same rows are the
   committed ones within their intervals, and the version's record names the bytes
   that ship (README, "Reproducibility");
2. the same artifact as production's, a commit promoted before (a re-run), or a commit
   older than production's: nothing to do;
3. the pull request's gate (lifecycle.yaml): the same comparison and criteria as the
   pull request's report, against production and the previous commit of main; a
   failure promotes nothing;
4. otherwise the decision (build/promote/decision.json) and the outputs that would
   ship, with their md5s and dvc.lock as `dvc repro` left it, for the next job.

`make promote` (the writer job, in the `writer` environment) runs `promote`: it checks
the decision is this commit's and that every output it carries has the md5 the decision
names (hashing, never loading), puts them where DVC pushes them from, then registers
the next version (lifecycle.yaml's bump) and assigns the staging stage if lifecycle.yaml
declares one (production then waits for an approval), else the production stage: GTO's
tags, signed (signatures.py). The workflow pushes them (`make push-tags`, after `dvc
push`) and releases the version with the model card (`make release`). Writes
build/promote/: decision.json, outputs/, report.md (the comparison), promotion.json,
tags.txt (the tags to push), model-card.md; in GitHub Actions, step outputs too.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict
from pathlib import Path

from .. import dvc, paths
from ..config import Lifecycle, check_gate, load_lifecycle, load_params
from ..errors import ProjectError
from ..git import commit_of, head, is_ancestor
from ..github import step_outputs
from ..outputs import read_json, write_json, write_text
from ..registry import (
    GATE_RECORD,
    Version,
    assigned_ever,
    at_commit,
    holder,
    previous,
    put,
    register,
    shipped_lines,
)
from ..review.changes import since
from ..review.compare import compare
from ..review.gate import Criterion, criteria, freshness_criterion, passed, reasons_text
from ..review.lockcheck import recorded
from ..review.render import render
from .card import render as render_card


def judge(base: str, commit: str, production: Version | None, lifecycle: Lifecycle, freshness):
    """The pull request's gate for ``commit``'s model against production and ``base``;
    its report goes to build/promote/report.md. A failure is a ProjectError."""
    started = time.perf_counter()
    params = load_params()
    check_gate(lifecycle.gate, params.base.problem_type, paths.LIFECYCLE)
    comparison = compare(base, production, params.base.seed, lifecycle.gate)
    what = f"commit {commit[:7]}"
    found = criteria(lifecycle.gate, comparison, freshness, dvc.remote_configured(), what)
    commands = [f"git checkout {commit[:7]}", "make install", f"make pr-report BASE={base[:7]}"]
    seconds = time.perf_counter() - started
    text = render(comparison, found, lifecycle.gate, since(base), freshness, commands, seconds)
    write_text(text, paths.PROMOTION_REPORT)
    if not passed(found):
        failed = reasons_text([item.reason for item in found if not item.passed])
        raise ProjectError(f"the gate failed on {commit[:7]}; nothing promoted:\n{failed}")
    return found


def superseded(stage: str, commit: str, production: Version | None, built: str) -> str | None:
    """Why this commit's model (``built``: the md5 of the bytes that would ship) is not
    to become a new version, or None."""
    if production is None:
        return None
    if production.commit != commit and is_ancestor(commit, production.commit):
        return (
            f"production holds {production.version} from a later commit "
            f"({production.commit[:7]}); to go back, run the rollback"
        )
    theirs = dvc.expected_md5(production.commit, paths.MODEL, production.shipped)
    recorded = dvc.model_md5(dvc.lock(commit))
    if built == theirs or recorded == dvc.model_md5(dvc.lock(production.commit)):
        return f"the model is the same artifact as {production.version} in {stage}; no new version"
    return None


def outputs(values: dict[str, str]) -> None:
    """build/promote/promotion.json, and the step's outputs in GitHub Actions."""
    write_json(values, paths.PROMOTION)
    step_outputs(values)


def record(
    name: str,
    version: Version,
    stage: str,
    previous_version: Version | None,
    found: list[Criterion] | None,
    lifecycle: Lifecycle,
) -> None:
    """The model card and the outputs the workflow releases and pushes from."""
    card = render_card(name, version.version, version.commit, stage, previous_version, found)
    write_text(card, paths.CARD)
    outputs(
        {
            "version": version.version,
            "tag": f"{name}@{version.version}",
            "stage": stage,
            "approval": "true" if lifecycle.promotion.staging else "false",
        }
    )


def decide(values: dict) -> None:
    """build/promote/decision.json, and the gate job's output: whether the writer job
    has anything to do (a new version, or a re-run to finish)."""
    write_json(values, paths.DECISION)
    step_outputs({"candidate": "true" if values["action"] != "none" else "false"})


def stage_outputs() -> dict[str, str]:
    """Copy every cached output, dvc.lock as `dvc repro` left it and DVC's run-cache into
    build/promote/outputs/ for the writer job; path -> md5 of each output."""
    shutil.rmtree(paths.STAGED, ignore_errors=True)
    found = {}
    for name in dvc.pipeline_outputs(cached=True):
        source, target = Path(name), paths.STAGED / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
        found[name] = dvc.md5_of(source)
    shutil.copy2(paths.LOCK, paths.STAGED / paths.LOCK)
    if paths.RUN_CACHE.is_dir():
        shutil.copytree(paths.RUN_CACHE, paths.STAGED / "run-cache")
    return found


def gate_main(base: str | None = None) -> None:
    """The `promote-gate` command: steps 1 to 4 of the module's docstring. ``base``: the
    commit to compare with besides production (default: the previous commit of main)."""
    lifecycle = load_lifecycle()
    name, production_stage = lifecycle.model.name, lifecycle.promotion.stage
    stage = lifecycle.promotion.staging or production_stage  # the one assigned here
    commit = head()
    decide({"commit": commit, "action": "none"})

    freshness = recorded()
    if not freshness["fresh"]:
        reason = freshness_criterion(freshness, False, f"commit {commit[:7]}").reason
        raise ProjectError(f"{reason}; nothing promoted")
    remade = freshness["remade"]
    as_recorded = [name for name in dvc.pipeline_outputs(cached=True) if name not in remade]
    print(f"promote: the bytes dvc.lock records: {', '.join(as_recorded) or 'none'}")
    for path, md5 in remade.items():
        print(
            f"promote: {path} made again here with other bytes (md5 {md5['built']}; dvc.lock: "
            f"{md5['recorded']}): these ship, once their metrics reproduce the committed ones"
        )
    production = holder(name, production_stage)
    mine = at_commit(name, commit)
    if mine is not None and mine.version in assigned_ever(name, stage):
        # a re-run: no new tag; the writer job finishes what it had not
        print(f"promote: {mine.version} (this commit) was promoted before; no new tag")
        decide({"commit": commit, "action": "rerun", "version": mine.version})
        return
    built = dvc.md5_of(paths.MODEL)
    why_not = superseded(production_stage, commit, production, built)
    if why_not:
        print(f"promote: {why_not}")
        return
    found = judge(base or commit_of("HEAD^") or commit, commit, production, lifecycle, freshness)
    record_text = (
        f"{GATE_RECORD} on {commit[:7]}: {len(found)} criteria, against "
        + (f"production {production.version}" if production else "no production version")
        + shipped_lines(remade)
    )
    decide(
        {
            "commit": commit,
            "action": "register",
            "version": mine.version if mine else None,
            "production": production.version if production else None,
            "record": record_text,
            "criteria": [asdict(item) for item in found],
            "outputs": stage_outputs(),
        }
    )
    print(f"promote: {name} passed its gate on {commit[:7]}; the writer job registers it")


def unstage(expected: dict[str, str]) -> None:
    """The outputs the gate job staged, checked against the md5s its decision names
    (hashed, never loaded), put where DVC pushes them from, with its dvc.lock and
    run-cache; `dvc commit` takes them into the cache."""
    for name, md5 in expected.items():
        staged = paths.STAGED / name
        if not staged.exists():
            raise ProjectError(f"{staged}: missing from the gate job's outputs; nothing promoted")
        if (found := dvc.md5_of(staged)) != md5:
            raise ProjectError(
                f"{staged}: its bytes (md5 {found}) are not the ones the gate job decided "
                f"to ship (md5 {md5}); nothing promoted"
            )
    for name in expected:
        target = Path(name)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(paths.STAGED / name, target)
    shutil.copy2(paths.STAGED / paths.LOCK, paths.LOCK)
    if (paths.STAGED / "run-cache").is_dir():
        shutil.copytree(paths.STAGED / "run-cache", paths.RUN_CACHE, dirs_exist_ok=True)
    failed = dvc.run("commit", "--force", "--quiet")
    if failed:
        raise ProjectError(f"dvc commit of the gate job's outputs failed: {failed}")


def main() -> None:
    """The `promote` command: register and stage what `promote-gate` decided (see the
    module's docstring); nothing is loaded here."""
    lifecycle = load_lifecycle()
    name, production_stage = lifecycle.model.name, lifecycle.promotion.stage
    stage = lifecycle.promotion.staging or production_stage  # the one assigned here
    commit = head()
    write_text("", paths.TAGS)
    outputs({"version": "", "tag": "", "stage": "", "approval": "false"})
    decision = read_json(paths.DECISION, "promote-gate")
    if decision.get("commit") != commit:
        raise ProjectError(
            f"{paths.DECISION} is of commit {str(decision.get('commit'))[:7]}, not of "
            f"{commit[:7]}; run `make promote-gate` first; nothing promoted"
        )
    action = decision.get("action")
    if action == "none":
        print("promote: the gate job decided there is nothing to promote")
        return
    if action == "rerun":
        mine = at_commit(name, commit)
        if mine is None:
            raise ProjectError(f"{decision.get('version')} is not registered on {commit[:7]}")
        record(name, mine, stage, previous(name, production_stage, mine), None, lifecycle)
        return
    if action != "register":
        raise ProjectError(f"{paths.DECISION}: unknown action {action!r}; nothing promoted")
    unstage(decision["outputs"])
    found = [Criterion(**item) for item in decision["criteria"]]
    production = holder(name, production_stage)
    mine = at_commit(name, commit)
    version = mine or register(name, commit, lifecycle.promotion.bump, decision["record"])
    made = ([] if mine else [f"{name}@{version.version}"]) + put(name, stage, version)
    write_text("".join(f"{tag}\n" for tag in made), paths.TAGS)
    record(name, version, stage, production, found, lifecycle)
    waiting = f"; {production_stage} after approval" if lifecycle.promotion.staging else ""
    print(f"promote: {name} {version.version} -> {stage}{waiting} (tags: {', '.join(made)})")
