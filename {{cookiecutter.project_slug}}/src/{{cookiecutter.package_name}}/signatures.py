"""The registry's signatures: the promotion signs every tag it makes, and a reader uses
only the tags a key of main's ``.github/registry-signers`` signed.

Anyone who may push tags could otherwise write a registry record: a version tag whose
message says its gate passed, on a commit no gate saw, or a stage tag that moves
production. The promotion, the production step and the rollback run in GitHub
Environments that only main may use, and only there is the private key
(``REGISTRY_SIGNING_KEY``; a maintainer's machine may keep the file generation wrote,
``.registry-signing-key``); the public one is committed in ``.github/registry-signers``
(SSH's allowed-signers format, owned by CODEOWNERS) and read from main, never from the
branch under review. Git signs with OpenSSH (``gpg.format=ssh``) and checks with
``git verify-tag``. Without that file on main, the registry is unsigned: tags are used
as they are, with one warning (README, "Registry signatures").
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import ProjectError
from .git import commit_of, git, main_branch, show, succeeds

SIGNERS = Path(".github/registry-signers")  # on main: the public keys that may sign
KEY = "REGISTRY_SIGNING_KEY"  # the private key's text (CI: an environment's secret)
KEY_FILE = "REGISTRY_SIGNING_KEY_FILE"  # or the path of the private key's file
GENERATED = Path(".registry-signing-key")  # where generation wrote it (git-ignored)
SEE = 'README, "Registry signatures"'


@contextlib.contextmanager
def _private_key() -> Iterator[str]:
    """The path of the registry's private key, for as long as the block runs."""
    if path := os.environ.get(KEY_FILE):
        if not Path(path).is_file():
            raise ProjectError(f"{KEY_FILE}={path}: no such file ({SEE})")
        yield path
        return
    text = os.environ.get(KEY, "").strip()
    if not text and GENERATED.is_file():  # the maintainer's copy, from generation
        yield str(GENERATED)
        return
    if not text:
        raise ProjectError(
            f"the registry's tags are signed, and neither {KEY} nor {KEY_FILE} is set: "
            f"give the private key whose public key {SIGNERS} lists ({SEE}); no tag made"
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "key"
        path.touch(mode=0o600)
        path.write_text(text + "\n", encoding="utf-8")
        yield str(path)


def signing_required() -> bool:
    """Whether main lists the registry's signers (then every tag made is signed)."""
    return signers() is not None


def check_key() -> None:
    """A ProjectError before any tag is made, when tags must be signed and no key is set."""
    if signing_required():
        with _private_key():
            pass


# Who tags, where git knows no one (a CI runner): GitHub's own bot, as GTO would.
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


def tag_exists(tag: str) -> bool:
    return bool(git("tag", "--list", tag))


def make_tag(tag: str, commit: str, message: str) -> None:
    """An annotated tag on ``commit``, signed with the registry's key when main lists
    signers (GTO's own Git library cannot sign, so the registry makes its tags here)."""
    options = []
    for key, value in zip(("user.name", "user.email"), BOT, strict=True):
        if not succeeds("config", key):
            options += ["-c", f"{key}={value}"]
    if not signing_required():
        git(*options, "tag", "--annotate", "--message", message, tag, commit)
        return
    with _private_key() as key:
        git(
            *options, "-c", "gpg.format=ssh", "-c", f"user.signingKey={key}",
            "tag", "--sign", "--message", message, tag, commit,
        )  # fmt: skip


_SIGNERS: dict[str, str | None] = {}
_CHECKED: dict[str, bool] = {}
_WARNED: set[str] = set()


def signers() -> str | None:
    """main's .github/registry-signers (allowed signers), or None when it has none."""
    commit = commit_of(main_branch()) or ""
    if commit not in _SIGNERS:
        text = show(commit, SIGNERS) if commit else None
        _SIGNERS[commit] = text if text and text.strip() else None
    return _SIGNERS[commit]


def trusted(tag: str, tag_object: str) -> bool:
    """Whether ``tag`` (its tag object ``tag_object``) may be read as a registry record:
    signed by a key main lists; every tag when main lists none (one warning). A refused
    tag is named once on stderr."""
    allowed = signers()
    if allowed is None:
        if "" not in _WARNED:
            _WARNED.add("")
            print(
                f"registry: {SIGNERS} is not on main, so the registry's tags are not "
                f"signed and anyone who may push tags can write them ({SEE})",
                file=sys.stderr,
            )
        return True
    if tag_object not in _CHECKED:
        with tempfile.TemporaryDirectory() as folder:
            listed = Path(folder) / "allowed_signers"
            listed.write_text(allowed, encoding="utf-8")
            _CHECKED[tag_object] = succeeds(
                "-c", f"gpg.ssh.allowedSignersFile={listed}", "verify-tag", tag_object
            )
    if not _CHECKED[tag_object] and tag not in _WARNED:
        _WARNED.add(tag)
        print(
            f"registry: tag {tag} is not signed by a key {SIGNERS} lists on main; it is "
            "not used (only the promotion's workflow makes registry tags)",
            file=sys.stderr,
        )
    return _CHECKED[tag_object]
