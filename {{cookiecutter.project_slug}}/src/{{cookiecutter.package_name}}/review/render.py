"""The pull-request report as Markdown: the verdict first, what the test rows can
detect, the metrics table, the gate's chart, what changed, how to reproduce it, and the
versions it ran with.

It only renders what compare.py, gate.py and changes.py found (report.py runs them and
writes the files; the promotion renders its own comparison with it too), within
GitHub's comment limit.
"""

from __future__ import annotations

import platform
from importlib.metadata import version

from ..config import (
    HIGHER_IS_BETTER,
    Gate,
)
from ..evidence import (
    POWER,
    compared,
    detectable,
    passes_when_equal,
    regression_rules,
    tolerance,
    worsening_interval,
)
from ..markdown import MISSING, code, codes, cut, number, signed, table
from .changes import Changes
from .compare import Baseline, Comparison
from .gate import Criterion, percent_text, rule_text, ungated_worsenings
from .stats import RESAMPLES

COMMENT_LIMIT = 65_536  # GitHub's limit for a comment body, in characters
LIST_LIMIT = 40  # rows of a "what changed" list before it is cut
CHART_WIDTH = 41  # characters of the gate chart's axis
# Characters of a chart line at most: a comment is 760 px wide, and GitHub's code font
# takes 7.2 to 7.8 px a character. A comparison's name beside its bar is cut to fit.
CHART_LINE = 90
CHART_NAMES = CHART_LINE - 2 - CHART_WIDTH - 3


def render(
    comparison: Comparison,
    found: list[Criterion],
    gate: Gate,
    changes: Changes,
    freshness: dict,
    reproduce_with: list[str],
    seconds: float,
    judged_by_base: bool = False,
) -> str:
    """The whole report (``judged_by_base``: a pull request's, judged by its base
    branch's gate): the verdict first, what the test rows can show, the metrics, the
    gate's chart, what changed, how to reproduce it, and the versions it ran with."""
    sections = [
        verdict(found, changes.gate, comparison.baselines, judged_by_base),
        evidence(gate, comparison),
        metrics_table(gate, comparison, found),
        chart(gate, comparison, found),
        what_changed(changes, freshness),
        reproduce(reproduce_with),
        details(seconds, comparison),
    ]
    return fit("\n\n".join(section for section in sections if section) + "\n")


# sections ------------------------------------------------------------------------------


def verdict(
    found: list[Criterion],
    gate_edits: list[tuple[str, object, object]],
    baselines: list[Baseline],
    judged_by_base: bool = False,
) -> str:
    failed = [criterion for criterion in found if not criterion.passed]
    outcome = "❌ Model report: the gate fails" if failed else "✅ Model report: the gate passes"
    lines = [f"## {outcome}", ""]
    if gate_edits:
        applies = (
            "It is judged by the base branch's gate; the new one applies once merged, and "
            "needs the review of the owners `CODEOWNERS` names."
            if judged_by_base
            else "Review the new thresholds: they decide what reaches production."
        )
        lines += [
            "> [!WARNING]",
            f"> This change edits the promotion gate (`lifecycle.yaml`). {applies}",
        ]
        lines += [f"> - `{key}`: {old!r} → {new!r}" for key, old, new in gate_edits]
        lines.append("")
    lines += [f"- ❌ {criterion.reason}" for criterion in failed]
    if not failed:
        lines.append(f"All {len(found)} criteria of the gate in `lifecycle.yaml` pass.")
    lines += [f"- ⚪ {criterion.note}" for criterion in found if criterion.note]
    for other in baselines:
        if other.recorded is None:
            lines.append(f"- First run for {other.role}: {other.note or 'nothing to compare'}.")
    return "\n".join(lines)


