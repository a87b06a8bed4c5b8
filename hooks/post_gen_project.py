"""Finish the generated project: drop unchosen files, make it a committed Git repository.

Standard library only, no network, safe to run twice.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")


def remove_unchosen_files(answers, root=Path()):
    """Delete the files that belong to options the user did not choose."""
    unchosen = {"LICENSE": answers["license"] == "Proprietary"}
    for name, remove in unchosen.items():
        if remove:
            (root / name).unlink(missing_ok=True)


def git(*args, root=Path()):
    """Run git quietly in the project; return the completed process."""
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def init_repository(root=Path()):
    """Create the repository on branch main; works with git older than --initial-branch."""
    if (root / ".git").exists():
        return
    git("init", "--quiet", root=root).check_returncode()
    git("symbolic-ref", "HEAD", "refs/heads/main", root=root).check_returncode()


def identity_options(answers, root=Path()):
    """Fall back to the author's answers for this one commit when git has no identity.

    Passed with -c so the user's global configuration is never touched.
    """
    options = []
    for key, answer in (("user.name", "author_name"), ("user.email", "author_email")):
        if git("config", key, root=root).returncode != 0:
            options += ["-c", f"{key}={answers[answer]}"]
    return options


def first_commit(answers, root=Path()):
    """Commit everything once; a repository that already has commits is left alone.

    Returns whether it committed, so that the message never claims a commit it did not make.
    """
    if git("rev-parse", "--verify", "--quiet", "HEAD", root=root).returncode == 0:
        return False
    git("add", "--all", root=root).check_returncode()
    result = git(
        *identity_options(answers, root),
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        "Generate project from the GitOps ML template",
        root=root,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or result.stdout.strip())
    return True


SIGNERS = Path(".github") / "registry-signers"
SIGNING_KEY = Path(".registry-signing-key")


def make_signing_key(answers, root=Path()):
    """Create the key pair that signs the registry's tags (the project's signatures.py).

    The public key goes into .github/registry-signers (committed; readers trust only
    tags its keys signed), the private one into .registry-signing-key (git-ignored),
    for the user to store as the workflows' secret. Skipped when the project has
    signers already (generated over itself) or ssh-keygen is missing; returns whether
    a key was made.
    """
    if (root / SIGNERS).exists() or shutil.which("ssh-keygen") is None:
        return False
    comment = f"registry@{answers['project_slug']}"
    result = subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            comment,
            "-f",
            str(root / SIGNING_KEY),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return False
    public = root / f"{SIGNING_KEY}.pub"
    (root / SIGNERS).write_text(f'registry namespaces="git" {public.read_text().strip()}\n')
    public.unlink()
    return True


def print_next_steps(answers, committed=True):
    """Tell the user the three commands that take them to a trained, versioned model.

    Under cruft (its context has `_commit`), first the commit of .cruft.json: cruft writes
    that file after this hook, so the first commit cannot hold it, and `cruft update`
    refuses a working tree that is not clean.
    """
    slug = answers["project_slug"]
    if not committed:
        print(
            f"\nWrote {slug}/ over its existing Git repository and committed nothing: "
            "`git status` and `git diff` show what the template replaced.\n"
        )
        return
    cruft = ""
    if "_commit" in answers:
        cruft = (
            '  git add .cruft.json && git commit -m "Record the template commit (cruft)"'
            "  # cruft writes it after this message\n"
        )
    print(f"""
Created {slug}/ (a Git repository on main, first commit made).

Next:
  cd {slug}
{cruft}  make install     # .venv with exactly what uv.lock pins
  make repro       # prepare -> train -> evaluate with DVC, then show the metrics
  git add --all && git commit -m "Train the first model"
""")


def print_signing_steps():
    """Tell the user where the registry's private key is, and where it must go."""
    print(f"""The registry's signing key is in {SIGNING_KEY} (not committed). Store it in the
environments that make registry tags, then delete the file (README, "Registry signatures"):
  gh secret set REGISTRY_SIGNING_KEY --env writer < {SIGNING_KEY}
  gh secret set REGISTRY_SIGNING_KEY --env production < {SIGNING_KEY}
""")


def is_cruft_comparison(answers, root=Path()):
    """Whether this is one of the copies `cruft update` and `cruft diff` generate to compare.

    They run this hook too, in a fresh folder of Python's tempfile (<tmp>/tmpXXXXXXXX/<slug>),
    with cruft's `_commit` in the answers. Only the message depends on it (cruft leaves
    their .git out of the comparison: pyproject.toml's [tool.cruft] skip); a project
    created in such a folder is committed all the same, just not announced.
    """
    here = root.resolve()
    return (
        "_commit" in answers
        and here.parent.parent == Path(tempfile.gettempdir()).resolve()
        and re.fullmatch(r"tmp[a-z0-9_]{8}", here.parent.name) is not None
    )


def main():
    remove_unchosen_files(ANSWERS)
    if shutil.which("git") is None:
        print(
            "warning: git was not found, so the project is not a Git repository yet; "
            "install git, then run 'git init -b main' and commit.",
            file=sys.stderr,
        )
        return
    signing = not is_cruft_comparison(ANSWERS) and make_signing_key(ANSWERS)
    try:
        init_repository()
        committed = first_commit(ANSWERS)
    except (subprocess.CalledProcessError, RuntimeError) as error:
        # Keep the generated files: a failed commit (e.g. signing) must not delete them.
        print(
            f"warning: the first commit could not be made ({error}); the files are "
            "generated, commit them yourself.",
            file=sys.stderr,
        )
        return
    if not is_cruft_comparison(ANSWERS):
        print_next_steps(ANSWERS, committed)
        if signing:
            print_signing_steps()


if __name__ == "__main__":
    main()
