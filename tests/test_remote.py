"""DVC remotes for real: the s3 remote against moto's S3 server on loopback (push, pull,
the run-cache, a clear error when unreachable, keyless CI credentials from moto's STS),
the default local folder remote, and the other clouds' configuration."""

import hashlib
import re
import shutil

import pytest

from harness.bake import bake
from harness.env import run
from harness.runner import GitHub, run_workflow

from .conftest import (
    AWS,
    TEMPLATE_BIN,
    WORKFLOWS,
    Repository,
    free_port,
    git,
    s3_bucket,
    s3_client,
)

OUTPUTS = [
    "data/prepared/train.parquet",
    "data/prepared/test.parquet",
    "models/model.joblib",
    "eval/predictions.parquet",
]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached(project) -> set[str]:
    return {str(p) for p in (project / ".dvc" / "cache").rglob("*") if p.is_file()}


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


def set_rate(project, rate: float) -> None:
    params = project / "params.yaml"
    text = params.read_text(encoding="utf-8")
    params.write_text(re.sub(r"learning_rate: [0-9.]+", f"learning_rate: {rate}", text))


def test_s3_remote_push_pull_run_cache_and_a_clear_error(baked, s3_server, tmp_path):
    """The s3 answer gives a working remote: push, empty the cache, pull identical files;
    a model trained elsewhere and shared with `make push-run-cache` is fetched by a fresh
    clone's `dvc repro --pull`, not retrained; an unreachable endpoint is one clear line
    from `make push-run-cache`, and the local cache is intact."""
    project = baked(dvc_remote="s3", dvc_remote_url="s3://models-bucket/churn")
    s3 = s3_bucket(s3_server, "models-bucket")
    # The endpoint is machine-specific, so it goes to the git-ignored config.local.
    run(project, "dvc", "remote", "modify", "--local", "storage", "endpointurl", s3_server)
    round_trip(project, **AWS)
    stored = s3.list_objects_v2(Bucket="models-bucket", Prefix="churn/")["KeyCount"]
    assert stored >= len(OUTPUTS)

    git(project, "add", "--all")
    git(project, "commit", "-q", "-m", "Train the first model")
    set_rate(project, 0.05)  # trained here (CI, say), shared, never committed
    run(project, "dvc", "repro", **AWS)
    run(project, "make", "push-run-cache", **AWS)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    run(clone, "dvc", "remote", "modify", "--local", "storage", "endpointurl", s3_server)
    run(clone, "python", "-m", "churn_model", "pull", **AWS)
    assert all((clone / name).is_file() for name in OUTPUTS)
    set_rate(clone, 0.05)
    reproduced = run(clone, "dvc", "repro", "--pull", **AWS).stdout
    assert "Stage 'train' is cached - skipping run" in reproduced, reproduced
    assert "Running stage 'train'" not in reproduced

    before = cached(project)
    closed = f"http://127.0.0.1:{free_port()}"
    run(project, "dvc", "remote", "modify", "--local", "storage", "endpointurl", closed)
    failed = run(project, "make", "push-run-cache", check=False, AWS_MAX_ATTEMPTS="1", **AWS)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stdout + failed.stderr
    [line] = [text for text in failed.stderr.splitlines() if text.startswith("error:")]
    assert line.startswith(
        "error: could not push to DVC remote 'storage' (s3://models-bucket/churn): "
        f'Could not connect to the endpoint URL: "{closed}/models-bucket'
    ), line
    assert "check .dvc/config's remote.storage.url and the credentials" in line
    assert line.endswith("nothing was deleted")
    assert cached(project) == before


# The job of pr.yaml up to its "Connect to the DVC remote" step, then a stand-in for the
# steps that use the remote: one new tracked file, shared with `make push-run-cache`.
SHARE = """\
      - name: Share
        if: env.DVC_REMOTE_READY == 'true'
        run: |
          echo "$GITHUB_RUN_ID" > data/raw/shared.txt
          dvc add -q data/raw/shared.txt
          make push-run-cache
"""
ROLE = "arn:aws:iam::123456789012:role/churn-model-dvc"


