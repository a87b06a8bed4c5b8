"""Giving a registered version a stage: forward (`assign`) or back (`rollback`). The
registry's history keeps every move; `predict` and the next report use it at once."""

from ..config import load_lifecycle
from ..errors import ProjectError
from ..registry import Version, allowed, find, holder, moved_since, previous, push, put


def set_stage(name: str, stage: str, version: Version, push_tags: bool) -> None:
    made = put(name, stage, allowed(name, version))
    if push_tags:
        push(made)
    where = " and pushed to origin" if push_tags and made else ""
    if made:
        print(f"{name}: {stage} -> {version.version} (tags {', '.join(made)}{where})")
    else:
        print(f"{name}: {version.version} already holds {stage}; nothing to do")


def assign(
    version: str, stage: str | None = None, push_tags: bool = True, if_newest: bool = False
) -> None:
    """The `assign` command: give a registered version a stage (production's by default).
    With ``if_newest`` (the promotion's production step), only while nothing has moved in
    the registry since the version was registered: a rollback, or a later promotion, is a
    newer intent than this approval, so a re-run or a late approval changes nothing."""
    lifecycle = load_lifecycle()
    name, stage = lifecycle.model.name, stage or lifecycle.promotion.stage
    found = find(name, version)
    moved = moved_since(name, found) if if_newest else None
    if moved:
        raise ProjectError(
            f"model {name}: {version} not assigned {stage}: the registry moved since it was "
            f"promoted ({moved}), a newer intent than this run; nothing changed. To put it "
            f"in {stage} anyway, run the Rollback workflow with version {version}"
        )
    set_stage(name, stage, found, push_tags)


def rollback(to: str | None = None, push_tags: bool = True) -> None:
    """The `rollback` command: production back to ``to``, by default to the version
    before the current one."""
    lifecycle = load_lifecycle()
    name, stage = lifecycle.model.name, lifecycle.promotion.stage
    if to:
        target = find(name, to)
    else:
        target = previous(name, stage)
        if target is None:
            current = holder(name, stage)
            held = f"{current.version} is the first" if current else "nothing is"
            raise ProjectError(
                f"model {name}: no earlier version to roll back to ({held} in {stage}); "
                "pass --to <version>"
            )
    set_stage(name, stage, target, push_tags)
