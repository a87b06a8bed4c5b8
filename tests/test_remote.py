"""DVC remotes for real, each against a server on loopback: S3 (moto), Google Cloud
Storage (gcp-storage-emulator), Azure Blob Storage (Azurite) and SSH (OpenSSH's sshd):
push, pull, the run-cache shared with a pull request's workflow, one clear line when the
remote is broken; keyless CI credentials from moto's STS; SSH keys restricted to SFTP as
the README says; the default local folder."""

import base64
import contextlib
import dataclasses
import hashlib
import json
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.env import run
from harness.runner import GitHub, run_workflow

from .conftest import (
    READ_SECRETS,
    SECRETS,
    SERVER_START_S,
    SERVER_STOP_S,
    TEMPLATE_BIN,
    WORKFLOWS,
    Repository,
    azurite_connection,
    bucket_objects,
    free_port,
    git,
    readme_blocks,
    s3_bucket,
    s3_client,
    ssh_key,
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


@dataclasses.dataclass
class Storage:
    """A DVC remote on a real server on loopback. ``options`` go into .dvc/config (the
    server's address: a workflow's checkout has no config.local; for a test only),
    ``local`` into config.local (the developer's key); ``env`` reaches DVC on the
    developer's machine and in the workflow alike, ``credentials`` only the developer's;
    the workflow logs in with ``vars`` and ``secrets``. ``broken`` (config.local) makes the
    server unreachable or refuse, with ``failure`` in DVC's reason."""

    url: str
    failure: str
    broken: dict[str, str]
    options: dict[str, str] = dataclasses.field(default_factory=dict)
    local: dict[str, str] = dataclasses.field(default_factory=dict)
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    credentials: dict[str, str] = dataclasses.field(default_factory=dict)
    vars: dict[str, str] = dataclasses.field(default_factory=dict)
    secrets: dict[str, str] = dataclasses.field(default_factory=dict)
    stored: Callable[[], dict[str, str]] = dict  # what the server holds: name -> version


def s3_storage(request, tmp_path) -> Storage:
    endpoint = request.getfixturevalue("s3_server")
    s3_bucket(endpoint, "models-bucket")
    closed = f"http://127.0.0.1:{free_port()}"
    return Storage(
        url="s3://models-bucket/churn",
        env={"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1",
             "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1"},
        credentials=SECRETS,
        vars={"AWS_REGION": "us-east-1"},
        secrets=READ_SECRETS,
        broken={"endpointurl": closed},
        failure=f'Could not connect to the endpoint URL: "{closed}/models-bucket',
        stored=lambda: bucket_objects(endpoint, "models-bucket"),
    )  # fmt: skip


def gcs_storage(request, tmp_path) -> Storage:
    endpoint = request.getfixturevalue("gcs_server")
    bucket = urllib.request.Request(
        f"{endpoint}/storage/v1/b?project=test",
        data=json.dumps({"name": "models-bucket"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(bucket, timeout=10)
    return Storage(
        url="gs://models-bucket/churn",
        options={"endpointurl": endpoint, "allow_anonymous_login": "true"},
        # gcsfs's bucket-type probe speaks gRPC over TLS, which the emulator does not.
        env={"GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"},
        vars={
            "GCP_WORKLOAD_IDENTITY_PROVIDER": "projects/1/locations/global/"
            "workloadIdentityPools/github/providers/github",
            "GCP_READ_SERVICE_ACCOUNT": "reader@churn.iam.gserviceaccount.com",
        },
        broken={"url": "gs://no-such-bucket/churn"},
        failure="no bucket 'no-such-bucket'",
        stored=lambda: {
            item["name"]: item["md5Hash"]
            for item in json.load(
                urllib.request.urlopen(f"{endpoint}/storage/v1/b/models-bucket/o", timeout=10)
            ).get("items", [])
        },
    )


def azure_storage(request, tmp_path) -> Storage:
    endpoint = request.getfixturevalue("azurite")
    connection = azurite_connection(endpoint)
    create = (  # with the SDK dvc-azure brings, in the projects' environment
        "import os; from azure.storage.blob import BlobServiceClient as B; "
        "B.from_connection_string(os.environ['CONNECTION']).create_container('models')"
    )
    run(tmp_path, "python", "-c", create, CONNECTION=connection)
    wrong = azurite_connection(endpoint, key=base64.b64encode(b"not the key").decode())
    return Storage(
        url="azure://models/churn",
        env={"AZURE_STORAGE_CONNECTION_STRING": connection},
        vars={"AZURE_READ_CLIENT_ID": "reader", "AZURE_TENANT_ID": "tenant",
              "AZURE_SUBSCRIPTION_ID": "subscription",
              "AZURE_STORAGE_ACCOUNT": "devstoreaccount1"},
        broken={"connection_string": wrong},
        failure="Server failed to authenticate the request",
        stored=lambda: json.loads(
            run(tmp_path, "python", "-c", LIST_BLOBS, CONNECTION=connection).stdout
        ),
    )  # fmt: skip


LIST_BLOBS = (  # name -> ETag of every blob, with the SDK dvc-azure brings
    "import json, os; from azure.storage.blob import BlobServiceClient as B; "
    "c = B.from_connection_string(os.environ['CONNECTION']).get_container_client('models'); "
    "print(json.dumps({b.name: b.etag for b in c.list_blobs()}))"
)


# What the README's authorized_keys lines put before CI's keys: SFTP alone, the reader's
# read-only (test_ssh_keys_get_sftp_alone checks that the README says this).
READER = 'restrict,command="internal-sftp -R"'
WRITER = 'restrict,command="internal-sftp"'


def authorized(options: str, key) -> str:
    """An authorized_keys line: ``options``, then the public key of ``key``."""
    return f"{options} {key.with_name(key.name + '.pub').read_text(encoding='utf-8')}"


def ssh_storage(request, tmp_path) -> Storage:
    """OpenSSH with CI's keys restricted as the README says, without its chroot (so the
    folder's path is the server's own): the developer pushes with the writer's key, the
    pull request's job reads with the reader's."""
    writer, reader = ssh_key(tmp_path, "dvc-writer"), ssh_key(tmp_path, "dvc-reader")
    port = request.getfixturevalue("sshd")(authorized(WRITER, writer) + authorized(READER, reader))
    folder = tmp_path / "ssh-storage"
    closed = f"ssh://root@127.0.0.1:{free_port()}{folder}"
    return Storage(
        url=f"ssh://root@127.0.0.1:{port}{folder}",
        local={"keyfile": str(writer)},
        secrets={"DVC_SSH_READ_KEY": reader.read_text(encoding="utf-8")},
        broken={"url": closed},
        failure="Connect call failed",
        stored=lambda: stored_files(folder),
    )


def stored_files(folder) -> dict[str, str]:
    """Every file under ``folder``: name -> size and modification time."""
    return {
        str(path.relative_to(folder)): f"{path.stat().st_size}:{path.stat().st_mtime_ns}"
        for path in folder.rglob("*")
        if path.is_file()
    }


STORAGES = {"s3": s3_storage, "gcs": gcs_storage, "azure": azure_storage, "ssh": ssh_storage}


def remote_options(path, options: dict[str, str]) -> None:
    """Remote storage's options, appended to a DVC config file (the remote's section is the
    last of the generated .dvc/config): faster than a `dvc remote modify` for each."""
    if options:
        text = path.read_text(encoding="utf-8") if path.exists() else "['remote \"storage\"']\n"
        lines = "".join(f"    {key} = {value}\n" for key, value in options.items())
        path.write_text(text.rstrip("\n") + "\n" + lines, encoding="utf-8")


@pytest.mark.parametrize("kind", list(STORAGES))
def test_each_remote_on_a_real_server(kind, request, baked, tmp_path, project_env):
    """Each cloud answer against its server on loopback (moto, the GCS emulator, Azurite,
    OpenSSH): push, empty the cache, pull identical files; a model trained on a laptop and
    shared with `make push-run-cache` is what the pull request's workflow (the local
    runner, the read-only login) takes from the run-cache instead of training it; and a
    broken remote is one clear line naming it, the local cache intact."""
    storage = STORAGES[kind](request, tmp_path)
    project = baked(dvc_remote=kind, dvc_remote_url=storage.url)
    remote_options(project / ".dvc" / "config", storage.options)
    remote_options(project / ".dvc" / "config.local", storage.local)
    gh = GitHub(tmp_path / "github")
    repo = Repository(project, gh, project_env, storage.env, storage.credentials)
    repo.sh("dvc", "repro")
    before = {name: digest(project / name) for name in OUTPUTS}
    repo.sh("make", "push-run-cache")
    shutil.rmtree(project / ".dvc" / "cache")
    for name in OUTPUTS:
        (project / name).unlink()
    repo.sh("python", "-m", "churn_model", "pull")
    assert {name: digest(project / name) for name in OUTPUTS} == before
    repo.commit("Train the first model")

    git(project, "checkout", "-q", "-b", "proposal")
    set_rate(project, 0.05)
    repo.sh("dvc", "repro")
    repo.sh("make", "push-run-cache")
    git(project, "checkout", "--", "dvc.lock", "eval")  # only the parameter is proposed
    repo.commit("Lower the rate")
    number = gh.open_pull_request("proposal")
    workflow = (project / WORKFLOWS / "pr.yaml").read_text(encoding="utf-8")
    assert "push-run-cache" not in workflow and "READ_" in workflow
    before = storage.stored()
    assert len(before) >= len(OUTPUTS)
    job = repo.run("pr.yaml", "pull_request", gh.event(number), storage.secrets,
                   vars=storage.vars).jobs["train"]  # fmt: skip
    assert job.step("Connect to the DVC remote").outcome == "success", job.log
    log = job.step("Check dvc.lock, reproduce, compare, report").log
    assert "dvc repro --pull" in log, job.log
    assert "Stage 'train' is cached - skipping run" in log, job.log
    assert "Running stage 'prepare'" not in log and "Running stage 'train'" not in log
    assert "Every model scored on this pull request's" in job.summary
    # The lock was not committed: the check fails and says how to refresh it; the pull
    # request's job wrote nothing to the remote.
    assert job.conclusion == "failure" and "run `dvc repro --pull`, then commit" in job.summary
    assert storage.stored() == before

    before_failure = cached(project)
    remote_options(project / ".dvc" / "config.local", storage.broken)
    failed = repo.sh("make", "push-run-cache", check=False)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stdout + failed.stderr
    [line] = [text for text in failed.stderr.splitlines() if text.startswith("error:")]
    url = storage.broken.get("url", storage.url)
    assert line.startswith(f"error: could not push to DVC remote 'storage' ({url}): "), line
    assert storage.failure in line, line
    assert line.endswith("nothing was deleted"), line
    assert cached(project) == before_failure


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


SSH_OPTIONS = [
    *("-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR"),
    *("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"),
]


SSH_S = 120  # one ssh or sftp command: loopback, but a loaded machine is slow to connect


def ssh(key, port: int, *options: str, command="", stdin="") -> subprocess.CompletedProcess:
    """OpenSSH's client as root@127.0.0.1 with ``key`` only: ``command``, or without one
    a shell, fed ``stdin``."""
    return subprocess.run(
        ["ssh", *SSH_OPTIONS, "-i", str(key), "-p", str(port), *options, "root@127.0.0.1"]
        + ([command] if command else []),
        input=stdin, capture_output=True, text=True, timeout=SSH_S, check=False,
    )  # fmt: skip


def sftp(key, port: int, request: str) -> subprocess.CompletedProcess:
    """One SFTP request (sftp's batch syntax) as root@127.0.0.1 with ``key`` only."""
    return subprocess.run(
        ["sftp", *SSH_OPTIONS, "-i", str(key), "-P", str(port), "-b", "-", "root@127.0.0.1"],
        input=request + "\n", capture_output=True, text=True, timeout=SSH_S, check=False,
    )  # fmt: skip


def forwards(key, port: int) -> bool:
    """Whether ``key`` opens a TCP connection through the server (`ssh -W`, what `-L`
    does per connection) to a listener of this test, or has the server listen for it
    (`ssh -R`, on a port this test then connects to)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        target = f"127.0.0.1:{listener.getsockname()[1]}"
        ssh_client = ["ssh", *SSH_OPTIONS, "-i", str(key), "-p", str(port)]
        if reaches(listener, [*ssh_client, "-W", target, "root@127.0.0.1"]):
            return True
        remote = free_port()
        forward = ["-N", "-o", "ExitOnForwardFailure=yes", "-R", f"127.0.0.1:{remote}:{target}"]
        return reaches(listener, [*ssh_client, *forward, "root@127.0.0.1"], remote)


def reaches(listener: socket.socket, command: list[str], remote: int | None = None) -> bool:
    """Whether a connection arrives at ``listener`` (True) before the ssh ``command``
    exits (refused: False); with ``remote``, this test connects to that port meanwhile
    (the server listens there once it forwards). No race with the clock: either outcome
    is seen as it happens, and neither in SERVER_START_S of wall-clock time fails."""
    client = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    probe = None
    try:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            exited = client.poll() is not None  # before the check: a last connection counts
            if remote is not None and probe is None:
                with contextlib.suppress(OSError):  # not listening (yet)
                    probe = socket.create_connection(("127.0.0.1", remote), timeout=5)
            if select.select([listener], [], [], 0.1)[0]:
                listener.accept()[0].close()
                return True
            if exited:
                return False
        raise AssertionError(f"{command}: neither connected nor exited in {SERVER_START_S} s")
    finally:
        if probe is not None:
            probe.close()
        if client.poll() is None:  # connected (`-W` waits on it, `-N` forever): stop it
            client.terminate()
        client.wait(timeout=SERVER_STOP_S)


def runs_nothing(key, port: int, marker) -> bool:
    """Neither a command nor a shell runs with ``key``: each would create ``marker``."""
    command = ssh(key, port, command=f"id; touch {marker}")
    shell = ssh(key, port, stdin=f"id; touch {marker}\n")
    return (
        command.returncode != 0
        and shell.returncode != 0
        and "uid=" not in command.stdout + shell.stdout
        and not marker.exists()
    )


def test_ssh_keys_get_sftp_alone(baked, sshd, tmp_path):
    """The README's SSH setup on OpenSSH's server: its authorized_keys lines for CI's keys,
    and its Match block with the account (root here) chrooted to a folder of its own.
    The writer's key pushes and the reader's pulls it back, outputs and stage results
    (DVC needs SFTP alone); the reader's pushes nothing and deletes nothing. No key runs a
    command, gets a shell or forwards a port, not even one added without restrictions
    (the Match block), and no key sees outside the chroot. The key lines alone (a server
    whose sshd_config you cannot edit) still refuse commands and forwarding."""
    project = baked(dvc_remote="ssh")
    [keys] = [block for block in readme_blocks(project, "Storage", "text") if "ssh-" in block]
    [match] = [block for block in readme_blocks(project, "Storage", "text") if "Match" in block]
    assert keys.splitlines() == [
        f"{READER} ssh-ed25519 AAAA… dvc-reader",
        f"{WRITER} ssh-ed25519 AAAA… dvc-writer",
    ]
    assert "`ssh://dvc@host/churn-model`" in (project / "README.md").read_text()
    made = {name: ssh_key(tmp_path, name) for name in ("dvc-reader", "dvc-writer", "anyone")}
    reader, writer, anyone = made.values()
    lines = "".join(
        authorized(line.split(" ssh-ed25519 ")[0], made[line.split()[-1]])
        for line in keys.splitlines()
    )
    marker, outside, payload = (tmp_path / name for name in ("ran", "outside", "payload"))
    outside.write_text("the server's own file\n")
    payload.write_text("written over SFTP\n")

    plain = sshd(lines + authorized("", anyone))  # the key lines, no Match block
    assert forwards(anyone, plain)  # what the checks below see when it is allowed
    assert not runs_nothing(anyone, plain, tmp_path / "anyone ran")
    for key in (reader, writer):
        assert runs_nothing(key, plain, marker), key.name
        assert not forwards(key, plain), key.name
    # Without the chroot, what the account reaches: the reader reads it, the writer may
    # change it.
    assert not sftp(reader, plain, f"get {outside} {tmp_path}/got").returncode
    assert sftp(reader, plain, f"put {payload} {outside}").returncode
    assert not sftp(writer, plain, f"put {payload} {outside}").returncode

    # A chroot and each folder above it must be root's and no one else's to write: not
    # under /tmp. mkdtemp makes it root's, mode 0700.
    Path("/srv").mkdir(mode=0o755, exist_ok=True)
    jail = Path(tempfile.mkdtemp(prefix="dvc-chroot-", dir="/srv"))
    try:
        (jail / "churn-model").mkdir()
        config = match.replace("Match User dvc", "Match User root")
        port = sshd(lines + authorized("", anyone), config.replace("/srv/dvc", str(jail)))
        for key in (reader, writer, anyone):
            assert runs_nothing(key, port, marker), key.name
            assert not forwards(key, port), key.name
            listing = sftp(key, port, "ls -1 /").stdout.splitlines()
            assert [line for line in listing if "sftp>" not in line] == ["/churn-model"]
            assert sftp(key, port, f"get {outside} {tmp_path}/got").returncode, key.name

        url = f"ssh://root@127.0.0.1:{port}/churn-model"
        run(project, "dvc", "remote", "modify", "storage", "url", url)
        run(project, "dvc", "repro")
        before = {name: digest(project / name) for name in OUTPUTS}
        run(project, "dvc", "remote", "modify", "--local", "storage", "keyfile", str(writer))
        run(project, "python", "-m", "churn_model", "push")
        stored = stored_files(jail / "churn-model")
        assert any(name.startswith("runs/") for name in stored), stored

        run(project, "dvc", "remote", "modify", "--local", "storage", "keyfile", str(reader))
        shutil.rmtree(project / ".dvc" / "cache")
        for name in OUTPUTS:
            (project / name).unlink()
        run(project, "python", "-m", "churn_model", "pull")
        assert {name: digest(project / name) for name in OUTPUTS} == before
        assert run(project, "dvc", "status", "--cloud").returncode == 0

        (project / "data" / "raw" / "new.txt").write_text("a proposal's file\n")
        run(project, "dvc", "add", "-q", "data/raw/new.txt")
        failed = run(project, "python", "-m", "churn_model", "push", check=False)
        assert failed.returncode != 0
        assert "error: could not push to DVC remote 'storage'" in failed.stderr
        assert "Permission denied" in failed.stderr  # the reader's SFTP server is read-only
        some = sorted(name for name in stored if name.startswith("files/"))[0]
        assert sftp(reader, port, f"rm /churn-model/{some}").returncode != 0
        assert sftp(reader, port, f"rename /churn-model/{some} /x").returncode != 0
        assert stored_files(jail / "churn-model") == stored
    finally:
        shutil.rmtree(jail)
