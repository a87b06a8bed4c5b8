"""The pull-request report: this PR's model against production and base, and the verdict.

Run after `lock-check` and `dvc repro` (`make pr-report` does all three). Writes
build/pr/report.md (GitHub-flavoured Markdown, under GitHub's comment limit),
build/pr/result.json (read by `gate`), build/pr/pull-request.json and, when DVC can
render it, build/pr/plots/index.html (`dvc plots diff` against the base).
"""

import argparse
import json
import platform
import subprocess
import time
from importlib.metadata import version

import numpy as np
import pandas as pd

from . import paths
from .compare import (
    Baseline,
    baseline,
    changed_files,
    changed_params,
    data_profile,
    gate_changed,
    merge_base,
    recorded_metrics,
)
from .config import load_lifecycle, load_params
from .data import read_split
from .errors import ProjectError
from .evaluate import predict, scores
from .gate import (
    HIGHER_IS_BETTER,
    Criterion,
    freshness_criterion,
    metric_criteria,
    reproducibility_criterion,
    rule_text,
    write_result,
)
from .github import job_summary
from .lockcheck import recorded
from .model import load
from .registry import holder
{%- if cookiecutter.problem_type == "classification" %}
from .stats import auc_interval, paired_intervals, row_sums
{%- else %}
from .stats import paired_intervals, row_sums
{%- endif %}

COMMENT_LIMIT = 65_536  # GitHub's limit for a comment body, in characters
LIST_LIMIT = 40  # rows of a "what changed" list before it is cut
COLOURS = ["#2563eb", "#f59e0b", "#6b7280"]  # this PR, production, base
{%- if cookiecutter.problem_type == "classification" %}


def score(actual: pd.Series, predicted: pd.Series, probabilities, labels: list):
    """(metrics, per-row sums for intervals) of one model's predictions on these rows."""
    return (
        scores(actual, predicted, probabilities, labels),
        row_sums(actual, predicted, probabilities, labels),
    )


def from_table(table: pd.DataFrame, actual: pd.Series, labels: list):
    """(predicted, probabilities) from an eval/predictions.parquet, or None when that
    table is not for these rows and classes."""
    columns = [f"proba_{label}" for label in labels]
    if not table.index.equals(actual.index) or not set(columns) <= set(table.columns):
        return None
    return table["predicted"], table[columns].to_numpy()
{%- else %}


def score(actual: pd.Series, predicted: pd.Series, _probabilities, _labels: list):
    """(metrics, per-row sums for intervals) of one model's predictions on these rows."""
    return scores(actual, predicted), row_sums(actual, predicted)


def from_table(table: pd.DataFrame, actual: pd.Series, _labels: list):
    """(predicted, None) from an eval/predictions.parquet, or None when that table is
    not for these rows."""
    return (table["predicted"], None) if table.index.equals(actual.index) else None
{%- endif %}


def on_these_rows(other: Baseline, model, features: pd.DataFrame, actual: pd.Series, labels):
    """A baseline's (predicted, probabilities) on this PR's rows: the predictions it made
    on them itself, else its model's; None, with the reason in its note, without either."""
    if other.own_predictions is not None:
        found = from_table(other.own_predictions, actual, labels)
        if found is None:
            other.note = "its predictions do not match this PR's rows; recorded metrics compared"
        return found
    if other.model is None:
        return None
    missing = [name for name in other.model.features if name not in features.columns]
    if other.model.target != model.target or missing:
        why = f"columns {', '.join(missing[:5])} are gone" if missing else "the target changed"
        other.note = f"cannot score this PR's rows ({why}); recorded metrics compared"
        return None
{%- if cookiecutter.problem_type == "classification" %}
    if list(other.model.estimator.classes_) != labels:
        other.note = "its classes differ from this PR's; recorded metrics compared"
        return None
{%- endif %}
    return predict(other.model, features[list(other.model.features)])


