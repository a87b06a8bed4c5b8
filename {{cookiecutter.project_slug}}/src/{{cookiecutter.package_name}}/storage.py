"""The DVC remote: push and pull through DVC, with one clear line when it fails.

`push` shares this checkout's outputs and stage results (the run-cache) with the
default remote; `pull` fetches them; `update` refreshes imported data from its source.
A missing remote names the setting to fix; an unreachable one (no network, wrong URL,
no credentials) names the remote, its URL and DVC's reason, never a stack trace. None
ever deletes anything: a failed push leaves the local cache as it was, a failed pull
leaves the workspace as it was.
"""

import subprocess
import sys

from .errors import ProjectError

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


def reason(stderr: str) -> str:
    """DVC's last error message without its prefixes, on one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    text = (errors or lines or ["DVC gave no reason"])[-1]
    for prefix in PREFIXES:
        text = text.removeprefix(prefix)
    return text


def dvc(*args: str, show_errors: bool = False) -> str | None:
    """Run DVC; None when it succeeds, else its reason on one line. Its messages are
    shown when it succeeds, and when it fails only with ``show_errors`` (a stage's own
    errors, say), since the reason is what the caller reports."""
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args], stderr=subprocess.PIPE, text=True, check=False
    )
    if result.returncode == 0 or show_errors:
        sys.stderr.write(result.stderr)
    return reason(result.stderr) if result.returncode != 0 else None


def transfer(command: str, *options: str) -> None:
    """Run `dvc <command> <options>` against the default remote."""
    name, url = default_remote()
    failed = dvc(command, *options)
    if failed:
        direction = "to" if command == "push" else "from"
        raise ProjectError(
            f"could not {command} {direction} DVC remote {name!r} ({url}): {failed}; "
            f"check .dvc/config's remote.{name}.url and the credentials ({SEE}); "
            "nothing was deleted"
        )


def update(tracked: str) -> None:
    """`dvc update` of a file added with `dvc import-url` or `dvc import`: the newest
    version of its source."""
    failed = dvc("update", tracked)
    if failed:
        raise ProjectError(f"{tracked}: `dvc update` failed: {failed}")


def push() -> None:
    """Share this checkout's outputs and stage results (run-cache) with the remote."""
    transfer("push", "--run-cache")


def pull() -> None:
    """Fetch this commit's outputs and the shared stage results from the remote."""
    transfer("pull", "--run-cache")
