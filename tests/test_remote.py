"""DVC remotes for real: the s3 remote against moto's S3 server on loopback, and the
default local folder remote."""

import hashlib
import shutil

from harness.env import run

from .conftest import AWS, s3_bucket

OUTPUTS = [
    "data/prepared/train.parquet",
    "data/prepared/test.parquet",
    "models/model.joblib",
    "eval/predictions.parquet",
]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def round_trip(project, **env):
    """repro, push, forget every output and the cache, pull: the same bytes come back."""
    run(project, "dvc", "repro", **env)
    before = {name: digest(project / name) for name in OUTPUTS}
    run(project, "dvc", "push", **env)
    shutil.rmtree(project / ".dvc" / "cache")
    for name in OUTPUTS:
        (project / name).unlink()
    run(project, "dvc", "pull", **env)
    assert {name: digest(project / name) for name in OUTPUTS} == before
    assert run(project, "dvc", "status", **env).returncode == 0


def test_s3_remote_push_and_pull(baked, s3_server):
    """The s3 answer gives a working remote: push, empty the cache, pull identical files."""
    project = baked(dvc_remote="s3", dvc_remote_url="s3://models-bucket/churn")
    s3 = s3_bucket(s3_server, "models-bucket")
    # The endpoint is machine-specific, so it goes to the git-ignored config.local.
    run(project, "dvc", "remote", "modify", "--local", "storage", "endpointurl", s3_server)
    round_trip(project, **AWS)
    stored = s3.list_objects_v2(Bucket="models-bucket", Prefix="churn/")["KeyCount"]
    assert stored >= len(OUTPUTS)


def test_local_remote_is_a_folder_beside_the_project(baked):
    """The default remote works with no account: a folder next to the project."""
    project = baked()
    round_trip(project)
    storage = project.parent / "churn-model-dvc-storage"
    assert storage.is_dir() and any(storage.rglob("*"))
