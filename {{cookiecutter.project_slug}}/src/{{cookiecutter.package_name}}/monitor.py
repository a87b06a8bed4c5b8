"""Drift monitoring: a batch of new data against the training data of the model in
production (or of a registered version).

Per feature: the population stability index (PSI, over the reference's deciles), a
two-sample Kolmogorov-Smirnov test (SciPy's, on a seeded sample of at most
``sample_rows`` rows per side: with millions of rows any test finds some difference)
and the share of missing values. The batch's columns against the model's schema
(missing, new or retyped columns). The model's predictions on the batch against those
it made on its own test rows. Thresholds: lifecycle.yaml's ``monitoring``.

Writes build/monitor/report.md (Markdown, also the issue's body) and drift.json; in
GitHub Actions, the job summary and step outputs. Exit status: 0 without drift,
3 (DRIFT_EXIT) with drift, 1 on an error. ``drift-issue`` then opens one issue, or
updates the open one, with the GitHub CLI.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .config import DriftThresholds, load_lifecycle
from .errors import ProjectError
from .github import gh, job_summary, step_outputs
from .outputs import write_json

DRIFT_EXIT = 3
BINS = 10  # PSI bins: the reference's deciles
FLOOR = 1e-4  # smallest share of a bin, so that an empty bin keeps the PSI finite
TABLE_ROWS = 50  # feature rows in the report; the rest are counted
SEED = 0


@dataclass
class Column:
    name: str
    psi: float | None = None
    statistic: float | None = None  # Kolmogorov-Smirnov D
    p_value: float | None = None
    missing_reference: float = 0.0
    missing_batch: float = 0.0
    reasons: list[str] = field(default_factory=list)  # why it drifted; empty when it did not

    @property
    def drift(self) -> bool:
        return bool(self.reasons)


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


# statistics ----------------------------------------------------------------------------


def psi(reference: np.ndarray, batch: np.ndarray) -> float:
    """Population stability index of ``batch`` against ``reference`` (no missing values
    in either), over the reference's deciles; a column with few distinct values gets
    one bin per value."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, BINS + 1)[1:-1]))
    expected = np.bincount(
        np.searchsorted(edges, reference, side="right"), minlength=edges.size + 1
    )
    actual = np.bincount(np.searchsorted(edges, batch, side="right"), minlength=edges.size + 1)
    return shares_psi(expected / reference.size, actual / batch.size)


