#!/usr/bin/env python3
"""Stand-in for the ``docker`` CLI on the local runner (stdlib only): no Docker engine
runs here, and the GitHub container registry (ghcr.io) is one of GitHub's services.

``docker login REGISTRY --username U --password-stdin`` records the token read from
stdin for REGISTRY (ghcr.io only). ``docker build [--build-arg K=V]... [--label K=V]...
--tag T CONTEXT`` does not build (no RUN step runs): it reads CONTEXT's Dockerfile and
.dockerignore, checks that every file it COPYs from the context is in the context (a
missing or ignored one fails, as in a build), and records the image: its tag, build
arguments, labels and the sha256 of each copied file, so a test can see what the image
would hold. ``docker push T`` sends a recorded image to the registry of its name
(ghcr.io/OWNER/NAME:TAG): it needs a login whose token grants packages: write, a
lowercase name and OWNER the repository's owner, as GHCR does; the package is recorded
in the emulated GitHub state (localgh.py) with its digest. ``docker buildx imagetools
create [--prefer-index=false] --tag T SOURCE`` points tag T at a pushed SOURCE in the
registry (no pull), as ``push`` checks the login: with ``--prefer-index=false`` a carbon
copy (the same digest), else a new index around it (another digest). Anything else exits
1 saying it is not emulated.
"""

import fnmatch
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import localgh

REGISTRY = "ghcr.io"


def fail(message: str) -> int:
    print(f"docker: {message}", file=sys.stderr)
    return 1


