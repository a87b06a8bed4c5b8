"""The model card: what a version is, what it is for, how good it is and how to undo it.

Rendered from the files committed at the version's commit: lifecycle.yaml (owner,
purpose, intended use, limitations, gate), eval/data.json and dvc.lock (the data's
source, rows and hashes), params.yaml and eval/metrics.json; plus the registry (the
version, its commit, the previous production version). Promotion passes the gate's
results against production; rendered later, the card checks the floors and ceilings.
It is the GitHub release's notes; ``python -m <package> model-card`` renders it locally.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths
from ..config import HIGHER_IS_BETTER, Lifecycle, flatten, load_lifecycle, parse_yaml, validate
from ..dvc import stages
from ..errors import ProjectError
from ..git import head, show
from ..markdown import code, table
from ..outputs import write_text
from ..registry import Version, find, holder, previous
from ..review.gate import rule_text, within_bounds

if TYPE_CHECKING:
    from ..review.gate import Criterion

PACKAGE = __package__.rpartition(".")[0]


def _at(commit: str, path: Path) -> str:
    text = show(commit, path)
    if text is None:
        raise ProjectError(f"{path} is not committed at {commit[:7]}: no model card without it")
    return text


def data_hashes(lock_text: str) -> list[tuple[str, str]]:
    """(path, md5) of the data the model was trained and tested on, from dvc.lock."""
    found = []
    for stage in stages(lock_text).values():
        for item in stage.get("deps", []) + stage.get("outs", []):
            path = item["path"]
            if path.startswith("data/") and (path, item.get("md5", "")) not in found:
                found.append((path, item.get("md5", "")))
    return sorted(found)


def render(
    name: str,
    version: str | None,
    commit: str,
    stage: str,
    previous: Version | None,
    criteria: list[Criterion] | None = None,
) -> str:
    """The card as Markdown. ``criteria``: the gate's results at promotion, if known."""
    where = f"{paths.LIFECYCLE}@{commit[:7]}"
    lifecycle = validate(parse_yaml(_at(commit, paths.LIFECYCLE), where), where, Lifecycle)
    about = lifecycle.model
    metrics = json.loads(_at(commit, paths.METRICS))
    profile = json.loads(show(commit, paths.DATA_PROFILE) or "null")
    params_at = f"{paths.PARAMS}@{commit[:7]}"
    params = flatten(parse_yaml(_at(commit, paths.PARAMS), params_at) or {})
    title = f"{name} {version}" if version else f"{name} (not registered)"
    rev = f"{name}@{version}" if version else commit[:7]
    lines = [
        f"# Model card: {title}",
        "",
        f"**Owner:** {about.owner} · **Stage:** {stage} · **Commit:** `{commit[:7]}`",
        "",
        "## Purpose",
        "",
        about.purpose,
        "",
        "## Intended use",
        "",
        about.intended_use,
        "",
        "## Limitations",
        "",
        *[f"- {item}" for item in about.limitations],
        "",
        "## Data",
        "",
    ]
    if profile:
        rows = profile["rows"]
        lines.append(
            f"- Source: {profile['source']}; {rows['train']:,} training and "
            f"{rows['test']:,} test rows ({profile['split']['method']} split); target "
            f"{code(profile['target'])}"
            + (
                f", positive class {code(profile['positive_class'])}"
                if profile["positive_class"]
                else ""
            )
        )
        kinds: dict[str, list[str]] = {}
        for feature, kind in profile["features"].items():
            kinds.setdefault(kind, []).append(feature)
        lines += [
            f"- {kind} features: {', '.join(map(code, names))}" for kind, names in kinds.items()
        ]
        if profile["ids"]:
            lines.append(f"- IDs (not features): {', '.join(map(code, profile['ids']))}")
        known = lifecycle.gate.acknowledged_leaks
        lines += [
            f"- ⚠️ {leak['warning']}; acknowledged: {known.get(leak['column'], '(no reason)')}"
            for leak in profile.get("leaks", [])
        ]
    hashes = data_hashes(_at(commit, paths.LOCK))
    lines += [f"- {code(path)}: md5 {code(md5)}" for path, md5 in hashes]
    rows = [[code(key), code(value)] for key, value in params.items()]
    lines += ["", "## Parameters", "", *table(["Parameter", "Value"], rows)]
    lines += ["", "## Metrics", "", "On the test rows above.", ""]
    rows = []
    for metric, value in metrics.items():
        rule = lifecycle.gate.metrics.get(metric)
        mark = ("✅" if within_bounds(value, rule) else "❌") if rule else ""
        direction = "↑" if metric in HIGHER_IS_BETTER else "↓"
        rows.append([f"{metric} {direction}", f"{value:.4f}", rule_text(rule), mark])
    lines += table(["Metric", "Value", "Gate", ""], rows, align="lrll")
    if criteria:
        passed = sum(item.passed for item in criteria)
        lines += ["", f"**Gate at promotion:** {passed} of {len(criteria)} criteria passed", ""]
        lines += [
            f"- {'✅' if item.passed else '❌'} {item.name}"
            + (f": {item.reason}" if item.reason else f" ({item.note})" if item.note else "")
            for item in criteria
        ]
        lines += [
            "",
            "The comparison on the same test rows, with its intervals, is the promotion "
            "run's report (artifact `promotion`, `promote/report.md`).",
        ]
    lines += [
        "",
        "## Lineage",
        "",
        f"- Version: `{version or '(not registered)'}` of `{name}`, from commit `{commit}`",
        "- Previous production version: "
        + (f"`{previous.version}` (commit `{previous.commit[:7]}`)" if previous else "none"),
        f"- The model: `{paths.MODEL}` as that commit's `dvc.lock` records it; "
        f"`dvc get . {paths.MODEL} --rev {rev}` fetches it",
        "",
        "## Roll back",
        "",
    ]
    target = previous.version if previous else "<version>"
    lines += [
        f"- On GitHub: Actions → **Rollback** → Run workflow (version: blank for {target}).",
        f"- Locally: `python -m {PACKAGE} rollback --to {target}` (pushes the registry's tags).",
        "",
    ]
    return "\n".join(lines)


def main(version: str | None = None, output: str | None = None) -> None:
    """The `model-card` command: a version's card (production's by default)."""
    lifecycle = load_lifecycle()
    name, stage = lifecycle.model.name, lifecycle.promotion.stage
    current = holder(name, stage)
    found = find(name, version) if version else current
    if found is None:  # nothing registered yet: the card of what is committed
        text = render(name, None, head(), "none", None)
    else:
        label = stage if found == current else "registered"
        text = render(name, found.version, found.commit, label, previous(name, stage, found))
    if output:
        write_text(text, Path(output))
        print(f"model-card: {output}")
    else:
        print(text, end="")