def shares_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    expected, actual = np.maximum(expected, FLOOR), np.maximum(actual, FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def category_psi(reference: pd.Series, batch: pd.Series) -> float:
    """PSI over the categories (e.g. predicted classes) of either side."""
    expected = reference.value_counts(normalize=True)
    actual = batch.value_counts(normalize=True)
    categories = expected.index.union(actual.index)
    return shares_psi(
        expected.reindex(categories, fill_value=0).to_numpy(),
        actual.reindex(categories, fill_value=0).to_numpy(),
    )


def sample(values: np.ndarray, rows: int, rng: np.random.Generator) -> np.ndarray:
    return values if values.size <= rows else rng.choice(values, size=rows, replace=False)


def compare(name: str, reference: pd.Series, batch: pd.Series, limits: DriftThresholds) -> Column:
    """One numeric column of the batch against the reference, with why it drifted."""
    from scipy import stats

    column = Column(name, missing_reference=float(reference.isna().mean()))
    column.missing_batch = float(batch.isna().mean())
    if column.missing_batch - column.missing_reference > limits.missing_increase:
        column.reasons.append(
            f"missing {percent(column.missing_reference)} → {percent(column.missing_batch)}"
        )
    old = reference.dropna().to_numpy(dtype="float64")
    new = batch.dropna().to_numpy(dtype="float64")
    if old.size == 0 or new.size == 0:
        return column
    column.psi = psi(old, new)
    rng = np.random.default_rng(SEED)
    test = stats.ks_2samp(
        sample(old, limits.sample_rows, rng), sample(new, limits.sample_rows, rng)
    )
    column.statistic, column.p_value = float(test.statistic), float(test.pvalue)
    if column.psi >= limits.psi:
        column.reasons.append(f"PSI {column.psi:.3f}")
    if column.p_value < limits.p_value:
        column.reasons.append(f"KS p {p_text(column.p_value)}")
    return column


# the schema ----------------------------------------------------------------------------


def kind(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return "text"


def schema_changes(expected: dict[str, str], target: str, batch: pd.DataFrame) -> dict:
    """Columns the model needs that the batch lacks, columns it does not know (the
    target aside), and columns whose kind of value changed."""
    columns = [str(name) for name in batch.columns]
    retyped = [
        {"column": name, "expected": kind(np.dtype(dtype)), "found": kind(batch[name].dtype)}
        for name, dtype in expected.items()
        if name in batch.columns and kind(np.dtype(dtype)) != kind(batch[name].dtype)
    ]
    return {
        "missing": [name for name in expected if name not in columns],
        "new": [name for name in columns if name not in expected and name != target],
        "retyped": retyped,
    }


# inputs --------------------------------------------------------------------------------


def read_batch(path: Path, setting: str) -> pd.DataFrame:
    from .data import read_table

    frame = read_table(path, setting)
    if frame.empty:
        raise ProjectError(f"{path}: the batch has no rows ({setting})")
    return frame


def fetch(path: Path, newest: bool) -> None:
    """Bring a DVC-tracked batch (a ``.dvc`` file beside it) into the workspace when it is
    absent, or with ``newest`` always: ``dvc update`` for an import (``dvc import-url``,
    ``dvc import``), else ``dvc pull``."""
    from .config import read_yaml
    from .storage import transfer, update

    tracked = Path(f"{path}.dvc")
    if not tracked.is_file() or (path.exists() and not newest):
        return
    if newest and "deps" in (read_yaml(tracked) or {}):
        update(str(tracked))
    else:
        transfer("pull", str(tracked))


def reference_of(name: str, stage: str, version: str | None):
    """(the registered version, its model, its training rows, its test predictions)."""
    from .compare import load_model_at, read_at
    from .registry import chosen

    found = chosen(name, stage, version)
    try:
        model = load_model_at(found.commit)
        training = pd.read_parquet(read_at(found.commit, paths.TRAIN))
        predictions = pd.read_parquet(read_at(found.commit, paths.PREDICTIONS))
    except FileNotFoundError as error:
        raise ProjectError(
            f"{name} {found.version}: {error}; `dvc pull` needs the remote"
        ) from None
    return found, model, training, predictions


# predictions ---------------------------------------------------------------------------


def prediction_drift(model, batch: pd.DataFrame, reference: pd.DataFrame, limits) -> Column:
    """The model's predictions on the batch against those on its own test rows: the
    positive class's probability (binary), the predicted class (multiclass) or the
    predicted value (regression)."""
    from .evaluate import predict

    features = batch[list(model.features)].astype("float64", copy=False)  # no second copy
    predicted, probabilities = predict(model, features)
    if probabilities is not None and probabilities.shape[1] == 2:
        positive = model.estimator.classes_[1]
        scores = pd.Series(probabilities[:, 1])
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


# the whole check -----------------------------------------------------------------------


def check(
    batch: pd.DataFrame,
    source: str,
    model,
    training: pd.DataFrame,
    predictions: pd.DataFrame,
    limits: DriftThresholds,
    model_info: dict[str, str],
) -> Result:
    schema = schema_changes(model.features, model.target, batch)
    retyped = {item["column"] for item in schema["retyped"]}
    comparable = [name for name in model.features if name in batch.columns and name not in retyped]
    features = [compare(name, training[name], batch[name], limits) for name in comparable]
    scorable = not schema["missing"] and all(
        item["found"] in ("number", "boolean") for item in schema["retyped"]
    )
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


# the report ----------------------------------------------------------------------------


def percent(share: float, digits: int = 1) -> str:
    return f"{share * 100:.{digits}f}%"


def p_text(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def row(column: Column) -> str:
    verdict = "❌ " + "; ".join(column.reasons) if column.drift else "✅"
    return (
        f"| `{column.name}` | {number(column.psi)} | {number(column.statistic)} | "
        f"{p_text(column.p_value)} | {percent(column.missing_reference)} → "
        f"{percent(column.missing_batch)} | {verdict} |"
    )


def described(model: dict[str, str]) -> str:
    stage = f" ({model['stage']})" if model["stage"] else ""
    return f"{model['name']} {model['version']}{stage}"


def markdown(result: Result, package: str) -> str:
    model, limits = result.model, result.thresholds
    lines = [
        f"## {'⚠️ ' if result.drift else ''}Drift check: {described(model)}",
        "",
        f"**{result.summary}.**",
        "",
        f"Batch `{result.batch['path']}` ({result.batch['rows']:,} rows) against the "
        f"training data of {model['name']} {model['version']} (commit `{model['commit'][:7]}`, "
        f"{result.reference_rows:,} rows).",
    ]
    schema = result.schema
    if any(schema.values()):
        lines += ["", "### Columns", ""]
        if schema["missing"]:
            lines.append("- ❌ missing: " + ", ".join(f"`{name}`" for name in schema["missing"]))
        if schema["new"]:
            lines.append("- ❌ new: " + ", ".join(f"`{name}`" for name in schema["new"]))
        for item in schema["retyped"]:
            lines.append(
                f"- ❌ retyped: `{item['column']}` was {item['expected']}, is {item['found']}"
            )
    header = "| PSI | KS statistic | p-value | Missing (reference → batch) | |"
    lines += ["", "### Predictions", ""]
    if result.predictions is None:
        lines.append(
            "Prediction drift not computed: the model cannot score a batch without its "
            "numeric features."
        )
    else:
        lines += [f"| {header}", "|---|---:|---:|---:|---|---|", row(result.predictions)]
    ordered = sorted(result.features, key=lambda c: (not c.drift, -(c.psi or 0.0)))
    lines += ["", "### Features", "", f"| Feature {header}", "|---|---:|---:|---:|---|---|"]
    lines += [row(column) for column in ordered[:TABLE_ROWS]]
    if len(ordered) > TABLE_ROWS:
        rest = ordered[TABLE_ROWS:]
        lines.append(
            f"\n{len(rest)} more features, {sum(c.drift for c in rest)} of them drifted "
            "(build/monitor/drift.json lists all)."
        )
    lines += [
        "",
        f"A feature drifts when its PSI reaches {limits['psi']:g}, its Kolmogorov-Smirnov "
        f"p-value (samples of {limits['sample_rows']:,} rows) is below {limits['p_value']:g}, "
        "or its share of missing values rises by more than "
        f"{percent(limits['missing_increase'], 0)}; "
        f"the batch drifts from {limits['drifted_features']} drifted feature(s), with drifted "
        "predictions, or with changed columns (lifecycle.yaml: `monitoring.thresholds`).",
        "",
        f"Reproduce: `python -m {package} monitor {result.batch['path']}`",
    ]
    return "\n".join(lines) + "\n"


def as_json(result: Result) -> dict:
    data = asdict(result)
    data["drifted_features"] = [column.name for column in result.drifted()]
    return data


# commands ------------------------------------------------------------------------------


def main(arguments: argparse.Namespace) -> int:
    lifecycle = load_lifecycle()
    settings = lifecycle.monitoring
    if arguments.batch:
        path, setting = Path(arguments.batch), "the batch argument"
    else:
        path, setting = Path(settings.batch), "lifecycle.yaml: monitoring.batch"
    fetch(path, arguments.fetch)
    batch = read_batch(path, setting)
    name, stage = lifecycle.model.name, lifecycle.promotion.stage
    found, model, training, predictions = reference_of(name, stage, arguments.version)
    info = {
        "name": name,
        "version": found.version,
        "stage": "" if arguments.version else stage,
        "commit": found.commit,
    }
    result = check(batch, path.as_posix(), model, training, predictions, settings.thresholds, info)
    text = markdown(result, __package__)
    data = as_json(result)
    data["retrain"] = result.drift and settings.retrain_on_drift
    write_json(data, paths.DRIFT)
    paths.DRIFT_REPORT.write_text(text, encoding="utf-8")
    job_summary(text)
    step_outputs({"drift": str(result.drift).lower(), "retrain": str(data["retrain"]).lower()})
    print(f"monitor: {result.summary} -> {paths.DRIFT_REPORT}, {paths.DRIFT}")
    return DRIFT_EXIT if result.drift else 0


def issue_main() -> None:
    """Open the drift issue, or update the open one: one issue per drift episode."""
    if not paths.DRIFT.is_file():
        raise ProjectError(f"{paths.DRIFT}: not found; run `make monitor` first")
    result = json.loads(paths.DRIFT.read_text(encoding="utf-8"))
    if not result["drift"]:
        print("drift-issue: no drift, no issue")
        return
    label = load_lifecycle().monitoring.issue_label
    model = result["model"]
    gh(
        "label",
        "create",
        label,
        "--color",
        "D93F0B",
        "--force",
        "--description",
        "Drift found by the Monitor workflow",
    )
    number = gh(
        "issue",
        "list",
        "--label",
        label,
        "--state",
        "open",
        "--json",
        "number",
        "--jq",
        ".[0].number",
    )
    body = str(paths.DRIFT_REPORT)
    if number:
        gh("issue", "edit", number, "--body-file", body)
        run = os.environ.get("GITHUB_RUN_ID")
        where = (
            f" ({os.environ['GITHUB_SERVER_URL']}/{os.environ['GITHUB_REPOSITORY']}"
            f"/actions/runs/{run})"
            if run
            else ""
        )
        gh(
            "issue",
            "comment",
            number,
            "--body",
            f"Checked again on `{result['batch']['path']}`{where}: {result['summary']}. "
            "The description above is the latest report.",
        )
        print(f"drift-issue: updated issue #{number}")
    else:
        title = f"Drift: {described(model)}"
        url = gh("issue", "create", "--title", title, "--body-file", body, "--label", label)
        print(f"drift-issue: opened {url}")
