"""Every option combination bakes the exact expected project, committed, linted, clean.

The matrix is the product of the options that change files (problem type, remote);
the independent ones (Python version, license) are cycled through it. FAST=1 keeps
one configuration per problem type.
"""

import fnmatch
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from harness.bake import TEMPLATE, bake, choices
from harness.lint import actionlint, unpinned_actions, zizmor

from .conftest import git


def configurations():
    interacting = itertools.product(choices("problem_type"), choices("dvc_remote"))
    cycled = zip(
        itertools.cycle(choices("python_version")),
        itertools.cycle(choices("license")),
        strict=False,
    )
    configs = [
        {
            "problem_type": problem,
            "dvc_remote": remote,
            "python_version": python,
            "license": license_,
        }
        for (problem, remote), (python, license_) in zip(interacting, cycled, strict=False)
    ]
    if os.environ.get("FAST"):
        configs = [c for c in configs if c["dvc_remote"] == "local"]
    return [pytest.param(c, id="-".join(c.values())) for c in configs]


def expected_files(answers: dict) -> set[str]:
    package = "churn_model"
    modules = [
        "__init__",
        "__main__",
        "cli",
        "config",
        "dvc",
        "errors",
        "evidence",
        "git",
        "github",
        "markdown",
        "outputs",
        "paths",
        "progress",
        "registry",
        "scoring",
        "signatures",
        "threads",
        *(
            f"pipeline/{name}"
            for name in (
                "__init__",
                "data",
                "features",
                "split",
                "prepare",
                "train",
                "tracking",
                "evaluate",
                "model",
            )
        ),
        *(
            f"review/{name}"
            for name in (
                "__init__",
                "lockcheck",
                "compare",
                "stats",
                "changes",
                "gate",
                "proposal",
                "render",
                "report",
                "post",
            )
        ),
        *(f"release/{name}" for name in ("__init__", "promote", "publish", "card", "rollback")),
        *(
            f"operate/{name}"
            for name in (
                "__init__",
                "predict",
                "serve",
                "limits",
                "fast",
                "inference_protocol",
                "auth",
                "metrics",
                "bundle",
                "drift",
                "outcomes",
                "drift_report",
                "monitor",
                "retrain",
            )
        ),
    ]
    tests = [
        "__init__",
        "conftest",
        "test_cli",
        "test_config",
        "test_data",
        "test_fast",
        "test_features",
        "test_gate",
        "test_monitor",
        "test_outputs",
        "test_paths",
        "test_predict",
        "test_progress",
        "test_registry",
        "test_render",
        "test_serving",
        "test_stages",
        "test_stats",
        "test_storage",
        "test_threads",
        "test_tracking",
    ]
    files = {
        ".cookiecutter.json",
        ".devcontainer/devcontainer.json",
        ".dvc/.gitignore",
        ".dvc/config",
        ".dockerignore",
        ".dvcignore",
        ".github/actions/dvc-remote/action.yml",
        ".github/CODEOWNERS",
        ".github/actions/setup/action.yml",
        ".github/dependabot.yml",
        ".github/registry-signers",
        ".github/workflows/ci.yaml",
        ".github/workflows/monitor.yaml",
        ".github/workflows/pr-comment.yaml",
        ".github/workflows/pr.yaml",
        ".github/workflows/promote.yaml",
        ".github/workflows/retrain.yaml",
        ".github/workflows/rollback.yaml",
        ".gitignore",
        ".pre-commit-config.yaml",
        ".python-version",
        "Dockerfile",
        "Makefile",
        "README.md",
        "data/prepared/.gitignore",
        "data/raw/.gitkeep",
        "dvc.yaml",
        "eval/.gitignore",
        "lifecycle.yaml",
        "models/.gitignore",
        "params.yaml",
        "pyproject.toml",
        "requirements-uv.txt",
        "uv.lock",
        *(f"src/{package}/{module}.py" for module in modules),
        *(f"tests/{name}.py" for name in tests),
    }
    if answers["license"] != "Proprietary":
        files.add("LICENSE")
    return files


# `{{`, `{%` or `%}` left by Jinja; GitHub's own `${{ }}` expressions are allowed.
UNRENDERED = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#")


