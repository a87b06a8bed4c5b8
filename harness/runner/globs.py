"""Globs as GitHub uses them: branch, tag and path filters, and file patterns for
hashFiles(), caches and artifacts (like @actions/glob)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path


def glob_regex(pattern: str, *, filter_syntax: bool = False) -> re.Pattern:
    """A glob as a regex over '/'-separated paths: ``*`` within a segment, ``**`` across
    segments, ``[...]`` a class. In GitHub's branch/path filters (``filter_syntax``)
    ``?`` and ``+`` repeat the previous character; in file globs ``?`` is one character."""
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?" and not filter_syntax:
            out.append("[^/]")
        elif char in "?+" and filter_syntax and out:
            out.append(char)
        elif char == "[" and "]" in pattern[index + 2 :]:
            end = pattern.index("]", index + 2)
            body = pattern[index + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append(f"[{body}]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out) + r"\Z")


def filter_match(patterns: list[str], value: str) -> bool:
    """GitHub's branch/tag/path filters: the last matching pattern decides (``!`` negates)."""
    matched = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if glob_regex(pattern[1:] if negated else pattern, filter_syntax=True).match(value):
            matched = not negated
    return matched


def has_magic(segment: str) -> bool:
    return any(char in segment for char in "*?[")


def absolute(base: Path, pattern: str) -> Path:
    path = Path(pattern).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def search_root(base: Path, pattern: str) -> Path:
    """The directory a glob starts from: its path up to the first wildcard segment."""
    parts = absolute(base, pattern).parts
    for index, segment in enumerate(parts):
        if has_magic(segment):
            return Path(*parts[:index])
    return Path(*parts)


def glob_files(base: Path, pattern: str, *, hidden: bool = True) -> list[Path]:
    """Files matched by a glob relative to ``base``, like @actions/glob: a matched
    directory brings all files beneath it. ``hidden=False`` skips dot-files/dirs."""
    root = search_root(base, pattern)
    if not os.path.lexists(root):
        return []
    path = absolute(base, pattern)
    regex = glob_regex(path.as_posix())
    literal = not has_magic(str(path))
    found = []

    def visible(item: Path) -> bool:
        return hidden or not item.name.startswith(".")

    def descend(directory: Path) -> None:
        for current, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if visible(Path(d)))
            found.extend(Path(current, f) for f in sorted(files) if visible(Path(f)))

    if not visible(root):
        return []
    if root.is_file() or root.is_symlink():
        return [root] if literal or regex.match(root.as_posix()) else []
    if literal:
        descend(root)
        return found
    for current, dirs, files in os.walk(root):
        dirs.sort()
        kept = []
        for name in dirs:
            item = Path(current, name)
            if not visible(item):
                continue
            if regex.match(item.as_posix()):
                descend(item)
            else:
                kept.append(name)
        dirs[:] = kept
        found.extend(
            Path(current, f)
            for f in sorted(files)
            if visible(Path(f)) and regex.match(Path(current, f).as_posix())
        )
    return found


def match_files(base: Path, patterns: list[str], *, hidden: bool = True) -> list[Path]:
    """Files matched by patterns (``!pattern`` excludes), in first-match order."""
    included: dict[Path, None] = {}
    for pattern in patterns:
        if pattern.startswith("!"):
            excluded = set(glob_files(base, pattern[1:], hidden=True))
            included = {path: None for path in included if path not in excluded}
        else:
            included.update(dict.fromkeys(glob_files(base, pattern, hidden=hidden)))
    return list(included)


def hash_files(workspace: Path, patterns: list[str]) -> str:
    """GitHub's hashFiles(): the sha256 of the files' sha256 digests, '' when none; only
    files inside the workspace count."""
    total, matched = hashlib.sha256(), False
    for path in match_files(workspace, patterns):
        resolved = path.resolve()
        if not resolved.is_relative_to(workspace.resolve()) or not resolved.is_file():
            continue
        total.update(hashlib.sha256(resolved.read_bytes()).digest())
        matched = True
    return total.hexdigest() if matched else ""


def split_lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]