def evidence(gate: Gate, comparison: Comparison) -> str:
    """Below the verdict: worsenings the gate does not judge, and, per gated worsening,
    what these test rows can show."""
    lines = [f"- 🔴 Not gated: {text}." for text in ungated_worsenings(gate, comparison)]
    others = compared(comparison.baselines)
    rules = regression_rules(gate)
    if not rules or not any(other.intervals for other in others):
        return "\n".join(lines)
    level = percent_text(comparison.level)
    tests = comparison.tests
    if gate.regression_test == "significant":
        shared = (
            f"The gate's {tests} comparisons share `gate.error_rate` "
            f"({percent_text(gate.error_rate)}) by Holm's step-down: the one most clearly "
            f"beyond its allowance is tested at {percent_text((1 - comparison.level) / 2)} "
            f"(the table's {level} intervals), the next at "
            f"{percent_text(gate.error_rate)} / {tests - 1}, and so on; a failed criterion "
            "states its level and its interval there."
            if tests > 1
            else f"It is tested at {percent_text(gate.error_rate)} (`gate.error_rate`)."
        )
        head = (
            f"A worsening fails when its interval shows it beyond its allowance. {shared} "
            f"A model exactly at its allowances fails at most {percent_text(gate.error_rate)} "
            f"of the time. With {POWER:.0%} power, these {comparison.rows:,} test rows "
            "detect a worsening of (a model that much worse, with the spread of its own "
            "errors):"
        )
    elif gate.regression_test == "non_inferiority":
        head = (
            f"Non-inferiority: a metric passes only when its {level} interval shows the "
            f"worsening within its allowance. On these {comparison.rows:,} test rows, a "
            "model exactly as good as its baseline passes:"
        )
    else:
        head = (
            "The estimate alone decides (`gate.regression_test: point`). With "
            f"{POWER:.0%} power, these {comparison.rows:,} test rows detect a worsening of:"
        )
    items, short = [], False
    for metric in rules:
        rule = gate.metrics[metric]
        for other in others:
            old, estimate = other.value(metric), other.intervals.get(metric)
            if old is None or estimate is None or not estimate.known:
                continue
            allowed, text = tolerance(rule, old)
            if gate.regression_test == "non_inferiority":
                share = passes_when_equal(metric, estimate, allowed)
                items.append(f"`{metric}` vs {other.name}: {share:.0%} of the time")
                short |= share < POWER
                continue
            rows = comparison.rows if other.rows is None else len(other.rows)
            smallest = detectable(gate, metric, estimate, allowed, old, rows)
            beyond = smallest > 2 * allowed
            short |= beyond
            items.append(
                f"`{metric}` vs {other.name}: {smallest:.4f} (allowed: {text})"
                + (" ⚠️" if beyond else "")
            )
    if not items:
        return "\n".join(lines)
    lines += ["", "> [!NOTE]", f"> {head}"]
    lines += [f"> - {item}" for item in items]
    if short:
        lines.append(
            "> ⚠️ These rows cannot tell a worsening of twice the allowance from none"
            if gate.regression_test != "non_inferiority"
            else "> ⚠️ Most models as good as their baseline fail here"
        )
        lines[-1] += (
            ": a pass means no worsening beyond the allowance was shown, not that there is "
            "none. More test rows narrow the intervals (params.yaml: `prepare.test_size`)."
            if gate.regression_test != "non_inferiority"
            else ": the intervals are wider than the allowance. More test rows narrow them "
            "(params.yaml: `prepare.test_size`)."
        )
    return "\n".join(lines).strip("\n")


def delta_cell(metric: str, new: float, other: Baseline) -> str:
    """Δ (this PR minus the baseline, on the rows both were scored on) with its interval;
    🔴 or 🟢 when the interval shows it worse or better."""
    if other.value(metric) is None:
        return MISSING
    if other.identical:
        return "±0 (same predictions)"
    delta = change(metric, new, other)
    text = signed(delta)
    estimate = other.intervals.get(metric)
    if estimate is not None and estimate.known:
        low, high = worsening_interval(metric, estimate)
        text = delta_text(delta, estimate)
        text += " 🔴" if low > 0 else " 🟢" if high < 0 else ""
    else:
        text += " (no interval)"
    if not other.scores:
        text += " (recorded)"
    return text


def change(metric: str, new: float, other: Baseline) -> float:
    """Δ, the one signed difference the report shows (its table and its chart): this PR
    minus the baseline, in the metric's own units, on the rows both were scored on."""
    return other.mine.get(metric, new) - other.value(metric)


def delta_text(delta: float, estimate) -> str:
    """Δ with its interval, e.g. "-0.0010 [-0.0040, +0.0020]"."""
    return f"{signed(delta)} [{signed(estimate.low)}, {signed(estimate.high)}]"


def label(other: Baseline) -> str:
    return code(other.label) if other.commit else MISSING


def gate_cell(metric: str, rule, found: list[Criterion]) -> str:
    """The metric's rule, with ✅ or ❌ when it has one."""
    if rule is None:
        return ""
    mine = [criterion for criterion in found if criterion.metric == metric]
    mark = " ❌" if any(not c.passed for c in mine) else " ✅" if mine else ""
    return rule_text(rule) + mark


