"""A gate that fits the data: values proposed from the current model's metrics, their
95% intervals on its test rows, and how much the seed alone moves them (`propose-gate`),
written into lifecycle.yaml on request.

For each metric the gate names: a floor below the metric's value (a ceiling above it,
for a metric where smaller is better) by the root of the sum of squares of two margins,
the interval's side (other test rows; by group or in time order after such a split, as
the comparison's) and 1.96 * √2 * the spread of the metric over the
model trained with SEEDS other seeds (another seed: early stopping's rows, the trees'
draws), and never above the lowest of those models; and the largest worsening allowed at
the larger of the interval's half-width and that seed margin (as a fraction of the value
for metrics with no fixed scale). A model trained again with another seed passes the
proposal at least 95% of the time (`make bench`, statistics). The rounding is outward:
a proposal never makes today's model fail.

It proposes nothing from a model with a likely leak the gate does not acknowledge (its
metrics would be the leak's), and no floor (ceiling) for a metric on which the model is
not shown better than a trivial one (the test rows' class shares, or their mean): the
gate's stays, and the command says so.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import yaml

from .. import paths
from ..config import (
    HIGHER_IS_BETTER,
    Gate,
    Lifecycle,
    MetricGate,
    Params,
    load_lifecycle,
    load_params,
    validate,
)
from ..errors import ProjectError
from ..evidence import worsening_interval
from ..markdown import code, number, table
from ..outputs import read_json, write_text
from ..pipeline.data import read_split
from ..pipeline.model import load
from ..scoring import predict, scores
from .gate import rule_text
from .stats import (
    ROWS,
    Scored,
    Structure,
    alone,
    differences,
    poisson_table,
    resampled_units,
    scored,
)

BOUNDED = {"accuracy", "precision", "recall", "f1", "roc_auc", "r2"}  # on a 0-1 scale
SEEDS = 4  # the other seeds the model is trained with, to see what the seed alone moves
Z = 1.959964  # 95%, two-sided
RESAMPLES = 2_000  # a macro ROC AUC's bootstrap, where a class has too few rows


def down(value: float, digits: int = 3) -> float:
    return math.floor(value * 10**digits) / 10**digits


def up(value: float, digits: int = 3) -> float:
    return math.ceil(value * 10**digits) / 10**digits


def refuse_leaks(leaks: list[dict[str, str]], acknowledged: dict[str, str]) -> None:
    """No proposal from a model with a likely leak (prepare's) that the gate does not
    acknowledge: its metrics are the leak's, and the pull request that removes the leak
    could never pass them."""
    open_leaks = [leak for leak in leaks if leak["column"] not in acknowledged]
    if open_leaks:
        raise ProjectError(
            "propose-gate: this model has a likely leak, so its metrics are not a model's "
            "to propose a gate from: "
            + "; ".join(leak["warning"] for leak in open_leaks)
            + f". Remove the column (params.yaml: prepare.drop) and retrain, or, if it is "
            f"sound, name it under gate.acknowledged_leaks in `{paths.LIFECYCLE}`"
        )


def trivial_model(
    actual: pd.Series, labels: list, positive: int | None, structure: Structure = ROWS
) -> Scored:
    """The model that ignores the features, scored on the same rows (with their
    ``structure``): the rows' class shares as probabilities (their most frequent class
    predicted), or their mean."""
    if not labels:
        mean = pd.Series(np.full(len(actual), float(actual.mean())))
        return scored(actual, mean, None, [], structure=structure)
    shares = np.array([(actual == label).mean() for label in labels], dtype=float)
    predicted = pd.Series([labels[int(np.argmax(shares))]] * len(actual), index=actual.index)
    probabilities = np.repeat(shares[None, :], len(actual), axis=0)
    return scored(actual, predicted, probabilities, labels, positive, structure)


def no_better_than_trivial(model: Scored, trivial: Scored, seed: int) -> dict[str, str]:
    """metric -> how it compares with the trivial model, for each metric on which the
    model is not shown better than it (the 95% interval of the difference reaches it)."""
    found = {}
    mine, theirs = model.point(), trivial.point()
    for metric, estimate in differences(model, [trivial], 0.95, seed)[0].items():
        if not estimate.known:
            continue
        _, high = worsening_interval(metric, estimate)  # of how much worse than trivial
        if high >= 0:
            found[metric] = (
                f"{mine[metric]:.4f} against {theirs[metric]:.4f} for a model that ignores "
                f"the features (interval of the difference {estimate.low:+.4f} to "
                f"{estimate.high:+.4f})"
            )
    return found


def macro_auc_bounds(model: Scored, seed: int) -> tuple[float, float]:
    """The 95% interval of a multiclass ROC AUC where a class has too few rows for an
    influence: the Poisson bootstrap of the macro average over the classes each resample
    holds (a rare class counts when it is drawn); by group (a group split) or by blocks in
    time order (a time split), as the comparison's bootstrap."""
    rng = np.random.default_rng(seed)
    units = resampled_units(model.structure, model.rows)
    draws = rng.integers(0, 2**16, size=(int(units.max()) + 1, RESAMPLES))
    draws = np.take(poisson_table(), draws)[units]
    each = np.array([ranking.auc(draws) for ranking in model.rankings])
    with np.errstate(invalid="ignore"):
        series = np.nanmean(np.where(np.isfinite(each), each, np.nan), axis=0)
    series = series[np.isfinite(series)]
    if len(series) < 2:
        return math.nan, math.nan
    low, high = np.percentile(series, [2.5, 97.5])
    return float(low), float(high)


