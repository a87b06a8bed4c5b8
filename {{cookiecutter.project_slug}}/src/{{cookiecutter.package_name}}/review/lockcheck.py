"""Is the committed dvc.lock fresh? Asked before `dvc repro`, which would rewrite it.

A stage is stale when its code, parameters, command or data differ from what dvc.lock
records, i.e. `dvc repro` would have to run it because of its inputs. Outputs that are
merely absent (not pulled yet) are not staleness: DVC restores or recomputes them.
"""

import json

from .. import dvc, paths
from ..outputs import write_json


def stale_stages(status: dict) -> dict[str, list[str]]:
    """stage -> reasons, from `dvc status --json` output."""
    stale: dict[str, list[str]] = {}
    for stage, entries in status.items():
        reasons = []
        for entry in entries:
            if isinstance(entry, str):  # "changed command", "always changed", ...
                reasons.append(entry)
                continue
            for path, change in entry.get("changed deps", {}).items():
                if isinstance(change, dict):  # a params file: key -> change
                    reasons += [f"parameter {key} {how}" for key, how in change.items()]
                elif change == "deleted":
                    continue  # an input not pulled is missing, not stale
                else:
                    reasons.append(f"{path} {change}")
        if reasons:
            stale[stage.split(":")[-1]] = reasons
    return stale


def check() -> dict:
    """{"fresh": bool, "stale": {stage: reasons}} for the workspace now."""
    stale = stale_stages(dvc.status())
    return {"fresh": not stale, "stale": stale}


def recorded() -> dict:
    """The verdict `lock-check` recorded before `dvc repro` rewrote dvc.lock, or, when it
    did not run, the lock's state now."""
    if paths.FRESHNESS.is_file():
        return json.loads(paths.FRESHNESS.read_text(encoding="utf-8"))
    return check()


def main() -> None:
    freshness = check()
    write_json(freshness, paths.FRESHNESS)
    if freshness["fresh"]:
        print("lock-check: dvc.lock matches the code, parameters and data")
    else:
        for stage, reasons in freshness["stale"].items():
            print(f"lock-check: stage {stage} is stale: {'; '.join(reasons)}")
