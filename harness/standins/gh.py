#!/usr/bin/env python3
"""Stand-in for the GitHub CLI `gh` on the local runner (stdlib only).

Emulated: ``gh api [--method GET] [--jq PATH] [-H HEADER] ENDPOINT`` for the endpoints
in ROUTES, answered from the emulated GitHub state (localgh.py); ``--jq`` takes dotted
paths only (``.head.sha``). ``gh release view TAG`` and ``gh release create TAG
[--verify-tag] [--title T] [--notes N | --notes-file F]``, which records the release
(tag, title, body, target commit) in the state; the tag must be on ``origin`` with
``--verify-tag``. Anything else exits 1 saying it is not emulated. To add an endpoint,
add a (method, pattern, handler) row to ROUTES.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import localgh

NO_TOKEN = (
    "gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment "
    "variable. Example:\n  env:\n    GH_TOKEN: ${{ github.token }}"
)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def not_emulated(what: str) -> int:
    print(f"gh: local stand-in does not emulate {what}", file=sys.stderr)
    return 1


def require(token: str, scope: str, level: str) -> None:
    if localgh.token_scopes(token) is None:
        raise ApiError(401, "Bad credentials")
    if not localgh.allows(token, scope, level):
        raise ApiError(403, "Resource not accessible by integration")


def get_pull(state: dict, token: str, number: str) -> dict:
    require(token, "pull-requests", "read")
    for pull in state["pulls"]:
        if pull["number"] == int(number):
            return localgh.public(pull)
    raise ApiError(404, "Not Found")


# (method, endpoint pattern after repos/OWNER/REPO/, handler(state, token, *groups))
ROUTES = [
    ("GET", r"pulls/([0-9]+)", get_pull),
]


def jq(value, path: str):
    if path == ".":
        return value
    if not re.fullmatch(r"(\.[A-Za-z_][A-Za-z0-9_-]*)+", path):
        raise ValueError(f"--jq {path!r} (only dotted paths like .head.sha)")
    for key in path[1:].split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def api(args: list[str]) -> int:
    method, query, endpoint = "GET", None, None
    while args:
        arg = args.pop(0)
        name, has_value, inline = arg.partition("=")
        if name in ("--jq", "-q", "--method", "-X", "--header", "-H"):
            if not has_value and not args:
                print(f"gh: flag needs an argument: {name}", file=sys.stderr)
                return 1
            value = inline if has_value else args.pop(0)
            if name in ("--jq", "-q"):
                query = value
            elif name in ("--method", "-X"):
                method = value.upper()
        elif arg.startswith("-"):
            return not_emulated(f"gh api option {name}")
        elif endpoint is None:
            endpoint = arg
        else:
            print(f"gh: accepts 1 arg(s), received {arg!r} too", file=sys.stderr)
            return 1
    if endpoint is None:
        print("gh: api: an endpoint is required", file=sys.stderr)
        return 1
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN") or ""
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return 4
    state = localgh.read(localgh.state_path())
    current = os.environ.get("GH_REPO") or os.environ.get("GITHUB_REPOSITORY") or ""
    owner, _, name = current.partition("/")
    endpoint = endpoint.lstrip("/").replace("{owner}", owner).replace("{repo}", name)
    match = re.fullmatch(r"repos/([^/]+/[^/]+)/(.+)", endpoint.split("?")[0])
    try:
        if match is None:
            return not_emulated(f"gh api {method} {endpoint}")
        if match[1].lower() != state["repository"].lower():
            raise ApiError(404, "Not Found")
        for route_method, pattern, handler in ROUTES:
            found = re.fullmatch(pattern, match[2])
            if found and route_method == method:
                body = handler(state, token, *found.groups())
                break
        else:
            return not_emulated(f"gh api {method} {endpoint}")
        if query is not None:
            try:
                body = jq(body, query)
            except ValueError as error:
                return not_emulated(str(error))
            print(body if isinstance(body, str) else json.dumps(body))
        else:
            print(json.dumps(body, indent=2))
        return 0
    except ApiError as error:
        print(json.dumps({"message": error.message, "status": str(error.status)}))
        print(f"gh: {error.message} (HTTP {error.status})", file=sys.stderr)
        return 1


def token_or_exit() -> str | None:
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN") or ""
    if not token:
        print(NO_TOKEN, file=sys.stderr)
    return token or None


def tag_commit(tag: str) -> str | None:
    """The commit a tag of origin (the bare repository beside the state) points to."""
    origin = localgh.state_path().parent / "origin.git"
    found = subprocess.run(
        [
            "git",
            "--git-dir",
            str(origin),
            "rev-parse",
            "--verify",
            "--quiet",
            f"refs/tags/{tag}^{{commit}}",
        ],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() or None


def release(args: list[str]) -> int:
    if not args or args[0] not in ("view", "create") or len(args) < 2:
        return not_emulated(f"gh release {' '.join(args[:1])}")
    command, tag, options = args[0], args[1], args[2:]
    token = token_or_exit()
    if token is None:
        return 4
    need = "write" if command == "create" else "read"
    if not localgh.allows(token, "contents", need):
        print("gh: Resource not accessible by integration (HTTP 403)", file=sys.stderr)
        return 1
    if command == "view":
        for found in localgh.read(localgh.state_path())["releases"]:
            if found["tag_name"] == tag:
                print(f"title:\t{found['name']}\ntag:\t{tag}\n--\n{found['body']}")
                return 0
        print("release not found", file=sys.stderr)
        return 1
    title, body, verify = tag, "", False
    while options:
        option = options.pop(0)
        if option == "--verify-tag":
            verify = True
        elif option in ("--title", "-t", "--notes", "-n", "--notes-file", "-F") and options:
            value = options.pop(0)
            if option in ("--title", "-t"):
                title = value
            elif option in ("--notes", "-n"):
                body = value
            else:
                body = Path(value).read_text(encoding="utf-8")
        else:
            return not_emulated(f"gh release create option {option}")
    commit = tag_commit(tag)
    if verify and commit is None:
        print(
            f"tag {tag} doesn't exist in the repo, aborting due to --verify-tag flag",
            file=sys.stderr,
        )
        return 1
    with localgh.locked(localgh.state_path()) as state:
        if any(found["tag_name"] == tag for found in state["releases"]):
            print("HTTP 422: Validation Failed (tag_name already_exists)", file=sys.stderr)
            return 1
        number = localgh.next_id(state, "releases")
        state["releases"].append(
            {
                "id": number,
                "tag_name": tag,
                "name": title,
                "body": body,
                "target_commitish": commit,
            }
        )
    print(f"{localgh.SERVER_URL}/{os.environ.get('GITHUB_REPOSITORY', '')}/releases/tag/{tag}")
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: gh api <endpoint> (local stand-in)", file=sys.stderr)
        return 1
    if argv[0] == "api":
        return api(argv[1:])
    if argv[0] == "release":
        return release(argv[1:])
    return not_emulated(f"gh {argv[0]}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
