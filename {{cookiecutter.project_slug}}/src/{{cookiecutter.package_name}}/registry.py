"""The model registry, the one place that reads and writes it: GTO's Git tags in this
repository. Review reads it (the version in production), release writes it, operate
reads it (the version to score with or to check for drift).

A version is a ``name@vX.Y.Z`` tag on the commit whose ``dvc.lock`` records the model;
a stage assignment is a ``name#stage#N`` tag. The version that holds a stage is GTO's:
the highest registered version whose latest event for that stage is an assignment. So
putting an earlier version back (a rollback) unassigns the versions above it
(``name#stage!#N``) and assigns it again: the registry's history shows both.

Tags are made locally; ``push`` sends them to ``origin`` all at once, or none.

A version's bytes are the ones its commit's dvc.lock records, unless its promotion had
to make an output again and got other bytes (another machine: threads, CPU, operating
system): then its tag message names the bytes that shipped, a line ``shipped <path>
<md5>`` each (``Version.shipped``), and every reader checks against those.

Only a reviewed version may hold a stage. Every tag the registry reads was signed by
the promotion's workflow (signatures.py): a tag made by hand, on any commit, with any
message, is not read at all. The promotion records its passing gate in the version's
tag message (``GATE_RECORD``); a version whose commit is not on ``main``, or whose tag
carries no such record, is refused: it never becomes the holder of a stage here, and
the holder is then the highest version that does qualify (or none), with a warning
naming the refused one. The tag ruleset (README, "Branch rules") keeps these tags from
being moved or deleted.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field

from .errors import ProjectError
from .git import commit_of, git, is_ancestor, main_branch
from .signatures import check_key, make_tag, tag_exists, trusted

MAIN = "main"  # the branch whose commits may ship (promote.yaml runs on its pushes)
GATE_RECORD = "gate passed"  # how a promotion's registration tag message begins
SHIPPED = re.compile(r"^shipped (\S+) ([0-9a-f]{32}(?:\.dir)?)$", re.M)


@dataclass(frozen=True)
class Version:
    version: str
    commit: str
    # path -> md5 of the outputs its promotion made again with other bytes than the
    # commit's dvc.lock records (its tag message's "shipped" lines); empty otherwise
    shipped: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def shipped_lines(remade: dict[str, dict[str, str]]) -> str:
    """The lines of a registration's message that name the bytes that shipped."""
    return "".join(f"\nshipped {path} {md5['built']}" for path, md5 in sorted(remade.items()))


def messages(name: str) -> dict[str, str]:
    """version -> the message of its registration tag, for every version of ``name``."""
    listed = git(
        "for-each-ref", "--format=%(refname:strip=2)%1f%(contents)%1e", f"refs/tags/{name}@*"
    )
    found = {}
    for entry in listed.split("\x1e"):
        tag, _, message = entry.strip().partition("\x1f")
        if tag.startswith(f"{name}@"):
            found[tag.removeprefix(f"{name}@")] = message
    return found


def made(version: str, commit: str, known: dict[str, str]) -> Version:
    """A Version with the bytes its registration's message (in ``known``) names."""
    return Version(version, commit, dict(SHIPPED.findall(known.get(version, ""))))


def one_version_per_commit() -> None:
    """GTO's tag listing, wrapped once per process: it keeps only the tags a key of
    main's registry signers signed (signatures.py), and the first version tag of each
    commit. GTO refuses a commit with two version tags (``ManyVersions``) and then
    answers nothing about the model: one extra tag would stop every reader, so the later
    ones are skipped with a warning naming them."""
    import gto.tag
    from gto.constants import ACTION, NAME, Action

    if getattr(gto.tag.find, "one_version_per_commit", False):
        return
    listed = gto.tag.find

    def find(*args, **kwargs):
        kept, seen = [], set()
        for tag in listed(*args, **kwargs):  # oldest first
            if not trusted(tag.name, tag.hexsha):
                continue
            parsed = gto.tag.parse_name(tag.name) or {}
            key = (parsed.get(NAME), tag.target)
            if parsed.get(ACTION) == Action.REGISTER and key in seen:
                print(
                    f"registry: tag {tag.name} is a second version of commit "
                    f"{tag.target[:7]}; skipped (the commit's first version stands)",
                    file=sys.stderr,
                )
                continue
            if parsed.get(ACTION) == Action.REGISTER:
                seen.add(key)
            kept.append(tag)
        return kept

    find.one_version_per_commit = True
    gto.tag.find = find


