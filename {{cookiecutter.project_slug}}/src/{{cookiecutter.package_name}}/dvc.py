"""The one place that runs DVC: its command line, its API, the remote, and dvc.lock.

DVC-tracked files of any commit are read through DVC (its cache, then the remote), and
every file read that way, or about to be loaded by a privileged job, is hashed and
compared with the md5 that commit's dvc.lock records: bytes that are not the reviewed
ones are refused before anything parses them (a pickle runs code when loaded). The
remote commands say what failed in one line: a missing remote names the setting to fix;
an unreachable one (no network, wrong URL, no credentials) names the remote, its URL and
DVC's reason, never a stack trace. None ever deletes anything: a failed push leaves the
local cache as it was, a failed pull leaves the workspace as it was.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from . import paths
from .errors import ProjectError
from .git import read

SEE = 'see README, "Storage"'
# DVC's own prefixes before the reason it gives.
PREFIXES = (
    "unexpected error - ",
    "failed to push data to the cloud - ",
    "failed to pull data from the cloud - ",
    "failed to fetch data from the cloud - ",
    "configuration error - ",
    "config file error: ",
)
# What gcsfs says when a bucket does not exist: the path of its objects' listing.
MISSING_BUCKET = re.compile(r"b/([^/\s]+)/o")

# the command line --------------------------------------------------------------------


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "dvc", *args]


def reason(stderr: str) -> str:
    """DVC's last error message without its prefixes, on one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    text = (errors or lines or ["DVC gave no reason"])[-1]
    for prefix in PREFIXES:
        text = text.removeprefix(prefix)
    if missing := MISSING_BUCKET.fullmatch(text):
        return f"no bucket {missing[1]!r} (Google Cloud Storage answered 404 for it)"
    return text


def run(*args: str, show_errors: bool = False) -> str | None:
    """Run DVC; None when it succeeds, else its reason on one line. Its messages are
    shown when it succeeds, and when it fails only with ``show_errors`` (a stage's own
    errors, say), since the reason is what the caller reports."""
    result = subprocess.run(_command(*args), stderr=subprocess.PIPE, text=True, check=False)
    if result.returncode == 0 or show_errors:
        sys.stderr.write(result.stderr)
    return reason(result.stderr) if result.returncode != 0 else None