def intervals(model: Scored, seed: int) -> dict[str, tuple[float, float]]:
    """Each metric's 95% interval on these rows; a multiclass ROC AUC gets one even when a
    class has too few rows for its own."""
    bounds = {metric: (e.low, e.high) for metric, e in alone(model, 0.95, seed).items()}
    low, high = bounds.get("roc_auc", (0.0, 0.0))
    if model.rankings and not (np.isfinite(low) and np.isfinite(high)):
        bounds["roc_auc"] = macro_auc_bounds(model, seed)
    return bounds


def current(seed: int):
    """This checkout's model's metrics on its test rows, their 95% intervals, the rows, the
    metrics it is not shown better on than a trivial model, and the test rows."""
    model = load(paths.MODEL)
    features, actual = read_split(paths.TEST, model.target)
    found, bounds, useless = measured(model, features, actual, seed)
    return found, bounds, len(actual), useless, (features, actual)


def measured(model, features: pd.DataFrame, actual: pd.Series, seed: int):
    """``model``'s metrics on these test rows, their 95% intervals and the metrics it is not
    shown better on than a trivial model: with the rows' structure the split declares (a
    group split: by group; a time split: in time order), as the comparison's."""
    from .compare import structure_of

    labels, positive = model.classes, model.positive_index
    predicted, probabilities = predict(model, features)
    found = scores(actual, predicted, probabilities, labels, positive)
    structure = structure_of(features)
    model_rows = scored(actual, predicted, probabilities, labels, positive, structure)
    trivial = trivial_model(actual, labels, positive, structure)
    return found, intervals(model_rows, seed), no_better_than_trivial(model_rows, trivial, seed)


def reseeded(params: Params, features: pd.DataFrame, actual: pd.Series) -> list[dict]:
    """The metrics on the test rows of the model params.yaml describes, trained again with
    each of SEEDS other seeds."""
    from ..pipeline.train import fitted

    found = []
    for offset in range(1, SEEDS + 1):
        base = params.base.model_copy(update={"seed": params.base.seed + offset})
        model, _, _ = fitted(params.model_copy(update={"base": base}))
        predicted, probabilities = predict(model, features)
        found.append(scores(actual, predicted, probabilities, model.classes, model.positive_index))
    return found


