#!/usr/bin/env python3
"""Stand-in for the GitHub CLI `gh` on the local runner (stdlib only).

Emulated: ``gh api [--method M] [--jq PATH] [-H HEADER] [--input FILE] ENDPOINT`` for
the endpoints in ROUTES (a pull request; a pull request's comments, paged as GitHub
pages them; editing a comment), answered from the emulated GitHub state (localgh.py);
``--jq`` takes dotted paths only (``.head.sha``). ``gh release view TAG`` and ``gh
release create TAG [--verify-tag] [--title T] [--notes N | --notes-file F]``, which
records the release (tag, title, body, target commit) in the state; the tag must be on
``origin`` with ``--verify-tag``. ``gh label create NAME [--color C] [--description D] [--force]``;
``gh issue list --label L --state open --json number [--jq .[0].number]``, ``gh issue
create --title T --body-file F [--label L]``, ``gh issue edit N --body-file F``, ``gh
issue comment N --body B``; ``gh workflow run FILE --ref REF`` (recorded as a dispatch);
``gh pr create --base B --head H --title T --body-file F [--label L]`` (the head branch
must be on origin; the runner's ``GitHub.synchronize`` computes its refs) and ``gh pr
merge N|URL --auto --merge`` (recorded as auto-merge). ``gh attestation verify
oci://ghcr.io/OWNER/NAME:TAG --repo OWNER/REPO`` finds the digest the tag points at
(the ``docker`` stand-in's packages) and an attestation of it (the
actions/attest-build-provenance emulation's) made in that repository. Each checks the token's
permission as GitHub does. Anything else exits 1 saying it is not emulated. To add an
endpoint, add a (method, pattern, handler) row to ROUTES.
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


def get_pull(state: dict, token: str, request: dict, number: str) -> dict:
    require(token, "pull-requests", "read")
    for pull in state["pulls"]:
        if pull["number"] == int(number):
            return localgh.public(pull)
    raise ApiError(404, "Not Found")


def comment_view(comment: dict) -> dict:
    """A comment as GitHub's REST API returns it (the fields the project reads)."""
    return {key: comment[key] for key in ("id", "user", "body", "html_url")}


def list_comments(state: dict, token: str, request: dict, number: str) -> list:
    """GET issues/N/comments: oldest first, one page (per_page: 30 by default, at most
    100; page: from 1), as GitHub pages it."""
    require(token, "pull-requests", "read")
    params = request["params"]
    try:
        size = min(int(params.get("per_page", 30)), 100)
        page = int(params.get("page", 1))
    except ValueError:
        raise ApiError(422, "Validation Failed") from None
    found = [c for c in state["comments"] if c["issue_number"] == int(number)]
    return [comment_view(c) for c in found[(page - 1) * size : page * size]]


def edit_comment(state: dict, token: str, request: dict, identifier: str) -> dict:
    """PATCH issues/comments/ID with {"body": ...}: any comment of the repository (a
    token that may write pull requests may edit anyone's, as on GitHub)."""
    require(token, "pull-requests", "write")
    body = (request["body"] or {}).get("body")
    if not isinstance(body, str):
        raise ApiError(422, "Validation Failed (body)")
    for comment in state["comments"]:
        if comment["id"] == int(identifier) and comment["issue_number"] is not None:
            comment.update(body=body, updates=comment.get("updates", 0) + 1)
            comment["run_id"] = os.environ.get("GITHUB_RUN_ID", "")
            return comment_view(comment)
    raise ApiError(404, "Not Found")


