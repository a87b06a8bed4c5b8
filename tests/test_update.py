"""Updating a generated project from a newer template with cruft, as the READMEs say: real
git and the pinned cruft, against two commits of a copy of this template (cruft clones a
template, so it reads commits, not a working tree). The READMEs' cruft commands run here,
taken from the READMEs."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.bake import QUESTIONS, TEMPLATE

from .conftest import git

BIN = Path(sys.executable).parent  # the pinned cruft, beside this Python
SLUG = "{{cookiecutter.project_slug}}"
PACKAGE = "{{cookiecutter.package_name}}"
OWN_DESCRIPTION = "My own description, which the newer template rewords too."


def sh(cwd: Path, line: str, stdin: str = "") -> subprocess.CompletedProcess:
    """A README's command line, run by bash in ``cwd`` with the pinned tools first on PATH."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, input=stdin, capture_output=True, text=True
    )


def block(readme: Path, section: str) -> list[str]:
    """The command lines of a README section's bash blocks, without their comments."""
    body = readme.read_text(encoding="utf-8").split(f"## {section}", 1)[1].split("\n## ")[0]
    lines = []
    for code in re.findall(r"```bash\n(.*?)```", body, re.S):
        lines += [line.split(" #")[0].strip() for line in code.splitlines() if line.strip()]
    return lines


def command(lines: list[str], start: str) -> str:
    """The one line that starts with ``start``."""
    [line] = [line for line in lines if line.startswith(start)]
    return line


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def template(tmp_path) -> Path:
    """This template as it is on disk (the files `git ls-files` lists, new ones included),
    committed once in a repository of its own: the "older" commit."""
    repo = tmp_path / "template"
    listed = git(TEMPLATE, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        if (TEMPLATE / name).is_file():  # a tracked file deleted on disk is not copied
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, repo / name)
    git(repo, "init", "-q")
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "Older template")
    return repo


def newer_commit(template: Path) -> str:
    """The template's next commit: a changed default, a reworded README line, a new ignore
    rule and a new module in the generated package."""
    project = template / SLUG
    replace_once(project / "params.yaml", "  test_size: 0.2\n", "  test_size: 0.25\n")
    replace_once(
        project / "README.md",
        "# {{ cookiecutter.project_name }}\n\n{{ cookiecutter.description }}\n",
        "# {{ cookiecutter.project_name }}\n\nThe newer template's opening line.\n",
    )
    with (project / ".gitignore").open("a", encoding="utf-8") as ignore:
        ignore.write("/newer-template/\n")
    module = project / "src" / PACKAGE / "operate" / "schedule.py"
    module.write_text('"""A module the newer template adds."""\n', encoding="utf-8")
    git(template, "add", "--all")
    git(template, "commit", "-q", "-m", "Newer template")
    return git(template, "rev-parse", "HEAD")


def create(template: Path, where: Path) -> tuple[Path, subprocess.CompletedProcess]:
    """The template README's `cruft create` line, pointed at ``template``."""
    lines = block(TEMPLATE / "README.md", "Generate a project")
    line = command(lines, "cruft create").replace("/path/to/this/template", str(template))
    where.mkdir()
    created = sh(where, line)
    assert created.returncode == 0, created.stdout + created.stderr
    return where / "churn-model", created


def recorded(project: Path) -> str:
    """The template commit .cruft.json records."""
    return json.loads((project / ".cruft.json").read_text(encoding="utf-8"))["commit"]


def test_cruft_create_then_commit_leaves_a_clean_project_and_no_diff(template, tmp_path):
    """`cruft create` makes the committed project; its message and the project's README
    give the one command that commits .cruft.json (cruft writes it after the hook), after
    which the tree is clean, and `cruft diff` of the untouched project prints nothing (the
    hook's .git in cruft's copies is skipped, and the copies print no message)."""
    project, created = create(template, tmp_path / "out")
    assert git(project, "status", "--porcelain") == "?? .cruft.json"
    assert recorded(project) == git(template, "rev-parse", "HEAD")
    lines = block(project / "README.md", "Updating from the template")
    commit_it = command(lines, "git add .cruft.json")
    assert commit_it in created.stdout
    assert sh(project, commit_it).returncode == 0
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "ls-files", ".cruft.json") == ".cruft.json"
    diff = sh(project, command(lines, "cruft diff"))
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout == ""
    assert "Created churn-model/" not in diff.stderr


