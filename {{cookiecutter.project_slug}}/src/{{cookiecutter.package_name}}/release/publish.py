"""After a promotion: its tags reach origin, all at once, and the version is released on
GitHub with its model card as the notes (the "Promote" workflow's last steps)."""

from .. import paths
from ..github import exists, gh
from ..outputs import read_json
from ..registry import push


def push_tags() -> None:
    """The `push-tags` command: push the tags the last `promote` made (build/promote/
    tags.txt) to origin, atomically."""
    made = paths.TAGS.read_text(encoding="utf-8").split() if paths.TAGS.is_file() else []
    push(made)
    print(f"push-tags: {', '.join(made) or 'nothing to push'}")


def release() -> None:
    """The `release` command: a GitHub release for the version the last `promote`
    registered, its notes the model card; a release that exists already is left alone
    (a re-run)."""
    tag = read_json(paths.PROMOTION, "promote", {"tag": str})["tag"]
    if not tag:
        print("release: no new version, no release")
        return
    if exists("release", "view", tag):
        print(f"release: {tag} exists")
        return
    gh(
        "release", "create", tag, "--verify-tag", "--title", tag,
        "--notes-file", str(paths.CARD),
    )  # fmt: skip
    print(f"release: {tag} created, notes {paths.CARD}")