def status() -> dict:
    """`dvc status --json`: what `dvc repro` would run, and why."""
    result = subprocess.run(
        _command("status", "--json"), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ProjectError(f"dvc status failed: {reason(result.stderr or result.stdout)}")
    return json.loads(result.stdout or "{}")


def plots_diff(commit: str, out: Path) -> subprocess.Popen:
    """Start rendering the DVC plots of the workspace against ``commit`` as HTML in ``out``;
    it runs in the background (wait for the returned process)."""
    return subprocess.Popen(
        _command("plots", "diff", commit, "--out", str(out)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# files at a commit ----------------------------------------------------------------------


def read_at(commit: str, path: Path, shipped: dict[str, str] | None = None) -> io.BytesIO:
    """A DVC-tracked file of a commit, read through DVC (its cache, then the remote), and
    refused unless its bytes are the ones that commit's dvc.lock records, or, for a
    version whose promotion re-made it, the ones its registry record names (``shipped``:
    path -> md5, registry.Version.shipped)."""
    recorded = outputs(lock(commit)).get(path.as_posix())
    expected = expected_md5(commit, path, shipped)
    data = cached(expected)
    if data is None and expected != recorded:
        data = fetched(expected, path, commit)
    if data is None:
        import dvc.api
        from dvc.exceptions import PathMissingError

        try:
            with dvc.api.open(str(path), rev=commit, mode="rb") as stream:
                data = stream.read()
        except PathMissingError:  # DVC's own message blames the repository
            raise FileNotFoundError(
                f"{path} of {commit[:7]} is in neither the DVC cache nor a reachable DVC remote"
            ) from None
    refuse_unless(f"{path}@{commit[:7]}", hashlib.md5(data).hexdigest(), expected, commit)
    return io.BytesIO(data)


def fetched(md5: str, path: Path, commit: str) -> bytes:
    """The bytes of ``md5``, which a promotion re-made and pushed: from the default
    remote into the local cache (the remote's ``verify`` applies)."""
    from dvc.repo import Repo
    from dvc_data.hashfile.hash_info import HashInfo

    try:
        with Repo(".") as repo:
            repo.cloud.pull({HashInfo("md5", md5)})
    except Exception as error:  # no remote, unreachable, missing: one message
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise FileNotFoundError(
            f"{path} of {commit[:7]} as its promotion re-made it (md5 {md5}) is in neither "
            f"the DVC cache nor a reachable DVC remote ({reason}); the promotion pushes it "
            'to the remote (README, "Reproducibility")'
        ) from None
    data = cached(md5)
    if data is None:
        raise FileNotFoundError(
            f"{path} of {commit[:7]} as its promotion re-made it (md5 {md5}) is not on the "
            'DVC remote; the promotion pushes it there (README, "Reproducibility")'
        )
    return data


def cached(md5: str | None) -> bytes | None:
    """The bytes of the file DVC's local cache (its default place) holds under ``md5``, or
    None: then DVC finds them (a cache configured elsewhere, the remote). Reading the
    cache directly spares opening DVC's repository at a commit, about 0.3 s a file; the
    bytes are checked against dvc.lock either way."""
    if not md5 or md5.endswith(".dir"):
        return None
    stored = paths.DVC_CACHE / md5[:2] / md5[2:]
    return stored.read_bytes() if stored.is_file() else None


# the bytes dvc.lock records -------------------------------------------------------------


# The names .dvcignore lists, at any depth: DVC leaves such files out of a folder's hash,
# so md5_of does too (a file outputs.py was writing when it was killed, say).
IGNORED = (".gitkeep", ".*.tmp")


def ignored(path: Path) -> bool:
    """Whether DVC leaves this file out of its folder's hash (its name is in IGNORED)."""
    return any(fnmatch.fnmatchcase(path.name, name) for name in IGNORED)


def md5_of(path: Path) -> str:
    """An output's md5 as DVC records it: a file's md5; a folder's is that of DVC's
    listing of its files (each one's md5 and path, in order, but those .dvcignore
    lists) followed by ".dir"."""
    if path.is_dir():
        files = sorted(
            (item for item in path.rglob("*") if item.is_file() and not ignored(item)),
            key=lambda item: item.relative_to(path).parts,
        )
        listing = [
            {"md5": md5_of(item), "relpath": item.relative_to(path).as_posix()} for item in files
        ]
        return hashlib.md5(json.dumps(listing, sort_keys=True).encode()).hexdigest() + ".dir"
    digest = hashlib.md5()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def expected_md5(commit: str, path: Path, shipped: dict[str, str] | None = None) -> str | None:
    """The md5 a DVC-tracked file of ``commit`` must have, the one rule every reader of a
    version checks against: the md5 the version's registry record names when its
    promotion re-made the file (``shipped``: path -> md5, registry.Version.shipped), else
    the one the commit's dvc.lock records; None when neither names the file."""
    return (shipped or {}).get(path.as_posix()) or outputs(lock(commit)).get(path.as_posix())


def refuse_unless(what: str, found: str, expected: str | None, commit: str) -> None:
    """A ProjectError unless ``found`` is the md5 dvc.lock (or the version's registry
    record) names at ``commit``."""
    if expected is None:
        raise ProjectError(f"{what}: dvc.lock at {commit[:7]} records no such output")
    if found != expected:
        raise ProjectError(
            f"{what}: its bytes (md5 {found}) are not the ones dvc.lock records at "
            f"{commit[:7]} (md5 {expected}); refused before loading. The DVC cache or "
            "remote holds a substituted file: remove it from the cache and pull again, "
            'and check who may write to the remote (README, "Storage")'
        )


def pipeline_outputs(cached: bool) -> list[str]:
    """dvc.yaml's outputs that DVC keeps in its cache and the remote (``cached``: the
    files that arrive by `dvc pull`), or the others (`cache: false`: kept in Git)."""
    pipeline = yaml.safe_load(paths.PIPELINE.read_text(encoding="utf-8")) or {}
    found = []
    for stage in (pipeline.get("stages") or {}).values():
        for out in stage.get("outs", []):
            name, options = (out, {}) if isinstance(out, str) else next(iter(out.items()))
            if (options or {}).get("cache", True) == cached:
                found.append(name)
    return found


def arrived() -> list[str]:
    """Before `dvc repro`: the cached outputs already in the workspace (restored from the
    cache or pulled), each refused (a ProjectError naming it) unless its bytes are the
    ones dvc.lock records. Returns their paths."""
    recorded = outputs(lock())
    found = []
    for name in pipeline_outputs(cached=True):
        path = Path(name)
        if path.exists():
            refuse_unless(name, md5_of(path), recorded.get(name), "HEAD")
            found.append(name)
    return found


def remade(recorded: dict[str, str], before: list[str]) -> dict[str, dict[str, str]]:
    """After `dvc repro`: the cached outputs that were not in the workspace ``before`` it
    and that it made with other bytes than dvc.lock ``recorded`` (the machine differs:
    threads, CPU, operating system, library builds): path -> {"recorded": md5, "built":
    md5}. Outputs that were there before were checked then (``arrived``)."""
    found = {}
    for name in pipeline_outputs(cached=True):
        path = Path(name)
        if name in before or name not in recorded:
            continue
        if not path.exists():
            raise ProjectError(f"{name}: missing; run `dvc repro` (or `dvc pull`) first")
        built = md5_of(path)
        if built != recorded[name]:
            found[name] = {"recorded": recorded[name], "built": built}
    return found


# dvc.lock -------------------------------------------------------------------------------


def lock(commit: str | None = None) -> str | None:
    """dvc.lock's text at ``commit``, or in the workspace; None when there is none."""
    return read(paths.LOCK, commit)


def stages(text: str | None) -> dict[str, dict]:
    """stage -> its entry in a dvc.lock's text."""
    return (yaml.safe_load(text or "") or {}).get("stages") or {}


def outputs(text: str | None) -> dict[str, str]:
    """path -> md5 of every stage output in a dvc.lock's text."""
    return {
        item["path"]: item.get("md5", "")
        for stage in stages(text).values()
        for item in stage.get("outs", [])
    }


def inputs(text: str | None) -> dict[str, dict[str, str]]:
    """stage -> {path: md5} of its dependencies in a dvc.lock: code and data, not the
    outputs of other stages (a retrained model is the change's result, not its cause)."""
    produced = outputs(text)
    return {
        name: {
            item["path"]: item.get("md5", "")
            for item in stage.get("deps", [])
            if item["path"] not in produced
        }
        for name, stage in stages(text).items()
    }


def metrics_at(commit: str | None) -> dict[str, float] | None:
    """The metrics (dvc.yaml: metrics, kept in Git) as committed at ``commit``, or in the
    workspace (None)."""
    text = read(paths.METRICS, commit)
    return json.loads(text) if text else None


def model_md5(text: str | None) -> str | None:
    """The model's md5 in a dvc.lock's text."""
    return outputs(text).get(paths.MODEL.as_posix())


# the remote -----------------------------------------------------------------------------


def default_remote() -> tuple[str, str]:
    """The default remote's name and URL, from DVC's configuration (all its levels)."""
    from dvc.config import Config, ConfigError

    try:
        config = Config.from_cwd()
    except ConfigError as error:
        raise ProjectError(f"DVC configuration: {error} ({SEE})") from None
    name = config["core"].get("remote")
    if not name:
        raise ProjectError(
            "no default DVC remote: .dvc/config sets no core.remote; add one with "
            f"`dvc remote add --default storage <url>` ({SEE}); nothing was transferred"
        )
    url = config["remote"].get(name, {}).get("url")
    if not url:
        raise ProjectError(
            f"DVC remote {name!r} (core.remote) is not defined: .dvc/config has no "
            f"remote.{name}.url ({SEE}); nothing was transferred"
        )
    return name, url


def remote_configured() -> bool:
    """Whether DVC has a default remote (.dvc/config, or config.local)."""
    try:
        default_remote()
    except ProjectError:
        return False
    return True


def transfer(command: str, *options: str) -> None:
    """Run `dvc <command> <options>` against the default remote."""
    name, url = default_remote()
    failed = run(command, *options)
    if failed:
        direction = "to" if command == "push" else "from"
        raise ProjectError(
            f"could not {command} {direction} DVC remote {name!r} ({url}): {failed}; "
            f"check .dvc/config's remote.{name}.url and the credentials ({SEE}); "
            "nothing was deleted"
        )


def push() -> None:
    """Share this checkout's outputs and stage results (run-cache) with the remote."""
    transfer("push", "--run-cache")


def pull() -> None:
    """Fetch this commit's outputs and the shared stage results from the remote."""
    transfer("pull", "--run-cache")


def update(tracked: str) -> None:
    """`dvc update` of a file added with `dvc import-url` or `dvc import`: the newest
    version of its source."""
    failed = run("update", tracked)
    if failed:
        raise ProjectError(f"{tracked}: `dvc update` failed: {failed}")
