"""Is the committed dvc.lock fresh, and are the outputs that arrived its bytes? Asked
after `dvc checkout` and `dvc pull`, before `dvc repro`, which would rewrite dvc.lock.

A stage is stale when its code, parameters, command or data differ from what dvc.lock
records, i.e. `dvc repro` would have to run it because of its inputs. Outputs that are
merely absent (not pulled yet) are not staleness: DVC restores or recomputes them.

Every cached output already in the workspace arrived from the cache or the remote: its
bytes must be the ones dvc.lock records, else nothing goes on (a substituted file). The
others, `dvc repro` makes again; where this machine makes other bytes than the
developer's did (threads, CPU, operating system), they are "re-made" (``recorded``
lists them after the reproduction): an honest difference, which the gate judges by the
metrics on the same rows, never by the bytes (README, "Reproducibility").
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
    """{"fresh": bool, "stale": {stage: reasons}, "recorded": {output: md5},
    "arrived": [outputs]} for the workspace now; a ProjectError when an output that
    arrived is not the bytes dvc.lock records."""
    stale = stale_stages(dvc.status())
    cached = set(dvc.pipeline_outputs(cached=True))
    recorded = {name: md5 for name, md5 in dvc.outputs(dvc.lock()).items() if name in cached}
    return {"fresh": not stale, "stale": stale, "recorded": recorded, "arrived": dvc.arrived()}


def recorded() -> dict:
    """The verdict `lock-check` recorded before `dvc repro` rewrote dvc.lock (or, when it
    did not run, the lock's state now), with "remade": the outputs `dvc repro` then made
    with other bytes than dvc.lock records (dvc.remade)."""
    if paths.FRESHNESS.is_file():
        found = json.loads(paths.FRESHNESS.read_text(encoding="utf-8"))
    else:
        found = check()
    found["remade"] = dvc.remade(found.get("recorded", {}), found.get("arrived", []))
    return found


def main() -> None:
    freshness = check()
    write_json(freshness, paths.FRESHNESS)
    here = ", ".join(freshness["arrived"]) or "none"
    print(f"lock-check: outputs here before reproducing, each dvc.lock's bytes: {here}")
    if freshness["fresh"]:
        print("lock-check: dvc.lock matches the code, parameters and data")
    else:
        for stage, reasons in freshness["stale"].items():
            print(f"lock-check: stage {stage} is stale: {'; '.join(reasons)}")
