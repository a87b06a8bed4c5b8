"""The DVC remote commands: a missing or unreachable remote is one clear line naming the
remote and the setting, exit status 1, and nothing lost."""

import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.dvc import reason


def dvc(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "dvc", *args], capture_output=True, check=True)


@pytest.fixture
def tracked(project):
    """A scratch DVC repository (no remote yet) with one tracked file in its cache."""
    dvc("init", "--no-scm")
    (project / "data.txt").write_text("hello\n", encoding="utf-8")
    dvc("add", "data.txt")
    return project


def failure(capsys, command: str) -> str:
    assert main([command]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.out + captured.err
    return lines[0]


def cached(project: Path) -> list[Path]:
    return [p for p in (project / ".dvc" / "cache").rglob("*") if p.is_file()]


@pytest.mark.usefixtures("tracked")
def test_a_missing_remote_names_the_setting(capsys):
    assert "core.remote" in failure(capsys, "push")
    dvc("config", "core.remote", "storage")
    line = failure(capsys, "pull")
    assert "'storage'" in line and "remote.storage.url" in line


def test_an_unreachable_remote_is_named_and_nothing_is_lost(tracked, capsys):
    """A remote that cannot be written (its folder is a file): the error names the remote,
    its URL and the setting; the cache keeps the data, and the push works once fixed."""
    (tracked / "blocked").write_text("not a folder\n", encoding="utf-8")
    url = str(tracked / "blocked" / "store")
    dvc("remote", "add", "--default", "storage", url)
    before = cached(tracked)
    line = failure(capsys, "push")
    assert f"DVC remote 'storage' ({url})" in line
    assert "remote.storage.url" in line and line.endswith("nothing was deleted")
    assert cached(tracked) == before
    dvc("remote", "modify", "storage", "url", str(tracked / "store"))
    assert main(["push"]) == 0
    assert any((tracked / "store").rglob("*"))
{%- if cookiecutter.dvc_remote == "s3" %}


@pytest.mark.usefixtures("tracked")
def test_an_unreachable_s3_endpoint_is_named(capsys, monkeypatch):
    """Nothing listens on the endpoint: one attempt, one clear line."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unused")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unused")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    dvc("remote", "add", "--default", "storage", "s3://bucket/path")
    dvc("remote", "modify", "--local", "storage", "endpointurl", "http://127.0.0.1:9")
    line = failure(capsys, "push")
    assert "DVC remote 'storage' (s3://bucket/path)" in line
    assert "Could not connect to the endpoint URL" in line
{%- endif %}


def test_a_missing_bucket_is_said_in_words():
    """gcsfs's reason for a bucket that does not exist is only a path: it is named."""
    said = reason("ERROR: unexpected error - b/no-such-bucket/o\n")
    assert said == "no bucket 'no-such-bucket' (Google Cloud Storage answered 404 for it)"
