"""Giving a registered version a stage: forward (`assign`) or back (`rollback`). The
registry's history keeps every move; `predict` and the next report use it at once."""

from ..config import load_lifecycle
from ..errors import ProjectError
from ..github import step_outputs
from ..registry import (
    Version,
    allowed,
    assigned_ever,
    find,
    holder,
    moved_since,
    newer,
    previous,
    push,
    put,
)


def set_stage(name: str, stage: str, version: Version, push_tags: bool) -> None:
    made = put(name, stage, allowed(name, version))
    if push_tags:
        push(made)
    where = " and pushed to origin" if push_tags and made else ""
    if made:
        print(f"{name}: {stage} -> {version.version} (tags {', '.join(made)}{where})")
    else:
        print(f"{name}: {version.version} already holds {stage}; nothing to do")
    # The workflows' jobs that follow (the image's production tag) take the version.
    step_outputs({"version": version.version})


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
            f'in {stage} anyway, run `make assign VERSION={version}` (README, "Rollback")'
        )
    set_stage(name, stage, found, push_tags)


def backward(name: str, stage: str, target: Version, current: Version | None) -> str | None:
    """Why ``target`` is not a rollback of ``stage``, or None: a rollback puts back a
    version that held the stage before, below the one that holds it now; anything else
    moves it forward, past the promotion's gate and its approval."""
    if target.version not in assigned_ever(name, stage):
        return f"{target.version} never held {stage} (a staged version waits for its approval)"
    if current is not None and newer(target, current):
        return f"{target.version} is newer than {current.version}, which holds {stage}"
    return None


def rollback(to: str | None = None, push_tags: bool = True) -> None:
    """The `rollback` command: production back to ``to``, by default to the version
    before the current one; never forward (see ``backward``)."""
    lifecycle = load_lifecycle()
    name, stage = lifecycle.model.name, lifecycle.promotion.stage
    current = holder(name, stage)
    if to:
        target = find(name, to)
        if why := backward(name, stage, target, current):
            raise ProjectError(
                f"model {name}: rollback to {to} refused: {why}; a rollback puts back a "
                f"version that held {stage} before. Production goes forward by merging "
                "(the promotion) or by approving the promotion's production job"
            )
    else:
        target = previous(name, stage, current)
        if target is None:
            held = f"{current.version} is the first" if current else "nothing is"
            raise ProjectError(
                f"model {name}: no earlier version to roll back to ({held} in {stage}); "
                "pass --to <version>"
            )
    set_stage(name, stage, target, push_tags)
