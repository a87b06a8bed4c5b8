"""Drift monitoring: a batch of new data against the training data of the model in
production (or of a registered version), with drift.py's statistics.

Per feature: PSI, a two-sample test (Kolmogorov-Smirnov, or chi-square for booleans and
categories) and the share of missing values;
the batch's columns against the model's schema; the model's predictions on the batch
against those it made on its own test rows. Thresholds: lifecycle.yaml's
``monitoring``.

Writes build/monitor/report.md (Markdown, also the issue's body) and drift.json; in
GitHub Actions, the job summary and step outputs. Exit status: 0 without drift,
3 (DRIFT_EXIT) with drift, 1 on an error. ``drift-issue`` then opens one issue, or
updates the open one, with the GitHub CLI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from .. import dvc, paths
from ..config import DriftThresholds, load_lifecycle, read_yaml
from ..errors import ProjectError
from ..github import gh, job_summary, run_url, step_outputs
from ..markdown import code, codes, number, p_value, percent, table
from ..outputs import read_json, write_json, write_text
from .drift import Column, category_psi, compare, schema_changes

PACKAGE = __package__.rpartition(".")[0]
DRIFT_EXIT = 3
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
    drift: bool = False
    summary: str = ""

    def drifted(self) -> list[Column]:
        return [column for column in self.features if column.drift]


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
    """(the registered version, its model, its training rows, its test predictions)."""
    from ..pipeline.model import load_at
    from ..registry import chosen

    found = chosen(name, stage, version)
    try:
        model = load_at(found.commit)
        training = pd.read_parquet(dvc.read_at(found.commit, paths.TRAIN))
        predictions = pd.read_parquet(dvc.read_at(found.commit, paths.PREDICTIONS))
    except FileNotFoundError as error:
        raise ProjectError(
            f"{name} {found.version}: {error}; `dvc pull` needs the remote"
        ) from None
    return found, model, training, predictions


# predictions --------------------------------------------------------------------------


def prediction_drift(model, batch: pd.DataFrame, reference: pd.DataFrame, limits) -> Column:
    """The model's predictions on the batch against those on its own test rows: the
    positive class's probability (binary), the predicted class (multiclass) or the
    predicted value (regression)."""
    from ..pipeline.evaluate import predict

    predicted, probabilities = predict(model, batch)
    if model.positive_index is not None:
        positive = model.classes[model.positive_index]
        scores = pd.Series(probabilities[:, model.positive_index])
        return compare(
            f"probability of {positive}", reference[f"proba_{positive}"], scores, limits
        )
    if probabilities is not None:
        column = Column("predicted class")
        column.psi = category_psi(reference["predicted"], predicted)
        if column.psi >= limits.psi:
            column.reasons.append(f"PSI {column.psi:.3f}")
        return column
    return compare("predicted value", reference["predicted"], predicted, limits)


# the whole check ----------------------------------------------------------------------


def check(
    batch: pd.DataFrame,
    source: str,
    model,
    training: pd.DataFrame,
    predictions: pd.DataFrame,
    limits: DriftThresholds,
    model_info: dict[str, str],
) -> Result:
    known = {*model.features, *model.ids, model.target}
    schema = schema_changes(model.features, known, batch)
    retyped = {item["column"] for item in schema["retyped"]}
    comparable = [name for name in model.features if name in batch.columns and name not in retyped]
    features = [
        compare(name, training[name], batch[name], limits, model.features[name])
        for name in comparable
    ]
    scorable = not schema["missing"] and not schema["retyped"]
    scored = prediction_drift(model, batch, predictions, limits) if scorable else None
    result = Result(
        model=model_info,
        batch={"path": source, "rows": len(batch)},
        reference_rows=len(training),
        schema=schema,
        features=features,
        predictions=scored,
        thresholds=limits.model_dump(),
    )
    changes = sum(len(items) for items in schema.values())
    drifted = result.drifted()
    parts = []
    if len(drifted) >= limits.drifted_features:
        parts.append(f"{len(drifted)} of {len(features)} features drifted")
    if scored is not None and scored.drift:
        parts.append("the predictions drifted")
    if changes:
        parts.append(f"{changes} column change{'s' if changes != 1 else ''}")
    result.drift = bool(parts)
    result.summary = (
        "Drift found: " + ", ".join(parts)
        if parts
        else f"No drift: {len(drifted)} of {len(features)} features drifted "
        f"(drift from {limits.drifted_features}), predictions stable, columns unchanged"
    )
    return result


# the report ---------------------------------------------------------------------------


def row(column: Column) -> list[str]:
    verdict = "❌ " + "; ".join(column.reasons) if column.drift else "✅"
    return [
        code(column.name),
        number(column.psi, 3),
        number(column.statistic, 3),
        p_value(column.p_value),
        f"{percent(column.missing_reference)} → {percent(column.missing_batch)}",
        verdict,
    ]


def described(model: dict[str, str]) -> str:
    stage = f" ({model['stage']})" if model["stage"] else ""
    return f"{model['name']} {model['version']}{stage}"


def markdown(result: Result, package: str) -> str:
    """The drift report (also the issue's body)."""
    model, limits = result.model, result.thresholds
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
            lines.append(f"- ❌ retyped: {item['problem']}")
    header = ["PSI", "Test statistic", "p-value", "Missing (reference → batch)", ""]
    align = "lrrrll"
    lines += ["", "### Predictions", ""]
    if result.predictions is None:
        lines.append(
            "Prediction drift not computed: the model cannot score a batch without its "
            "features, or with values not of their kind."
        )
    else:
        lines += table(["", *header], [row(result.predictions)], align)
    ordered = sorted(result.features, key=lambda c: (not c.drift, -(c.psi or 0.0)))
    lines += ["", "### Features", ""]
    lines += table(["Feature", *header], [row(column) for column in ordered[:TABLE_ROWS]], align)
    if len(ordered) > TABLE_ROWS:
        rest = ordered[TABLE_ROWS:]
        lines.append(
            f"\n{len(rest)} more features, {sum(c.drift for c in rest)} of them drifted "
            "(build/monitor/drift.json lists all)."
        )
    lines += [
        "",
        f"A feature drifts when its PSI reaches {limits['psi']:g}, its two-sample test's "
        "p-value (Kolmogorov-Smirnov for numbers and dates, chi-square for booleans and "
        f"categories; samples of {limits['sample_rows']:,} rows) is below "
        f"{limits['p_value']:g}, "
        "or its share of missing values rises by more than "
        f"{percent(limits['missing_increase'], 0)}; "
        f"the batch drifts from {limits['drifted_features']} drifted feature(s), with drifted "
        "predictions, or with changed columns (lifecycle.yaml: `monitoring.thresholds`).",
        "",
        "Reproduce: " + code(f"python -m {package} monitor {result.batch['path']}"),
    ]
    return "\n".join(lines) + "\n"


def as_json(result: Result) -> dict:
    data = asdict(result)
    data["drifted_features"] = [column.name for column in result.drifted()]
    return data


# commands -----------------------------------------------------------------------------


def main(batch: str | None = None, version: str | None = None, fetch_newest: bool = False) -> int:
    """The `monitor` command: check ``batch`` (lifecycle.yaml's monitoring.batch by
    default) against production's (or ``version``'s) training data; exit status 3 on
    drift."""
    lifecycle = load_lifecycle()
    settings = lifecycle.monitoring
    if batch:
        path, setting = Path(batch), "the batch argument"
    else:
        path, setting = Path(settings.batch), "lifecycle.yaml: monitoring.batch"
    fetch(path, fetch_newest)
    rows = read_batch(path, setting)
    name, stage = lifecycle.model.name, lifecycle.promotion.stage
    found, model, training, predictions = reference_of(name, stage, version)
    info = {
        "name": name,
        "version": found.version,
        "stage": "" if version else stage,
        "commit": found.commit,
    }
    result = check(rows, path.as_posix(), model, training, predictions, settings.thresholds, info)
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
    result = read_json(paths.DRIFT, "monitor")
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
