"""Promotion on main: the reviewed model, gated again, registered and staged with GTO.

Run by `make promote` after `lock-check` and `dvc repro` (the "Promote" workflow does it
on every push to main). In order:

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
4. otherwise `gto register` (lifecycle.yaml's bump) and `gto assign` of the staging
   stage if lifecycle.yaml declares one (production then waits for an approval),
   else of the production stage.

Tags are only made here; the workflow pushes them (`make push-tags`, after `dvc push`)
and releases the version with the model card (`make release`). Writes build/promote/:
promotion.json, tags.txt (the tags to push), report.md (the comparison), model-card.md;
in GitHub Actions, step outputs too.
"""

from __future__ import annotations

import time

from .. import dvc, paths
from ..config import Lifecycle, check_gate, load_lifecycle, load_params
from ..errors import ProjectError
from ..git import commit_of, head, is_ancestor
from ..github import step_outputs
from ..outputs import write_json, write_text
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
from ..review.report import render
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


def main(base: str | None = None) -> None:
    """The `promote` command: see the module's docstring. ``base``: the commit to compare
    with besides production (default: the previous commit of main)."""
    lifecycle = load_lifecycle()
    name, production_stage = lifecycle.model.name, lifecycle.promotion.stage
    stage = lifecycle.promotion.staging or production_stage  # the one assigned here
    commit = head()
    write_text("", paths.TAGS)
    outputs({"version": "", "tag": "", "stage": "", "approval": "false"})

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
        # a re-run: no new tag; the outputs let the workflow finish what it had not
        print(f"promote: {mine.version} (this commit) was promoted before; no new tag")
        record(name, mine, stage, previous(name, production_stage, mine), None, lifecycle)
        return
    built = dvc.md5_of(paths.MODEL)
    why_not = superseded(production_stage, commit, production, built)
    if why_not:
        print(f"promote: {why_not}")
        return
    found = judge(base or commit_of("HEAD^") or commit, commit, production, lifecycle, freshness)

    gate_record = (
        f"{GATE_RECORD} on {commit[:7]}: {len(found)} criteria, against "
        + (f"production {production.version}" if production else "no production version")
        + shipped_lines(remade)
    )
    version = mine or register(name, commit, lifecycle.promotion.bump, gate_record)
    made = ([] if mine else [f"{name}@{version.version}"]) + put(name, stage, version)
    write_text("".join(f"{tag}\n" for tag in made), paths.TAGS)
    record(name, version, stage, production, found, lifecycle)
    waiting = f"; {production_stage} after approval" if lifecycle.promotion.staging else ""
    print(f"promote: {name} {version.version} -> {stage}{waiting} (tags: {', '.join(made)})")