@pytest.fixture(scope="module")
def bakes(tmp_path_factory):
    """One bake per configuration, shared by the checks below."""
    root = tmp_path_factory.mktemp("matrix")
    made = {}

    def get(answers):
        key = json.dumps(answers, sort_keys=True)
        if key not in made:
            made[key] = bake(root / str(len(made)), **answers)
        return made[key]

    return get


@pytest.mark.parametrize("answers", configurations())
def test_exact_files_committed_on_main(bakes, answers):
    """The project holds exactly the expected files, all committed on main, tree clean."""
    project = bakes(answers)
    assert set(git(project, "ls-files").splitlines()) == expected_files(answers)
    assert git(project, "branch", "--show-current") == "main"
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.parametrize("answers", configurations())
def test_nothing_left_unrendered(bakes, answers):
    """No Jinja survives rendering, in any rendered file (the package is copied as it is,
    and holds none: test_the_package_is_plain_python; its f-strings may say "{x:.0%}")."""
    project = bakes(answers)
    for name in git(project, "ls-files").splitlines():
        if name.startswith("src/"):
            continue
        text = (project / name).read_text(encoding="utf-8")
        assert not UNRENDERED.search(text), f"unrendered Jinja in {name}"


@pytest.mark.parametrize("answers", configurations())
def test_answers_reach_their_files(bakes, answers):
    """Remote, Python version and license answers each land where they act."""
    project = bakes(answers)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    extra = {"local": "", "s3": "s3", "gcs": "gs", "azure": "azure", "ssh": "ssh"}
    storage = extra[answers["dvc_remote"]]
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^STORAGE \?= {storage}$", makefile, re.MULTILINE)
    readme = (project / "README.md").read_text(encoding="utf-8")
    install = re.search(r"^\| `make install` \| `(.+)` \|$", readme, re.MULTILINE).group(1)
    assert install.endswith(f"--extra dev --extra {storage}" if storage else "--extra dev")
    assert not storage or storage in pyproject["project"]["optional-dependencies"]
    assert pyproject["project"]["requires-python"] == f">={answers['python_version']}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + answers["python_version"].replace(
        ".", ""
    )
    assert (project / ".python-version").read_text().strip() == answers["python_version"]
    config = (project / ".dvc" / "config").read_text(encoding="utf-8")
    url = re.search(r"url = (.+)", config).group(1)
    if answers["dvc_remote"] == "local":
        assert url == "../../churn-model-dvc-storage"
    else:
        scheme = {"s3": "s3", "gcs": "gs", "azure": "azure", "ssh": "ssh"}[answers["dvc_remote"]]
        assert url.startswith(f"{scheme}://")
    if answers["license"] != "Proprietary":
        assert pyproject["project"]["license"] == answers["license"]
        first_line = (project / "LICENSE").read_text(encoding="utf-8").splitlines()[0].strip()
        assert first_line.split()[0] in {"MIT", "BSD", "Apache"}
    recorded = json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))
    for key, value in answers.items():
        assert recorded["cookiecutter"][key] == value


@pytest.mark.parametrize("answers", configurations())
def test_generated_code_passes_ruff(bakes, answers):
    """The baked project is clean under its own ruff configuration."""
    project = bakes(answers)
    ruff = str(Path(sys.executable).with_name("ruff"))
    for command in ([ruff, "check", "."], [ruff, "format", "--check", "."]):
        result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def linted(tmp_path_factory):
    """A folder shared by the session's workers: one empty file per set of workflow files
    (by content) that passed the linters, since several answers bake the same ones."""
    folder = tmp_path_factory.getbasetemp().parent / "linted"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.mark.parametrize("answers", configurations())
def test_workflows_pass_actionlint_and_zizmor(bakes, answers, linted):
    """Generated workflows: no actionlint or zizmor finding (zizmor's auditor persona),
    every action pinned by SHA."""
    workflows = sorted((bakes(answers) / ".github" / "workflows").glob("*.y*ml"))
    actions = sorted((bakes(answers) / ".github" / "actions").glob("*/action.yml"))
    assert workflows and actions
    assert unpinned_actions(workflows + actions) == []
    for action in actions:  # actionlint reads only workflows; GitHub parses actions as YAML
        assert isinstance(yaml.safe_load(action.read_text(encoding="utf-8")), dict), action
    contents = hashlib.sha256()
    for path in workflows + actions:
        contents.update(
            f"{path.parent.name}/{path.name}\0{path.read_text(encoding='utf-8')}\0".encode()
        )
    passed = linted / contents.hexdigest()
    if passed.exists():
        return  # these very files passed both linters in this session
    lint = actionlint(workflows)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    audit = zizmor(workflows + actions)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    passed.touch()


