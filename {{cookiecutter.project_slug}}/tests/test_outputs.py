"""Outputs written all-or-nothing with the mode the umask gives; cached outputs checked
against dvc.lock before anything loads them."""

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import dvc, paths
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.outputs import write_text

from .conftest import ROOT


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repository(project, monkeypatch):
    """The scratch project as a Git repository with the project's .gitignore."""
    for name, value in {"NAME": "Test", "EMAIL": "test@example.com"}.items():
        monkeypatch.setenv(f"GIT_AUTHOR_{name}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{name}", value)
    (project / ".gitignore").write_text((ROOT / ".gitignore").read_text(encoding="utf-8"))
    git("init", "-q", "-b", "main")
    git("add", "--all")
    git("commit", "-q", "-m", "start")
    return project


def test_a_kill_while_writing_leaves_nothing_git_sees(repository):
    """The temporary file a killed writer leaves behind is ignored by git."""
    code = (
        "import os, signal\n"
        "from pathlib import Path\n"
        "from {{ cookiecutter.package_name }}.outputs import atomic_path\n"
        "with atomic_path(Path('models/model.joblib')) as temporary:\n"
        "    temporary.write_bytes(b'half a model')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", code], check=False)
    assert killed.returncode == -signal.SIGKILL
    left = list((repository / "models").glob(".model.joblib.*.tmp"))
    assert left and not (repository / "models" / "model.joblib").exists()
    assert git("status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.usefixtures("project")
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs_get_the_mode_the_umask_gives(umask):
    previous = os.umask(umask)
    try:
        write_text("x\n", Path("eval/out.txt"))
    finally:
        os.umask(previous)
    assert Path("eval/out.txt").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.usefixtures("repository")
def test_cached_outputs_are_checked_against_dvc_lock():
    """Before `dvc repro`, every output DVC caches that is in the workspace (restored or
    pulled) must hash to the md5 dvc.lock records; a file with other bytes is refused by
    name, before anything would load it. After it, an output that was absent and came
    out with other bytes is "re-made", not refused."""
    outputs = dvc.pipeline_outputs(cached=True)
    assert "models/model.joblib" in outputs and "eval/metrics.json" not in outputs
    for name in outputs:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_bytes(name.encode())
    paths.TRAINING.unlink()  # a folder output, not a file
    (paths.TRAINING_CURVES / "train").mkdir(parents=True)
    paths.TRAINING_METRICS.write_text('{"step": 2}', encoding="utf-8")
    (paths.TRAINING_CURVES / "train" / "log_loss.tsv").write_text("step\tlog_loss\n1\t0.5\n")
    recorded = {name: dvc.md5_of(Path(name)) for name in outputs}
    outs = "".join(f"    - path: {name}\n      md5: {md5}\n" for name, md5 in recorded.items())
    Path("dvc.lock").write_text(f"schema: '2.0'\nstages:\n  all:\n    outs:\n{outs}")
    git("add", "dvc.lock")
    git("commit", "-q", "-m", "lock")
    assert dvc.arrived() == outputs
    paths.TRAINING_METRICS.write_text('{"step": 3}', encoding="utf-8")
    with pytest.raises(ProjectError, match=r"^eval/training: its bytes \(md5 \w+\.dir\)"):
        dvc.arrived()
    paths.TRAINING_METRICS.write_text('{"step": 2}', encoding="utf-8")
    Path("models/model.joblib").write_bytes(b"substituted")
    with pytest.raises(ProjectError) as refused:
        dvc.arrived()
    message = str(refused.value)
    assert message.startswith("models/model.joblib: its bytes (md5 ")
    assert "are not the ones dvc.lock records at HEAD" in message
    assert "refused before loading" in message
    # Absent before `dvc repro`, made again with other bytes: re-made, not refused.
    Path("models/model.joblib").unlink()
    before = dvc.arrived()
    assert "models/model.joblib" not in before
    Path("models/model.joblib").write_bytes(b"made on another machine")
    made = dvc.md5_of(paths.MODEL)
    assert dvc.remade(recorded, before) == {
        "models/model.joblib": {"recorded": recorded["models/model.joblib"], "built": made}
    }
    Path("models/model.joblib").write_bytes(b"models/model.joblib")  # the same bytes
    assert dvc.remade(recorded, before) == {}
    Path("models/model.joblib").unlink()
    with pytest.raises(ProjectError, match=r"models/model.joblib: missing"):
        dvc.remade(recorded, before)


@pytest.mark.usefixtures("repository")
def test_a_file_of_a_commit_is_read_from_the_cache_and_checked():
    """A commit's output found in DVC's local cache is read from there (no DVC needed:
    this scratch project is no DVC repository); bytes substituted in the cache are
    refused by name, as from the remote."""
    data = b"the model of that commit"
    md5 = hashlib.md5(data).hexdigest()
    stored = paths.DVC_CACHE / md5[:2] / md5[2:]
    stored.parent.mkdir(parents=True)
    stored.write_bytes(data)
    outs = f"    - path: models/model.joblib\n      md5: {md5}\n"
    Path("dvc.lock").write_text(f"schema: '2.0'\nstages:\n  train:\n    outs:\n{outs}")
    git("add", "dvc.lock")
    git("commit", "-q", "-m", "lock")
    commit = git("rev-parse", "HEAD").strip()
    assert dvc.read_at(commit, paths.MODEL).read() == data
    stored.write_bytes(b"substituted")
    with pytest.raises(ProjectError, match=rf"^models/model.joblib@{commit[:7]}: its bytes"):
        dvc.read_at(commit, paths.MODEL)
