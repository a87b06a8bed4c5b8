"""The pull-request report: the comparison and the gate's verdict, as Markdown.

``render`` only renders what compare.py, gate.py and changes.py found. ``main`` is the
`report` command, run after `lock-check` and `dvc repro` (`make pr-report` does all
three): it writes build/pr/report.md (GitHub-flavoured Markdown, under GitHub's comment
limit), build/pr/result.json (read by `gate`), build/pr/pull-request.json and, when DVC
can render it, build/pr/plots/index.html (`dvc plots diff` against the base).
"""

from __future__ import annotations

import platform
import time
from importlib.metadata import version

import numpy as np

from .. import dvc, paths
from ..config import HIGHER_IS_BETTER, Gate, check_gate, load_lifecycle, load_params
from ..errors import ProjectError
from ..git import merge_base
from ..github import job_summary
from ..markdown import MISSING, code, codes, cut, number, table
from ..outputs import write_json, write_text
from .changes import Changes, since
from .compare import Baseline, Comparison, compare
from .gate import Criterion, criteria, rule_text, write_result
from .lockcheck import recorded

COMMENT_LIMIT = 65_536  # GitHub's limit for a comment body, in characters
LIST_LIMIT = 40  # rows of a "what changed" list before it is cut
COLOURS = ["#2563eb", "#f59e0b", "#6b7280"]  # this PR, production, base


def render(
    comparison: Comparison,
    found: list[Criterion],
    gate: Gate,
    changes: Changes,
    freshness: dict,
    reproduce_with: list[str],
    seconds: float,
) -> str:
    """The whole report: the verdict first, then the metrics, what changed, a chart, how
    to reproduce it, and the versions it ran with."""
    warnings = (changes.profile_after or {}).get("warnings", [])
    sections = [
        verdict(found, changes.gate, comparison.baselines, warnings),
        metrics_table(gate, comparison),
        what_changed(changes, freshness),
        chart(comparison),
        reproduce(reproduce_with),
        details(seconds, comparison.rows),
    ]
    return fit("\n\n".join(section for section in sections if section) + "\n")


# sections ------------------------------------------------------------------------------


def verdict(
    found: list[Criterion],
    edits_gate: bool,
    baselines: list[Baseline],
    warnings: list[str] = (),
) -> str:
    failed = [criterion for criterion in found if not criterion.passed]
    outcome = "❌ Model report: the gate fails" if failed else "✅ Model report: the gate passes"
    lines = [f"## {outcome}", ""]
    if warnings:
        lines += ["> [!CAUTION]", "> Likely leaks in the training data (prepare):"]
        lines += [f"> - {warning}" for warning in warnings]
        lines.append("")
    if edits_gate:
        lines += [
            "> [!WARNING]",
            "> This pull request changes the promotion gate (`lifecycle.yaml`, `gate:`). "
            "Review the new thresholds: they decide what reaches production.",
            "",
        ]
    lines += [f"- ❌ {criterion.reason}" for criterion in failed]
    if not failed:
        lines.append(f"All {len(found)} criteria of the gate in `lifecycle.yaml` pass.")
    for other in baselines:
        if other.recorded is None:
            lines.append(f"- First run for {other.role}: {other.note or 'nothing to compare'}.")
    return "\n".join(lines)


def delta_cell(metric: str, new: float, other: Baseline) -> str:
    old = other.value(metric)
    if old is None:
        return MISSING
    delta = other.mine.get(metric, new) - old  # on the rows both were scored on
    better = delta > 0 if metric in HIGHER_IS_BETTER else delta < 0
    arrow = "" if delta == 0 else " 🟢" if better else " 🔴"
    text = f"{delta:+.4f}{arrow}"
    interval = other.intervals.get(metric)
    if interval == (0.0, 0.0) and delta == 0:
        return "±0 (same predictions)"
    if interval and not any(np.isnan(interval)):
        text += f" [{interval[0]:+.4f}, {interval[1]:+.4f}]"
        if interval[0] <= 0 <= interval[1]:
            text += " *within noise*"
    elif metric in (other.recorded or {}):
        text += " (recorded)"
    return text


def label(other: Baseline) -> str:
    return code(other.label) if other.commit else MISSING


