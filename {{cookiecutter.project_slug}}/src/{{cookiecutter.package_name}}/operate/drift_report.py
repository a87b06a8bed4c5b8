"""The drift report: what a check of a batch found (``Result``, which monitor.py makes
and drift.json holds) and its Markdown, the issue's body and the job summary. Every name
and value that comes from a batch is rendered inert (markdown.code)."""

from __future__ import annotations

from dataclasses import dataclass

from ..markdown import code, codes, number, p_value, percent, table
from .drift import FEW_VALUES, TREND, Column
from .outcomes import Joined, Realized

TABLE_ROWS = 50  # feature rows in the report; the rest are counted


@dataclass
class Result:
    model: dict[str, str]
    batch: dict[str, object]
    reference_rows: int
    schema: dict[str, list]
    features: list[Column]
    predictions: Column | None  # None when the model cannot score the batch
    thresholds: dict[str, float]
    tests: int = 0  # the features' tests, sharing half the false-alarm rate
    alpha: float = 0.0  # the p-value below which each is significant
    model_tests: int = 0  # the predictions' and realized metrics' tests, the other half
    model_alpha: float = 0.0
    too_few: bool = False  # fewer rows than monitoring.thresholds.min_rows
    grouped: dict | None = None  # a group split: {"column", "reference", "batch"} rows
    outcome_rows: int = 0  # rows whose outcome is known (but for trained_rows)
    trained_rows: int = 0  # rows with outcomes that the model trained on: left out
    joined: Joined | None = None  # how a file of outcomes met the batch's rows
    performance: list[Realized] | None = None  # with outcomes
    structure: str = ""  # how the realized metrics' intervals treat the rows
    drift: bool = False
    summary: str = ""

    def drifted(self) -> list[Column]:
        return [column for column in self.features if column.drift]


def row(column: Column) -> list[str]:
    verdict = "❌ " + "; ".join(column.reasons) if column.drift else "✅"
    return [
        code(column.name),
        " ".join(filter(None, [column.test, f"({column.compared})" if column.compared else ""]))
        or "—",
        number(column.psi, 3),
        number(column.statistic, 3),
        p_value(column.p_value),
        f"{percent(column.missing_reference)} → {percent(column.missing_batch)}",
        column.detectable or "—",
        verdict,
    ]


HEADER = [
    "Test",
    "PSI",
    "Statistic",
    "p-value",
    "Missing (reference → batch)",
    "Detects (80%)",
    "",
]
ALIGN = "llrrrlll"


def described(model: dict[str, str]) -> str:
    stage = f" ({model['stage']})" if model["stage"] else ""
    return f"{model['name']} {model['version']}{stage}"


def performance_table(result: Result) -> list[str]:
    level = 1 - 2 * result.model_alpha
    lines = [
        "",
        "### Realized performance",
        "",
        f"On the {result.outcome_rows:,} batch rows whose outcomes are known; intervals at "
        f"{level:.3%} (each side one of the batch's tests), against the gate's floors and "
        "ceilings and the metrics on the model's test rows (its model card).",
        "",
    ]
    if result.structure and result.structure != "rows taken as independent":
        lines[-1:] = [f"Intervals {result.structure} (the model's split).", ""]
    cells = [
        [
            code(item.metric),
            f"{item.value:.4f} [{number(item.low)}, {number(item.high)}]",
            number(item.test),
            f"[{item.change[0]:+.4f}, {item.change[1]:+.4f}]" if item.change else "—",
            "❌ " + "; ".join(item.reasons) if item.dropped else "✅",
        ]
        for item in result.performance
    ]
    header = ["Metric", "Realized [interval]", "Test rows", "Change [interval]", ""]
    return lines + table(header, cells, "lrrll")


def trained_line(rows: int) -> str:
    return (
        f"⚠️ {rows:,} batch row(s) with outcomes are rows the model trained on (the same "
        "IDs, or without IDs the same feature values and outcome): left out of the "
        "realized metrics, which would be optimistic on them."
    )


def joined_line(joined: Joined) -> str:
    """How many outcomes of a file found their batch row, and how IDs were read."""
    notes = "".join(f" ID {code(name)}: {note}." for name, note in joined.notes.items())
    return (
        f"Outcomes: {joined.matched:,} of the {joined.rows:,} in {code(joined.source)} "
        f"matched a batch row by {codes(joined.ids)}.{notes}"
    )


def reproduce(result: Result, package: str) -> str:
    """The command that checks this batch again: with the version and outcomes it had."""
    command = f"python -m {package} monitor {result.batch['path']}"
    if not result.model["stage"]:
        command += f" --version {result.model['version']}"
    if result.joined is not None:
        command += f" --outcomes {result.joined.source}"
    return command