def remote_configured() -> bool:
    """Whether DVC has a default remote (.dvc/config, or config.local)."""
    from dvc.repo import Repo

    with Repo() as repo:
        return bool(repo.config["core"].get("remote"))


def build(arguments: argparse.Namespace) -> tuple[str, list[Criterion]]:
    started = time.perf_counter()
    lifecycle = load_lifecycle()
    params = load_params()
    commit = merge_base(arguments.base)
    plots = plots_diff(commit)
    model = load(paths.MODEL)
    features, actual = read_split(paths.TEST, model.target)
{%- if cookiecutter.problem_type == "classification" %}
    labels = list(model.estimator.classes_)
{%- else %}
    labels = []
{%- endif %}
    # After `dvc repro`, eval/predictions.parquet holds this model's predictions on
    # these rows: nothing to predict again.
    own = pd.read_parquet(paths.PREDICTIONS) if paths.PREDICTIONS.is_file() else None
    pr_predictions = from_table(own, actual, labels) if own is not None else None
    if pr_predictions is None:
        pr_predictions = predict(model, features[list(model.features)])
    pr_scores, pr_rows = score(actual, *pr_predictions, labels)

    found = holder(lifecycle.model.name, lifecycle.promotion.stage)
    baselines = [
        baseline("production", found.version, found.commit)
        if found
        else baseline("production", "none", None, note="no version in production yet"),
        baseline("base", commit[:7], commit),
    ]
    predictions = {}
    for other in baselines:
        if (pair := on_these_rows(other, model, features, actual, labels)) is not None:
            predictions[other.role] = pair
    scored = [other for other in baselines if other.role in predictions]
    rows = []
    for other in scored:
        other.scores, sums = score(actual, *predictions[other.role], labels)
        rows.append(sums)
    for other, intervals in zip(
        scored, paired_intervals(pr_rows, rows, params.base.seed), strict=True
    ):
        other.intervals = intervals
{%- if cookiecutter.problem_type == "classification" %}
    if len(labels) == 2:
        truth = (actual == labels[1]).to_numpy()
        for other in scored:
            other.intervals["roc_auc"] = auc_interval(
                truth, pr_predictions[1][:, 1], predictions[other.role][1][:, 1]
            )
{%- endif %}

    freshness = recorded()
    obtained = json.loads(paths.METRICS.read_text(encoding="utf-8"))
    criteria = [freshness_criterion(freshness, remote_configured())]
    if freshness.get("fresh"):  # a stale lock's metrics differ anyway: one failure, one fix
        tolerance = lifecycle.gate.reproducibility_tolerance
        criteria.append(reproducibility_criterion(recorded_metrics("HEAD"), obtained, tolerance))
    criteria += metric_criteria(lifecycle.gate, pr_scores, baselines)
    sections = [
        verdict(criteria, gate_changed(commit), baselines),
        metrics_table(lifecycle.gate, pr_scores, baselines, len(actual)),
        changes(commit, freshness),
        chart(actual, pr_predictions, predictions, baselines),
        reproduce(arguments),
        details(started, len(actual)),
    ]
    plots.wait()
    return fit("\n\n".join(section for section in sections if section) + "\n"), criteria


# sections ------------------------------------------------------------------------------


def verdict(criteria: list[Criterion], edits_gate: bool, baselines: list[Baseline]) -> str:
    failed = [criterion for criterion in criteria if not criterion.passed]
    outcome = "❌ Model report: the gate fails" if failed else "✅ Model report: the gate passes"
    head = f"## {outcome}"
    lines = [head, ""]
    if edits_gate:
        lines += [
            "> [!WARNING]",
            "> This pull request changes the promotion gate (`lifecycle.yaml`, `gate:`). "
            "Review the new thresholds: they decide what reaches production.",
            "",
        ]
    lines += [f"- ❌ {criterion.reason}" for criterion in failed]
    if not failed:
        lines.append(f"All {len(criteria)} criteria of the gate in `lifecycle.yaml` pass.")
    for other in baselines:
        if other.recorded is None:
            lines.append(f"- First run for {other.role}: {other.note or 'nothing to compare'}.")
    return "\n".join(lines)


