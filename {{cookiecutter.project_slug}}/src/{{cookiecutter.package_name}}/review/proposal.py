"""A gate that fits the data: values proposed from the current model's metrics and their
95% intervals on its test rows (`propose-gate`), written into lifecycle.yaml on request.

For each metric the gate names: a floor at the lower end of the metric's interval (a
ceiling at the upper end, for a metric where smaller is better), so that a model as good
as this one passes it about 97.5% of the time; and the largest worsening allowed at the
interval's half-width (as a fraction of the value for metrics with no fixed scale), so
that a worsening counts only when it is larger than what these test rows can tell apart.
The rounding is outward: a proposal never makes today's model fail.
"""

from __future__ import annotations

import math
import re

import numpy as np
import yaml

from .. import paths
from ..config import (
    HIGHER_IS_BETTER,
    Gate,
    Lifecycle,
    MetricGate,
    load_lifecycle,
    load_params,
    validate,
)
from ..errors import ProjectError
from ..markdown import code, number, table
from ..outputs import write_text
from ..pipeline.data import read_split
from ..pipeline.model import load
from ..scoring import predict, scores
from .gate import rule_text
from .stats import alone, scored

BOUNDED = {"accuracy", "precision", "recall", "f1", "roc_auc", "r2"}  # on a 0-1 scale


def down(value: float, digits: int = 3) -> float:
    return math.floor(value * 10**digits) / 10**digits


def up(value: float, digits: int = 3) -> float:
    return math.ceil(value * 10**digits) / 10**digits


def current() -> tuple[dict[str, float], dict[str, tuple[float, float]], int]:
    """This checkout's model's metrics on its test rows, their 95% intervals, the rows."""
    model = load(paths.MODEL)
    features, actual = read_split(paths.TEST, model.target)
    labels, positive = model.classes, model.positive_index
    predicted, probabilities = predict(model, features)
    found = scores(actual, predicted, probabilities, labels, positive)
    model_rows = scored(actual, predicted, probabilities, labels, positive)
    estimates = alone(model_rows, 0.95, load_params().base.seed)
    bounds = {metric: (e.low, e.high) for metric, e in estimates.items()}
    return found, bounds, len(actual)


def propose(gate: Gate, found: dict, bounds: dict, rows: int) -> dict[str, MetricGate]:
    """The proposed rule of each metric the gate names, with the kinds of bound and
    tolerance it has (a metric with none gets the bound its direction calls for)."""
    proposed = {}
    for metric, rule in gate.metrics.items():
        if metric not in found:
            raise ProjectError(
                f"lifecycle.yaml: gate.metrics.{metric}: not a metric of this model"
            )
        value, (low, high) = found[metric], bounds.get(metric, (np.nan, np.nan))
        if not (np.isfinite(low) and np.isfinite(high)):
            low = high = value
        if metric in BOUNDED:  # a perfect score's bootstrap has no width: Wilson's has
            wilson_low, wilson_high = wilson(value, rows)
            low, high = min(low, wilson_low), max(high, wilson_high)
        half = (high - low) / 2
        settings = {}
        if rule.min is not None or (metric in HIGHER_IS_BETTER and rule.max is None):
            settings["min"] = down(min(low, value))
        if rule.max is not None or (metric not in HIGHER_IS_BETTER and rule.min is None):
            settings["max"] = up(max(high, value))
        if rule.max_relative_regression is not None and value:
            settings["max_relative_regression"] = min(1.0, up(half / abs(value), 2))
        if rule.max_regression is not None:
            settings["max_regression"] = up(half)
        proposed[metric] = MetricGate(**settings)
    return proposed


def wilson(share: float, rows: int) -> tuple[float, float]:
    """Wilson's 95% interval of a proportion measured on ``rows`` rows."""
    z = 1.959964
    share = min(max(share, 0.0), 1.0)
    centre = (share + z**2 / (2 * rows)) / (1 + z**2 / rows)
    half = z * math.sqrt(share * (1 - share) / rows + z**2 / (4 * rows**2)) / (1 + z**2 / rows)
    return centre - half, centre + half


def as_yaml(proposed: dict[str, MetricGate]) -> list[str]:
    """The gate's `metrics:` block, as lifecycle.yaml writes it."""
    lines = ["  metrics:"]
    for metric, rule in proposed.items():
        lines.append(f"    {metric}:")
        for key, value in rule.model_dump(exclude_none=True).items():
            lines.append(f"      {key}: {value:g}")
    return lines


def rewrite(text: str, block: list[str]) -> str:
    """lifecycle.yaml's text with its gate's `metrics:` block replaced, every other line
    (comments included) as it was."""
    lines = text.splitlines()
    try:
        gate = next(i for i, line in enumerate(lines) if re.match(r"gate:\s*(#.*)?$", line))
        start = next(
            i for i in range(gate + 1, len(lines)) if re.match(r"  metrics:\s*(#.*)?$", lines[i])
        )
    except StopIteration:
        raise ProjectError(
            "lifecycle.yaml: no `gate:` with `  metrics:` under it to write the proposal into"
        ) from None
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith("    ")):
        end += 1
    return "\n".join([*lines[:start], *block, *lines[end:]]) + "\n"


def main(write: bool = False) -> None:
    """The `propose-gate` command: print the proposal; with ``write``, put it into
    lifecycle.yaml's gate (checked against the schema before anything is written)."""
    lifecycle = load_lifecycle()
    found, bounds, rows = current()
    proposed = propose(lifecycle.gate, found, bounds, rows)
    cells = [
        [
            metric,
            number(found[metric]),
            f"[{number(bounds.get(metric, (math.nan,) * 2)[0])}, "
            f"{number(bounds.get(metric, (math.nan,) * 2)[1])}]",
            rule_text(lifecycle.gate.metrics[metric]),
            rule_text(rule),
        ]
        for metric, rule in proposed.items()
    ]
    header = ["metric", "this model", "95% interval", "gate now", "proposed"]
    print(f"propose-gate: from this model's {rows:,} test rows ({paths.TEST})")
    print("\n".join(table(header, cells, align="lrrll")))
    text = rewrite(paths.LIFECYCLE.read_text(encoding="utf-8"), as_yaml(proposed))
    validate(yaml.safe_load(text), paths.LIFECYCLE, Lifecycle)
    if write:
        write_text(text, paths.LIFECYCLE)
        print(f"propose-gate: written to {code(paths.LIFECYCLE)}; review it, then commit it")
    else:
        print("propose-gate: nothing written; `make propose-gate WRITE=1` writes it")
