"""Fixtures: isolated git configuration, baked projects, the projects' environment.

FAST=1 bakes a reduced option matrix (see test_bake.py). The tests run in three processes
(pytest-xdist, pyproject.toml). No thread count is pinned for the suite: the train stage
sets its own (params.yaml: train.threads), and the workflow tests set the developer's
machine (``LAPTOP``: two threads) and the runner (``RUNNER``: one) apart on purpose.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import pickle
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

import boto3
import pytest
import yaml

from harness import env as project_env_module
from harness.bake import TEMPLATE, bake
from harness.env import DEFAULT_ENV, register_by_hand, run, signing_key
from harness.runner import Environment, GitHub, run_workflow

# DVC's usage reports: off, so that no DVC command starts a process to send one.
os.environ.setdefault("DVC_NO_ANALYTICS", "1")
# Bytecode caches on: a machine that turns them off (PYTHONDONTWRITEBYTECODE) makes each
# process compile a baked project's package again (half of a short command's time).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# Each test's make runs as a user types it, not as a sub-make of `make test` (which would
# print "Entering directory" and hand down its flags).
for _name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS"):
    os.environ.pop(_name, None)


# The modules whose tests take minutes (the demo, the benchmark, whole workflows) run
# first, and a worker that runs out of tests takes some of another's (pytest-xdist's
# worksteal, pyproject.toml): they finish together, instead of one running the last
# long test alone while the others idle (that cost five minutes).
LONGEST_FIRST = (
    "test_readme.py",
    "test_promote_workflow.py",
    "test_remote.py",
    "test_real_data.py",
    "test_operate.py",
    "test_pr_workflow.py",
    "test_pipeline.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: in order


@pytest.fixture(scope="session", autouse=True)
def isolated_git(tmp_path_factory):
    """Never read or write the developer's git configuration; identity comes from here."""
    home = tmp_path_factory.mktemp("git-home")
    config = home / "gitconfig"
    config.write_text(
        "[user]\n\tname = Template Tests\n\temail = tests@example.com\n"
        "[init]\n\tdefaultBranch = master\n",  # generated projects must still be on main
        encoding="utf-8",
    )
    saved = {key: os.environ.get(key) for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")}
    os.environ["GIT_CONFIG_GLOBAL"] = str(config)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    yield config
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def project_env(tmp_path_factory):
    """One environment with what the generated projects' uv.lock pins, every storage
    plugin included. A parallel test worker (pytest-xdist) has
    its own, since each installs its projects into it; `make bench`, when a test runs it,
    takes the same one (PROJECT_ENV)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    env_dir = DEFAULT_ENV.with_name(f"{DEFAULT_ENV.name}-{worker}") if worker else DEFAULT_ENV
    os.environ["PROJECT_ENV"] = str(env_dir)
    where = tmp_path_factory.mktemp("pins")
    return project_env_module.project_env(bake(where), env_dir)


@pytest.fixture
def baked(tmp_path, project_env):
    """Bake a project with the given answers and install it into the shared environment."""

    def make(**answers):
        project = bake(tmp_path / "out", **answers)
        project_env_module.install(project, project_env)
        return project

    yield make
    shutil.rmtree(tmp_path / "out", ignore_errors=True)


HGB = "hist_gradient_boosting"  # the default estimator of params.yaml
RATE_CHANGE = f"| `train.hyperparameters.{HGB}.learning_rate` | `0.1` | `0.05` |"
RATE_IN_CARD = f"| `train.hyperparameters.{HGB}.learning_rate` | `0.05` |"


def hgb(params: dict) -> dict:
    """The default estimator's hyperparameters in params.yaml's data."""
    return params["train"]["hyperparameters"][HGB]


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()


def readme_commands(project, section: str) -> list[list[str]]:
    """The shell commands of a README section's code blocks, without their comments."""
    text = (project / "README.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", body, re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [line.split() for line in lines if line]


def readme_blocks(project, section: str, language: str) -> list[str]:
    """The code blocks of a README section in ``language``, dedented (a block in a list
    item is indented like the item's text)."""
    text = (project / "README.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    fences = re.findall(rf"^( *)```{language}\n(.*?)^\1```", body, re.S | re.M)
    return [textwrap.dedent(block) for _, block in fences]


def edit_yaml(path: Path, change) -> None:
    """Apply ``change`` to the YAML file at ``path``, keeping its key order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Payload:
    """A pickle that runs a command when loaded: what a substituted model could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def swap_bundle(folder: Path, marker: Path) -> str:
    """Replace the bundle in ``folder`` by a Payload (touching ``marker`` when loaded)
    whose metadata is the bundle's own with the payload's md5: a bundle that vouches for
    itself. Returns that md5."""
    data = pickle.dumps(Payload(marker))
    (folder / "model.joblib").write_bytes(data)
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    metadata["md5"] = hashlib.md5(data).hexdigest()
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return metadata["md5"]


@pytest.fixture
def s3_server(tmp_path):
    """moto's S3-compatible server on 127.0.0.1, stopped after the test."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with server(command, endpoint, "moto server", tmp_path / "moto.log"):
        yield endpoint


AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def s3_client(endpoint: str):
    """A boto3 client of moto's server, with the test credentials."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=AWS["AWS_DEFAULT_REGION"],
        aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
    )


def s3_bucket(endpoint: str, name: str):
    """A bucket on moto's server, and the boto3 client that made it."""
    client = s3_client(endpoint)
    client.create_bucket(Bucket=name)
    return client


SERVER_START_S = 180  # a loaded CI machine starts node (Azurite) in well over 30 s
# A server asked to stop (SIGTERM) has this long: generous for a loaded machine, and
# still a failure for one that ignores the signal.
SERVER_STOP_S = 120


def wait_for(url: str, server: subprocess.Popen, name: str, log: Path) -> None:
    """Until ``url`` answers anything over HTTP (an error status included), for at most
    SERVER_START_S seconds of wall-clock time."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    output = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{name} did not answer at {url} in {SERVER_START_S} s: {output}")


@contextlib.contextmanager
def server(command: list[str], url: str, name: str, log: Path, **popen):
    """A server process (its output to ``log``), ready once ``url`` answers; stopped after.
    ``popen``: Popen's options (cwd, env)."""
    with log.open("w") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen
        )
        try:
            wait_for(url, process, name, log)
            yield process
        finally:  # the whole group: a `make` target's server is make's child
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=SERVER_STOP_S)