def metrics_table(gate: Gate, comparison: Comparison, found: list[Criterion] = ()) -> str:
    production, base = comparison.baselines
    rows = comparison.rows
    level = percent_text(comparison.level)
    lines = ["### Metrics", ""]
    same = [other.role for other in comparison.baselines if other.scores]
    lines.append(
        f"Every model scored on this pull request's {rows:,} test rows ({', '.join(same)}); "
        f"Δ is this PR minus the other, with its paired {level} interval "
        "(🔴 shown worse, 🟢 shown better)."
        if same
        else f"This PR's model scored on its {rows:,} test rows."
    )
    if any(not other.scores and other.intervals for other in comparison.baselines):
        lines.append(
            "A baseline compared by its recorded metrics (measured on other rows) gets an "
            "unpaired interval, its standard error taken as this PR's model's at its "
            "number of test rows."
        )
    if comparison.structure.kind != "rows":
        lines.append(
            f"Δ's intervals {comparison.structure.describe()} (params.yaml: prepare.split)."
        )
    if comparison.small_classes:
        shown = ", ".join(code(label) for label in comparison.small_classes[:10])
        lines.append(
            f"Too few rows to measure: class {shown} has one test row. It still counts in "
            "the macro averages, as scikit-learn's do, but its share of their intervals is "
            "modelled, not measured (its rates': Agresti and Min's; its ROC AUC's: Hanley "
            "and McNeil's)."
        )
    lines += [f"{o.role.capitalize()}: {o.note}." for o in compared_or_noted(comparison)]
    for other in comparison.baselines:
        if other.left_out and other.rows is not None and other.same_as != "production":
            lines.append(
                f"{other.name.capitalize()} compared on {len(other.rows):,} of these rows: "
                f"{other.left_out:,} it trained on are left out (on both sides of its Δ). "
                f"Its column is on those {len(other.rows):,} rows, this PR's on all "
                f"{rows:,}: the two differ by more than the Δ."
            )
    if comparison.positive is not None:
        positive = comparison.labels[comparison.positive]
        lines.append(
            f"Positive class: {code(positive)} (precision, recall, F1 and ROC AUC are of it; "
            "params.yaml: prepare.positive_class)."
        )
    one = bool(production.same_as)
    header = ["Metric"]
    if one:
        header += [f"Production = base {label(production)}", "This PR", f"Δ [{level} CI]"]
    else:
        header += [
            f"Production {label(production)}",
            f"Base {label(base)}",
            "This PR",
            f"Δ vs production [{level} CI]",
            f"Δ vs base [{level} CI]",
        ]
    header.append("Gate")
    cells = []
    for metric, value in comparison.scores.items():
        row = [f"{metric} {'↑' if metric in HIGHER_IS_BETTER else '↓'}"]
        if one:
            row += [number(production.value(metric)), f"**{value:.4f}**"]
            row.append(delta_cell(metric, value, production))
        else:
            row += [number(production.value(metric)), number(base.value(metric))]
            row.append(f"**{value:.4f}**")
            row += [delta_cell(metric, value, production), delta_cell(metric, value, base)]
        row.append(gate_cell(metric, gate.metrics.get(metric), found))
        cells.append(row)
    align = "lrrlll" if one else "lrrrlll"
    lines += ["", *table(header, cells, align=align)]
    return "\n".join(lines)


def compared_or_noted(comparison: Comparison) -> list[Baseline]:
    """The baselines with a note, once per commit."""
    return [o for o in comparison.baselines if o.note and o.same_as != "production"]


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
    for path, md5 in freshness.get("remade", {}).items():
        lines.append(
            f"- 🔁 CI made {code(path)} again with other bytes than `dvc.lock` records "
            f"(md5 {code(md5['built'][:12])} here, {code(md5['recorded'][:12])} committed): "
            "machines differ (threads, CPU, operating system); what this report compares is "
            "CI's, and merging ships CI's (README, \"Reproducibility\")"
        )
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