def metrics_table(gate: Gate, comparison: Comparison) -> str:
    production, base = comparison.baselines
    rows = comparison.rows
    lines = ["### Metrics", ""]
    same = [other.role for other in comparison.baselines if other.scores]
    lines.append(
        f"Every model scored on this pull request's {rows:,} test rows ({', '.join(same)}); "
        "Δ is this PR minus the other, with its paired 95% interval."
        if same
        else f"This PR's model scored on its {rows:,} test rows."
    )
    lines += [f"{o.role.capitalize()}: {o.note}." for o in comparison.baselines if o.note]
    for other in comparison.baselines:
        if other.left_out and other.rows is not None:
            lines.append(
                f"{other.role.capitalize()} compared on {len(other.rows):,} of these rows: "
                f"{other.left_out:,} it trained on are left out (on both sides of its Δ)."
            )
    if comparison.positive is not None:
        positive = comparison.labels[comparison.positive]
        lines.append(
            f"Positive class: {code(positive)} (precision, recall, F1 and ROC AUC are of it; "
            "params.yaml: prepare.positive_class)."
        )
    header = [
        "Metric",
        f"Production {label(production)}",
        f"Base {label(base)}",
        "This PR",
        "Δ vs production [95% CI]",
        "Δ vs base [95% CI]",
        "Gate",
    ]
    cells = [
        [
            f"{metric} {'↑' if metric in HIGHER_IS_BETTER else '↓'}",
            number(production.value(metric)),
            number(base.value(metric)),
            f"**{value:.4f}**",
            delta_cell(metric, value, production),
            delta_cell(metric, value, base),
            rule_text(gate.metrics.get(metric)),
        ]
        for metric, value in comparison.scores.items()
    ]
    lines += ["", *table(header, cells, align="lrrrlll")]
    return "\n".join(lines)


def what_changed(changes: Changes, freshness: dict) -> str:
    lines = ["### What changed", ""]
    if changes.params:
        rows = [[code(key), code(old), code(new)] for key, old, new in changes.params]
        lines += cut(table(["Parameter", "Base", "This PR"], rows), LIST_LIMIT + 2)
    else:
        lines.append("No parameter changed.")
    lines += ["", "**Code and data** (stage dependencies in `dvc.lock`):"]
    files = [f"- {code(stage)}: {codes(found)}" for stage, found in changes.files.items()]
    lines += cut(files, LIST_LIMIT) or ["- nothing changed"]
    for stage, reasons in freshness.get("stale", {}).items():
        lines.append(f"- ⚠️ stage {code(stage)} had to run: {', '.join(reasons)}")
    if changes.profile_after:
        lines += ["", "**Data**: " + dataset_line(changes.profile_before, changes.profile_after)]
    return "\n".join(lines)


def dataset_line(before: dict | None, after: dict) -> str:
    rows = after["rows"]
    text = f"{rows['train']:,} training and {rows['test']:,} test rows from {after['source']}"
    if before is None:
        return text + " (no profile on the base to compare)."
    if before["rows"] != rows:
        text += f" (base: {before['rows']['train']:,} and {before['rows']['test']:,})"
    old, new = before["columns"], after["columns"]
    schema = [f"added {code(c)}" for c in new if c not in old]
    schema += [f"removed {code(c)}" for c in old if c not in new]
    schema += [f"{code(c)} {old[c]} → {new[c]}" for c in new if c in old and old[c] != new[c]]
    return text + (". Schema: " + "; ".join(schema[:LIST_LIMIT]) if schema else "; same schema.")