@pytest.fixture
def gcs_server(tmp_path):
    """gcp-storage-emulator (PyPI) on 127.0.0.1, in memory: Google Cloud Storage's JSON API."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    emulator = str(TEMPLATE_BIN / "gcp-storage-emulator")
    command = [emulator, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory"]
    ready = f"{endpoint}/storage/v1/b?project=test"
    with server(command, ready, "gcp-storage-emulator", tmp_path / "gcs.log"):
        yield endpoint


AZURITE_KEY = (  # Azurite's well-known development account key (public, not a secret)
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def azurite_connection(endpoint: str, key: str = AZURITE_KEY) -> str:
    return (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={key};BlobEndpoint={endpoint}/devstoreaccount1;"
    )


@pytest.fixture
def azurite(tmp_path):
    """Azurite's blob service (npm) on 127.0.0.1: Azure Blob Storage, for the azure remote."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    command = [
        str(TEMPLATE / "node_modules" / ".bin" / "azurite-blob"),
        "--blobHost", "127.0.0.1", "--blobPort", str(port),
        "--location", str(tmp_path / "azurite"),
        "--skipApiVersionCheck", "--disableTelemetry", "--silent",
    ]  # fmt: skip
    with server(command, endpoint, "Azurite", tmp_path / "azurite.log"):
        yield endpoint


SSHD = Path("/usr/sbin/sshd")


def ssh_key(folder: Path, name: str) -> Path:
    """A new ed25519 key pair without passphrase: the private key's path (``.pub`` beside)."""
    key = folder / name
    keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)]
    subprocess.run(keygen, check=True)
    return key


@pytest.fixture
def sshd(tmp_path):
    """OpenSSH's server (Debian's openssh-server, which `make test` installs) on 127.0.0.1
    with its own configuration and host key: `sshd(authorized_keys, config)` starts one,
    with these lines as root's authorized_keys and ``config`` at the end of sshd_config
    (a Match block), and returns its port. Each server it started stops after the test."""
    if not SSHD.is_file():
        pytest.fail(f"no {SSHD}: `make test` installs Debian's openssh-server (as root)")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation
    host_key = ssh_key(tmp_path, "sshd_host_key")
    started: list[tuple[subprocess.Popen, IO[str]]] = []

    def start(authorized_keys: str, config: str = "") -> int:
        folder = tmp_path / f"sshd-{len(started)}"
        folder.mkdir()
        (folder / "authorized_keys").write_text(authorized_keys, encoding="utf-8")
        port = free_port()
        (folder / "sshd_config").write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
            f"PidFile {folder}/sshd.pid\nAuthorizedKeysFile {folder}/authorized_keys\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n"
            "Subsystem sftp internal-sftp\n" + config,
            encoding="utf-8",
        )
        log = (folder / "sshd.log").open("w")
        process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(folder / "sshd_config")], stderr=log
        )
        started.append((process, log))
        deadline = time.monotonic() + SERVER_START_S  # wall-clock time, not attempts
        while time.monotonic() < deadline:  # sshd writes its pid file once it listens
            if (folder / "sshd.pid").exists():
                return port
            if process.poll() is not None:
                raise RuntimeError((folder / "sshd.log").read_text())
            time.sleep(0.05)
        log_text = (folder / "sshd.log").read_text()
        raise RuntimeError(f"sshd did not start in {SERVER_START_S} s: {log_text}")

    try:
        yield start
    finally:
        for process, log in started:
            process.terminate()
            process.wait(timeout=SERVER_STOP_S)
            log.close()


