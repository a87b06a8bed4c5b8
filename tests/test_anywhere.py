"""A generated project sets up anywhere: its dev container, its pre-commit hooks (the
README's commands, run), every make target's commands without make (the README's table,
checked against the recipes), and its environment's folder on Windows (Scripts)."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from harness.bake import TEMPLATE, bake, choices
from harness.env import run

from .conftest import edit_yaml, git, readme_commands

# The Pythons of mcr.microsoft.com/devcontainers/python's version 3 (its manifest.json).
IMAGE_PYTHONS = {"3.10", "3.11", "3.12", "3.13", "3.14"}
TEMPLATE_DEV = tomllib.loads((TEMPLATE / "pyproject.toml").read_text(encoding="utf-8"))
PRE_COMMIT = next(
    pin for pin in TEMPLATE_DEV["project"]["optional-dependencies"]["dev"]
    if pin.startswith("pre-commit==")
)  # fmt: skip
# make's SHELL for reading recipes: each line's words as the shell would pass them (the
# variables make exports expanded), one line each; nothing runs. A line that is more
# than one command (`||`, `&&`, a pipe) is only named.
WORDS = """#!/bin/sh
case "$2" in *'||'*|*'&&'*|*'|'*) echo compound; exit 0 ;; esac
eval "set -- $2"
printf '%s\\037' "$@"
echo
"""
# Words of a recipe that typing its command leaves out: uv's project environment is
# .venv without being told, and --quiet only quiets.
UNTYPED = {"UV_PROJECT_ENVIRONMENT=.venv", "--quiet"}


@pytest.fixture(scope="module")
def bakes(tmp_path_factory):
    root = tmp_path_factory.mktemp("anywhere")
    made = {}

    def get(**answers):
        key = json.dumps(answers, sort_keys=True)
        if key not in made:
            made[key] = bake(root / str(len(made)), **answers)
        return made[key]

    return get


def devcontainer(project: Path) -> dict:
    return json.loads((project / ".devcontainer" / "devcontainer.json").read_text("utf-8"))


@pytest.mark.parametrize("python", choices("python_version"))
def test_the_dev_container_is_the_answered_python(bakes, python):
    """The image is the devcontainers Python image of the answered version (pinned to the
    image's major version), `make install` runs once it is made, the environment `make
    install` makes comes first on PATH, and the extensions are Python, Ruff and DVC's."""
    project = bakes(python_version=python)
    config = devcontainer(project)
    assert python in IMAGE_PYTHONS
    assert config["image"] == f"mcr.microsoft.com/devcontainers/python:3-{python}-trixie"
    assert config["postCreateCommand"] == "make install"
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^VENV \?= \.venv$", makefile, re.M)
    workspace = "${containerWorkspaceFolder}/.venv/bin"
    assert config["remoteEnv"]["PATH"] == f"{workspace}:${{containerEnv:PATH}}"
    vscode = config["customizations"]["vscode"]
    assert vscode["extensions"] == ["ms-python.python", "charliermarsh.ruff", "Iterative.dvc"]
    assert vscode["settings"]["python.defaultInterpreterPath"] == f"{workspace}/python"
    assert vscode["settings"]["ruff.importStrategy"] == "fromEnvironment"  # the pinned ruff


def test_the_dev_container_command_installs_the_project(baked, project_env):
    """postCreateCommand, run as the workflows' tests run `make install` (into the shared
    environment, uv offline from its cache); the project's commands then work."""
    project = baked()
    command = shlex.split(devcontainer(project)["postCreateCommand"])
    run(project, *command, VENV=str(project_env), UV_OFFLINE="1")
    run(project, "python", "-m", "churn_model", "validate")


def test_pre_commit_runs_what_ci_checks_on_every_commit(baked, project_env, tmp_path):
    """The README's commands install pre-commit (the template's pin, offline from uv's
    cache) and its hook; with the environment in .venv, as `make install` makes it, and
    not activated (no ruff and no project Python on PATH), a generated project passes
    every hook, and a commit that ruff would reformat, whose code ruff refuses, or whose
    params.yaml is invalid is stopped."""
    project = baked()
    (project / ".venv").symlink_to(project_env)  # `make install`'s environment
    with (project / ".git" / "info" / "exclude").open("a", encoding="utf-8") as exclude:
        exclude.write(".venv\n")  # .gitignore's `.venv/` is a folder, this a symlink
    tools = tmp_path / "tools"
    # Not activated: where uv puts tools, and the system's git, make and shells.
    system = {str(Path(shutil.which(name)).parent) for name in ("git", "make", "sh", "bash")}
    bare = os.pathsep.join([str(tools / "bin"), *sorted(system)])
    assert shutil.which("ruff", path=bare) is None
    env = {
        **{key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"},
        "UV_TOOL_DIR": str(tools / "envs"),
        "UV_TOOL_BIN_DIR": str(tools / "bin"),
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
        "PATH": bare,
    }

    def sh(*command: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0 or not check, result.stdout + result.stderr
        return result

    install, hook = readme_commands(project, "Setting up anywhere")
    assert install == ["uv", "tool", "install", PRE_COMMIT]
    assert hook == ["pre-commit", "install"]
    uv = str(Path(sys.executable).with_name("uv"))  # the README assumes uv is installed
    sh(uv, *install[1:])
    sh(*hook)
    sh("pre-commit", "run", "--all-files")

    def commit() -> subprocess.CompletedProcess:
        git(project, "add", "--all")
        return sh("git", "commit", "-q", "-m", "A change", check=False)

    scratch = project / "src" / "churn_model" / "scratch.py"
    scratch.write_text("import os\n\nx  =  1\n", encoding="utf-8")
    assert commit().returncode != 0
    # Fixed (the unused import) and formatted; what ruff cannot fix stops it still.
    assert scratch.read_text(encoding="utf-8") == "x = 1\n"
    scratch.write_text("def f():\n    return y\n", encoding="utf-8")
    refused = commit()
    assert refused.returncode != 0 and "F821" in refused.stdout + refused.stderr
    scratch.write_text("x = 1\n", encoding="utf-8")
    edit_yaml(project / "params.yaml", lambda p: p["base"].update(problem_type="ranking"))
    assert commit().returncode != 0
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    git(project, "checkout", "HEAD", "--", "params.yaml")
    assert commit().returncode == 0
    assert git(project, "rev-list", "--count", "HEAD") == "2"


MAKE = shutil.which("make")  # found whatever PATH a test gives make


def make(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``make`` in ``project``, output captured; as a top-level make even under `make test`
    (which would make it a sub-make that prints "Entering directory")."""
    return subprocess.run(
        [MAKE, "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )


def test_every_make_target_has_its_commands_without_make(bakes, tmp_path):
    """The README's "Without make" table lists every target `make help` lists (but help)
    in its order, each with exactly the commands its recipe runs, its prerequisites'
    first, for the variables the row gives; `make install` also puts uv into .venv when
    there is none, which the text says."""
    project = bakes(dvc_remote="s3")
    listed = re.findall(r"^  make (\S+)", make(project, "help").stdout, re.M)
    readme = (project / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Without make", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(make [^`]+)` \| `([^`]+)` \|$", section, re.M)
    assert [row[0].split()[1] for row in rows] == [name for name in listed if name != "help"]
    assert "`python -m pip install --require-hashes -r requirements-uv.txt`" in section
    words = tmp_path / "words.sh"
    words.write_text(WORDS, encoding="utf-8")
    words.chmod(0o755)
    for target, typed in rows:
        _, name, *variables = target.split()
        printed = make(project, "-s", name, *variables, f"SHELL={words}").stdout.splitlines()
        assert "compound" not in printed or name == "install", target
        recipe = [
            [word for word in line.rstrip("\037").split("\037") if word not in UNTYPED]
            for line in printed
            if line != "compound"
        ]
        assert recipe == [shlex.split(command) for command in typed.split(" && ")], target


# A target that prints the environment's folder of commands, which `make install` runs.
SHOW_BIN = ["--eval", 'show-bin: ; @echo "$$BIN"', "show-bin"]


def test_without_uv_make_install_puts_uv_lock_s_uv_with_its_hashes(bakes, tmp_path):
    """Without uv on PATH, `make install` first pip-installs requirements-uv.txt with
    --require-hashes: uv.lock's uv (the dev pin), every file's hash as uv.lock records
    it; pip takes it from the index and checks it."""
    project = bakes()
    bare = os.pathsep.join(
        sorted({str(Path(shutil.which(name)).parent) for name in ("git", "make", "sh")})
    )
    assert shutil.which("uv", path=bare) is None
    venv = tmp_path / "venv"
    shown = make(project, "-n", "install", f"VENV={venv}", PATH=bare).stdout
    words = " ".join(shown.replace("\\\n", " ").split())
    bootstrap = '"$BIN/python" -m pip install --quiet --disable-pip-version-check'
    assert f"{bootstrap} --require-hashes -r requirements-uv.txt;" in words
    assert make(project, f"VENV={venv}", *SHOW_BIN).stdout.strip() == f"{venv}/bin"
    text = (project / "requirements-uv.txt").read_text(encoding="utf-8")
    pinned = re.search(r"^uv==(\S+) \\$", text, re.M).group(1)
    hashes = set(re.findall(r"--hash=(sha256:[0-9a-f]{64})", text))
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    [uv] = [package for package in lock["package"] if package["name"] == "uv"]
    assert pinned == uv["version"]
    assert hashes == {item["hash"] for item in [*uv["wheels"], uv["sdist"]]}
    dev = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"uv=={pinned}" in dev["project"]["optional-dependencies"]["dev"]
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--require-hashes",
         "-r", "requirements-uv.txt"],
        cwd=project, check=True,
    )  # fmt: skip
    version = subprocess.run(
        [venv / "bin" / "uv", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.split()[:2] == ["uv", pinned]


def pip_install_editable(project: Path, venv: Path, **env: str) -> Path:
    """`pip install --no-deps -e` of ``project`` into a new ``venv``: pip fetches the
    build backend from its index (the dependencies are not the point here)."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    result = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-cache-dir",
         "--quiet", "--editable", "."],
        cwd=project, capture_output=True, text=True, check=False, env={**os.environ, **env},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return venv / "bin"


def test_pip_installs_the_project_with_the_build_backend_from_the_index(bakes, tmp_path):
    """A plain `pip install -e .` works: uv_build comes from the index, the newest the
    range allows there, and the console script's usage names it; and the range's lower
    bound builds it too, with a package whose name is not the project's (the backend's
    `module-name`), console script included."""
    project = bakes()
    bin_ = pip_install_editable(project, tmp_path / "newest")
    # The console script names itself in its usage (the CLI needs no dependency for it).
    shown = subprocess.run(
        [bin_ / "churn-model", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert shown.startswith("usage: churn-model ")
    toml = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    [backend] = toml["build-system"]["requires"]
    oldest = re.fullmatch(r"uv_build>=([\d.]+),<[\d.]+", backend).group(1)
    renamed = bakes(package_name="churn_pkg")
    constraint = tmp_path / "constraint.txt"
    constraint.write_text(f"uv_build=={oldest}\n", encoding="utf-8")
    # PIP_CONSTRAINT reaches the pip that installs the build backend.
    bin_ = pip_install_editable(renamed, tmp_path / "oldest", PIP_CONSTRAINT=str(constraint))
    script = (bin_ / "churn-model").read_text(encoding="utf-8")
    assert "from churn_pkg.cli import main" in script
    found = subprocess.run(
        [bin_ / "python", "-c", "import churn_pkg; print(churn_pkg.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert Path(found.strip()) == renamed / "src" / "churn_pkg" / "__init__.py"


def test_on_windows_make_finds_the_environment_in_scripts(bakes):
    """With OS=Windows_NT the Makefile runs .venv/Scripts' commands and puts that folder
    first on PATH (joined with `;` when PATH is Windows' own); elsewhere bin. No other
    file names .venv/bin without .venv\\Scripts beside it (the dev container is Linux)."""
    project = bakes()
    venv = project / ".venv"
    shown = make(project, "-n", "install", "OS=Windows_NT").stdout
    assert '"$BIN/python" -m pip install' in shown and "/bin/" not in shown
    assert make(project, "OS=Windows_NT", *SHOW_BIN).stdout.strip() == f"{venv}/Scripts"
    show_path = ["--eval", 'print-path: ; @echo "$$PATH"', "print-path"]
    windows_path = r"C:\Windows\system32;C:\Windows"
    on_windows = make(project, "OS=Windows_NT", *show_path, PATH=windows_path)
    assert on_windows.stdout.strip() == f"{venv}/Scripts;{windows_path}"
    assert make(project, "OS=Windows_NT", *show_path).stdout.startswith(f"{venv}/Scripts:")
    assert make(project, *show_path).stdout.startswith(f"{venv}/bin:")
    for name in git(project, "ls-files").splitlines():
        if name.startswith(".devcontainer/") or name == "uv.lock":
            continue
        text = (project / name).read_text(encoding="utf-8")
        for found in re.finditer(r"\.venv/bin", text):
            assert r".venv\Scripts" in text[found.end() : found.end() + 80], name