def _semver(version: str):
    from gto.versions import SemVer

    return SemVer(version)


def _artifact(name: str):
    from gto.registry import GitRegistry

    one_version_per_commit()
    with GitRegistry.from_url(".") as registry:
        return registry.find_artifact(name, create_new=True)


def versions(name: str) -> list[Version]:
    """Every registered version, lowest first."""
    found = _artifact(name).get_versions(include_non_explicit=False)
    ordered = sorted(found, key=lambda item: _semver(item.version))
    known = messages(name)
    return [made(item.version, item.commit_hexsha, known) for item in ordered]


def find(name: str, version: str) -> Version:
    """A registered version; else an error listing the versions there are."""
    known = versions(name)
    for item in known:
        if item.version == version:
            return item
    listed = ", ".join(item.version for item in known) or "none yet"
    raise ProjectError(
        f"model {name}: no version {version} in the registry (registered: {listed}); "
        f"`gto show {name}` lists them"
    )


def refusal(name: str, version: Version) -> str | None:
    """Why ``version`` may not hold a stage, or None when it may: its commit is on main
    and its registration records a passing gate."""
    branch = main_branch()
    if commit_of(branch) is None or not is_ancestor(version.commit, branch):
        return f"its commit {version.commit[:7]} is not on {MAIN}"
    message = git("tag", "--list", "--format=%(contents)", f"{name}@{version.version}")
    if not message.startswith(GATE_RECORD):
        return "its tag records no passing gate (it was not made by the promotion)"
    return None


def holder(name: str, stage: str) -> Version | None:
    """The version that holds ``stage``, or None when none does. A version that may not
    hold it (see the module's docstring) is skipped with a warning."""
    if not git("tag", "--list", f"{name}#{stage}#*"):
        return None  # no assignment tag: skip importing GTO
    from gto.api import find_versions_in_stage

    one_version_per_commit()
    found = find_versions_in_stage(".", name, stage, versions_per_stage=-1) or []
    known = messages(name)
    for item in sorted(found, key=lambda item: _semver(item.version), reverse=True):
        version = made(item.version, item.commit_hexsha, known)
        why = refusal(name, version)
        if why is None:
            return version
        print(
            f"registry: {name} {version.version} is assigned {stage} but refused: {why}; "
            "it is not used",
            file=sys.stderr,
        )
    return None


def allowed(name: str, version: Version) -> Version:
    """``version`` when it may hold a stage; else a ProjectError saying why."""
    why = refusal(name, version)
    if why:
        raise ProjectError(f"model {name}: {version.version} may not hold a stage: {why}")
    return version


def moved_since(name: str, version: Version) -> str | None:
    """The registry's newest event after ``version`` was registered, when one concerns
    another version (a rollback, a later promotion); None when there is none."""
    from gto.api import history

    one_version_per_commit()
    events = history(".", name)
    registered = [
        event["timestamp"]
        for event in events
        if event["event"] == "registration" and event["version"] == version.version
    ]
    later = [
        event
        for event in events
        if registered
        and event["version"] != version.version
        and event["timestamp"] > registered[0]
    ]
    if not later:
        return None
    newest = max(later, key=lambda event: event["timestamp"])
    return f"{newest['ref']} ({newest['event']} of {newest['version']})"


def chosen(name: str, stage: str, version: str | None) -> Version:
    """``version`` when given, else the version at ``stage``; else a clear error."""
    found = find(name, version) if version else holder(name, stage)
    if found is None:
        raise ProjectError(
            f"model {name}: no version holds stage {stage!r} in the registry; "
            f"`gto show {name}` lists the versions and their stages"
        )
    return found


def at_commit(name: str, commit: str) -> Version | None:
    """The version registered on ``commit``, if any."""
    return next((item for item in versions(name) if item.commit == commit), None)


def assigned_ever(name: str, stage: str) -> list[str]:
    """The versions that have held ``stage`` at some time, lowest first."""
    from gto.api import history

    one_version_per_commit()
    found = {
        event["version"]
        for event in history(".", name)
        if event["event"] == "assignment" and event["stage"] == stage
    }
    return sorted(found, key=_semver)


def newer(version: Version, than: Version) -> bool:
    """Whether ``version`` is above ``than`` (semantic versions)."""
    return _semver(version.version) > _semver(than.version)