WORKFLOWS = Path(".github") / "workflows"
TEMPLATE_BIN = Path(sys.executable).parent  # uv, which the workflow's `make install` uses


# The developer's machine differs from the runner: more threads for OpenMP and BLAS. Set
# per flow (Repository.sh and Repository.run), never for the whole suite.
LAPTOP = {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
# The CI runner the workflow tests emulate: one thread, unlike the laptop.
RUNNER = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Stands in for a developer on another platform (a Mac's arm64 wheels, another CPU):
# a fit whose bytes differ from the runner's whatever params.yaml's thread setting,
# because threadpoolctl's limits do nothing there, so OpenMP takes LAPTOP's threads.
OTHER_PLATFORM = """import contextlib
import threadpoolctl

threadpoolctl.threadpool_limits = lambda *args, **kwargs: contextlib.nullcontext()
"""


def other_platform(folder: Path) -> dict[str, str]:
    """The environment of a developer on another platform (OTHER_PLATFORM)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(OTHER_PLATFORM, encoding="utf-8")
    return {**LAPTOP, "PYTHONPATH": str(folder)}


# The environments whose jobs make registry tags (README, "Registry signatures").
SIGNING_ENVS = ("writer", "production")


class Repository:
    """A generated project, its GitHub (a bare origin plus recorded state), and the
    environment its workflows run with: the project environment stands in for the
    virtual environment `make install` creates; uv installs offline from its cache.
    The developer's commands (``sh``) run with ``laptop``'s settings too."""

    def __init__(self, project: Path, gh: GitHub, project_env: Path, env=None, credentials=None):
        self.project, self.gh, self.project_env = project, gh, project_env
        self.env = env or {}  # for the workflows and the developer's machine alike
        self.credentials = credentials or {}  # the developer's; workflows get secrets
        self.laptop = dict(LAPTOP)  # the developer's machine only
        if not git(project, "remote"):
            git(project, "remote", "add", "origin", str(gh.origin))

    def sh(
        self, *command: str, cwd: Path | None = None, check=True
    ) -> subprocess.CompletedProcess:
        environment = {**self.laptop, **self.env, **self.credentials}
        return run(cwd or self.project, *command, check=check, **environment)

    def commit(self, message: str, remote: str = "origin") -> None:
        git(self.project, "add", "--all")
        git(self.project, "commit", "-q", "-m", message)
        git(self.project, "push", "-q", remote, "HEAD")

    def propose(self, change, message: str, repro: bool = True) -> None:
        """Edit params.yaml, retrain (unless told not to), commit and push the branch."""
        edit_yaml(self.project / "params.yaml", change)
        if repro:
            self.sh("dvc", "repro")
        self.commit(message)

    def environments(
        self, given: dict[str, Environment] | None, signing: bool = True
    ) -> dict[str, Environment]:
        """The GitHub Environments of a run: ``given`` (the writer's keys, say), each
        with the registry's signing key (unless not ``signing``), and `writer` and
        `production` as the README sets them up (main only) when not given."""
        key = {"REGISTRY_SIGNING_KEY": signing_key(self.project)} if signing else {}
        found = {name: Environment(secrets=key, branches=("main",)) for name in SIGNING_ENVS}
        for name, environment in (given or {}).items():
            found[name] = Environment(
                secrets={**environment.secrets, **key}, branches=environment.branches
            )
        return found

    def run(self, workflow: str, event: str, payload: dict, secrets=None, signing=True, **options):
        options["environments"] = self.environments(options.get("environments"), signing)
        return run_workflow(
            self.gh,
            self.project / WORKFLOWS / workflow,
            event,
            payload,
            secrets=secrets,
            **options,
            env={"VENV": str(self.project_env), "UV_OFFLINE": "1", **RUNNER, **self.env},
            path=[self.project_env / "bin", TEMPLATE_BIN],
        )

    def pull_request(self, number: int, action: str, secrets=None):
        """`pr.yaml` for a pull_request event, then `pr-comment.yaml` for its completion."""
        if action == "synchronize":
            self.gh.synchronize(number)
        checked = self.run("pr.yaml", "pull_request", self.gh.event(number, action), secrets)
        posted = self.run("pr-comment.yaml", "workflow_run", self.gh.workflow_run_event(checked))
        assert posted.conclusion == "success", posted.log()
        return checked

    def report(self, checked) -> str:
        """report.md of a run's `pr-report` artifact: what the comment workflow reads."""
        artifact = self.gh.root / "artifacts" / str(checked.run_id) / "pr-report"
        return (artifact / "report.md").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def trained_once(tmp_path_factory, project_env):
    """Classification projects trained on main and pushed to a bare origin, built once per
    session for each set of answers: ``promoted`` ones (a copy of the unpromoted one) also
    have `v1.0.0` in production (GTO tags on origin); all stand on a branch `proposal`.
    The parallel workers (pytest-xdist) share them: the first to need one builds it while
    the other waits for it. Tests get copies (``trained``, ``on_main``), never these."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    # The session's folder, every worker's (without workers, this process's own).
    shared = tmp_path_factory.getbasetemp().parent if worker else tmp_path_factory.getbasetemp()

    def make(promoted: bool, **answers: str) -> Path:
        key = json.dumps([promoted, answers], sort_keys=True)
        root = shared / f"trained-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        done = root.with_name(f"{root.name}.done")
        with root.with_name(f"{root.name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # held while building: the other worker waits
            if not done.is_file():
                shutil.rmtree(root, ignore_errors=True)
                if promoted:
                    project, _ = copy_of(make(False, **answers), root, project_env)
                    register_by_hand(project, "churn-model", "main", "v1.0.0", "prod")
                    git(project, "push", "-q", "origin", "--tags")
                else:
                    build_trained(root, project_env, answers)
                done.touch()
        return root

    return make


def build_trained(root: Path, project_env: Path, answers: dict[str, str]) -> None:
    project = bake(root / "out", problem_type="classification", **answers)
    project_env_module.install(project, project_env)
    gh = GitHub(root / "github")
    git(project, "remote", "add", "origin", str(gh.origin))
    run(project, "dvc", "repro")
    git(project, "add", "--all")
    git(project, "commit", "-q", "-m", "Train the first model")
    git(project, "push", "-q", "origin", "main")
    git(project, "fetch", "-q", "origin")
    git(project, "checkout", "-q", "-b", "proposal")


def copy_of(built: Path, where: Path, project_env: Path) -> tuple[Path, GitHub]:
    """A copy of a project built by ``trained_once`` and of its GitHub, in ``where``: its
    origin is the copy's, and the environment runs the copy's code."""
    shutil.copytree(built, where, symlinks=True)
    project = where / "out" / "churn-model"
    gh = GitHub(where / "github")
    git(project, "remote", "set-url", "origin", str(gh.origin))
    project_env_module.install(project, project_env)
    return project, gh


@pytest.fixture
def on_main(trained_once, tmp_path, project_env):
    """A classification project trained and committed on main, pushed to a bare origin,
    on a branch `proposal`; nothing registered."""
    project, _ = copy_of(trained_once(False), tmp_path / "copy", project_env)
    return project


@pytest.fixture
def trained(trained_once, tmp_path, project_env):
    """A classification project whose first model is trained on main, pushed to origin,
    and in production (`v1.0.0`, GTO tags on origin), on a branch `proposal`. With
    ``credentials`` (a remote the developer can write), the model and its stage results
    are on the DVC remote too."""

    def make(env=None, credentials=None, **answers: str) -> Repository:
        project, gh = copy_of(trained_once(True, **answers), tmp_path / "copy", project_env)
        repo = Repository(project, gh, project_env, env, credentials)
        if credentials:
            repo.sh("dvc", "push", "--run-cache")
        return repo

    return make


@pytest.fixture
def s3(s3_server):
    """The environment in which DVC reaches moto's S3 server (not a secret: GitHub's
    runner would reach AWS itself), and the bucket the s3 projects use."""
    s3_bucket(s3_server, "models")
    return {
        "AWS_ENDPOINT_URL": s3_server,
        "AWS_DEFAULT_REGION": AWS["AWS_DEFAULT_REGION"],
        "AWS_EC2_METADATA_DISABLED": "true",
    }


SECRETS = {key: AWS[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
# Where the README puts the writer's keys: the environment `writer`, which only main uses.
WRITER = {"writer": Environment(secrets=SECRETS, branches=("main",))}
# The read-only identity's keys, which pull requests get (moto checks no policy: that
# the pull request's job writes nothing is checked on the bucket itself).
READ_SECRETS = {
    "AWS_READ_ACCESS_KEY_ID": AWS["AWS_ACCESS_KEY_ID"],
    "AWS_READ_SECRET_ACCESS_KEY": AWS["AWS_SECRET_ACCESS_KEY"],
}


def bucket_objects(endpoint: str, bucket: str = "models") -> dict[str, str]:
    """key -> ETag of every object in the bucket."""
    listed = s3_client(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"]: item["ETag"] for item in listed}