def propose(
    gate: Gate,
    found: dict,
    bounds: dict,
    rows: int,
    others: list[dict] = (),
    useless: dict[str, str] | None = None,
) -> dict[str, MetricGate]:
    """The proposed rule of each metric the gate names, with the kinds of bound and
    tolerance it has (a metric with none gets the bound its direction calls for).
    ``others``: the metrics of the model trained with other seeds; ``useless``: the
    metrics on which it is not shown better than a trivial model (their bound stays the
    gate's)."""
    proposed = {}
    useless = useless or {}
    for metric, rule in gate.metrics.items():
        if metric not in found:
            raise ProjectError(
                f"lifecycle.yaml: gate.metrics.{metric}: not a metric of this model"
            )
        value, (low, high) = found[metric], bounds.get(metric, (np.nan, np.nan))
        if not (np.isfinite(low) and np.isfinite(high)):
            low = high = value
        if metric in BOUNDED and metric != "roc_auc":  # a perfect score's interval: Wilson's
            wilson_low, wilson_high = wilson(value, rows)
            low, high = min(low, wilson_low), max(high, wilson_high)
        seeded = [value, *(other[metric] for other in others if metric in other)]
        spread = float(np.std(seeded, ddof=1)) if len(seeded) > 1 else 0.0
        by_seed = Z * math.sqrt(2) * spread  # two models' seeds apart, 95% of the time
        below = math.hypot(max(value - low, 0.0), by_seed)
        above = math.hypot(max(high - value, 0.0), by_seed)
        half = max((high - low) / 2, by_seed)
        settings = {}
        wants_min = rule.min is not None or (metric in HIGHER_IS_BETTER and rule.max is None)
        wants_max = rule.max is not None or (metric not in HIGHER_IS_BETTER and rule.min is None)
        if wants_min:
            floor = down(min(value - below, *seeded))
            settings["min"] = rule.min if metric in useless else floor
        if wants_max:
            ceiling = up(max(value + above, *seeded))
            settings["max"] = rule.max if metric in useless else ceiling
        if rule.max_relative_regression is not None and value:
            settings["max_relative_regression"] = min(1.0, up(half / abs(value), 2))
        if rule.max_regression is not None:
            settings["max_regression"] = up(half)
        proposed[metric] = MetricGate(**{k: v for k, v in settings.items() if v is not None})
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
        settings = rule.model_dump(exclude_none=True)
        lines.append(f"    {metric}:" + ("" if settings else " {}"))
        for key, value in settings.items():
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
    params = load_params()
    leaks = read_json(paths.DATA_PROFILE, "repro").get("leaks", [])
    refuse_leaks(leaks, lifecycle.gate.acknowledged_leaks)
    found, bounds, rows, useless, (features, actual) = current(params.base.seed)
    print(f"propose-gate: training the model again with {SEEDS} other seeds, to see how much")
    print("  the seed alone moves its metrics")
    others = reseeded(params, features, actual)
    proposed = propose(lifecycle.gate, found, bounds, rows, others, useless)
    cells = [
        [
            metric,
            number(found[metric]),
            f"[{number(bounds.get(metric, (math.nan,) * 2)[0])}, "
            f"{number(bounds.get(metric, (math.nan,) * 2)[1])}]",
            f"{number(min(o[metric] for o in others))} to "
            f"{number(max(o[metric] for o in others))}",
            rule_text(lifecycle.gate.metrics[metric]),
            rule_text(rule),
        ]
        for metric, rule in proposed.items()
    ]
    header = ["metric", "this model", "95% interval", "other seeds", "gate now", "proposed"]
    print(f"propose-gate: from this model's {rows:,} test rows ({paths.TEST})")
    print("\n".join(table(header, cells, align="lrrrll")))
    for metric in proposed:
        if metric in useless:
            print(
                f"propose-gate: `{metric}` is not shown better than a model that ignores the "
                f"features ({useless[metric]}): no floor or ceiling proposed from it, the "
                "gate's stays. The features do not yet predict the target better than its "
                'average; see README, "Bring your own data"'
            )
    text = rewrite(paths.LIFECYCLE.read_text(encoding="utf-8"), as_yaml(proposed))
    validate(yaml.safe_load(text), paths.LIFECYCLE, Lifecycle)
    if write:
        write_text(text, paths.LIFECYCLE)
        print(f"propose-gate: written to {code(paths.LIFECYCLE)}; review it, then commit it")
    else:
        print("propose-gate: nothing written; `make propose-gate WRITE=1` writes it")
