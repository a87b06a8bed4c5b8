#!/usr/bin/env python3
"""Stand-in for CML's ``cml comment create|update`` on the local runner (stdlib only).

Writes the comment into the emulated GitHub state (localgh.py) instead of calling
GitHub. Options: --target (pr, pr/N, commit, commit/SHA, issue/N; default: the
pull request of the event, else the commit), --watermark-title, --publish /
--no-publish, --repo, --token, --driver github. The body is the file's content plus
a hidden watermark line; ``update`` edits the newest comment with the same watermark
among the target's first 30 comments, whoever wrote it (CML 0.20.6 does so), or creates
one; ``create`` always adds. The token (--token,
REPO_TOKEN or GITHUB_TOKEN) must grant pull-requests: write (issues: write for issue
targets, contents: write for commits), as on GitHub. Local images referenced by the
Markdown are recorded: with --publish (CML's default) CML would upload them to its
public asset host; with --no-publish they stay as local paths in the comment.
"""

import json
import os
import re
import sys
from pathlib import Path

import localgh

MAX_BODY = 65536
VALUE_OPTIONS = ("--target", "--watermark-title", "--repo", "--token", "--driver")


def fail(message: str) -> int:
    print(f"cml: {message}", file=sys.stderr)
    return 1


def parse(args: list[str]) -> tuple[dict, list[str]] | str:
    options: dict = {"publish": True}
    positional: list[str] = []
    while args:
        arg = args.pop(0)
        name, has_value, inline = arg.partition("=")
        if name in VALUE_OPTIONS:
            if not has_value and not args:
                return f"option {name} needs a value"
            options[name[2:]] = inline if has_value else args.pop(0)
        elif arg in ("--publish", "--no-publish"):
            options["publish"] = arg == "--publish"
        elif arg.startswith("-") and arg != "-":
            known = ", ".join([*VALUE_OPTIONS, "--publish", "--no-publish"])
            return f"unknown option {arg} (the local stand-in emulates {known})"
        else:
            positional.append(arg)
    return options, positional


def event() -> dict:
    path = os.environ.get("GITHUB_EVENT_PATH", "")
    return json.loads(Path(path).read_text(encoding="utf-8")) if path else {}


def resolve_target(target: str, state: dict) -> tuple[str, str] | str:
    """(kind, identifier) with kind pr, issue or commit; or an error message."""
    if target in ("", "auto"):
        target = "pr" if "pull_request" in event() else "commit"
    if target == "pr":
        number = event().get("pull_request", {}).get("number")
        if number is None:
            sha = os.environ.get("GITHUB_SHA", "")
            heads = [p["number"] for p in state["pulls"] if p["head"]["sha"] == sha]
            if not heads:
                return f"no pull request found for commit {sha or '(GITHUB_SHA unset)'}"
            number = heads[-1]
        return "pr", str(number)
    if target == "commit":
        return "commit", os.environ.get("GITHUB_SHA", "")
    found = re.fullmatch(r"(pr|issue)/([1-9][0-9]*)|commit/([0-9a-f]{7,40})", target)
    if not found:
        return f"--target {target!r}: expected pr, pr/N, commit, commit/SHA or issue/N"
    if found[3]:
        return "commit", found[3]
    kind, number = found[1], found[2]
    records = state["pulls"] if kind == "pr" else state["issues"]
    if not any(record["number"] == int(number) for record in records):
        return f"{kind} #{number} not found (HTTP 404)"
    return kind, number


def local_images(markdown: str, folder: Path) -> list[str]:
    images = re.findall(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)", markdown)
    images += re.findall(r"<img[^>]+src=[\"']([^\"']+)", markdown)
    return [
        image
        for image in images
        if not re.match(r"[a-z]+:", image) and (folder / image.split("#")[0]).is_file()
    ]


def comment(command: str, args: list[str]) -> int:
    parsed = parse(args)
    if isinstance(parsed, str):
        return fail(parsed)
    options, positional = parsed
    if len(positional) != 1:
        return fail(f"comment {command}: expected one Markdown file, got {positional}")
    if options.get("driver", "github") != "github":
        return fail(f"--driver {options['driver']}: the local stand-in emulates github only")
    markdown_file = Path(positional[0])
    if not markdown_file.is_file():
        return fail(f"ENOENT: no such file or directory, open '{markdown_file}'")
    token = options.get("token") or os.environ.get("REPO_TOKEN") or os.environ.get("GITHUB_TOKEN")
    if not token:
        return fail("token not found: set --token, REPO_TOKEN or GITHUB_TOKEN")
    if localgh.token_scopes(token) is None:
        return fail("HttpError: Bad credentials")
    title = options.get("watermark-title", "")
    watermark = f"<!-- cml watermark: {title} -->"
    markdown = markdown_file.read_text(encoding="utf-8")
    body = f"{markdown.rstrip()}\n\n{watermark}\n"
    if len(body) > MAX_BODY:
        return fail(
            f"HttpError: Validation Failed: body is too long (maximum is {MAX_BODY} "
            f"characters; this one has {len(body)})"
        )
    with localgh.locked(localgh.state_path()) as state:
        repository = options.get("repo", "").removeprefix(f"{localgh.SERVER_URL}/")
        if repository and repository.lower() != state["repository"].lower():
            return fail(f"HttpError: Not Found (repository {repository})")
        target = resolve_target(options.get("target", ""), state)
        if isinstance(target, str):
            return fail(target)
        kind, identifier = target
        scope = {"pr": "pull-requests", "issue": "issues", "commit": "contents"}[kind]
        if not localgh.allows(token, scope, "write"):
            return fail("HttpError: Resource not accessible by integration")
        key = f"{kind}/{identifier}"
        # As CML 0.20.6: only the first page of the target's comments (30, oldest first),
        # and the newest with the watermark, whoever wrote it.
        first_page = [c for c in state["comments"] if c["target"] == key][:30]
        existing = [c for c in first_page if watermark in c["body"]]
        record = {
            "body": body,
            "publish": options["publish"],
            "local_images": local_images(markdown, markdown_file.parent),
            "run_id": os.environ.get("GITHUB_RUN_ID", ""),
        }
        if command == "update" and existing:
            existing[-1].update(record, updates=existing[-1].get("updates", 0) + 1)
            posted = existing[-1]
        else:
            number = localgh.next_id(state, "comment", start=1_000_001)
            page = {"pr": "pull", "issue": "issues", "commit": "commit"}[kind]
            anchor = "commitcomment" if kind == "commit" else "issuecomment"
            posted = {
                "id": number,
                "target": key,
                "issue_number": None if kind == "commit" else int(identifier),
                "commit_id": identifier if kind == "commit" else None,
                "user": localgh.BOT,
                "html_url": f"{localgh.SERVER_URL}/{state['repository']}/{page}/"
                f"{identifier}#{anchor}-{number}",
                **record,
            }
            state["comments"].append(posted)
    print(posted["html_url"])
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "comment" and argv[1] in ("create", "update"):
        return comment(argv[1], argv[2:])
    return fail(f"local stand-in does not emulate `cml {' '.join(argv[:2])}`")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
