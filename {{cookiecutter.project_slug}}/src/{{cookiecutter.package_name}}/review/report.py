"""The `report` command: compare, gate and render (render.py) a pull request's model.

Run after `lock-check` and `dvc repro` (`make pr-report` does all three): it writes
build/pr/report.md (GitHub-flavoured Markdown, under GitHub's comment limit),
build/pr/result.json (read by `gate`), build/pr/pull-request.json and, when DVC can
render it, build/pr/plots/index.html (`dvc plots diff` against the base).
"""

from __future__ import annotations

import time

from .. import dvc, paths
from ..config import check_gate, lifecycle_at, load_lifecycle, load_params
from ..errors import ProjectError
from ..git import merge_base
from ..github import job_summary
from ..outputs import write_json, write_text
from ..progress import Progress
from .changes import since
from .compare import compare
from .gate import Criterion, criteria, write_result
from .lockcheck import recorded
from .render import pr_commands, render, verdict


def build(base: str, pull_request: str) -> tuple[str, list[Criterion]]:
    """Compare, gate and render, for this checkout against ``base``."""
    from ..registry import holder

    started = time.perf_counter()
    lifecycle = load_lifecycle()
    params = load_params()
    commit = merge_base(base)
    # The pull request is judged by the gate it would merge into, not by its own edit.
    gate, where = lifecycle.gate, paths.LIFECYCLE
    if (based := lifecycle_at(commit)) is not None:
        gate, where = based.gate, f"{paths.LIFECYCLE}@{commit[:7]}"
    freshness = recorded()
    plots = dvc.plots_diff(commit, paths.REPORT_PLOTS)
    try:
        production = holder(lifecycle.model.name, lifecycle.promotion.stage)
        check_gate(gate, params.base.problem_type, where)
        comparison = compare(commit, production, params.base.seed, gate)
        found = criteria(gate, comparison, freshness, dvc.remote_configured())
        changes = since(commit)
        seconds = time.perf_counter() - started
        commands = pr_commands(base, pull_request)
        text = render(
            comparison, found, gate, changes, freshness, commands, seconds, judged_by_base=True
        )
    finally:
        plots.wait()
    return text, found


def publish(text: str, found: list[Criterion]) -> bool:
    """Write the report, the verdict and, in GitHub Actions, the job summary."""
    write_text(text, paths.REPORT)
    job_summary(text)
    return write_result(found)


def main(base: str, pull_request: str = "", head_sha: str = "") -> None:
    """The `report` command: write the report and the verdict (see the module's docstring)."""
    write_json({"number": pull_request, "head_sha": head_sha}, paths.PULL_REQUEST)
    try:
        with Progress("report", "comparing with production and base", heartbeat=True):
            text, found = build(base, pull_request)
    except ProjectError as error:
        # Still leave a report, so the comment and the summary say what is wrong.
        found = [Criterion("report", False, str(error).replace("\n", "; "))]
        publish(verdict(found, [], []) + "\n", found)
        raise
    outcome = "passes" if publish(text, found) else "fails"
    print(f"report: {paths.REPORT} ({len(text):,} characters); the gate {outcome}")