def test_cruft_update_merges_the_template_and_keeps_the_users_edits(template, tmp_path):
    """From the older template commit to the newer one, with the project README's
    commands: a declined update changes nothing; the update brings the new module and
    the template's changes, keeps the user's edits (in a file the template changed too),
    shows the line both changed as a conflict, records the newer commit, and touches no
    .git; once resolved, the project differs from the template by the user's edits only."""
    project, _ = create(template, tmp_path / "out")
    lines = block(project / "README.md", "Updating from the template")
    assert sh(project, command(lines, "git add .cruft.json")).returncode == 0
    older = recorded(project)
    replace_once(project / "params.yaml", "learning_rate: 0.1\n", "learning_rate: 0.05\n")
    replace_once(project / "lifecycle.yaml", 'owner: "Your Name"', 'owner: "Ada"')
    description = QUESTIONS["description"]  # the line the newer template rewords
    replace_once(project / "README.md", f"\n{description}\n", f"\n{OWN_DESCRIPTION}\n")
    git(project, "commit", "-q", "-am", "My edits")
    head = git(project, "rev-parse", "HEAD")
    newer = newer_commit(template)

    check = command(lines, "cruft check")
    assert sh(project, check).returncode == 1  # the template has a newer commit
    update = command(lines, "cruft update")
    declined = sh(project, update.replace(" --skip-apply-ask", ""), stdin="n\n")
    assert declined.returncode == 1
    assert recorded(project) == older
    assert git(project, "status", "--porcelain") == ""

    updated = sh(project, update)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    output = updated.stdout + updated.stderr
    assert ".git/" not in output
    assert "Created churn-model/" not in output  # cruft's copies print no message
    package = project / "src" / "churn_model"
    assert (package / "operate" / "schedule.py").read_text() == (
        '"""A module the newer template adds."""\n'
    )
    assert (project / ".gitignore").read_text().endswith("/newer-template/\n")
    params = (project / "params.yaml").read_text(encoding="utf-8")
    assert "  test_size: 0.25\n" in params  # the template's change
    assert "learning_rate: 0.05\n" in params  # the user's, in the same file
    assert 'owner: "Ada"' in (project / "lifecycle.yaml").read_text(encoding="utf-8")
    conflicted = (project / "README.md").read_text(encoding="utf-8")
    assert re.search(
        rf"<<<<<<< .*\n{re.escape(OWN_DESCRIPTION)}\n=======\n"
        r"The newer template's opening line\.\n>>>>>>> ",
        conflicted,
    )
    assert sh(project, command(lines, "git status")).returncode == 0
    assert sh(project, "git status --porcelain").stdout.splitlines() == [
        " M .cruft.json",
        "M  .gitignore",
        "UU README.md",
        "M  params.yaml",
        "A  src/churn_model/operate/schedule.py",
    ]
    assert recorded(project) == newer
    assert git(project, "rev-parse", "HEAD") == head  # cruft commits nothing
    assert not list(project.rglob("*.rej"))

    # The user resolves the conflict with their own line and commits.
    resolved = re.sub(
        r"<<<<<<< .*?>>>>>>> [^\n]*\n", f"{OWN_DESCRIPTION}\n", conflicted, flags=re.S
    )
    (project / "README.md").write_text(resolved, encoding="utf-8")
    git(project, "add", "--all")
    git(project, "commit", "-q", "-m", "Update from the template")
    assert sh(project, check).returncode == 0
    left = sh(project, command(lines, "cruft diff")).stdout
    changed = re.findall(r"^diff --git upstream-template-old/(\S+) ", left, re.M)
    assert changed == ["README.md", "lifecycle.yaml", "params.yaml"]
