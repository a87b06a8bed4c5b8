"""The pull-request report as Markdown: one sign for every change it shows, and a chart
that fits a comment."""

import re
import unicodedata

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.config import Gate, MetricGate
from {{ cookiecutter.package_name }}.review.changes import Changes
from {{ cookiecutter.package_name }}.review.compare import Baseline, Comparison, Predictions
from {{ cookiecutter.package_name }}.review.gate import metric_criteria
from {{ cookiecutter.package_name }}.review.render import CHART_LINE, chart, render
from {{ cookiecutter.package_name }}.review.stats import Estimate

DELTA = r"([+-]\d+\.\d{4}) \[([+-]\d+\.\d{4}), ([+-]\d+\.\d{4})\]"  # Δ [low, high]


def baseline(role, label, commit, values, deltas, same_as="") -> Baseline:
    """A baseline scored on the PR's rows: its metric values, and per metric the PR's Δ
    (this PR minus it) with an interval of ± 0.003."""
    found = Baseline(role, label, commit, dict(values), same_as=same_as)
    found.scores = dict(values)
    found.mine = {metric: values[metric] + delta for metric, delta in deltas.items()}
    found.intervals = {
        metric: Estimate(delta, delta - 0.003, delta + 0.003, 0.0015, "influence")
        for metric, delta in deltas.items()
    }
    return found


def comparison(scores, baselines) -> Comparison:
    actual = pd.Series(np.arange(2_000) % 2)
    return Comparison(
        problem_type="classification",
        base="b" * 40,
        actual=actual,
        labels=[0, 1],
        positive=1,
        scores=scores,
        predictions=Predictions(actual, None),
        baselines=baselines,
        scored={},
        tests=2 * len(baselines),
    )


def report(gate: Gate, compared: Comparison) -> str:
    found = metric_criteria(gate, compared.scores, compared.baselines)
    changes = Changes("b" * 40, [], {}, None, None, [])
    return render(compared, found, gate, changes, {}, ["make pr-report"], 1.0)


def width(line: str) -> int:
    """Columns a line takes in a monospace font: wide characters (✅, ❌) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def chart_lines(text: str) -> list[str]:
    section = text.split("### The gate's comparisons", 1)[1]
    return section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()


def chart_deltas(text: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """(metric, baseline) -> (Δ, low, high) as the chart shows them, and the columns of
    its ● and of the axis's 0."""
    axis, *lines = chart_lines(text)
    found, key, zero = {}, None, axis.index("0")
    for line in lines:
        named = re.match(r"(\w+)(?: [↑↓])? vs ([\w ]+?)  ", line)
        if named:
            key = named.groups()
            found[key] = {"bar": (line.index("●"), zero)}
        numbers = re.search(DELTA, line)
        if numbers and "numbers" not in found[key]:
            found[key]["numbers"] = numbers.groups()
    return found