def markdown(result: Result, package: str) -> str:
    """The drift report (also the issue's body)."""
    model = result.model
    lines = [
        f"## {'⚠️ ' if result.drift else ''}Drift check: {described(model)}",
        "",
        f"**{result.summary}.**",
        "",
        f"Batch {code(result.batch['path'])} ({result.batch['rows']:,} rows) against the "
        f"training data of {model['name']} {model['version']} (commit "
        f"{code(model['commit'][:7])}, {result.reference_rows:,} rows).",
    ]
    schema = result.schema
    if any(schema.values()):
        lines += ["", "### Columns", ""]
        if schema["missing"]:
            lines.append("- ❌ missing: " + codes(schema["missing"]))
        if schema["new"]:
            lines.append("- ❌ new: " + codes(schema["new"]))
        for item in schema["retyped"]:
            lines.append(f"- ❌ retyped: {code(item['problem'])}")  # holds a batch's value
    if result.joined is not None:
        lines += ["", joined_line(result.joined)]
    if result.trained_rows:
        lines += ["", trained_line(result.trained_rows)]
    if result.performance is not None:
        lines += performance_table(result)
    elif result.outcome_rows:
        lines += [
            "",
            f"Realized performance not judged: {result.outcome_rows} rows with outcomes, "
            f"fewer than {result.thresholds['min_rows']} (monitoring.thresholds.min_rows).",
        ]
    if result.too_few:
        return "\n".join(lines) + "\n"
    lines += ["", "### Predictions", ""]
    if result.predictions is None:
        lines.append(
            "Prediction drift not computed: the model cannot score a batch without its "
            "features, or with values not of their kind."
        )
    else:
        lines += table(["", *HEADER], [row(result.predictions)], ALIGN)
    if result.grouped:
        group = result.grouped
        lines += [
            "",
            f"Rows of one {code(group['column'])} are not independent draws (the model's "
            f"group split): each feature is tested on one random row per value, "
            f"{group['reference']:,} in the reference and {group['batch']:,} in the batch; "
            "the predictions on every row, taken as independent.",
        ]
    drifted = sorted(result.drifted(), key=lambda c: -(c.psi or 0.0))
    steady = [column for column in result.features if not column.drift]
    lines += ["", "### Features", ""]
    if drifted:
        shown = drifted[:TABLE_ROWS]
        lines += table(["Feature", *HEADER], [row(column) for column in shown], ALIGN)
        if len(drifted) > TABLE_ROWS:
            lines.append(
                f"\n{len(drifted) - TABLE_ROWS} more drifted features "
                "(build/monitor/drift.json lists all)."
            )
    else:
        lines.append("No feature drifted.")
    if steady:
        steady = sorted(steady, key=lambda c: -(c.psi or 0.0))
        lines += [
            "",
            f"<details><summary>{len(steady)} features did not drift</summary>",
            "",
            *table(["Feature", *HEADER], [row(column) for column in steady[:TABLE_ROWS]], ALIGN),
            "",
            "</details>",
        ]
    limits = result.thresholds
    lines += [
        "",
        f"The false-alarm rate {limits['false_alarm_rate']:g} is shared (Bonferroni): half "
        f"between the features' {result.tests} tests, each significant below p = "
        f"{result.alpha:.2g}, half between the model's {result.model_tests} (its "
        f"predictions, its realized metrics), each below p = {result.model_alpha:.2g}; so "
        "a batch with no drift is called drifted at most "
        f"{percent(limits['false_alarm_rate'], 0)} of the time. Kolmogorov-Smirnov (KS) "
        "for numbers and dates, on at most "
        f"{limits['sample_rows']:,} rows per side; chi-square (χ²) over the values of "
        "booleans, categories and numbers with few values; a column with more than "
        f"{FEW_VALUES} values in bins chosen from a random half of the reference and tested "
        "on the other half (values new to a long tail are then expected, as they are in a "
        "clean batch); free text (at least half its values distinct) by its length and by "
        "its share of words new to half the reference against the other half's, each at "
        "half the column's level; dates "
        "by their weekday and hour of the day over whole weeks or days, not by their "
        "position (a batch comes after the training data by design); a number whose ranks "
        f"follow a date's in the reference (a Spearman correlation of ±{TREND} or beyond: "
        "a counter, a cumulative "
        "count) by its missing values only. Rows are taken as independent draws (with a "
        "group split, one row per group): where they share a user the split does not "
        "name, or follow a trend no date shows, the rate is not kept. A significant shift "
        "drifts when "
        f"its PSI reaches {limits['psi']:g}; a significant rise in missing values when it "
        f'exceeds {percent(limits["missing_increase"], 0)}. "Detects" is the shift each '
        "test finds 80% of the time at this batch's size (lifecycle.yaml: "
        "`monitoring.thresholds`).",
        "",
        "Reproduce: " + code(reproduce(result, package)),
    ]
    return "\n".join(lines) + "\n"