def previous(name: str, stage: str, version: Version | None = None) -> Version | None:
    """The version that held ``stage`` before ``version`` (by default its current
    holder): the highest one below it that was ever assigned there, so rolling back
    twice goes two versions back."""
    version = version or holder(name, stage)
    if version is None:
        return None
    below = [v for v in assigned_ever(name, stage) if _semver(v) < _semver(version.version)]
    return find(name, below[-1]) if below else None


def register(name: str, commit: str, bump: str, record: str) -> Version:
    """Register ``commit``'s model as the next version (``bump``: major, minor or patch
    of the highest one); the first version is v1.0.0. ``record``, the tag's message,
    starts with GATE_RECORD: what makes the version one that may hold a stage. The tag
    is GTO's (``name@vX.Y.Z``), made and signed here (signatures.tag)."""
    if not record.startswith(GATE_RECORD):
        raise ValueError(f"a registration records its gate: {record!r}")
    check_key()
    known = versions(name)
    version = _semver("v1.0.0")
    if known:
        version = _semver(known[-1].version).bump(
            bump_major=bump == "major", bump_minor=bump == "minor", bump_patch=bump == "patch"
        )
    while tag_exists(f"{name}@{version.version}"):  # a tag the registry does not read
        print(
            f"registry: tag {name}@{version.version} exists and is not read; skipping it",
            file=sys.stderr,
        )
        version = version.bump(bump_patch=True)
    make_tag(f"{name}@{version.version}", commit, record)
    found = at_commit(name, commit)
    assert found is not None
    return found


def stage_tag(name: str, stage: str, assign: bool) -> str:
    """The name of GTO's next stage tag for ``name``: ``name#stage#N`` (an assignment) or
    ``name#stage!#N`` (an unassignment), N one more than any of the model's counters."""
    counters = [
        int(tag.rsplit("#", 1)[1])
        for tag in git("tag", "--list", f"{name}#*").split()
        if tag.rsplit("#", 1)[1].isdigit()
    ]
    return f"{name}#{stage}{'' if assign else '!'}#{max(counters, default=0) + 1}"


def put(name: str, stage: str, version: Version) -> list[str]:
    """Make ``version`` the holder of ``stage``: unassign the versions above it that hold
    it, assign it unless it already does. Returns the tags made (none if it holds it).
    The tags are GTO's, made and signed here (signatures.tag)."""
    from gto.api import find_versions_in_stage

    one_version_per_commit()
    check_key()
    made = []
    active = find_versions_in_stage(".", name, stage, versions_per_stage=-1) or []
    above = [other for other in active if _semver(other.version) > _semver(version.version)]
    for other in above:
        next_second(name)
        made.append(stage_tag(name, stage, assign=False))
        message = f"Unassigning stage {stage} from artifact {name} version {other.version}"
        make_tag(made[-1], other.commit_hexsha, message)
    if above or version.version not in {other.version for other in active}:
        # a version that held the stage before may take it back; after a rollback, a
        # fresh assignment makes the history say where the stage went
        next_second(name)
        made.append(stage_tag(name, stage, assign=True))
        message = f"Assigning stage {stage} to artifact {name} version {version.version}"
        make_tag(made[-1], version.commit, message)
    return sorted(made)


def next_second(name: str) -> None:
    """Wait, if need be, until the second after the newest stage tag of ``name``: GTO
    orders a version's stage events by their tags' times, which count whole seconds, so
    an unassignment and a new assignment made in the same second would tie."""
    newest = git(
        "for-each-ref", "--sort=-creatordate", "--count=1", "--format=%(creatordate:unix)",
        f"refs/tags/{name}#*",
    )  # fmt: skip
    if newest and (wait := int(newest) + 1 - time.time()) > 0:
        time.sleep(wait)


def push(made: list[str], remote: str = "origin") -> None:
    """Push the tags to ``remote`` atomically; if that fails, delete them here too, so
    the registry is never half-updated and a re-run starts clean."""
    if not made:
        return
    try:
        git("push", "--atomic", remote, *[f"refs/tags/{tag}" for tag in made])
    except ProjectError as error:
        git("tag", "--delete", *made)
        raise ProjectError(
            f"pushing the registry's tags ({', '.join(made)}) to {remote} failed; nothing "
            f"changed there: {error}"
        ) from None