def test_every_question_is_recorded(bakes):
    """.cookiecutter.json records every public answer, so the project can be replayed."""
    project = bakes(
        {
            "problem_type": "classification",
            "dvc_remote": "local",
            "python_version": "3.11",
            "license": "MIT",
        }
    )
    recorded = json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))
    public = {
        key
        for key in json.loads((TEMPLATE / "cookiecutter.json").read_text())
        if not key.startswith("_")
    }
    assert set(recorded["cookiecutter"]) - {"_template"} == public


def test_replay_regenerates_the_same_files(tmp_path, bakes):
    """Replaying .cookiecutter.json gives the same files as the original answers."""
    answers = {
        "problem_type": "regression",
        "dvc_remote": "s3",
        "python_version": "3.12",
        "license": "Apache-2.0",
    }
    first = bakes(answers)
    from cookiecutter.main import cookiecutter

    again = Path(
        cookiecutter(
            str(TEMPLATE), replay=str(first / ".cookiecutter.json"), output_dir=str(tmp_path)
        )
    )
    for name in git(first, "ls-files").splitlines():
        if name == ".github/registry-signers":  # a new key pair for each project
            assert (again / name).read_bytes() != (first / name).read_bytes()
            continue
        assert (again / name).read_bytes() == (first / name).read_bytes(), name


def test_template_workflows_pass_the_same_linters():
    """The template's own CI workflow meets the bar it sets for generated ones."""
    workflows = sorted((TEMPLATE / ".github" / "workflows").glob("*.y*ml"))
    assert workflows
    assert unpinned_actions(workflows) == []
    assert actionlint(workflows).returncode == 0
    assert zizmor(workflows).returncode == 0


def test_linters_catch_what_they_should(tmp_path):
    """The lint helpers are not blind: a tag-pinned action, a bad expression and an
    injectable `run:` are each reported."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: echo ${{ matrix.nope.deeper }}\n",
        encoding="utf-8",
    )
    assert unpinned_actions([bad]) == ["bad.yaml: actions/checkout@v4"]
    assert actionlint([bad]).returncode != 0
    assert zizmor([bad]).returncode != 0


def test_an_actionlint_crash_fails_the_lint(tmp_path):
    """Each file is linted in its own process, and a crash is a failure that names the
    file: a clean file (whose only message is the known `vars` false positive) followed
    by one that makes actionlint's process die does not pass as "no finding"."""
    clean = tmp_path / "clean.yaml"
    clean.write_text(
        "on: push\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        '    steps:\n      - run: echo "$V"\n        env:\n          V: ${{ vars.V }}\n',
        encoding="utf-8",
    )
    assert actionlint([clean]).returncode == 0
    missing = tmp_path / "vanished.yaml"  # reading it throws inside the linter's process
    lint = actionlint([clean, missing])
    assert lint.returncode != 0
    assert f"{missing}: actionlint crashed" in lint.stdout