def chart(gate: Gate, comparison: Comparison, found: list[Criterion]) -> str:
    """Each gated comparison's Δ (this PR minus the baseline, as the metrics table shows
    it) with its interval, against its allowance, drawn in text (it reads the same in a
    comment, a job summary, an e-mail and a terminal): the axis is in units of the
    allowance, ┆ is no change, │ the allowance (left of ┆ where higher is better, right
    where lower is), ● the estimate. No line is longer than CHART_LINE."""
    bars = []
    for metric in regression_rules(gate):
        higher = metric in HIGHER_IS_BETTER
        for other in compared(comparison.baselines):
            old, estimate = other.value(metric), other.intervals.get(metric)
            if old is None or estimate is None or not estimate.known:
                continue
            allowed, text = tolerance(gate.metrics[metric], old)
            unit = allowed or estimate.se or 1.0
            delta = change(metric, comparison.scores[metric], other)
            bound = -allowed if higher else allowed
            judged = [c for c in found if c.name == f"{metric} vs {other.name}"]
            passed = all(c.passed for c in judged)
            low, high = estimate.low, estimate.high
            if judged and judged[0].interval:  # drawn at the level its Holm step tested it
                low, high = judged[0].interval
            limit = f"{'≥ -' if higher else '≤ +'}{text}" if allowed else ("≤ 0", "≥ 0")[higher]
            numbers = [
                f"{'✅' if passed else '❌'} Δ {signed(delta)} [{signed(low)}, {signed(high)}]"
                + (f" ({percent_text(judged[0].level)})" if judged and judged[0].level else "")
                + ";",
                f"allowed Δ {limit}",
            ]
            name = chart_name(metric, higher, other.name)
            scaled = (delta / unit, low / unit, high / unit, bound / unit)
            bars.append((name, *scaled, numbers))
    if not bars:
        return ""
    left = max(-5.0, min([-2.0] + [bar[2] for bar in bars]))
    right = min(5.0, max([2.0] + [bar[3] for bar in bars]))

    def at(x: float) -> int:
        x = min(max(x, left), right)
        return round((x - left) / (right - left) * (CHART_WIDTH - 1))

    names = max(len(bar[0]) for bar in bars)
    zero = at(0.0)
    axis = [" "] * CHART_WIDTH
    axis[zero] = "0"
    axis[at(-1.0) - 1 : at(-1.0) + 1] = "-1"
    axis[at(1.0) - 1 : at(1.0) + 1] = "+1"
    lines = [(" " * names + "  " + "".join(axis)).rstrip()]
    for name, delta, low, high, bound, numbers in bars:
        row = [" "] * CHART_WIDTH
        for x in range(at(low), at(high) + 1):
            row[x] = "─"
        row[zero], row[at(bound)] = "┆", "│"
        row[at(low)] = "◀" if low < left else "["
        row[at(high)] = "▶" if high > right else "]"
        row[at(delta)] = "●"
        lines.append(f"{name.ljust(names)}  {''.join(row)}".rstrip())
        together = "    " + " ".join(numbers)
        if len(together) <= CHART_LINE:
            lines.append(together)
        else:
            lines += ["    " + numbers[0], "      " + numbers[1]]
    level = percent_text(comparison.level)
    how = {
        "significant": "fails when the whole interval is past │ (each drawn at the level of "
        "its Holm step: the strictest for the one most clearly past, then less strict)",
        "non_inferiority": "passes only when the whole interval is short of │",
        "point": "fails when ● is past │",
    }[gate.regression_test]
    return "\n".join(
        [
            "### The gate's comparisons",
            "",
            f"Each Δ of the metrics table (this PR minus the baseline) with its interval "
            f"(the table's: {level}), in units of its allowance: ● is Δ, ┆ no change, │ the "
            "allowance. For a metric where higher is better (↑), worse is left and │ is left "
            "of ┆; where lower is better (↓), worse is right. A criterion "
            f"{how} (on the worse side).",
            "",
            "```text",
            *lines,
            "```",
            "",
            "The DVC plots against the base are in the `pr-report` artifact (`plots/index.html`).",
        ]
    )


def chart_name(metric: str, higher: bool, baseline: str) -> str:
    """A comparison's name in the chart, e.g. "accuracy ↑ vs production", its metric cut
    to fit CHART_NAMES."""
    rest = f" {'↑' if higher else '↓'} vs {baseline}"
    room = CHART_NAMES - len(rest)
    return (metric if len(metric) <= room else metric[: room - 1] + "…") + rest


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


METHODS = {
    "influence": "Student's t with each metric's own degrees of freedom, from each row's "
    "influence (the delta method; DeLong's for ROC AUC)",
    "floor": "for rates, Agresti and Min's paired adjustment where it is wider (few or no "
    "rows where the two models disagree, a class of one row)",
    "MOVER": "near 0 or 1, log-odds intervals combined (MOVER)",
    "logit": "near 0 or 1, on the log-odds scale",
    "bootstrap": f"without an influence, the paired Poisson bootstrap ({RESAMPLES:,} resamples)",
    "unpaired": "for recorded metrics, unpaired",
}


def details(seconds: float, comparison: Comparison) -> str:
    packages = ["dvc", "gto", "scikit-learn", "pandas", "numpy", "scipy"]
    found = ", ".join(f"{name} {version(name)}" for name in packages)
    methods = {
        estimate.method
        for other in comparison.baselines
        for estimate in other.intervals.values()
        if estimate.known
    }
    how = "; ".join(text for method, text in METHODS.items() if method in methods)
    return "\n".join(
        [
            "<details><summary>Versions and runtimes</summary>",
            "",
            f"- Python {platform.python_version()} on {platform.system()}; {found}",
            f"- Report and gate: {seconds:.1f} s for {comparison.rows:,} test rows"
            + (f" (intervals: {how})" if how else ""),
            "</details>",
        ]
    )


def fit(text: str) -> str:
    """Keep the report under GitHub's comment limit; the artifact keeps everything."""
    limit = COMMENT_LIMIT - 200
    if len(text) <= limit:
        return text
    return text[:limit] + "\n\n…cut to fit a GitHub comment; the full report is in the artifact.\n"
