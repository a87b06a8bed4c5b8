#!/usr/bin/env python3
"""Stand-in for the GitHub CLI `gh` on the local runner (stdlib only).

Emulated: ``gh api [--method GET] [--jq PATH] [-H HEADER] ENDPOINT`` for the endpoints
in ROUTES, answered from the emulated GitHub state (localgh.py); ``--jq`` takes dotted
paths only (``.head.sha``). Anything else exits 1 saying it is not emulated. To add an
endpoint, add a (method, pattern, handler) row to ROUTES.
"""

import json
import os
import re
import sys

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


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: gh api <endpoint> (local stand-in)", file=sys.stderr)
        return 1
    if argv[0] == "api":
        return api(argv[1:])
    return not_emulated(f"gh {argv[0]}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