def table_deltas(text: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """(metric, baseline) -> (Δ, low, high) as the metrics table shows them."""
    section = text.split("### Metrics", 1)[1].split("\n### ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line[:1] == "|"]
    header, cells = rows[0], rows[2:]
    found = {}
    for row in cells:
        metric = row[0].split()[0]
        for title, cell in zip(header, row, strict=True):
            role = re.search(r"Δ vs (\w+)", title)
            if role:
                found[metric, role.group(1)] = re.match(DELTA, cell.strip()).groups()
    return found


GATE = Gate.model_validate(
    {
        "metrics": {
            "accuracy": {"max_regression": 0.01},
            "roc_auc": {"min": 0.5, "max_regression": 0.02},
            "log_loss": {"max_relative_regression": 0.05},
        }
    }
)


def test_the_chart_shows_each_change_with_the_sign_of_the_tables_delta():
    """The metrics table's Δ is this PR minus the baseline; the chart shows the same
    numbers (for a metric where higher is better as for one where lower is), and draws
    ● left of ┆ for a negative Δ, right for a positive one."""
    values = {"accuracy": 0.9010, "roc_auc": 0.9500, "log_loss": 0.3000}
    deltas = {
        "production": {"accuracy": -0.0010, "roc_auc": 0.0040, "log_loss": 0.0060},
        "base": {"accuracy": 0.0020, "roc_auc": -0.0050, "log_loss": -0.0040},
    }
    production = baseline("production", "v12.3.0", "p" * 40, values, deltas["production"])
    base = baseline("base", "a1b2c3d", "b" * 40, values, deltas["base"])
    scores = {metric: value + deltas["production"][metric] for metric, value in values.items()}
    text = report(GATE, comparison(scores, [production, base]))

    table, shown = table_deltas(text), chart_deltas(text)
    assert len(table) == 6
    assert {key: found["numbers"] for key, found in shown.items()} == table
    for (metric, role), (delta, *_) in table.items():
        assert float(delta) == round(deltas[role][metric], 4), (metric, role)
        dot, zero = shown[metric, role]["bar"]
        assert (dot < zero) if float(delta) < 0 else (dot > zero), (metric, role)


def test_every_line_of_the_chart_fits_a_comment():
    """A 760-px comment shows CHART_LINE characters of code: no chart line is longer, with
    both baselines as one commit (the longest name), a metric name longer than any
    built in, and numbers in the thousands."""
    long = "balanced_accuracy_of_the_rare_classes"
    values = {long: 0.9010, "log_loss": 12_345.6789, "accuracy": 0.5}
    deltas = {long: -0.0010, "log_loss": 1_234.5678, "accuracy": 0.002}
    rules = {
        long: MetricGate(max_regression=0.01),
        "log_loss": MetricGate(max_relative_regression=0.05),
        "accuracy": MetricGate(max_regression=0.0),
    }
    gate = Gate.model_construct(metrics=rules, regression_test="significant")
    production = baseline("production", "v12.3.0", "p" * 40, values, deltas, same_as="base")
    base = baseline("base", "v12.3.0", "p" * 40, values, deltas, same_as="production")
    scores = {metric: value + deltas[metric] for metric, value in values.items()}
    lines = chart_lines(chart(gate, comparison(scores, [production, base]), []))
    assert [line for line in lines if width(line) > CHART_LINE] == []
    assert len(lines) >= 1 + 2 * len(rules)  # an axis, then a bar and its numbers each
    assert CHART_LINE <= 90
    names = [line.split("  ")[0] for line in lines[1:] if not line.startswith(" ")]
    assert names[0].startswith("balanced_accuracy") and names[0].endswith(
        "… ↓ vs production and base"
    )


def test_the_report_says_how_the_intervals_treat_the_rows():
    """After a group split the metrics table says the intervals are by group (and how
    many), and it names a class with one test row, whose share of the intervals is
    modelled, not measured."""
    from {{ cookiecutter.package_name }}.review.stats import Structure

    values = {"accuracy": 0.9010, "roc_auc": 0.9500, "log_loss": 0.3000}
    deltas = {"accuracy": -0.0010, "roc_auc": 0.0040, "log_loss": 0.0060}
    production = baseline("production", "v1.0.0", "p" * 40, values, deltas, same_as="base")
    base = baseline("base", "a1b2c3d", "p" * 40, values, deltas, same_as="production")
    compared = comparison(values, [production, base])
    compared.structure = Structure.of("group", "user_id", pd.Series(np.arange(2_000) % 40))
    compared.small_classes = ["rare"]
    text = report(GATE, compared)
    assert "Δ's intervals by group: the rows of one user_id value move together (40 groups" in text
    assert "class `rare` has one test row" in text
    assert "intervals by group" not in report(GATE, comparison(values, [production, base]))


def test_a_baseline_on_fewer_rows_says_its_column_is_on_other_rows():
    """When production trained on some of this PR's test rows (the test rows changed),
    its column and Δ are on the rest, and the table says that this PR's column is on
    all of them."""
    values = {"accuracy": 0.9010, "roc_auc": 0.9500, "log_loss": 0.3000}
    deltas = {"accuracy": -0.0010, "roc_auc": 0.0040, "log_loss": 0.0060}
    production = baseline("production", "v1.0.0", "p" * 40, values, deltas, same_as="base")
    base = baseline("base", "a1b2c3d", "p" * 40, values, deltas, same_as="production")
    for other in (production, base):
        other.rows, other.left_out = np.arange(1_500), 500
    text = report(GATE, comparison(values, [production, base]))
    assert "Production and base compared on 1,500 of these rows" in text
    assert "Its column is on those 1,500 rows, this PR's on all 2,000" in text