def number(value: float | None) -> str:
    return "—" if value is None or np.isnan(value) else f"{value:.4f}"


def delta_cell(metric: str, new: float, other: Baseline) -> str:
    old = other.value(metric)
    if old is None:
        return "—"
    delta = new - old
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
    return f"`{other.label}`" if other.commit else "—"


def metrics_table(gate, pr_scores: dict, baselines: list[Baseline], rows: int) -> str:
    production, base = baselines
    lines = ["### Metrics", ""]
    same = [other.role for other in baselines if other.scores]
    lines.append(
        f"Every model scored on this pull request's {rows:,} test rows ({', '.join(same)}); "
        "Δ is this PR minus the other, with its paired 95% interval."
        if same
        else f"This PR's model scored on its {rows:,} test rows."
    )
    lines += [f"{other.role.capitalize()}: {other.note}." for other in baselines if other.note]
    lines += [
        "",
        f"| Metric | Production {label(production)} | Base {label(base)} | This PR "
        "| Δ vs production [95% CI] | Δ vs base [95% CI] | Gate |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for metric, value in pr_scores.items():
        direction = "↑" if metric in HIGHER_IS_BETTER else "↓"
        olds = [other.value(metric) for other in baselines]
        lines.append(
            f"| {metric} {direction} | {number(olds[0])} | {number(olds[1])} | **{value:.4f}** "
            f"| {delta_cell(metric, value, production)} | {delta_cell(metric, value, base)} "
            f"| {rule_text(gate.metrics.get(metric))} |"
        )
    return "\n".join(lines)


def code(text: str) -> str:
    return f"`{text}`"


def cut(items: list[str]) -> list[str]:
    if len(items) <= LIST_LIMIT:
        return items
    return [*items[:LIST_LIMIT], f"- … and {len(items) - LIST_LIMIT} more"]


def changes(commit: str, freshness: dict) -> str:
    lines = ["### What changed", ""]
    params = changed_params(commit)
    if params:
        lines += ["| Parameter | Base | This PR |", "|---|---|---|"]
        lines += cut([f"| `{key}` | `{old}` | `{new}` |" for key, old, new in params])
    else:
        lines.append("No parameter changed.")
    files = changed_files(commit)
    lines += ["", "**Code and data** (stage dependencies in `dvc.lock`):"]
    lines += cut([f"- `{stage}`: {', '.join(map(code, found))}" for stage, found in files.items()])
    if not files:
        lines.append("- nothing changed")
    for stage, reasons in freshness.get("stale", {}).items():
        lines.append(f"- ⚠️ stage `{stage}` had to run: {', '.join(reasons)}")
    before, after = data_profile(commit), data_profile(None)
    if after:
        lines += ["", "**Data**: " + dataset_line(before, after)]
    return "\n".join(lines)


def dataset_line(before: dict | None, after: dict) -> str:
    rows = after["rows"]
    text = f"{rows['train']:,} training and {rows['test']:,} test rows from {after['source']}"
    if before is None:
        return text + " (no profile on the base to compare)."
    if before["rows"] != rows:
        text += f" (base: {before['rows']['train']:,} and {before['rows']['test']:,})"
    old, new = before["columns"], after["columns"]
    schema = [f"added `{c}`" for c in new if c not in old]
    schema += [f"removed `{c}`" for c in old if c not in new]
    schema += [f"`{c}` {old[c]} → {new[c]}" for c in new if c in old and old[c] != new[c]]
    return text + (". Schema: " + "; ".join(schema[:LIST_LIMIT]) if schema else "; same schema.")


def chart(actual: pd.Series, pr_predictions, predictions: dict, baselines: list[Baseline]) -> str:
    """A Mermaid chart GitHub renders inside the comment: no image is uploaded anywhere."""
    models = [("this PR", pr_predictions)] + [
        (f"{other.role} {other.label}", predictions[other.role])
        for other in baselines
        if other.role in predictions
    ]
    legend = " · ".join(
        f"{name} ({colour})" for (name, _), colour in zip(models, COLOURS, strict=False)
    )
{%- if cookiecutter.problem_type == "classification" %}
    from sklearn.metrics import roc_curve

    labels = sorted(actual.unique().tolist())
    if len(labels) != 2:
        return ""
    grid = np.linspace(0, 1, 21)
    lines = []
    for _, (_, probabilities) in models:
        fpr, tpr, _ = roc_curve(actual == labels[1], probabilities[:, 1])
        values = np.interp(grid, fpr, tpr)
        lines.append("    line [" + ", ".join(f"{value:.3f}" for value in values) + "]")
    title, x_axis = "ROC curve on this PR's test rows", "false positive rate"
    y_axis = '"true positive rate" 0 --> 1'
    ticks = grid
{%- else %}
    order = np.argsort(actual.to_numpy(), kind="stable")
    deciles = np.array_split(order, 10)
    truth = actual.to_numpy()
    lines = ["    line [" + ", ".join(f"{truth[part].mean():.3f}" for part in deciles) + "]"]
    for _, (predicted, _) in models:
        values = predicted.to_numpy()
        means = ", ".join(f"{values[part].mean():.3f}" for part in deciles)
        lines.append(f"    line [{means}]")
    legend = "actual (first line) · " + legend
    title, x_axis = "Mean prediction per decile of the actual value", "decile of the actual value"
    y_axis = '"mean value"'
    ticks = np.arange(1, 11)
{%- endif %}
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


def reproduce(arguments: argparse.Namespace) -> str:
    fetch = (
        f"git fetch origin pull/{arguments.pull_request}/head && git checkout FETCH_HEAD"
        if arguments.pull_request
        else "git checkout <this branch>"
    )
    base = arguments.base
    return "\n".join(
        [
            "### Reproduce locally",
            "",
            "```bash",
            fetch,
            "make install",
            f"make pr-report BASE={base} REPRO_FLAGS=--pull   # --pull: reuse what CI computed",
            "```",
        ]
    )


def details(started: float, rows: int) -> str:
    packages = ["dvc", "gto", "scikit-learn", "pandas", "numpy", "scipy"]
    found = ", ".join(f"{name} {version(name)}" for name in packages)
    return "\n".join(
        [
            "<details><summary>Versions and runtimes</summary>",
            "",
            f"- Python {platform.python_version()} on {platform.system()}; {found}",
            f"- Report and gate: {time.perf_counter() - started:.1f} s for {rows:,} test rows "
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


def plots_diff(commit: str) -> subprocess.Popen:
    """Start rendering the full DVC plots of this PR against the base, as HTML for the
    artifact: it runs while the models are scored."""
    return subprocess.Popen(
        ["dvc", "plots", "diff", commit, "--out", str(paths.REPORT_DIR / "plots")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def publish(text: str, criteria: list[Criterion]) -> bool:
    """Write the report, the verdict and, in GitHub Actions, the job summary."""
    paths.REPORT.write_text(text, encoding="utf-8")
    job_summary(text)
    return write_result(criteria)


def main(arguments: argparse.Namespace) -> None:
    """Write the report and the verdict; see the module's docstring."""
    paths.REPORT_DIR.mkdir(parents=True, exist_ok=True)
    pull_request = {"number": arguments.pull_request, "head_sha": arguments.head_sha}
    paths.PULL_REQUEST.write_text(json.dumps(pull_request) + "\n", encoding="utf-8")
    try:
        text, criteria = build(arguments)
    except ProjectError as error:
        # Still leave a report, so the comment and the summary say what is wrong.
        criteria = [Criterion("report", False, str(error).replace("\n", "; "))]
        publish(verdict(criteria, False, []) + "\n", criteria)
        raise
    passed = publish(text, criteria)
    outcome = "passes" if passed else "fails"
    print(f"report: {paths.REPORT} ({len(text):,} characters); the gate {outcome}")