def test_s3_in_ci_without_keys_openid_connect_then_sts(baked, s3, tmp_path, project_env):
    """pr.yaml's remote step with the reader's role variable (AWS_READ_ROLE_ARN) and no
    key secrets: the job's OIDC token buys a session from STS (moto's), and a step that
    runs `make push-run-cache` reaches the bucket (moto checks no policy; the reader's
    would refuse it). Without `id-token: write` the login fails like the real action; a fork's pull
    request gets no credentials and skips the remote."""
    project = baked(dvc_remote="s3", dvc_remote_url="s3://models/oidc")
    gh = GitHub(tmp_path / "github")
    repo = Repository(project, gh, project_env, env=s3)
    git(project, "push", "-q", "origin", "main")
    git(project, "checkout", "-q", "-b", "proposal")
    (project / "README.md").write_text("changed\n", encoding="utf-8")
    repo.commit("A change")
    text = (project / WORKFLOWS / "pr.yaml").read_text(encoding="utf-8")
    job = text[: text.index("      - name: Set up the project")] + SHARE
    assert "uses: ./.github/actions/dvc-remote" in job and "id-token: write" in job
    variants = {"granted": job, "denied": re.sub(r"\n *id-token: write[^\n]*", "", job)}

    def pull_request(name: str, number: int):
        path = tmp_path / f"{name}.yaml"
        path.write_text(variants.get(name, job), encoding="utf-8")
        return run_workflow(
            gh,
            path,
            "pull_request",
            gh.event(number),
            vars={"AWS_READ_ROLE_ARN": ROLE, "AWS_REGION": "us-east-1"},
            env={"VENV": str(project_env), "UV_OFFLINE": "1", **s3},
            path=[project_env / "bin", TEMPLATE_BIN],
        ).jobs["train"]

    def shared(run_id: str) -> bool:
        md5 = hashlib.md5(f"{run_id}\n".encode()).hexdigest()
        key = f"oidc/files/md5/{md5[:2]}/{md5[2:]}"
        found = s3_client(s3["AWS_ENDPOINT_URL"]).list_objects_v2(Bucket="models", Prefix=key)
        return found["KeyCount"] == 1

    number = gh.open_pull_request("proposal")
    granted = pull_request("granted", number)
    assert granted.conclusion == "success", granted.log
    connect = granted.step("Connect to the DVC remote")
    assert "Authenticated as assumedRoleId" in connect.log
    assert granted.step("Share").outcome == "success"
    assert shared(granted.workspace.parent.name)

    denied = pull_request("denied", number)
    assert denied.step("Connect to the DVC remote").outcome == "failure"
    assert "Could not load credentials from any providers" in denied.log
    assert denied.step("Share").outcome == "skipped"

    fork = tmp_path / "fork.git"
    git(tmp_path, "clone", "-q", "--bare", str(gh.origin), str(fork))
    git(project, "push", "-q", str(fork), "proposal")
    forked = pull_request("granted", gh.open_pull_request("proposal", fork=fork))
    assert forked.conclusion == "success", forked.log
    assert "id-token" not in forked.permissions
    assert "no credentials (a fork, or the role's variable unset)" in forked.log
    assert forked.step("Share").outcome == "skipped"


def test_local_remote_is_a_folder_beside_the_project(baked):
    """The default remote works with no account: a folder next to the project."""
    project = baked()
    round_trip(project)
    storage = project.parent / "churn-model-dvc-storage"
    assert storage.is_dir() and any(storage.rglob("*"))


@pytest.mark.parametrize("remote", ["gcs", "azure", "ssh"])
def test_other_clouds_give_a_valid_dvc_config(tmp_path, remote):
    """DVC reads each baked .dvc/config: the default remote, its URL, no secret in it."""
    project = bake(tmp_path, dvc_remote=remote)
    listed = run(project, "dvc", "remote", "list").stdout.split()
    scheme = {"gcs": "gs", "azure": "azure", "ssh": "ssh"}[remote]
    assert listed[0] == "storage" and listed[1].startswith(f"{scheme}://")
    settings = run(project, "dvc", "config", "--list", "--project").stdout.splitlines()
    expected = ["core.remote=storage", f"remote.storage.url={listed[1]}"]
    assert sorted(settings) == sorted([*expected, "remote.storage.verify=true"])
    action = (project / ".github" / "actions" / "dvc-remote" / "action.yml").read_text()
    login = {"gcs": "google-github-actions/auth@", "azure": "azure/login@", "ssh": "private-key"}
    assert login[remote] in action