def options(args: list[str], valued: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    found: dict[str, list[str]] = {}
    positional: list[str] = []
    items = iter(args)
    for item in items:
        name, _, value = item.partition("=")
        if name in valued:
            found.setdefault(name, []).append(value if value else next(items, ""))
        elif item.startswith("-"):
            found.setdefault(item, []).append("")
        else:
            positional.append(item)
    return found, positional


def login(args: list[str]) -> int:
    found, positional = options(args, {"--username", "-u"})
    if positional != [REGISTRY] or "--password-stdin" not in found:
        return fail(f"login: emulated only as `docker login {REGISTRY} -u USER --password-stdin`")
    token = sys.stdin.read().strip()
    if localgh.token_scopes(token) is None:
        return fail(f'Error response from daemon: Get "https://{REGISTRY}/v2/": denied')
    with localgh.locked(localgh.state_path()) as state:
        state.setdefault("registry_logins", {})[REGISTRY] = token
    print("Login Succeeded")
    return 0


def copied(dockerfile: str) -> list[str]:
    """The context paths the Dockerfile's COPY/ADD instructions take (not --from=)."""
    sources = []
    for line in re.sub(r"\\\n", " ", dockerfile).splitlines():
        words = line.split()
        if not words or words[0].upper() not in ("COPY", "ADD"):
            continue
        words = words[1:]
        if any(word.startswith("--from") for word in words):
            continue
        paths = [word for word in words if not word.startswith("--")]
        sources += paths[:-1]
    return sources


def ignored(relative: str, rules: list[str]) -> bool:
    """Whether .dockerignore's ``rules`` leave ``relative`` out of the context: the last
    rule matching it or a folder above it decides (``!`` takes it back)."""
    parts = relative.split("/")
    ancestors = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    out = False
    for rule in rules:
        negated = rule.startswith("!")
        pattern = rule.removeprefix("!").strip("/")
        if any(fnmatch.fnmatch(path, pattern) for path in ancestors):
            out = not negated
    return out


def build(args: list[str]) -> int:
    found, positional = options(args, {"--build-arg", "--tag", "-t", "--file", "-f", "--label"})
    tags = found.get("--tag", []) + found.get("-t", [])
    if len(positional) != 1 or len(tags) != 1:
        return fail("build: emulated only as `docker build [--build-arg K=V]... --tag T DIR`")
    context = Path(positional[0]).resolve()
    dockerfile = context / (found.get("--file") or found.get("-f") or ["Dockerfile"])[0]
    if not dockerfile.is_file():
        return fail(f"failed to read dockerfile: open {dockerfile}: no such file or directory")
    ignore = context / ".dockerignore"
    rules = [
        line.strip()
        for line in (ignore.read_text(encoding="utf-8") if ignore.is_file() else "").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    files = {}
    for source in copied(dockerfile.read_text(encoding="utf-8")):
        path = context / source
        candidates = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        kept = [
            item
            for item in candidates
            if item.is_file() and not ignored(item.relative_to(context).as_posix(), rules)
        ]
        if not kept:
            return fail(f'failed to compute cache key: "/{source.rstrip("/")}": not found')
        for item in kept:
            relative = item.relative_to(context).as_posix()
            files[relative] = hashlib.sha256(item.read_bytes()).hexdigest()
    build_args = dict(arg.partition("=")[::2] for arg in found.get("--build-arg", []))
    labels = dict(arg.partition("=")[::2] for arg in found.get("--label", []))
    with localgh.locked(localgh.state_path()) as state:
        state.setdefault("docker_images", {})[tags[0]] = {
            "build_args": build_args,
            "labels": labels,
            "files": files,
        }
    print(f"naming to {tags[0]} (stand-in: {len(files)} files recorded, nothing built)")
    return 0


def push(args: list[str]) -> int:
    if len(args) != 1:
        return fail("push: emulated only as `docker push NAME:TAG`")
    name = args[0]
    with localgh.locked(localgh.state_path()) as state:
        image = state.get("docker_images", {}).get(name)
        if image is None:
            return fail(f"An image does not exist locally with the tag: {name}")
        if why := pushable(state, name):
            return fail(f"push to {why}" if "no login" in why else why)
        repository, _, tag = name.partition("/")[2].rpartition(":")
        digest = f"sha256:{hashlib.sha256(json.dumps(image).encode()).hexdigest()}"
        package = {"name": repository, "tag": tag, **image, "digest": digest}
        state.setdefault("packages", []).append(package)
    print(f"{tag}: digest: {digest} size: 1234")
    return 0


def pushable(state: dict, name: str) -> str | None:
    """Why ``name`` (REGISTRY/OWNER/NAME:TAG) cannot be written with this login, or None."""
    registry, _, path = name.partition("/")
    token = state.get("registry_logins", {}).get(registry)
    if registry != REGISTRY or token is None:
        return f"{registry}: no login (run docker login {REGISTRY} first)"
    owner = state["repository"].split("/")[0]
    repository = path.rpartition(":")[0]
    if repository != repository.lower() or not repository.startswith(f"{owner.lower()}/"):
        return f"invalid reference format: {name} (lowercase, under {owner.lower()}/)"
    if not localgh.allows(token, "packages", "write"):
        return "denied: permission_denied: write_package (the token lacks packages)"
    return None


def imagetools(args: list[str]) -> int:
    if args[:1] != ["create"]:
        return fail(f"buildx imagetools {' '.join(args[:1])}: not emulated by the local runner")
    found, positional = options(args[1:], {"--tag", "-t", "--prefer-index"})
    tags = found.get("--tag", []) + found.get("-t", [])
    if len(positional) != 1 or len(tags) != 1:
        return fail("buildx imagetools create: emulated only as `--tag T SOURCE`")
    [source], [target] = positional, tags
    carbon_copy = found.get("--prefer-index", ["true"])[-1] == "false"
    with localgh.locked(localgh.state_path()) as state:
        if why := pushable(state, target):
            return fail(f"buildx imagetools create: {why}")
        name, _, tag = source.partition("/")[2].rpartition(":")
        pushed = [p for p in state.get("packages", []) if (p["name"], p["tag"]) == (name, tag)]
        if not pushed:
            return fail(f"ERROR: {source}: not found")
        image = dict(pushed[-1])
        if not carbon_copy:  # an index of one manifest: another digest
            image["digest"] = f"sha256:{hashlib.sha256(image['digest'].encode()).hexdigest()}"
        image["name"], image["tag"] = target.partition("/")[2].rpartition(":")[::2]
        state["packages"].append(image)
    print(f"pushing {image['digest']} to {target}")
    return 0


def buildx(args: list[str]) -> int:
    if args[:1] != ["imagetools"]:
        return fail(f"buildx {' '.join(args[:1])}: not emulated by the local runner")
    return imagetools(args[1:])


def main(args: list[str]) -> int:
    commands = {"login": login, "build": build, "push": push, "buildx": buildx}
    if not args or args[0] not in commands:
        return fail(f"{' '.join(args[:1]) or '(nothing)'}: not emulated by the local runner")
    os.environ.setdefault("DOCKER_CLI_HINTS", "false")
    return commands[args[0]](args[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