def chart(comparison: Comparison) -> str:
    """A Mermaid chart GitHub renders inside the comment: no image is uploaded anywhere.
    Binary classification: the ROC curves; regression: the mean prediction per decile of
    the actual value. Multiclass gets none."""
    everything = np.arange(comparison.rows)
    models = [("this PR", comparison.predictions, everything)] + [
        (f"{other.role} {other.label}", comparison.scored[other.role], other.rows)
        for other in comparison.baselines
        if other.role in comparison.scored
    ]
    legend = " · ".join(
        f"{name} ({colour})" for (name, *_), colour in zip(models, COLOURS, strict=False)
    )
    actual, labels, positive = comparison.actual, comparison.labels, comparison.positive
    if labels:
        from sklearn.metrics import roc_curve

        grid = np.linspace(0, 1, 21)
        lines = []
        for _, predictions, rows in models:
            truth = actual.iloc[rows].to_numpy()
            if positive is not None:  # binary: the positive class's curve
                truth, score = truth == labels[positive], predictions.probabilities[:, positive]
            else:  # multiclass: micro-averaged over the classes
                truth = (truth[:, None] == np.asarray(labels)[None, :]).ravel()
                score = predictions.probabilities.ravel()
            fpr, tpr, _ = roc_curve(truth, score)
            values = np.interp(grid, fpr, tpr)
            lines.append("    line [" + ", ".join(f"{value:.3f}" for value in values) + "]")
        title = "ROC curve on this PR's test rows"
        if positive is None:
            title += " (micro-averaged over the classes)"
        x_axis = "false positive rate"
        y_axis = '"true positive rate" 0 --> 1'
        ticks = grid
    else:
        truth = actual.to_numpy()
        deciles = np.array_split(np.argsort(truth, kind="stable"), 10)
        lines = ["    line [" + ", ".join(f"{truth[part].mean():.3f}" for part in deciles) + "]"]
        for _, predictions, rows in models:
            values = np.full(len(truth), np.nan)
            values[rows] = predictions.predicted.to_numpy()
            filled = [values[part][np.isfinite(values[part])] for part in deciles]
            means = ", ".join(
                f"{(part if part.size else values[rows]).mean():.3f}" for part in filled
            )
            lines.append(f"    line [{means}]")
        legend = "actual (first line) · " + legend
        title = "Mean prediction per decile of the actual value"
        x_axis, y_axis = "decile of the actual value", '"mean value"'
        ticks = np.arange(1, 11)
    palette = ", ".join(COLOURS[: len(lines)])
    return "\n".join(
        [
            "### Plots",
            "",
            "```mermaid",
            "---",
            "config:",
            "  themeVariables:",
            "    xyChart:",
            f'      plotColorPalette: "{palette}"',
            "---",
            "xychart-beta",
            f'    title "{title}"',
            f'    x-axis "{x_axis}" [' + ", ".join(f"{tick:g}" for tick in ticks) + "]",
            f"    y-axis {y_axis}",
            *lines,
            "```",
            "",
            f"Lines: {legend}. The full DVC plots against the base are in the "
            "`pr-report` artifact (`plots/index.html`).",
        ]
    )


def reproduce(commands: list[str]) -> str:
    return "\n".join(["### Reproduce locally", "", "```bash", *commands, "```"])


def pr_commands(base: str, pull_request: str) -> list[str]:
    """The commands that reproduce a pull request's report on a laptop."""
    fetch = (
        f"git fetch origin pull/{pull_request}/head && git checkout FETCH_HEAD"
        if pull_request
        else "git checkout <this branch>"
    )
    return [
        fetch,
        "make install",
        f"make pr-report BASE={base} REPRO_FLAGS=--pull   # --pull: reuse what CI computed",
    ]


def details(seconds: float, rows: int) -> str:
    packages = ["dvc", "gto", "scikit-learn", "pandas", "numpy", "scipy"]
    found = ", ".join(f"{name} {version(name)}" for name in packages)
    return "\n".join(
        [
            "<details><summary>Versions and runtimes</summary>",
            "",
            f"- Python {platform.python_version()} on {platform.system()}; {found}",
            f"- Report and gate: {seconds:.1f} s for {rows:,} test rows "
            "(intervals: 1,000 paired Poisson-bootstrap resamples; DeLong for ROC AUC)",
            "</details>",
        ]
    )


def fit(text: str) -> str:
    """Keep the report under GitHub's comment limit; the artifact keeps everything."""
    limit = COMMENT_LIMIT - 200
    if len(text) <= limit:
        return text
    return text[:limit] + "\n\n…cut to fit a GitHub comment; the full report is in the artifact.\n"


# the command ---------------------------------------------------------------------------


def build(base: str, pull_request: str) -> tuple[str, list[Criterion]]:
    """Compare, gate and render, for this checkout against ``base``."""
    from ..registry import holder

    started = time.perf_counter()
    lifecycle = load_lifecycle()
    params = load_params()
    commit = merge_base(base)
    freshness = recorded()
    plots = dvc.plots_diff(commit, paths.REPORT_PLOTS)
    try:
        production = holder(lifecycle.model.name, lifecycle.promotion.stage)
        comparison = compare(commit, production, params.base.seed)
        check_gate(lifecycle.gate, comparison.problem_type, paths.LIFECYCLE)
        found = criteria(lifecycle.gate, comparison, freshness, dvc.remote_configured())
        changes = since(commit)
        seconds = time.perf_counter() - started
        commands = pr_commands(base, pull_request)
        text = render(comparison, found, lifecycle.gate, changes, freshness, commands, seconds)
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
        text, found = build(base, pull_request)
    except ProjectError as error:
        # Still leave a report, so the comment and the summary say what is wrong.
        found = [Criterion("report", False, str(error).replace("\n", "; "))]
        publish(verdict(found, False, []) + "\n", found)
        raise
    outcome = "passes" if publish(text, found) else "fails"
    print(f"report: {paths.REPORT} ({len(text):,} characters); the gate {outcome}")
