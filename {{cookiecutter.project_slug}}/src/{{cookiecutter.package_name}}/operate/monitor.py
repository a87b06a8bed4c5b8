"""Drift monitoring: a batch of new data against the training data of the model in
production (or of a registered version), with drift.py's statistics; and, when the
batch's outcomes are known, the model's realized performance (outcomes.py).

Per feature: a two-sample test of its values with their PSI, and a test of its share of
missing values; the batch's columns against the model's schema; the model's predictions
on the batch against those it made on its own test rows. Every test of the batch shares
lifecycle.yaml's ``monitoring.thresholds.false_alarm_rate`` (Bonferroni).

Writes build/monitor/report.md (Markdown, also the issue's body) and drift.json; in
GitHub Actions, the job summary and step outputs. Exit status: 0 without drift (or with
too few rows to judge), 3 (DRIFT_EXIT) with drift, 1 on an error. ``drift-issue`` then
opens one issue, or updates the open one, with the GitHub CLI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import dvc, paths
from ..config import DriftThresholds, Gate, load_lifecycle, load_params, read_yaml
from ..errors import ProjectError
from ..github import gh, job_summary, run_url, step_outputs
from ..markdown import code
from ..outputs import read_json, write_json, write_text
from ..progress import Progress
from .drift import (
    TESTS_PER_COLUMN,
    Column,
    compare,
    levels,
    one_per_group,
    schema_changes,
    trending,
)
from .drift_report import Result, described, markdown
from .outcomes import Joined, as_classes, outcomes_of, realized, tests

PACKAGE = __package__.rpartition(".")[0]
DRIFT_EXIT = 3


# inputs -------------------------------------------------------------------------------


def read_batch(path: Path, setting: str) -> pd.DataFrame:
    from ..pipeline.data import read_table

    frame = read_table(path, setting)
    if frame.empty:
        raise ProjectError(f"{path}: the batch has no rows ({setting})")
    return frame


def fetch(path: Path, newest: bool) -> None:
    """Bring a DVC-tracked batch (a ``.dvc`` file beside it) into the workspace when it is
    absent, or with ``newest`` always: ``dvc update`` for an import (``dvc import-url``,
    ``dvc import``), else ``dvc pull``."""
    tracked = Path(f"{path}.dvc")
    if not tracked.is_file() or (path.exists() and not newest):
        return
    if newest and "deps" in (read_yaml(tracked) or {}):
        dvc.update(str(tracked))
    else:
        dvc.transfer("pull", str(tracked))


def reference_of(name: str, stage: str, version: str | None):
    """(the registered version, its model, its training rows, its test predictions, its
    recorded test metrics, its number of test rows, its split: data_profile's)."""
    from ..dvc import metrics_at
    from ..pipeline.model import load_at
    from ..registry import chosen
    from ..review.changes import data_profile

    found = chosen(name, stage, version)
    try:
        model = load_at(found.commit, found.shipped)
        training = pd.read_parquet(dvc.read_at(found.commit, paths.TRAIN, found.shipped))
        predictions = pd.read_parquet(dvc.read_at(found.commit, paths.PREDICTIONS, found.shipped))
    except FileNotFoundError as error:
        raise ProjectError(
            f"{name} {found.version}: {error}; `dvc pull` needs the remote"
        ) from None
    recorded = metrics_at(found.commit) or {}
    profile = data_profile(found.commit) or {}
    test_rows = (profile.get("rows") or {}).get("test")
    return found, model, training, predictions, recorded, test_rows, profile.get("split") or {}


# predictions --------------------------------------------------------------------------


def prediction_drift(
    model, scored: tuple, reference: pd.DataFrame, limits, alpha: float
) -> Column:
    """The model's predictions on the batch against those on its own test rows: the
    positive class's probability (binary), the predicted class (multiclass) or the
    predicted value (regression)."""
    predicted, probabilities = scored
    if model.positive_index is not None:
        positive = model.classes[model.positive_index]
        scores = pd.Series(probabilities[:, model.positive_index])
        return compare(
            f"probability of {positive}",
            reference[f"proba_{positive}"],
            scores,
            limits,
            alpha=alpha,
        )
    if probabilities is not None:
        return compare(
            "predicted class",
            reference["predicted"].astype(str),
            predicted.astype(str),
            limits,
            "categorical",
            alpha,
        )
    return compare("predicted value", reference["predicted"], predicted, limits, alpha=alpha)


# the whole check ----------------------------------------------------------------------


@dataclass
class Reference:
    """What a batch is compared with: a registered version's model and data."""

    model: object
    training: pd.DataFrame
    predictions: pd.DataFrame
    recorded: dict[str, float]  # its test metrics (the model card's)
    test_rows: int | None
    split: dict = field(default_factory=dict)  # how its rows were split (data_profile's)


def structure_of(batch: pd.DataFrame, split: dict):
    """How the batch's rows depend on each other, by the split the model declares (a
    group split: the rows of one group move together; a time split: neighbours in time
    share their errors), from its column in the batch; independent rows without it."""
    from ..review.stats import Structure

    column = split.get("column")
    values = batch[column].reset_index(drop=True) if column in batch.columns else None
    return Structure.of(split.get("method", "hash"), column, values)


def check(
    batch: pd.DataFrame,
    source: str,
    reference: Reference,
    limits: DriftThresholds,
    model_info: dict[str, str],
    gate: Gate | None = None,
    outcomes: pd.Series | None = None,
    seed: int = 0,
    joined: Joined | None = None,
) -> Result:
    """The batch against the reference: its columns, each feature, the predictions and,
    with ``outcomes`` (the target per batch row, missing where unknown; ``joined``: how
    they were joined from a file), the realized metrics against ``gate``."""
    from ..scoring import predict_counted

    model = reference.model
    # the split's column (a group split's users, a time split's dates) is the model's too
    known = {*model.features, *model.ids, model.target, reference.split.get("column")}
    schema = schema_changes(model.features, known, batch)
    retyped = {item["column"] for item in schema["retyped"]}
    comparable = [name for name in model.features if name in batch.columns and name not in retyped]
    scorable = not schema["missing"] and not schema["retyped"]
    known_rows = outcomes.notna() if outcomes is not None and scorable else None
    trained = None
    if known_rows is not None:
        trained = known_rows & trained_on(batch, outcomes, reference)
        known_rows = known_rows & ~trained
    judged = known_rows is not None and int(known_rows.sum()) >= limits.min_rows
    count = TESTS_PER_COLUMN * len(comparable)
    model_count = TESTS_PER_COLUMN * scorable
    model_count += tests(gate, reference.recorded) if judged and gate is not None else 0
    alpha, model_alpha = levels(limits, count, model_count)
    result = Result(
        model=model_info,
        batch={"path": source, "rows": len(batch)},
        reference_rows=len(reference.training),
        schema=schema,
        features=[],
        predictions=None,
        thresholds=limits.model_dump(),
        tests=count,
        alpha=alpha,
        model_tests=model_count,
        model_alpha=model_alpha,
        too_few=len(batch) < limits.min_rows,
        joined=joined,
    )
    old, new, trends = independent(reference, batch, model.features, result)
    with Progress("monitor", "testing the batch", heartbeat=True) as progress:
        if not result.too_few:
            progress.step("testing the batch's columns", len(comparable), "features")
            for name in comparable:
                kind, trend = model.features[name], trends.get(name, "")
                found = compare(name, old[name], new[name], limits, kind, alpha, trend)
                result.features.append(found)
                progress.advance()
        predictions = None
        if scorable:
            progress.step("scoring the batch", len(batch), "rows")
            predictions = predict_counted(model, batch, progress)
        if predictions is not None and not result.too_few:
            progress.step("testing the predictions")
            result.predictions = prediction_drift(
                model, predictions, reference.predictions, limits, model_alpha
            )
    if known_rows is not None:
        result.outcome_rows = int(known_rows.sum())
        result.trained_rows = int(trained.sum())
    if judged and gate is not None:
        rows = known_rows.to_numpy()
        actual = outcomes[known_rows]
        if model.classes:
            actual = as_classes(actual, model.classes, "the outcomes")
        predicted, probabilities = predictions
        structure = structure_of(batch, reference.split).on(np.flatnonzero(rows))
        result.performance = realized(
            model,
            actual,
            predicted[rows],
            None if probabilities is None else probabilities[rows],
            gate,
            reference.recorded,
            reference.test_rows,
            model_alpha,
            seed,
            structure,
        )
        result.structure = structure.describe()
    summarise(result, limits)
    return result


def independent(
    reference: Reference, batch: pd.DataFrame, features: dict[str, str], result: Result
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """What the features' tests compare, so that their rows are independent draws: with
    a group split, one random row per group on either side (result.grouped says so);
    numbers that trend with a date of the reference (the time split's column, a date
    feature) by their missing values only (drift.trending)."""
    split, old, new = reference.split, reference.training, batch
    group = split.get("column") if split.get("method") == "group" else None
    if group and group in old and group in new:
        old, new = one_per_group(old, group), one_per_group(new, group)
        result.grouped = {"column": group, "reference": len(old), "batch": len(new)}
    times = [name for name, kind in features.items() if kind == "datetime"]
    if split.get("method") == "time" and split.get("column"):
        times.append(split["column"])
    return old, new, trending(reference.training, features, times)


def trained_on(batch: pd.DataFrame, outcomes: pd.Series, reference: Reference) -> pd.Series:
    """Whether each batch row is one the model trained on: by its ID columns (what keys
    the prepared training rows), or without IDs by its feature values and outcome (an
    example the model has seen, whatever its source). Realized metrics on such rows
    would be optimistic."""
    from ..pipeline.split import row_hash

    model, training = reference.model, reference.training
    rows = batch.assign(**{model.target: outcomes})
    columns = list(model.ids)
    if not columns or any(name not in rows or name not in training for name in columns):
        columns = [*model.features, model.target]
    seen = row_hash(training, columns)
    return pd.Series(row_hash(rows, columns), index=batch.index).isin(seen)


def summarise(result: Result, limits: DriftThresholds) -> None:
    changes = sum(len(items) for items in result.schema.values())
    drifted = result.drifted()
    dropped = [item.metric for item in result.performance or [] if item.dropped]
    parts = []
    if len(drifted) >= limits.drifted_features:
        parts.append(f"{len(drifted)} of {len(result.features)} features drifted")
    if result.predictions is not None and result.predictions.drift:
        parts.append("the predictions drifted")
    if changes:
        parts.append(f"{changes} column change{'s' if changes != 1 else ''}")
    if dropped:
        parts.append(f"realized {', '.join(dropped)} dropped")
    result.drift = bool(parts)
    if parts:
        result.summary = "Drift found: " + ", ".join(parts)
    elif result.too_few:
        result.summary = (
            f"Too few rows to judge: {result.batch['rows']:,} rows, fewer than "
            f"{limits.min_rows} (monitoring.thresholds.min_rows); columns unchanged"
        )
    else:
        result.summary = (
            f"No drift: {len(drifted)} of {len(result.features)} features drifted "
            f"(drift from {limits.drifted_features}), predictions stable, columns unchanged"
        )
        if result.performance is not None:
            result.summary += ", realized metrics as expected"


# the report ---------------------------------------------------------------------------


def as_json(result: Result) -> dict:
    data = asdict(result)
    data["drifted_features"] = [column.name for column in result.drifted()]
    return data


# commands -----------------------------------------------------------------------------


def main(
    batch: str | None = None,
    version: str | None = None,
    fetch_newest: bool = False,
    outcomes: str | None = None,
) -> int:
    """The `monitor` command: check ``batch`` (lifecycle.yaml's monitoring.batch by
    default) against production's (or ``version``'s) training data and, with outcomes
    (``outcomes``, monitoring.outcomes, or the batch's target column), its realized
    metrics; exit status 3 on drift."""
    from ..pipeline.data import read_table

    lifecycle = load_lifecycle()
    settings = lifecycle.monitoring
    if batch:
        path, setting = Path(batch), "the batch argument"
    else:
        path, setting = Path(settings.batch), "lifecycle.yaml: monitoring.batch"
    fetch(path, fetch_newest)
    rows = read_batch(path, setting)
    name, stage = lifecycle.model.name, lifecycle.promotion.stage
    found, *reference = reference_of(name, stage, version)
    reference = Reference(*reference)
    table = None
    source = outcomes or settings.outcomes
    if source:
        where = "the --outcomes argument" if outcomes else "lifecycle.yaml: monitoring.outcomes"
        fetch(Path(source), fetch_newest)
        table = read_table(Path(source), where)
    known, joined = outcomes_of(
        rows, reference.model, table, source or path.as_posix(), path.as_posix()
    )
    if joined is not None:
        print(
            f"monitor: {joined.matched:,} of the {joined.rows:,} outcomes in {joined.source} "
            f"matched a batch row by {', '.join(joined.ids)}"
        )
        for name, note in joined.notes.items():
            print(f"monitor: ID column {name!r}: {note}")
    info = {
        "name": name,
        "version": found.version,
        "stage": "" if version else stage,
        "commit": found.commit,
    }
    result = check(
        rows,
        path.as_posix(),
        reference,
        settings.thresholds,
        info,
        lifecycle.gate,
        known,
        load_params().base.seed,
        joined,
    )
    if result.trained_rows:
        print(
            f"monitor: warning: {result.trained_rows:,} batch row(s) with outcomes are rows "
            "the model trained on: left out of the realized metrics (optimistic on them)"
        )
    text = markdown(result, PACKAGE)
    data = as_json(result)
    data["retrain"] = result.drift and settings.retrain_on_drift
    write_json(data, paths.DRIFT)
    write_text(text, paths.DRIFT_REPORT)
    job_summary(text)
    step_outputs({"drift": str(result.drift).lower(), "retrain": str(data["retrain"]).lower()})
    print(f"monitor: {result.summary} -> {paths.DRIFT_REPORT}, {paths.DRIFT}")
    return DRIFT_EXIT if result.drift else 0


def issue() -> None:
    """The `drift-issue` command: open the drift issue, or update the open one; one issue
    per drift episode."""
    fields = {"drift": bool, "model": dict, "batch": dict, "summary": str}
    result = read_json(paths.DRIFT, "monitor", fields)
    if not result["drift"]:
        print("drift-issue: no drift, no issue")
        return
    label = load_lifecycle().monitoring.issue_label
    model = result["model"]
    gh("label", "create", label, "--color", "D93F0B", "--force",
       "--description", "Drift found by the Monitor workflow")  # fmt: skip
    found = gh(
        "issue", "list", "--label", label, "--state", "open",
        "--json", "number", "--jq", ".[0].number",
    )  # fmt: skip
    body = str(paths.DRIFT_REPORT)
    if found:
        gh("issue", "edit", found, "--body-file", body)
        where = f" ({run_url()})" if run_url() else ""
        gh(
            "issue", "comment", found, "--body",
            f"Checked again on {code(result['batch']['path'])}{where}: {result['summary']}. "
            "The description above is the latest report.",
        )  # fmt: skip
        print(f"drift-issue: updated issue #{found}")
    else:
        title = f"Drift: {described(model)}"
        url = gh("issue", "create", "--title", title, "--body-file", body, "--label", label)
        print(f"drift-issue: opened {url}")