def interpreter(version: str) -> str:
    """A working `python<version>` of this machine (pyenv's shims fail for versions it has
    not selected, so its installs are tried too); none fails the test with the reason."""
    pyenv = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python3"))
    candidates = [shutil.which(f"python{version}"), *map(str, pyenv)]
    for candidate in filter(None, candidates):
        probe = [candidate, "-c", "import sys; print(*sys.version_info[:2], sep='.')"]
        found = subprocess.run(probe, capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip() == version:
            return candidate
    pytest.fail(f"no Python {version} here: checking the lock for it needs one")


@pytest.mark.parametrize("python", choices("python_version"))
def test_the_lock_pins_everything_with_hashes_for_every_python_and_platform(tmp_path, python):
    """uv.lock matches pyproject.toml (uv's --locked check), holds a hash for every file
    it may install, and installs on this Python on Linux, macOS and Windows (a dry run
    from the lock alone: no index, nothing downloaded)."""
    project = bake(tmp_path, python_version=python, project_name="Acme Fraud")
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    assert lock["requires-python"] == f">={python}"
    packages = [p for p in lock["package"] if "registry" in p["source"]]
    assert len(packages) > 100
    for package in packages:
        files = [*package.get("wheels", []), *filter(None, [package.get("sdist")])]
        assert files and all(f["hash"].startswith("sha256:") for f in files), package["name"]
    uv = str(Path(sys.executable).with_name("uv"))
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_OFFLINE": "1"}
    check = subprocess.run(
        [uv, "lock", "--check"], cwd=project, capture_output=True, text=True, env=env
    )
    assert check.returncode == 0, check.stderr
    for platform in ("linux", "macos", "windows"):
        command = [uv, "sync", "--locked", "--dry-run", "--all-extras"]
        command += ["--python", interpreter(python), "--python-platform", platform]
        env["UV_PROJECT_ENVIRONMENT"] = str(tmp_path / f"venv-{platform}")
        dry = subprocess.run(command, cwd=project, capture_output=True, text=True, env=env)
        assert dry.returncode == 0, dry.stderr
        assert re.search(r"Would install \d+ packages", dry.stderr), dry.stderr
        assert "scikit-learn==1.7.2" in dry.stderr


def test_dependabot_keeps_the_lock_and_every_action_current(bakes):
    """dependabot.yml passes Dependabot's schema and covers uv.lock, the actions'
    SHAs, in the workflows and in every local action's folder, the Dockerfile's base
    images (each pinned to an exact version, no variable Dependabot cannot read) and the
    dev container."""
    [answers] = configurations()[0].values
    project = bakes(answers)
    config = project / ".github" / "dependabot.yml"
    checked = subprocess.run(
        [str(Path(sys.executable).with_name("check-jsonschema")), "--builtin-schema",
         "vendor.dependabot", str(config)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    updates = {u["package-ecosystem"]: u for u in yaml.safe_load(config.read_text())["updates"]}
    assert set(updates) == {"uv", "github-actions", "docker", "devcontainers"}
    # The Dockerfile's base images and the dev container, from the project's root.
    assert updates["docker"]["directory"] == updates["devcontainers"]["directory"] == "/"
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert bases and all(re.search(r":\d+\.\d+\.\d+", base) for base in bases), bases
    assert updates["uv"]["directory"] == "/"
    assert {"dependency-type": "all"} in updates["uv"]["allow"]
    folders = updates["github-actions"]["directories"]
    actions = [p.parent for p in (project / ".github" / "actions").glob("*/action.yml")]
    assert actions and "/" in folders
    for action in actions:
        folder = "/" + action.relative_to(project).as_posix()
        assert any(fnmatch.fnmatch(folder, pattern) for pattern in folders), folder


def test_the_package_is_plain_python():
    """The generated package holds no Jinja: every module is valid Python as it is in the
    template, copied without rendering (cookiecutter.json: _copy_without_render)."""
    modules = sorted((TEMPLATE / "{{cookiecutter.project_slug}}" / "src").rglob("*.py"))
    package = [name for name in expected_files({"license": "MIT"}) if name.startswith("src/")]
    assert len(modules) == len(package)
    for module in modules:
        text = module.read_text(encoding="utf-8")
        assert "{{" not in text and "{%" not in text, module
        compile(text, str(module), "exec")


def test_the_readme_code_map_names_every_module(bakes):
    """The generated README's code map is true: each folder it shows exists and it names
    every module of that folder, and every module beside them."""
    project = bakes(
        {"problem_type": "regression", "dvc_remote": "local", "python_version": "3.11",
         "license": "MIT"}
    )  # fmt: skip
    readme = (project / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Code map", 1)[1].split("```")[1]
    package = project / "src" / "churn_model"
    sections = re.split(r"\n  (?=\w+/ )", block)
    folders = [p for p in package.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]
    for folder in sorted(folders):
        [text] = [section for section in sections if section.startswith(f"{folder.name}/ ")]
        words = set(re.findall(r"\w+", text))
        for module in sorted(folder.glob("*.py")):
            assert module.stem == "__init__" or module.stem in words, (folder.name, module.stem)
    for module in sorted(package.glob("*.py")):
        assert module.stem.startswith("__") or f"{module.name}" in block, module.name


def test_the_readme_says_what_prepare_does(bakes):
    """The generated README's data statements are the code's: prepare refuses no column
    for its kind (text is a feature, encoded in the model); a row's key is a hash of its
    IDs or content, not its position, and indexes the prepared tables as `row`; a text
    column keeps the encoder's MAX_CATEGORIES - 1 most frequent values. The project's
    own tests check the behaviour: test_cli.py's test_a_table_as_it_is_prepares_and_trains
    and test_features.py's test_a_text_column_keeps_its_most_frequent_values_…"""
    project = bakes(
        {"problem_type": "regression", "dvc_remote": "local", "python_version": "3.11",
         "license": "MIT"}
    )  # fmt: skip
    readme = (project / "README.md").read_text(encoding="utf-8")
    pipeline = readme.split("## The pipeline", 1)[1].split("\n## ", 1)[0]
    prepare = " ".join(pipeline.split("- **prepare**", 1)[1].split("\n- **", 1)[0].split())
    data = " ".join(readme.split("## Bring your own data", 1)[1].split("\n## ", 1)[0].split())
    assert "non-numeric" not in prepare and "position in the source as" not in prepare
    assert "text" in prepare and "leaves out the rows without a target" in prepare
    assert "hash of the row's IDs (`prepare.ids`), else of its whole content" in prepare
    assert "prepared tables' index, named `row` (`row_` when a column is called `row`)" in (
        prepare
    )
    source = (project / "src" / "churn_model" / "pipeline" / "features.py").read_text()
    kept = int(re.search(r"^MAX_CATEGORIES = ([\d_]+)", source, re.M).group(1)) - 1
    assert f"the {kept} most frequent values of a column each, the rarer ones as one" in data
    assert "rows in another order never move a test row" in data


def test_a_file_whose_hash_is_not_the_locked_one_is_refused(tmp_path):
    """uv checks every file against uv.lock's hash: a changed hash (for the file, read: a
    file that is not the one locked) stops the install before anything is installed."""
    project = bake(tmp_path)
    lock = project / "uv.lock"
    text = lock.read_text(encoding="utf-8")
    start = text.index('[[package]]\nname = "dvc"\n')
    wheel = text.index('hash = "sha256:', text.index("wheels = [", start)) + len('hash = "sha256:')
    lock.write_text(text[:wheel] + "0" * 64 + text[wheel + 64 :], encoding="utf-8")
    uv = str(Path(sys.executable).with_name("uv"))
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env["UV_PROJECT_ENVIRONMENT"] = str(tmp_path / "venv")
    command = [uv, "sync", "--locked", "--no-install-project", "--python", sys.executable]
    refused = subprocess.run(command, cwd=project, capture_output=True, text=True, env=env)
    assert refused.returncode != 0
    assert "Hash mismatch for `dvc==3.67.1`" in refused.stderr, refused.stderr
    assert not list((tmp_path / "venv").glob("lib/python*/site-packages/dvc"))


# What CODEOWNERS may leave unowned: data and notes, nothing that runs in the promotion.
UNOWNED = re.compile(r"(README\.md|LICENSE|\.gitignore|(data|eval|models)/.*)")


@pytest.mark.parametrize("answers", configurations())
def test_every_file_that_runs_in_the_promotion_is_owned(bakes, answers):
    """CODEOWNERS names the owners for every committed file but data and notes: the
    promotion job runs the package, its settings and its tools, and holds a token that
    writes the registry."""
    project = bakes(answers)
    patterns = [
        line.split()[0]
        for line in (project / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all(pattern.startswith("/") for pattern in patterns), patterns

    def owned(name: str) -> bool:
        return any(
            name.startswith(pattern[1:]) if pattern.endswith("/") else name == pattern[1:]
            for pattern in patterns
        )

    files = git(project, "ls-files").splitlines()
    unowned = [name for name in files if not owned(name) and not UNOWNED.fullmatch(name)]
    assert unowned == []
    for name in ("src/churn_model/pipeline/evaluate.py", "params.yaml", ".cookiecutter.json"):
        assert owned(name), name