# (method, endpoint pattern after repos/OWNER/REPO/, handler(state, token, request,
# *groups)); request: {"params": the query's parameters, "body": --input's JSON}
ROUTES = [
    ("GET", r"pulls/([0-9]+)", get_pull),
    ("GET", r"issues/([0-9]+)/comments", list_comments),
    ("PATCH", r"issues/comments/([0-9]+)", edit_comment),
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
    method, query, endpoint, payload = "GET", None, None, None
    while args:
        arg = args.pop(0)
        name, has_value, inline = arg.partition("=")
        if name in ("--jq", "-q", "--method", "-X", "--header", "-H", "--input"):
            if not has_value and not args:
                print(f"gh: flag needs an argument: {name}", file=sys.stderr)
                return 1
            value = inline if has_value else args.pop(0)
            if name in ("--jq", "-q"):
                query = value
            elif name in ("--method", "-X"):
                method = value.upper()
            elif name == "--input":
                payload = json.loads(Path(value).read_text(encoding="utf-8"))
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
    current = os.environ.get("GH_REPO") or os.environ.get("GITHUB_REPOSITORY") or ""
    owner, _, name = current.partition("/")
    endpoint = endpoint.lstrip("/").replace("{owner}", owner).replace("{repo}", name)
    path, _, query_string = endpoint.partition("?")
    params = dict(item.partition("=")[::2] for item in query_string.split("&") if item)
    match = re.fullmatch(r"repos/([^/]+/[^/]+)/(.+)", path)
    request = {"params": params, "body": payload}
    try:
        if match is None:
            return not_emulated(f"gh api {method} {endpoint}")
        with localgh.locked(localgh.state_path()) as state:
            if match[1].lower() != state["repository"].lower():
                raise ApiError(404, "Not Found")
            for route_method, pattern, handler in ROUTES:
                found = re.fullmatch(pattern, match[2])
                if found and route_method == method:
                    body = handler(state, token, request, *found.groups())
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


def origin_commit(ref: str) -> str | None:
    """The commit a ref of origin (the bare repository beside the state) points to."""
    origin = localgh.state_path().parent / "origin.git"
    found = subprocess.run(
        ["git", "--git-dir", str(origin), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
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
    commit = origin_commit(f"refs/tags/{tag}")
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


# (command, subcommand) -> (the permission it needs ("a|b": either), the options that
# take a value, the flags without one)
RECORDS = {
    # GitHub: a label needs issues or pull-requests write
    ("label", "create"): (
        ("issues|pull-requests", "write"),
        {"--color", "--description"},
        {"--force"},
    ),
    ("issue", "list"): (("issues", "read"), {"--label", "--state", "--json", "--jq"}, set()),
    ("issue", "create"): (("issues", "write"), {"--title", "--body-file", "--label"}, set()),
    ("issue", "edit"): (("issues", "write"), {"--body-file"}, set()),
    ("issue", "comment"): (("issues", "write"), {"--body"}, set()),
    ("workflow", "run"): (("actions", "write"), {"--ref"}, set()),
    ("pr", "create"): (
        ("pull-requests", "write"),
        {"--base", "--head", "--title", "--body-file", "--label"},
        set(),
    ),
    ("pr", "merge"): (("pull-requests", "write"), set(), {"--auto", "--merge"}),
}


def options_of(args: list[str], valued: set[str], flags: set[str]) -> tuple[dict, list[str]]:
    """(option -> value, positional arguments); an unknown option raises ValueError."""
    options, positional = {}, []
    while args:
        arg = args.pop(0)
        name, has_value, inline = arg.partition("=")
        if name in valued and (has_value or args):
            options[name] = inline if has_value else args.pop(0)
        elif arg in flags:
            options[arg] = True
        elif arg.startswith("-"):
            raise ValueError(arg)
        else:
            positional.append(arg)
    return options, positional


def body_of(options: dict) -> str:
    if "--body-file" in options:
        return Path(options["--body-file"]).read_text(encoding="utf-8")
    return options.get("--body", "")


def find(items: list[dict], number: str) -> dict | None:
    number = number.rstrip("/").rsplit("/", 1)[-1]  # a number or the URL gh printed
    return next((item for item in items if str(item["number"]) == number), None)


def records(command: str, sub: str, args: list[str]) -> int:
    if (command, sub) not in RECORDS:
        return not_emulated(f"gh {command} {sub}")
    (scope, level), valued, flags = RECORDS[(command, sub)]
    try:
        options, positional = options_of(list(args), valued, flags)
    except ValueError as error:
        return not_emulated(f"gh {command} {sub} option {error}")
    token = token_or_exit()
    if token is None:
        return 4
    if not any(localgh.allows(token, one, level) for one in scope.split("|")):
        print("gh: Resource not accessible by integration (HTTP 403)", file=sys.stderr)
        return 1
    repository = os.environ.get("GH_REPO") or os.environ.get("GITHUB_REPOSITORY", "")
    with localgh.locked(localgh.state_path()) as state:
        if repository.lower() != state["repository"].lower():
            print(f"gh: repository {repository!r} not found (HTTP 404)", file=sys.stderr)
            return 1
        labels = state.setdefault("labels", [])
        issues = state["issues"]
        web = f"{localgh.SERVER_URL}/{state['repository']}"
        if (command, sub) == ("label", "create"):
            found = next((item for item in labels if item["name"] == positional[0]), None)
            if found and not options.get("--force"):
                print(f'label with name "{positional[0]}" already exists', file=sys.stderr)
                return 1
            if not found:
                found = {"name": positional[0]}
                labels.append(found)
            found.update(
                color=options.get("--color", ""), description=options.get("--description", "")
            )
            return 0
        if options.get("--label") and not any(i["name"] == options["--label"] for i in labels):
            print(f"could not add label: '{options['--label']}' not found", file=sys.stderr)
            return 1
        if (command, sub) == ("issue", "list"):
            chosen = [
                {"number": item["number"]}
                for item in reversed(issues)
                if item["state"] == options.get("--state", "open")
                and options.get("--label") in (None, *item["labels"])
            ]
            if options.get("--json") != "number":
                return not_emulated("gh issue list --json other than number")
            if options.get("--jq") == ".[0].number":
                print(chosen[0]["number"] if chosen else "")
            elif "--jq" in options:
                return not_emulated(f"--jq {options['--jq']}")
            else:
                print(json.dumps(chosen))
            return 0
        if (command, sub) == ("issue", "create"):
            number = localgh.next_id(state, "issue")
            issues.append({
                "number": number, "title": options["--title"], "body": body_of(options),
                "labels": [options["--label"]] if "--label" in options else [],
                "state": "open", "edits": 0,
            })  # fmt: skip
            print(f"{web}/issues/{number}")
            return 0
        if command == "issue":
            issue = find(issues, positional[0]) if positional else None
            if issue is None:
                print("gh: issue not found (HTTP 404)", file=sys.stderr)
                return 1
            if sub == "edit":
                issue.update(body=body_of(options), edits=issue["edits"] + 1)
            else:
                number = localgh.next_id(state, "comment", start=1_000_001)
                state["comments"].append({
                    "id": number, "target": f"issue/{issue['number']}",
                    "issue_number": issue["number"], "body": body_of(options),
                    "user": localgh.BOT,
                    "html_url": f"{web}/issues/{issue['number']}#issuecomment-{number}",
                })  # fmt: skip
            print(f"{web}/issues/{issue['number']}")
            return 0
        if command == "workflow":
            state.setdefault("dispatches", []).append(
                {"workflow": positional[0], "ref": options.get("--ref", state["default_branch"])}
            )
            return 0
        if sub == "create":
            return create_pull(state, options, web)
        pull = find(state["pulls"], positional[0]) if positional else None
        if pull is None:
            print("gh: pull request not found (HTTP 404)", file=sys.stderr)
            return 1
        pull["_auto_merge"] = "merge"
        print(f"Pull request #{pull['number']} will be automatically merged when all "
              "requirements are met")  # fmt: skip
        return 0


def create_pull(state: dict, options: dict, web: str) -> int:
    head, base = options["--head"], options.get("--base", state["default_branch"])
    if origin_commit(f"refs/heads/{head}") is None:
        print(f"pull request create failed: Head ref {head!r} not found", file=sys.stderr)
        return 1
    if any(p["head"]["ref"] == head and p["state"] == "open" for p in state["pulls"]):
        print(f'a pull request for branch "{head}" already exists', file=sys.stderr)
        return 1
    number = localgh.next_id(state, "issue")
    owner = state["repository"].split("/")[0]
    repo = {"full_name": state["repository"], "fork": False}
    state["pulls"].append({
        "url": f"{localgh.API_URL}/repos/{state['repository']}/pulls/{number}",
        "id": 100_000 + number, "number": number, "state": "open",
        "title": options["--title"], "body": body_of(options),
        "labels": [options["--label"]] if "--label" in options else [],
        "user": localgh.BOT, "html_url": f"{web}/pull/{number}", "draft": False,
        "merged": False,
        "head": {"label": f"{owner}:{head}", "ref": head, "sha": "", "repo": repo},
        "base": {"label": f"{owner}:{base}", "ref": base, "sha": "", "repo": repo},
        "merge_commit_sha": None, "mergeable": None, "_before": None,
        "_source": str(localgh.state_path().parent / "origin.git"),
    })  # fmt: skip
    print(f"{web}/pull/{number}")
    return 0


def attestation(args: list[str]) -> int:
    """``gh attestation verify oci://IMAGE:TAG --repo OWNER/REPO``: the image's digest has
    a provenance attestation from a workflow of that repository."""
    try:
        options, positional = options_of(args[1:], {"--repo", "-R"}, set())
    except ValueError as error:
        return not_emulated(f"gh attestation verify {error}")
    repository = options.get("--repo") or options.get("-R")
    if args[:1] != ["verify"] or len(positional) != 1 or not repository:
        return not_emulated("gh attestation: only `verify oci://IMAGE:TAG --repo OWNER/REPO`")
    image = positional[0].removeprefix("oci://")
    state = localgh.read(localgh.state_path())
    name, _, tag = image.partition("/")[2].rpartition(":")
    pushed = [p for p in state.get("packages", []) if (p["name"], p["tag"]) == (name, tag)]
    if not image.startswith("ghcr.io/") or not pushed:
        print(f"Error: failed to fetch image {image}: not found", file=sys.stderr)
        return 1
    digest = pushed[-1]["digest"]
    found = [
        item for item in state.get("attestations", [])
        if item["subject"] == {"name": image.rpartition(":")[0], "digest": digest}
        and item["repository"].lower() == repository.lower()
    ]  # fmt: skip
    if not found:
        print(f"Error: failed to verify {image}: no attestations found from {repository}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(f"Loaded digest {digest} for {positional[0]}")
    print(f"✓ Verification succeeded!\n\n{digest} was attested by:")
    print(f"REPO {repository}  PREDICATE_TYPE {found[-1]['predicate_type']}  "
          f"WORKFLOW {found[-1]['workflow']}")  # fmt: skip
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: gh api <endpoint> (local stand-in)", file=sys.stderr)
        return 1
    if argv[0] == "api":
        return api(argv[1:])
    if argv[0] == "release":
        return release(argv[1:])
    if argv[0] == "attestation":
        return attestation(argv[1:])
    if argv[0] in ("label", "issue", "workflow", "pr") and len(argv) > 1:
        return records(argv[0], argv[1], argv[2:])
    return not_emulated(f"gh {argv[0]}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
