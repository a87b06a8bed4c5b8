"""Finish the generated project: drop unchosen files, make it a committed Git repository.

Standard library only, no network, safe to run twice.
"""

import json
import shutil
import subprocess
import sys
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
    """Commit everything once; a repository that already has commits is left alone."""
    if git("rev-parse", "--verify", "--quiet", "HEAD", root=root).returncode == 0:
        return
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


def print_next_steps(answers):
    """Tell the user the three commands that take them to a trained, versioned model."""
    print(f"""
Created {answers["project_slug"]}/ (a Git repository on main, first commit made).

Next:
  cd {answers["project_slug"]}
  make install     # .venv with exactly what uv.lock pins
  make repro       # prepare -> train -> evaluate with DVC, then show the metrics
  git add --all && git commit -m "Train the first model"
""")


def main():
    remove_unchosen_files(ANSWERS)
    if shutil.which("git") is None:
        print(
            "warning: git was not found, so the project is not a Git repository yet; "
            "install git, then run 'git init -b main' and commit.",
            file=sys.stderr,
        )
        return
    try:
        init_repository()
        first_commit(ANSWERS)
    except (subprocess.CalledProcessError, RuntimeError) as error:
        # Keep the generated files: a failed commit (e.g. signing) must not delete them.
        print(
            f"warning: the first commit could not be made ({error}); the files are "
            "generated, commit them yourself.",
            file=sys.stderr,
        )
        return
    print_next_steps(ANSWERS)


if __name__ == "__main__":
    main()
