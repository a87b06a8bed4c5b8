"""A local GitHub Actions runner: a workflow's jobs for one event, against real git.

No Docker, no ``act``, no network. A bare repository (``GitHub.origin``) stands in for
the repository on GitHub; pull requests are real ``refs/pull/N/head`` and
``refs/pull/N/merge`` refs in it, and the rest of GitHub's state (pull requests,
comments, runs) is a JSON file read and written by the stand-ins in
``harness/standins`` (``gh``, ``cml``).

Emulated:

- triggers ``pull_request`` (types, branches, paths), ``push`` (branches, tags, paths),
  ``workflow_run`` (workflows, types, branches), ``workflow_dispatch`` (inputs, their
  defaults and types) and ``schedule``; a workflow not triggered by the event raises;
- jobs in ``needs`` order with ``if`` (default ``success()``), ``needs`` results and
  outputs, job ``outputs``, ``env``, ``defaults.run``, ``permissions`` (workflow and
  job level), ``concurrency``, ``runs-on``, ``timeout-minutes``, ``environment``,
  ``name``, ``continue-on-error``;
- the ``GITHUB_TOKEN``: a fake token naming the job's effective permissions
  (``ghs_local.contents=read.metadata=read``); pull requests from forks get at most
  read scopes and no other secrets, as on GitHub;
- ``run`` steps with bash as GitHub calls it (``bash -e {0}`` without ``shell:``,
  ``bash --noprofile --norc -eo pipefail {0}`` with ``shell: bash``), GitHub's variables,
  the GITHUB_OUTPUT / GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY files, step
  ``if``, ``env``, ``working-directory``, ``continue-on-error``, ``timeout-minutes``;
  secret values are masked in the step logs;
- ``${{ }}`` expressions with GitHub's grammar, loose equality, functions and the
  availability of each context per workflow key (checked before anything runs);
- the actions checkout, setup-python (validates, installs nothing: Python comes from
  ``path``), cache (scoped by ref like GitHub), upload-artifact, download-artifact
  (other runs need a token with ``actions: read``) and iterative/setup-cml (puts the
  ``cml`` stand-in on PATH). ``gh`` is always on PATH;
- local composite actions (``uses: ./path``, read from the workspace when the step runs):
  inputs and their defaults, ``run`` steps (``shell: bash``) and ``uses`` steps with
  ``if``, ``env``, ``continue-on-error``, the action's own ``steps`` context and status,
  outputs; environment files act on the job as on GitHub;
- OpenID Connect: a job with ``id-token: write`` gets ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN
  and a minted token with GitHub's claims (``sub`` = ``repo:OWNER/REPO:pull_request``,
  ``...:ref:<ref>`` or ``...:environment:<name>``; unsigned); the logins
  aws-actions/configure-aws-credentials (really calls STS AssumeRoleWithWebIdentity, at
  AWS_ENDPOINT_URL_STS/AWS_ENDPOINT_URL when set, and exports the session),
  google-github-actions/auth (writes its credentials file and variables, no token
  exchange) and azure/login (checks only: the Azure CLI login is not emulated) each fail
  like the real ones without that permission.

Not emulated (each raises ``RunnerError`` when used): other actions, non-composite local
actions, Docker actions, ``strategy``/``matrix``, ``container``, ``services``, reusable workflows,
shells other than bash, other events. Jobs run one after the other; concurrency
groups are evaluated but nothing is cancelled; workflow commands printed on stdout
(``::set-output``, ``::add-mask::``) are not interpreted; setup-python's pip cache is
not kept; the workflow file is the caller's copy (GitHub would read it from the
merge commit or the default branch).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from harness.standins import localgh

STANDINS = Path(__file__).resolve().parent / "standins"


class RunnerError(Exception):
    """The workflow uses something the local runner does not know or cannot run."""


class _ExprError(Exception):
    """An expression problem; RunnerError once the location is known."""


# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """YAML as GitHub reads it: only true/false are booleans (``on:`` stays a string),
    dates stay strings, and duplicate keys are an error."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}  # fmt: skip
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        keys.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_workflow(path: Path) -> dict:
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as error:
        raise RunnerError(f"{path}: invalid YAML: {error}") from error
    if not isinstance(data, dict):
        raise RunnerError(f"{path}: a workflow is a mapping")
    return data


# --------------------------------------------------------------------- expressions

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<str>'(?:[^']|'')*')
    |(?P<num>-?(?:0[xX][0-9a-fA-F]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))
    |(?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
    |(?P<op>==|!=|<=|>=|&&|\|\||[!<>])
    |(?P<punct>[()\[\].,*])""",
    re.VERBOSE,
)
_LITERALS = {"true": True, "false": False, "null": None, "NaN": math.nan, "Infinity": math.inf}
STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")
# name: (min args, max args)
FUNCTIONS = {
    "contains": (2, 2),
    "startswith": (2, 2),
    "endswith": (2, 2),
    "format": (1, 99),
    "join": (1, 2),
    "tojson": (1, 1),
    "fromjson": (1, 1),
    "hashfiles": (1, 99),
    **dict.fromkeys(STATUS_FUNCTIONS, (0, 0)),
}
ALL_CONTEXTS = (
    "github", "env", "vars", "job", "jobs", "steps", "runner",
    "secrets", "strategy", "matrix", "needs", "inputs",
)  # fmt: skip


def _tokenize(text: str) -> list[tuple[str, Any, int]]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise _ExprError(f"unexpected character {text[position]!r} at position {position}")
        kind, value = match.lastgroup, match.group()
        if kind == "str":
            tokens.append(("lit", value[1:-1].replace("''", "'"), position))
        elif kind == "num":
            number = int(value, 16) if "x" in value.lower() else float(value)
            if isinstance(number, float) and number.is_integer():
                number = int(number)
            tokens.append(("lit", number, position))
        elif kind != "ws":
            tokens.append((kind, value, position))
        position = match.end()
    tokens.append(("end", None, len(text)))
    return tokens


class _Parser:
    """Recursive descent over GitHub's grammar, lowest precedence first:
    ``||``, ``&&``, ``== !=``, ``< <= > >=``, ``!``, then ``. [] ()``."""

    def __init__(self, text: str):
        self.text, self.tokens, self.index = text, _tokenize(text), 0

    def parse(self) -> tuple:
        if self.tokens[0][0] == "end":
            raise _ExprError("empty expression")
        node = self.binary(0)
        if self.peek()[0] != "end":
            self.unexpected()
        return node

    def peek(self) -> tuple:
        return self.tokens[self.index]

    def take(self) -> tuple:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, kind: str, value: str) -> bool:
        if self.peek()[0] == kind and self.peek()[1] == value:
            self.index += 1
            return True
        return False

    def unexpected(self):
        kind, value, position = self.peek()
        what = "end of expression" if kind == "end" else repr(value)
        raise _ExprError(f"unexpected {what} at position {position}")

    LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))

    def binary(self, level: int) -> tuple:
        if level == len(self.LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self.LEVELS[level]:
            operator = self.take()[1]
            right = self.binary(level + 1)
            node = (operator, node, right)
        return node

    def unary(self) -> tuple:
        if self.accept("op", "!"):
            return ("!", self.unary())
        return self.postfix(self.primary())

    def primary(self) -> tuple:
        kind, value, _ = self.peek()
        if kind == "lit":
            self.take()
            return ("lit", value)
        if self.accept("punct", "("):
            node = self.binary(0)
            if not self.accept("punct", ")"):
                self.unexpected()
            return node
        if kind != "ident":
            self.unexpected()
        self.take()
        if value in _LITERALS:
            return ("lit", _LITERALS[value])
        if self.accept("punct", "("):
            args = []
            if not self.accept("punct", ")"):
                args.append(self.binary(0))
                while self.accept("punct", ","):
                    args.append(self.binary(0))
                if not self.accept("punct", ")"):
                    self.unexpected()
            return ("call", value, args)
        return ("ctx", value.lower())  # named-values ignore case, like GitHub's

    def postfix(self, node: tuple) -> tuple:
        while True:
            if self.accept("punct", "."):
                kind, value, _ = self.take()
                if kind == "punct" and value == "*":
                    raise _ExprError("the .* object filter is not emulated")
                if kind != "ident":
                    self.index -= 1
                    self.unexpected()
                node = ("prop", node, value)
            elif self.accept("punct", "["):
                if self.peek() == ("punct", "*", self.peek()[2]):
                    raise _ExprError("the [*] object filter is not emulated")
                index = self.binary(0)
                if not self.accept("punct", "]"):
                    self.unexpected()
                node = ("index", node, index)
            else:
                return node


def _walk(node: tuple) -> Iterable[tuple]:
    yield node
    if node[0] == "call":
        for arg in node[2]:
            yield from _walk(arg)
    elif node[0] in ("prop", "!"):
        yield from _walk(node[1])
    elif node[0] != "lit" and node[0] != "ctx":
        for child in node[1:]:
            if isinstance(child, tuple):
                yield from _walk(child)


class Ctx:
    """A context object. Strict ones raise on unknown properties instead of giving null,
    so that a typo like ``github.base_reff`` fails loudly."""

    def __init__(self, name: str, data: dict, strict: bool = True):
        self.name, self.data, self.strict = name, data, strict
        self._keys = {key.lower(): key for key in data}

    def get(self, key: str) -> Any:
        found = self._keys.get(key.lower())
        if found is not None:
            return self.data[found]
        if self.strict:
            known = ", ".join(sorted(self.data)) or "none"
            raise _ExprError(f"{self.name}.{key} does not exist (known: {known})")
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, Ctx):
        return {key: _plain(item) for key, item in value.data.items()}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _number(value: Any) -> float:
    kind = _kind(value)
    if kind in ("null", "bool", "number"):
        return float(value or 0)
    if kind == "string":
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def to_str(value: Any) -> str:
    """How GitHub turns a value into text (in ``${{ }}`` and in function arguments)."""
    kind = _kind(value)
    if kind == "null":
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind == "number":
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if isinstance(value, float) and math.isnan(value):
            return "NaN"
        if isinstance(value, float) and math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(value)
    if kind == "string":
        return value
    return "Array" if kind == "array" else "Object"


def truthy(value: Any) -> bool:
    kind = _kind(value)
    if kind == "number":
        return value != 0 and not math.isnan(value)
    if kind in ("array", "object"):
        return True
    return bool(value)


def loose_equal(left: Any, right: Any) -> bool:
    """GitHub's ``==``: same kinds compare (strings ignoring case, objects by identity);
    primitive kinds that differ are compared as numbers."""
    left_kind, right_kind = _kind(left), _kind(right)
    if left_kind == right_kind:
        if left_kind == "string":
            return left.casefold() == right.casefold()
        if left_kind in ("array", "object"):
            return left is right
        return left == right
    if "array" in (left_kind, right_kind) or "object" in (left_kind, right_kind):
        return False
    return _number(left) == _number(right)


def _compare(operator: str, left: Any, right: Any) -> bool:
    if _kind(left) == _kind(right) == "string":
        left, right = left.casefold(), right.casefold()
    else:
        left, right = _number(left), _number(right)
        if math.isnan(left) or math.isnan(right):
            return False
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[operator]


def _format(fmt: str, args: list[Any]) -> str:
    out, index = [], 0
    while index < len(fmt):
        char = fmt[index]
        if fmt.startswith("{{", index) or fmt.startswith("}}", index):
            out.append(char)
            index += 2
        elif char == "{":
            end = fmt.find("}", index)
            number = fmt[index + 1 : end] if end > 0 else ""
            if not number.isdigit() or int(number) >= len(args):
                raise _ExprError(f"format: invalid placeholder in {fmt!r}")
            out.append(to_str(args[int(number)]))
            index = end + 1
        elif char == "}":
            raise _ExprError(f"format: unmatched '}}' in {fmt!r}")
        else:
            out.append(char)
            index += 1
    return "".join(out)


def split_template(text: str) -> list[tuple[bool, str]]:
    """``a ${{ b }} c`` -> [(False, 'a '), (True, ' b '), (False, ' c')]."""
    parts, position = [], 0
    while True:
        start = text.find("${{", position)
        if start < 0:
            if position < len(text):
                parts.append((False, text[position:]))
            return parts
        if start > position:
            parts.append((False, text[position:start]))
        index, quoted = start + 3, False
        while index < len(text):
            if text[index] == "'":
                quoted = not quoted
            elif not quoted and text.startswith("}}", index):
                break
            index += 1
        else:
            raise _ExprError(f"unterminated ${{{{ in {text!r}")
        parts.append((True, text[start + 3 : index]))
        position = index + 2


class Evaluator:
    """Evaluates expressions at one place of a workflow (``where``), with the contexts
    GitHub makes available there. ``status`` answers success()/failure()/... (only in
    ``if:``); ``workspace`` enables hashFiles()."""

    def __init__(
        self,
        where: str,
        contexts: dict[str, Any],
        status: Callable[[str], bool] | None = None,
        workspace: Path | None = None,
    ):
        self.where, self.contexts = where, contexts
        self.status, self.workspace = status, workspace

    def _fail(self, message: str, text: str) -> RunnerError:
        return RunnerError(f"{self.where}: {message} (in `{text.strip()}`)")

    def check(self, node: tuple, text: str) -> None:
        """Unknown functions and contexts, and ones not available here, raise."""
        for item in _walk(node):
            if item[0] == "ctx" and item[1] not in self.contexts:
                if item[1] in ALL_CONTEXTS:
                    available = ", ".join(sorted(self.contexts))
                    raise self._fail(
                        f"context '{item[1]}' is not available here (available: {available})",
                        text,
                    )
                raise self._fail(f"Unrecognized named-value: '{item[1]}'", text)
            if item[0] == "call":
                name = item[1].lower()
                if name not in FUNCTIONS:
                    raise self._fail(f"Unrecognized function: '{item[1]}'", text)
                low, high = FUNCTIONS[name]
                if not low <= len(item[2]) <= high:
                    count = f"{low}" if low == high else f"{low} to {high}"
                    raise self._fail(f"{item[1]}() takes {count} arguments", text)
                if name in STATUS_FUNCTIONS and self.status is None:
                    raise self._fail(f"{item[1]}() is only available in if:", text)
                if name == "hashfiles" and self.workspace is None:
                    raise self._fail("hashFiles() is only available in steps", text)

    def parse(self, text: str) -> tuple:
        try:
            node = _Parser(text).parse()
        except _ExprError as error:
            raise self._fail(str(error), text) from None
        self.check(node, text)
        return node

    def expression(self, text: str) -> Any:
        node = self.parse(text)
        try:
            return self._eval(node)
        except _ExprError as error:
            raise self._fail(str(error), text) from None

    def template(self, value: Any) -> Any:
        """A workflow value with ``${{ }}`` inside; a lone expression keeps its type."""
        if isinstance(value, dict):
            return {key: self.template(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.template(item) for item in value]
        if not isinstance(value, str):
            return value
        try:
            parts = split_template(value)
        except _ExprError as error:
            raise self._fail(str(error), value) from None
        if len(parts) == 1 and parts[0][0]:
            return self.expression(parts[0][1])
        return "".join(to_str(self.expression(t)) if is_expr else t for is_expr, t in parts)

    def text(self, value: Any) -> str:
        """A workflow value as a string, as GitHub passes it to env and inputs."""
        return to_str(self.template(value))

    def condition_node(self, value: Any) -> tuple:
        """An ``if:`` as an expression, wrapped in ``success() && (...)`` when it calls
        no status function, like GitHub."""
        text = to_str(value).strip() if value is not None else ""
        if not text:
            text = "success()"
        try:
            parts = split_template(text)
        except _ExprError as error:
            raise self._fail(str(error), text) from None
        if len(parts) == 1 and parts[0][0]:
            text = parts[0][1]
        elif any(is_expr for is_expr, _ in parts):
            raise self._fail(
                "if: mixes ${{ }} with other text; GitHub would read it as a non-empty "
                "string, always true",
                text,
            )
        node = self.parse(text)
        if not any(n[0] == "call" and n[1].lower() in STATUS_FUNCTIONS for n in _walk(node)):
            node = ("&&", ("call", "success", []), node)
        return node

    def condition(self, value: Any) -> bool:
        node = self.condition_node(value)
        try:
            return truthy(self._eval(node))
        except _ExprError as error:
            raise self._fail(str(error), to_str(value)) from None

    # evaluation
    def _eval(self, node: tuple) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "ctx":
            return self.contexts[node[1]]
        if kind == "prop":
            return _member(self._eval(node[1]), node[2])
        if kind == "index":
            target, key = self._eval(node[1]), self._eval(node[2])
            if isinstance(target, list):
                number = _number(key)
                ok = not math.isnan(number) and number.is_integer()
                return target[int(number)] if ok and 0 <= number < len(target) else None
            return _member(target, to_str(key))
        if kind == "!":
            return not truthy(self._eval(node[1]))
        if kind == "&&":
            left = self._eval(node[1])
            return self._eval(node[2]) if truthy(left) else left
        if kind == "||":
            left = self._eval(node[1])
            return left if truthy(left) else self._eval(node[2])
        if kind in ("==", "!="):
            equal = loose_equal(self._eval(node[1]), self._eval(node[2]))
            return equal if kind == "==" else not equal
        if kind in ("<", "<=", ">", ">="):
            return _compare(kind, self._eval(node[1]), self._eval(node[2]))
        return self._call(node[1].lower(), [self._eval(arg) for arg in node[2]])

    def _call(self, name: str, args: list[Any]) -> Any:
        if name in STATUS_FUNCTIONS:
            return self.status(name)
        if name == "contains":
            search, item = args
            if isinstance(search, list):
                return any(loose_equal(element, item) for element in search)
            return to_str(item).casefold() in to_str(search).casefold()
        if name == "startswith":
            return to_str(args[0]).casefold().startswith(to_str(args[1]).casefold())
        if name == "endswith":
            return to_str(args[0]).casefold().endswith(to_str(args[1]).casefold())
        if name == "format":
            return _format(to_str(args[0]), args[1:])
        if name == "join":
            separator = to_str(args[1]) if len(args) > 1 else ","
            if isinstance(args[0], list):
                return separator.join(to_str(item) for item in args[0])
            return to_str(args[0]) if _kind(args[0]) not in ("object",) else ""
        if name == "tojson":
            return json.dumps(_plain(args[0]), indent=2)
        if name == "fromjson":
            try:
                return json.loads(to_str(args[0]))
            except json.JSONDecodeError as error:
                raise _ExprError(f"fromJSON: invalid JSON {to_str(args[0])!r}: {error}") from None
        return hash_files(self.workspace, [to_str(arg) for arg in args])


def _member(target: Any, key: str) -> Any:
    if isinstance(target, Ctx):
        return target.get(key)
    if isinstance(target, dict):
        if key in target:
            return target[key]
        for name, value in target.items():
            if name.lower() == key.lower():
                return value
    return None


# --------------------------------------------------------------------------- globs


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


def _has_magic(segment: str) -> bool:
    return any(char in segment for char in "*?[")


def _absolute(base: Path, pattern: str) -> Path:
    path = Path(pattern).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def search_root(base: Path, pattern: str) -> Path:
    """The directory a glob starts from: its path up to the first wildcard segment."""
    parts = _absolute(base, pattern).parts
    for index, segment in enumerate(parts):
        if _has_magic(segment):
            return Path(*parts[:index])
    return Path(*parts)


def glob_files(base: Path, pattern: str, *, hidden: bool = True) -> list[Path]:
    """Files matched by a glob relative to ``base``, like @actions/glob: a matched
    directory brings all files beneath it. ``hidden=False`` skips dot-files/dirs."""
    root = search_root(base, pattern)
    if not os.path.lexists(root):
        return []
    path = _absolute(base, pattern)
    regex = glob_regex(path.as_posix())
    literal = not _has_magic(str(path))
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


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


# --------------------------------------------------------------------- permissions

SCOPES = (
    "actions", "attestations", "checks", "contents", "deployments", "discussions",
    "id-token", "issues", "models", "packages", "pages", "pull-requests",
    "repository-projects", "security-events", "statuses",
)  # fmt: skip


def effective_permissions(spec: Any, where: str, *, fork: bool) -> dict[str, str]:
    """A job's token permissions. No ``permissions`` key anywhere: contents read (a
    simplification of GitHub's restricted default). Metadata is always readable."""
    if spec is None:
        permissions = {"contents": "read"}
    elif spec in ("read-all", "write-all"):
        level = spec.split("-")[0]
        permissions = dict.fromkeys(SCOPES, level)
        permissions["id-token"] = "write" if level == "write" else "none"
    elif isinstance(spec, dict):
        permissions = {}
        for scope, level in spec.items():
            if scope not in SCOPES:
                raise RunnerError(f"{where}: unknown permission scope {scope!r}")
            allowed = ("write", "none") if scope == "id-token" else ("read", "write", "none")
            if level not in allowed:
                raise RunnerError(f"{where}: permissions.{scope}: {level!r} not in {allowed}")
            permissions[scope] = level
    else:
        raise RunnerError(f"{where}: permissions: expected read-all, write-all or a mapping")
    permissions["metadata"] = "read"
    if fork:
        permissions = {
            scope: ("none" if scope == "id-token" else "read") if level == "write" else level
            for scope, level in permissions.items()
        }
    return {scope: level for scope, level in sorted(permissions.items()) if level != "none"}


# ----------------------------------------------------------------------------- git


def _git(*args: str, cwd: Path | None = None, env: dict | None = None, check=True):
    """Git's stdout, raising RunnerError on failure; with ``check=False`` the completed
    process itself, for callers that read the exit code (e.g. a conflicting merge)."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise RunnerError(
            f"git {' '.join(args)} failed ({result.returncode}) in {cwd}: {result.stderr.strip()}"
        )
    return result.stdout.strip() if check else result


def _rev(git_dir: Path, ref: str) -> str | None:
    result = _git(
        "--git-dir",
        str(git_dir),
        "rev-parse",
        "--verify",
        "--quiet",
        f"{ref}^{{commit}}",
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


GITHUB_IDENTITY = {
    "GIT_AUTHOR_NAME": "GitHub",
    "GIT_AUTHOR_EMAIL": "noreply@github.com",
    "GIT_COMMITTER_NAME": "GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@github.com",
}


# -------------------------------------------------------------------------- GitHub


class GitHub:
    """GitHub's side of things: the repository (a bare ``origin``), pull requests with
    their refs, and the JSON state the stand-ins read and write."""

    def __init__(self, root: Path, repository: str = "acme/model", default_branch: str = "main"):
        self.root = Path(root).resolve()
        self.repository, self.default_branch = repository, default_branch
        self.owner, self.name = repository.split("/")
        self.origin = self.root / "origin.git"
        self.state_file = self.root / "github.json"
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.origin.exists():
            _git(
                "init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(self.origin)
            )
        if not self.state_file.exists():
            state = localgh.initial_state(repository, default_branch)
            self.state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")
        elif localgh.read(self.state_file)["repository"] != repository:
            raise RunnerError(f"{self.state_file} belongs to another repository")

    # repository objects as GitHub's payloads and API show them
    def repo_object(self, full_name: str | None = None) -> dict:
        full_name = full_name or self.repository
        owner, name = full_name.split("/")
        return {
            "id": int(hashlib.sha256(full_name.encode()).hexdigest()[:8], 16),
            "name": name,
            "full_name": full_name,
            "owner": {"login": owner},
            "private": False,
            "fork": full_name != self.repository,
            "default_branch": self.default_branch,
            "html_url": f"{localgh.SERVER_URL}/{full_name}",
            "clone_url": f"{localgh.SERVER_URL}/{full_name}.git",
        }

    def tip(self, ref: str) -> str:
        sha = _rev(self.origin, ref)
        if sha is None:
            raise RunnerError(f"origin has no {ref}")
        return sha

    def pull(self, number: int) -> dict:
        for pull in localgh.read(self.state_file)["pulls"]:
            if pull["number"] == number:
                return pull
        raise RunnerError(f"no pull request #{number}")

    def open_pull_request(self, head: str, base: str = "main", fork: Path | None = None) -> int:
        """Open a pull request from branch ``head`` (of origin, or of the bare repository
        ``fork``) into ``base``; creates refs/pull/N/head and, unless the merge
        conflicts, refs/pull/N/merge."""
        source = Path(fork).resolve() if fork else self.origin
        if _rev(source, f"refs/heads/{head}") is None:
            raise RunnerError(f"{source} has no branch {head}")
        base_sha = self.tip(f"refs/heads/{base}")
        head_repo = f"forker/{self.name}" if fork else self.repository
        with localgh.locked(self.state_file) as state:
            number = localgh.next_id(state, "issue")
            pull = {
                "url": f"{localgh.API_URL}/repos/{self.repository}/pulls/{number}",
                "id": 100_000 + number,
                "number": number,
                "state": "open",
                "title": f"Merge {head} into {base}",
                "user": {"login": head_repo.split("/")[0]},
                "html_url": f"{localgh.SERVER_URL}/{self.repository}/pull/{number}",
                "draft": False,
                "merged": False,
                "head": {
                    "label": f"{head_repo.split('/')[0]}:{head}",
                    "ref": head,
                    "sha": "",
                    "repo": self.repo_object(head_repo),
                },
                "base": {
                    "label": f"{self.owner}:{base}",
                    "ref": base,
                    "sha": base_sha,
                    "repo": self.repo_object(),
                },
                "merge_commit_sha": None,
                "mergeable": None,
                "_source": str(source),
                "_before": None,
            }
            state["pulls"].append(pull)
        self._update_refs(number)
        return number

    def synchronize(self, number: int) -> None:
        """After commits were pushed to the head branch: recompute both refs."""
        self._update_refs(number)

    def _update_refs(self, number: int) -> None:
        pull = self.pull(number)
        source, head = Path(pull["_source"]), pull["head"]["ref"]
        head_sha = _rev(source, f"refs/heads/{head}")
        if head_sha is None:
            raise RunnerError(f"{source} has no branch {head}")
        if source == self.origin:
            _git("--git-dir", str(self.origin), "update-ref", f"refs/pull/{number}/head", head_sha)
        else:
            _git(
                "--git-dir",
                str(self.origin),
                "fetch",
                "--quiet",
                "--no-tags",
                str(source),
                f"+refs/heads/{head}:refs/pull/{number}/head",
            )
        base_sha = self.tip(f"refs/heads/{pull['base']['ref']}")
        merge = self._test_merge(number, base_sha, head_sha)
        with localgh.locked(self.state_file) as state:
            record = next(p for p in state["pulls"] if p["number"] == number)
            if record["head"]["sha"] and record["head"]["sha"] != head_sha:
                record["_before"] = record["head"]["sha"]
            record["head"]["sha"], record["base"]["sha"] = head_sha, base_sha
            # a pull request opened by `gh pr create` gets GitHub's full repository objects
            record["head"]["repo"] = self.repo_object(record["head"]["repo"]["full_name"])
            record["base"]["repo"] = self.repo_object()
            record["merge_commit_sha"], record["mergeable"] = merge, merge is not None

    def _test_merge(self, number: int, base_sha: str, head_sha: str) -> str | None:
        """GitHub's test merge of head into base, as a real merge commit (merge-ort, as
        GitHub's servers do, without a work tree); None when it conflicts."""
        git_dir = ("--git-dir", str(self.origin))
        merged = _git(
            *git_dir,
            "merge-tree",
            "--write-tree",
            "--no-messages",
            base_sha,
            head_sha,
            check=False,
        )
        if merged.returncode == 1:
            _git(*git_dir, "update-ref", "-d", f"refs/pull/{number}/merge", check=False)
            return None
        if merged.returncode != 0:
            raise RunnerError(f"test merge of PR #{number} failed: {merged.stderr.strip()}")
        tree = merged.stdout.split()[0]
        commit = _git(
            *git_dir,
            "commit-tree",
            tree,
            "-p",
            base_sha,
            "-p",
            head_sha,
            "-m",
            f"Merge {head_sha} into {base_sha}",
            env=GITHUB_IDENTITY,
        )
        _git(*git_dir, "update-ref", f"refs/pull/{number}/merge", commit)
        return commit

    def event(self, number: int, action: str = "opened") -> dict:
        """A ``pull_request`` event payload for pull request ``number``."""
        if action not in ("opened", "synchronize", "reopened"):
            raise RunnerError(f"pull_request action {action!r} is not emulated")
        pull = self.pull(number)
        payload = {
            "action": action,
            "number": number,
            "pull_request": localgh.public(pull),
            "repository": self.repo_object(),
            "sender": pull["user"],
        }
        if action == "synchronize":
            payload["before"], payload["after"] = pull["_before"], pull["head"]["sha"]
        return payload

    def push_event(self, branch: str, before: str = "0" * 40) -> dict:
        """A ``push`` event payload for the current tip of ``branch`` in origin."""
        after = self.tip(f"refs/heads/{branch}")
        return {
            "ref": f"refs/heads/{branch}",
            "before": before,
            "after": after,
            "repository": self.repo_object(),
            "pusher": {"name": self.owner},
            "sender": {"login": self.owner},
        }

    def dispatch_event(self, ref: str | None = None) -> dict:
        """A ``workflow_dispatch`` payload (inputs are given to run_workflow)."""
        return {
            "ref": ref or f"refs/heads/{self.default_branch}",
            "inputs": {},
            "repository": self.repo_object(),
            "sender": {"login": self.owner},
        }

    def schedule_event(self, cron: str) -> dict:
        return {"schedule": cron, "repository": self.repo_object()}

    def comments(self, number: int) -> list[dict]:
        """The comments on pull request or issue ``number``, oldest first."""
        comments = localgh.read(self.state_file)["comments"]
        return [
            {"id": c["id"], "body": c["body"]} for c in comments if c["issue_number"] == number
        ]

    def releases(self) -> list[dict]:
        """The releases created (``gh release create``), oldest first."""
        return [localgh.public(item) for item in localgh.read(self.state_file)["releases"]]

    def workflow_run_event(self, run: Run, workflow_name: str | None = None) -> dict:
        """A ``workflow_run`` completed payload for an earlier run. As on GitHub, its
        pull_requests list is empty when the pull request comes from a fork."""
        head_sha, head_branch, head_repo, pulls = run.sha, run.ref_name, self.repository, []
        if run.event_name == "pull_request":
            pull = run.payload["pull_request"]
            head_sha, head_branch = pull["head"]["sha"], pull["head"]["ref"]
            head_repo = pull["head"]["repo"]["full_name"]
            if head_repo == self.repository:
                pulls = [
                    {
                        "id": pull["id"],
                        "number": pull["number"],
                        "url": pull["url"],
                        "head": {"ref": head_branch, "sha": head_sha},
                        "base": {"ref": pull["base"]["ref"], "sha": pull["base"]["sha"]},
                    }
                ]
        name = workflow_name or run.workflow_name
        workflow_run = {
            "id": run.run_id,
            "name": name,
            "event": run.event_name,
            "status": "completed",
            "conclusion": run.conclusion,
            "head_sha": head_sha,
            "head_branch": head_branch,
            "run_number": run.run_number,
            "run_attempt": 1,
            "path": run.workflow_ref_path,
            "pull_requests": pulls,
            "head_repository": self.repo_object(head_repo),
            "repository": self.repo_object(),
            "html_url": f"{localgh.SERVER_URL}/{self.repository}/actions/runs/{run.run_id}",
        }
        return {
            "action": "completed",
            "workflow_run": workflow_run,
            "workflow": {"name": name, "path": run.workflow_ref_path},
            "repository": self.repo_object(),
            "sender": {"login": self.owner},
        }


# ------------------------------------------------------------------------- results


@dataclasses.dataclass
class StepResult:
    name: str
    id: str | None
    outcome: str  # success, failure, skipped
    conclusion: str  # success (also a failure with continue-on-error), failure, skipped
    log: str
    outputs: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class JobResult:
    id: str
    name: str
    conclusion: str  # success, failure, skipped
    steps: list[StepResult]
    outputs: dict[str, str]
    summary: str
    workspace: Path
    permissions: dict[str, str] = dataclasses.field(default_factory=dict)
    runs_on: Any = None
    continue_on_error: bool = False

    @property
    def log(self) -> str:
        parts = [f"=== job {self.id} ({self.name}): {self.conclusion} ==="]
        for step in self.steps:
            parts.append(f"--- step {step.name!r} [{step.outcome}] ---")
            parts.append(step.log.rstrip("\n"))
        return "\n".join(parts) + "\n"

    def step(self, name_or_id: str) -> StepResult:
        for step in self.steps:
            if name_or_id in (step.id, step.name):
                return step
        raise KeyError(f"job {self.id} has no step {name_or_id!r}")


@dataclasses.dataclass
class Run:
    run_id: int
    run_number: int
    workflow: Path
    workflow_name: str
    workflow_ref_path: str
    event_name: str
    payload: dict
    sha: str
    ref: str
    conclusion: str = "success"
    concurrency: str | None = None
    jobs: dict[str, JobResult] = dataclasses.field(default_factory=dict)

    @property
    def ref_name(self) -> str:
        return self.ref.split("/", 2)[-1]

    def log(self) -> str:
        header = (
            f"##### run {self.run_id} of {self.workflow_name} ({self.workflow}) on "
            f"{self.event_name}: {self.conclusion}\n"
        )
        return header + "".join(job.log for job in self.jobs.values())


# ------------------------------------------------------------------------ workflows

WORKFLOW_KEYS = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"}
JOB_KEYS = {
    "name", "permissions", "needs", "if", "runs-on", "environment", "concurrency",
    "outputs", "env", "defaults", "steps", "timeout-minutes", "continue-on-error",
}  # fmt: skip
JOB_NOT_EMULATED = {"strategy", "container", "services", "uses", "with", "secrets", "snapshot"}
STEP_KEYS = {
    "id", "if", "name", "uses", "run", "working-directory", "shell", "with", "env",
    "continue-on-error", "timeout-minutes",
}  # fmt: skip
EVENT_FILTERS = {
    "pull_request": {"types", "branches", "branches-ignore", "paths", "paths-ignore"},
    "push": {"branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"},
    "workflow_run": {"workflows", "types", "branches", "branches-ignore"},
    "workflow_dispatch": {"inputs"},
    "schedule": set(),
}
OTHER_EVENTS = {
    "branch_protection_rule", "check_run", "check_suite", "create", "delete", "deployment",
    "deployment_status", "discussion", "discussion_comment", "fork", "gollum",
    "issue_comment", "issues", "label", "merge_group", "milestone", "page_build", "public",
    "pull_request_review", "pull_request_review_comment", "pull_request_target",
    "registry_package", "release", "repository_dispatch", "status", "watch", "workflow_call",
}  # fmt: skip
DEFAULT_TYPES = {
    "pull_request": ["opened", "synchronize", "reopened"],
    "workflow_run": ["completed", "requested"],
}
STEP_CONTEXTS = {"github", "needs", "job", "runner", "env", "vars", "secrets", "steps", "inputs"}
JOB_CONTEXTS = {"github", "needs", "vars", "inputs"}
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# local composite actions (action.yml)
ACTION_KEYS = {"name", "description", "author", "inputs", "outputs", "runs", "branding"}
COMPOSITE_STEP_KEYS = STEP_KEYS - {"timeout-minutes"}
COMPOSITE_CONTEXTS = {"github", "inputs", "env", "job", "runner", "steps"}


def _triggers(workflow: dict, name: str) -> dict[str, Any]:
    on = workflow.get("on")
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = dict.fromkeys(on)
    if not isinstance(on, dict) or not on:
        raise RunnerError(f"{name}: on: expected an event, a list or a mapping of events")
    for event, config in on.items():
        if event not in EVENT_FILTERS and event not in OTHER_EVENTS:
            raise RunnerError(f"{name}: on.{event}: unknown event")
        if event == "schedule":
            if not isinstance(config, list) or not all(
                isinstance(c, dict) and set(c) == {"cron"} and len(str(c["cron"]).split()) == 5
                for c in config
            ):
                raise RunnerError(f"{name}: on.schedule: expected a list of {{cron: '* * * * *'}}")
        elif event in EVENT_FILTERS and config is not None:
            if not isinstance(config, dict):
                raise RunnerError(f"{name}: on.{event}: expected a mapping")
            unknown = set(config) - EVENT_FILTERS[event]
            if unknown:
                raise RunnerError(f"{name}: on.{event}: unknown key(s) {sorted(unknown)}")
            for key in (
                "branches",
                "branches-ignore",
                "tags",
                "tags-ignore",
                "paths",
                "paths-ignore",
                "types",
                "workflows",
            ):
                if key in config and not isinstance(config[key], list | str):
                    raise RunnerError(f"{name}: on.{event}.{key}: expected a list")
                if isinstance(config.get(key), str):
                    config[key] = [config[key]]
            for plus, minus in (
                ("branches", "branches-ignore"),
                ("tags", "tags-ignore"),
                ("paths", "paths-ignore"),
            ):
                if plus in config and minus in config:
                    raise RunnerError(f"{name}: on.{event}: {plus} and {minus} together")
    return on


def _dispatch_inputs(name: str, config: dict | None, given: dict | None) -> dict[str, Any]:
    """The inputs context of a workflow_dispatch run, typed like GitHub's."""
    declared = (config or {}).get("inputs") or {}
    given = dict(given or {})
    unknown = set(given) - set(declared)
    if unknown:
        raise RunnerError(f"{name}: unexpected workflow_dispatch inputs {sorted(unknown)}")
    values = {}
    for key, spec in declared.items():
        spec = spec or {}
        extra = set(spec) - {"description", "required", "default", "type", "options"}
        if extra:
            raise RunnerError(
                f"{name}: on.workflow_dispatch.inputs.{key}: unknown {sorted(extra)}"
            )
        kind = spec.get("type", "string")
        value = given.get(key, spec.get("default"))
        if value is None:
            if spec.get("required"):
                raise RunnerError(f"{name}: workflow_dispatch input {key!r} is required")
            value = False if kind == "boolean" else ""
        if kind == "boolean":
            if to_str(value) not in ("true", "false"):
                raise RunnerError(f"{name}: input {key}: expected true or false, got {value!r}")
            value = to_str(value) == "true"
        elif kind == "number":
            value = _number(value)
            if math.isnan(value):
                raise RunnerError(f"{name}: input {key}: not a number")
            value = int(value) if value.is_integer() else value
        elif kind == "choice":
            if to_str(value) not in [to_str(o) for o in spec.get("options") or []]:
                raise RunnerError(f"{name}: input {key}: {value!r} not in {spec.get('options')}")
            value = to_str(value)
        elif kind in ("string", "environment"):
            value = to_str(value)
        else:
            raise RunnerError(f"{name}: input {key}: unknown type {kind!r}")
        values[key] = value
    return values


def _changed_files(gh: GitHub, base: str, head: str) -> list[str]:
    if not base or set(base) == {"0"}:
        return _git("--git-dir", str(gh.origin), "ls-tree", "-r", "--name-only", head).split()
    return _git("--git-dir", str(gh.origin), "diff", "--name-only", f"{base}...{head}").split()


def _check_trigger(gh: GitHub, name: str, on: dict, event: str, payload: dict) -> None:
    def refuse(reason: str):
        raise RunnerError(f"{name}: not triggered by this {event} event: {reason}")

    if event not in EVENT_FILTERS:
        raise RunnerError(f"{name}: the local runner does not emulate the {event!r} event")
    if event not in on:
        refuse(f"on: lists {sorted(on)}")
    config = on[event] or {}
    if event == "schedule":
        crons = [str(c["cron"]) for c in on[event]]
        if payload.get("schedule") not in crons:
            refuse(f"payload schedule {payload.get('schedule')!r} not in {crons}")
        return
    action = payload.get("action")
    if event in DEFAULT_TYPES and action not in config.get("types", DEFAULT_TYPES[event]):
        refuse(f"action {action!r} not in types {config.get('types', DEFAULT_TYPES[event])}")
    if event == "pull_request":
        branch, tag = payload["pull_request"]["base"]["ref"], None
    elif event == "push":
        ref = payload.get("ref", "")
        branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
        tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else None
    elif event == "workflow_run":
        run = payload.get("workflow_run", {})
        if run.get("name") not in config.get("workflows", []):
            refuse(f"workflow {run.get('name')!r} not in workflows {config.get('workflows')}")
        branch, tag = run.get("head_branch"), None
    else:
        return
    has_ref_filter = any(
        k in config for k in ("branches", "branches-ignore", "tags", "tags-ignore")
    )
    if has_ref_filter:
        if (
            branch is not None
            and "branches" in config
            and not filter_match(config["branches"], branch)
        ):
            refuse(f"branch {branch!r} not in branches {config['branches']}")
        if (
            branch is not None
            and "branches-ignore" in config
            and filter_match(config["branches-ignore"], branch)
        ):
            refuse(f"branch {branch!r} in branches-ignore")
        if branch is not None and "branches" not in config and "branches-ignore" not in config:
            refuse("only tags are filtered in")
        if tag is not None and "tags" in config and not filter_match(config["tags"], tag):
            refuse(f"tag {tag!r} not in tags {config['tags']}")
        if (
            tag is not None
            and "tags-ignore" in config
            and filter_match(config["tags-ignore"], tag)
        ):
            refuse(f"tag {tag!r} in tags-ignore")
        if tag is not None and "tags" not in config and "tags-ignore" not in config:
            refuse("only branches are filtered in")
    if "paths" in config or "paths-ignore" in config:
        if event == "pull_request":
            pull = payload["pull_request"]
            files = _changed_files(gh, pull["base"]["sha"], pull["head"]["sha"])
        else:
            files = _changed_files(gh, payload.get("before", ""), payload.get("after", ""))
        if "paths" in config and not any(filter_match(config["paths"], f) for f in files):
            refuse(f"no changed file matches paths {config['paths']}")
        if "paths-ignore" in config and all(
            filter_match(config["paths-ignore"], f) for f in files
        ):
            refuse(f"every changed file matches paths-ignore {config['paths-ignore']}")


# ---------------------------------------------------------------------- validation


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _static(where: str, value: Any, contexts: set[str], *, condition=False, step=False) -> None:
    """Parse every expression in ``value`` and check its functions and contexts against
    what GitHub offers at that place, before anything runs."""
    evaluator = Evaluator(
        where,
        dict.fromkeys(contexts),
        status=(lambda _: True) if condition else None,
        workspace=Path() if step else None,
    )
    if condition:
        evaluator.condition_node(value)
        return
    for text in _strings(value):
        try:
            parts = split_template(text)
        except _ExprError as error:
            raise RunnerError(f"{where}: {error}") from None
        for is_expr, part in parts:
            if is_expr:
                evaluator.parse(part)


def _check_defaults(defaults: Any, where: str, contexts: set[str]) -> dict:
    if defaults is None:
        return {}
    if not isinstance(defaults, dict) or set(defaults) - {"run"}:
        raise RunnerError(f"{where}.defaults: only defaults.run is known")
    run = defaults.get("run") or {}
    if not isinstance(run, dict) or set(run) - {"shell", "working-directory"}:
        raise RunnerError(f"{where}.defaults.run: only shell and working-directory are known")
    if run.get("shell", "bash") != "bash":
        raise RunnerError(f"{where}.defaults.run.shell: {run['shell']!r} (only bash is emulated)")
    _static(f"{where}.defaults", run, contexts)
    return run


LOCAL_ACTION = re.compile(r"\./(?:[\w.-]+/)*[\w.-]+/?")


def _parse_uses(uses: Any, where: str) -> tuple[str, _Action | None]:
    """An emulated action's name and emulation; for a local action (``./path``, read
    from the workspace when the step runs) its normalised path and None."""
    if not isinstance(uses, str):
        raise RunnerError(f"{where}.uses: expected a string")
    if uses.startswith("./"):
        if not LOCAL_ACTION.fullmatch(uses) or ".." in uses.split("/"):
            raise RunnerError(f"{where}.uses: {uses!r}: expected ./path/to/action-folder")
        return uses.rstrip("/"), None
    if uses.startswith("docker://"):
        raise RunnerError(f"{where}.uses: {uses}: Docker actions are not emulated")
    match = re.fullmatch(r"([\w.-]+/[\w.-]+)(/[^@]*)?@(\S+)", uses)
    if not match:
        raise RunnerError(f"{where}.uses: {uses!r} is not owner/repo@ref")
    if not re.fullmatch(r"[0-9a-f]{40}", match[3]):
        raise RunnerError(f"{where}.uses: {uses} is not pinned to a full 40-character commit SHA")
    action = ACTIONS.get(match[1].lower())
    if action is None or match[2]:
        raise RunnerError(
            f"{where}.uses: {match[1]}{match[2] or ''} is not emulated by the local runner "
            f"(emulated: {', '.join(sorted(ACTIONS))})"
        )
    return match[1].lower(), action


def _validate(workflow: dict, label: str) -> dict[str, list[str]]:
    """Every key, job, step, action and expression known, or RunnerError. Returns each
    job's needs."""
    unknown = set(workflow) - WORKFLOW_KEYS
    if unknown:
        raise RunnerError(f"{label}: unknown workflow key(s) {sorted(unknown)}")
    jobs = workflow.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        raise RunnerError(f"{label}: jobs: expected a mapping with at least one job")
    _static(f"{label}: run-name", workflow.get("run-name"), {"github", "inputs", "vars"})
    _static(f"{label}: concurrency", workflow.get("concurrency"), {"github", "inputs", "vars"})
    _check_concurrency(workflow.get("concurrency"), label)
    _static(f"{label}: env", workflow.get("env"), {"github", "secrets", "inputs", "vars"})
    _check_defaults(workflow.get("defaults"), label, {"github", "env", "vars", "inputs"})
    if "permissions" in workflow:
        effective_permissions(workflow["permissions"], f"{label}: permissions", fork=False)
    needs: dict[str, list[str]] = {}
    for job_id, job in jobs.items():
        where = f"{label}: jobs.{job_id}"
        if not isinstance(job_id, str) or not _ID.fullmatch(job_id):
            raise RunnerError(f"{where}: invalid job id")
        if not isinstance(job, dict):
            raise RunnerError(f"{where}: expected a mapping")
        for key in job:
            if key in JOB_NOT_EMULATED:
                raise RunnerError(f"{where}.{key}: not emulated by the local runner")
            if key not in JOB_KEYS:
                raise RunnerError(f"{where}: unknown job key {key!r}")
        if "runs-on" not in job:
            raise RunnerError(f"{where}: runs-on is required")
        job_needs = job.get("needs", [])
        job_needs = [job_needs] if isinstance(job_needs, str) else job_needs
        for need in job_needs:
            if need not in jobs:
                raise RunnerError(f"{where}.needs: unknown job {need!r}")
        needs[job_id] = list(job_needs)
        if "permissions" in job:
            effective_permissions(job["permissions"], f"{where}.permissions", fork=False)
        _static(f"{where}.if", job.get("if"), JOB_CONTEXTS, condition=True)
        for key in (
            "name",
            "runs-on",
            "concurrency",
            "timeout-minutes",
            "continue-on-error",
        ):
            _static(f"{where}.{key}", job.get(key), JOB_CONTEXTS)
        _check_concurrency(job.get("concurrency"), where)
        _static(f"{where}.env", job.get("env"), JOB_CONTEXTS | {"secrets"})
        _check_defaults(job.get("defaults"), where, JOB_CONTEXTS | {"env"})
        _static(f"{where}.outputs", job.get("outputs"), STEP_CONTEXTS)
        environment = job.get("environment")
        if isinstance(environment, dict):
            if set(environment) - {"name", "url", "deployment"}:
                raise RunnerError(f"{where}.environment: unknown key(s)")
            _static(f"{where}.environment.url", environment.get("url"), STEP_CONTEXTS)
            environment = environment.get("name")
        _static(f"{where}.environment", environment, JOB_CONTEXTS)
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            raise RunnerError(f"{where}.steps: expected a list of steps")
        ids: set[str] = set()
        for index, step in enumerate(steps):
            _validate_step(step, f"{where}.steps[{index}]", ids)
    _job_order(needs, label)
    return needs


def _validate_step(step: Any, where: str, ids: set[str]) -> None:
    if not isinstance(step, dict):
        raise RunnerError(f"{where}: expected a mapping")
    unknown = set(step) - STEP_KEYS
    if unknown:
        raise RunnerError(f"{where}: unknown step key(s) {sorted(unknown)}")
    if ("run" in step) == ("uses" in step):
        raise RunnerError(f"{where}: a step has either run or uses")
    if "id" in step:
        if not isinstance(step["id"], str) or not _ID.fullmatch(step["id"]):
            raise RunnerError(f"{where}.id: invalid step id {step['id']!r}")
        if step["id"] in ids:
            raise RunnerError(f"{where}.id: duplicate step id {step['id']!r}")
        ids.add(step["id"])
    if "uses" in step:
        for key in ("shell", "working-directory"):
            if key in step:
                raise RunnerError(f"{where}.{key}: only for run steps")
        name, action = _parse_uses(step["uses"], where)
        given = step.get("with") or {}
        if not isinstance(given, dict):
            raise RunnerError(f"{where}.with: expected a mapping")
        if action is None:  # a local action: its inputs are known once it is checked out
            given = {}
        version = to_str(given.get("version", "latest"))
        if name == "iterative/setup-cml" and "${{" not in version:
            _cml_version(version, where)
        for key in given:
            if key in action.not_emulated:
                raise RunnerError(f"{where}.with.{key}: input of {name} not emulated")
            if key not in action.inputs:
                raise RunnerError(
                    f"{where}.with.{key}: unknown input of {name} "
                    f"(known: {', '.join(sorted(action.inputs))})"
                )
    else:
        if "with" in step:
            raise RunnerError(f"{where}.with: only for uses steps")
        if step.get("shell", "bash") != "bash":
            raise RunnerError(f"{where}.shell: {step['shell']!r} (only bash is emulated)")
        if not isinstance(step["run"], str):
            raise RunnerError(f"{where}.run: expected a string")
    if "env" in step and not isinstance(step["env"], dict):
        raise RunnerError(f"{where}.env: expected a mapping")
    _static(f"{where}.if", step.get("if"), STEP_CONTEXTS - {"secrets"}, condition=True, step=True)
    rest = {key: value for key, value in step.items() if key not in ("if", "id", "uses")}
    _static(where, rest, STEP_CONTEXTS, step=True)


def _check_concurrency(value: Any, where: str) -> None:
    if isinstance(value, dict) and (
        set(value) - {"group", "cancel-in-progress"} or "group" not in value
    ):
        raise RunnerError(f"{where}: concurrency: expected group and cancel-in-progress")
    if value is not None and not isinstance(value, str | dict):
        raise RunnerError(f"{where}: concurrency: expected a string or a mapping")


def _job_order(needs: dict[str, list[str]], label: str) -> list[str]:
    order: list[str] = []
    while len(order) < len(needs):
        ready = [j for j in needs if j not in order and all(n in order for n in needs[j])]
        if not ready:
            raise RunnerError(f"{label}: jobs.*.needs has a cycle")
        order.append(ready[0])
    return order


# ------------------------------------------------------------------------- running


class _StepFailed(Exception):
    """An action failed the way the real one would (a step failure, not a RunnerError)."""


@dataclasses.dataclass
class _Call:
    """What an emulated action gets: its inputs, the step's process environment, a log
    and its outputs."""

    job: _Job
    name: str
    inputs: dict[str, str]
    env: dict[str, str]
    log: list[str]
    outputs: dict[str, str]

    def say(self, line: str) -> None:
        self.log.append(line)

    def boolean(self, key: str) -> bool:
        value = self.inputs[key]
        if value not in ("true", "True", "TRUE", "false", "False", "FALSE"):
            raise _StepFailed(
                f'Input does not meet YAML 1.2 "Core Schema" specification: {key}\n'
                "Support boolean input list: `true | True | TRUE | false | False | FALSE`"
            )
        return value.lower() == "true"

    def git(self, *args: str, cwd: Path) -> str:
        self.say(f"[command]git {' '.join(args)}")
        result = subprocess.run(
            ["git", *args], cwd=cwd, env=self.env, capture_output=True, text=True, check=False
        )
        if result.stdout.strip() or result.stderr.strip():
            self.say((result.stdout + result.stderr).rstrip())
        if result.returncode != 0:
            raise _StepFailed(f"The process 'git' failed with exit code {result.returncode}")
        return result.stdout.strip()


@dataclasses.dataclass(frozen=True)
class _Action:
    inputs: dict[str, str | None]  # emulated input -> default (a callable key: see _defaults)
    not_emulated: frozenset[str]
    run: Callable[[_Call], None]


class _Run:
    """Everything about one run that its jobs share."""

    def __init__(self, gh: GitHub, workflow: Path, event_name: str, payload: dict, **options):
        self.gh, self.workflow, self.event_name = gh, workflow, event_name
        self.label = workflow.name
        self.data = load_workflow(workflow)
        self.needs = _validate(self.data, self.label)
        self.triggers = _triggers(self.data, self.label)
        self.payload = json.loads(json.dumps(payload))
        self.payload.setdefault("repository", gh.repo_object())
        self.payload.setdefault("sender", {"login": gh.owner})
        self.inputs: dict[str, Any] = {}
        declared = ((self.triggers.get("workflow_dispatch") or {}).get("inputs")) or {}
        if event_name == "workflow_dispatch":
            self.inputs = _dispatch_inputs(
                self.label, self.triggers.get("workflow_dispatch"), options["inputs"]
            )
            self.payload["inputs"] = {key: to_str(value) for key, value in self.inputs.items()}
        elif options["inputs"]:
            raise RunnerError(f"{self.label}: inputs are only for workflow_dispatch")
        else:
            self.inputs = dict.fromkeys(declared)
        _check_trigger(gh, self.label, self.triggers, event_name, self.payload)
        self._resolve_ref()
        self.fork = event_name == "pull_request" and (
            self.payload["pull_request"]["head"]["repo"]["full_name"] != gh.repository
        )
        self.secrets = {} if self.fork else dict(options["secrets"] or {})
        self.vars = dict(options["vars"] or {})
        self.extra_path = [str(Path(p).resolve()) for p in options["path"] or []]
        with localgh.locked(gh.state_file) as state:
            self.run_id = localgh.next_id(state, "run", start=1_000_001)
            self.run_number = localgh.next_id(state, f"run_number:{workflow}")
        self.dir = gh.root / "runs" / str(self.run_id)
        self.workdir = Path(options["workdir"]).resolve() if options["workdir"] else self.dir
        self.bin = self.dir / "bin"
        self.bin.mkdir(parents=True)
        _shim(self.bin, "gh")
        self.event_path = self.dir / "event.json"
        self.event_path.write_text(json.dumps(self.payload, indent=2), encoding="utf-8")
        strip = ("GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_", "STATE_")
        secret_like = {"GH_TOKEN", "GH_REPO", "GH_HOST", "REPO_TOKEN", "VIRTUAL_ENV", "CI"}
        self.base_env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(strip) and key not in secret_like
        }
        self.base_env.update(options["env"] or {})
        self.base_env[localgh.STATE_ENV] = str(gh.state_file)
        self.name = self.data.get("name") or self.workflow_ref_path
        self.github = self._github_context()
        concurrency = self.data.get("concurrency")
        self.concurrency = None
        if concurrency is not None:
            evaluator = Evaluator(f"{self.label}: concurrency", self.workflow_contexts())
            group = concurrency["group"] if isinstance(concurrency, dict) else concurrency
            self.concurrency = evaluator.text(group)
        self.cache_scopes = list(
            dict.fromkeys(
                [
                    self.ref,
                    *([f"refs/heads/{self.base_ref}"] if self.base_ref else []),
                    f"refs/heads/{gh.default_branch}",
                ]
            )
        )
        self.result = Run(
            run_id=self.run_id,
            run_number=self.run_number,
            workflow=workflow,
            workflow_name=self.name,
            workflow_ref_path=self.workflow_ref_path,
            event_name=event_name,
            payload=self.payload,
            sha=self.sha,
            ref=self.ref,
            concurrency=self.concurrency,
        )

    @property
    def workflow_ref_path(self) -> str:
        """Where GitHub would find the file (the caller's copy may live anywhere)."""
        return f".github/workflows/{self.workflow.name}"

    def _resolve_ref(self) -> None:
        gh, payload, event = self.gh, self.payload, self.event_name
        self.base_ref = self.head_ref = ""
        if event == "pull_request":
            pull = payload["pull_request"]
            number = pull["number"]
            record = gh.pull(number)
            if not record["mergeable"] or not pull.get("merge_commit_sha"):
                raise RunnerError(
                    f"{self.label}: pull request #{number} has merge conflicts: GitHub does "
                    "not run pull_request workflows without a test merge commit"
                )
            if pull["merge_commit_sha"] != record["merge_commit_sha"]:
                raise RunnerError(
                    f"{self.label}: stale pull_request payload for #{number}: its test merge "
                    "changed since gh.event() made it (make a new event)"
                )
            self.ref, self.sha = f"refs/pull/{number}/merge", pull["merge_commit_sha"]
            self.base_ref, self.head_ref = pull["base"]["ref"], pull["head"]["ref"]
        elif event == "push":
            self.ref, self.sha = payload["ref"], payload["after"]
        elif event == "workflow_dispatch":
            self.ref = payload.get("ref") or f"refs/heads/{gh.default_branch}"
            if not self.ref.startswith("refs/"):
                self.ref = f"refs/heads/{self.ref}"
            self.sha = gh.tip(self.ref)
        else:
            self.ref = f"refs/heads/{gh.default_branch}"
            self.sha = gh.tip(self.ref)

    def _github_context(self) -> dict:
        gh = self.gh
        actor = (self.payload.get("sender") or {}).get("login") or gh.owner
        ref_type = "tag" if self.ref.startswith("refs/tags/") else "branch"
        return {
            "action": "",
            "action_path": "",
            "action_ref": "",
            "action_repository": "",
            "action_status": "",
            "actor": actor,
            "actor_id": "1",
            "api_url": localgh.API_URL,
            "base_ref": self.base_ref,
            "env": "",
            "event": self.payload,
            "event_name": self.event_name,
            "event_path": str(self.event_path),
            "graphql_url": f"{localgh.API_URL}/graphql",
            "head_ref": self.head_ref,
            "job": "",
            "path": "",
            "ref": self.ref,
            "ref_name": self.ref.split("/", 2)[-1],
            "ref_protected": False,
            "ref_type": ref_type,
            "repository": gh.repository,
            "repository_id": str(gh.repo_object()["id"]),
            "repository_owner": gh.owner,
            "repository_owner_id": "1",
            "repositoryUrl": f"git://github.com/{gh.repository}.git",
            "retention_days": "90",
            "run_id": str(self.run_id),
            "run_number": str(self.run_number),
            "run_attempt": "1",
            "secret_source": "None" if self.fork else "Actions",
            "server_url": localgh.SERVER_URL,
            "sha": self.sha,
            "token": "",
            "triggering_actor": actor,
            "workflow": self.name,
            "workflow_ref": f"{gh.repository}/{self.workflow_ref_path}@{self.ref}",
            "workflow_sha": self.sha,
            "workspace": "",
        }

    def inputs_ctx(self) -> Ctx:
        return Ctx("inputs", self.inputs)

    def workflow_contexts(self) -> dict[str, Any]:
        return {
            "github": Ctx("github", self.github),
            "inputs": self.inputs_ctx(),
            "vars": Ctx("vars", self.vars, strict=False),
        }

    def run(self) -> Run:
        for job_id in _job_order(self.needs, self.label):
            self.result.jobs[job_id] = _Job(self, job_id).execute()
        failed = [
            job_id
            for job_id, job in self.result.jobs.items()
            if job.conclusion == "failure" and not self._continue_on_error(job_id)
        ]
        self.result.conclusion = "failure" if failed else "success"
        with localgh.locked(self.gh.state_file) as state:
            state["runs"].append(
                {
                    "id": self.run_id,
                    "run_number": self.run_number,
                    "name": self.name,
                    "path": self.workflow_ref_path,
                    "event": self.event_name,
                    "head_sha": self.sha,
                    "conclusion": self.result.conclusion,
                }
            )
        return self.result

    def _continue_on_error(self, job_id: str) -> bool:
        return self.result.jobs[job_id].continue_on_error


def _shim(directory: Path, name: str) -> None:
    """An executable ``name`` running the stand-in with this Python (stdlib only, -E -s
    so the step's Python variables cannot change it)."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / name
    script = STANDINS / f"{name}.py"
    shim.write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -E -s {shlex.quote(str(script))} "$@"\n',
        encoding="utf-8",
    )
    shim.chmod(0o755)


def _parse_file_command(text: str, what: str) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV lines: ``key=value`` or ``key<<DELIMITER`` heredocs."""
    values, lines, index = {}, text.splitlines(), 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip():
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            key, value = line[:equals], line[equals + 1 :]
        elif heredoc > 0:
            key, delimiter = line[:heredoc], line[heredoc + 2 :]
            body = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise _StepFailed(
                    f"Invalid value in {what}: matching delimiter not found {delimiter!r}"
                )
            index += 1
            value = "\n".join(body)
        else:
            raise _StepFailed(f"Invalid format in {what}: {line!r}")
        if not key:
            raise _StepFailed(f"Invalid format in {what}: empty name in {line!r}")
        values[key] = value
    return values


class _Job:
    def __init__(self, run: _Run, job_id: str):
        self.run, self.id = run, job_id
        self.data = run.data["jobs"][job_id]
        self.where = f"{run.label}: jobs.{job_id}"
        self.workspace = run.workdir / job_id
        self.temp = run.dir / "_temp" / job_id
        self.status = "success"
        self.env: dict[str, str] = {}
        self.path_additions: list[str] = []
        self.summary: list[str] = []
        self.post: list[tuple[str, bool, Callable[[_Call], None]]] = []
        self.step_ids = [s["id"] for s in self.data["steps"] if "id" in s]
        self.steps: dict[str, Any] = dict.fromkeys(self.step_ids)
        self.results: list[StepResult] = []
        self.process_groups: list[int] = []
        self.deadline = math.inf
        spec = self.data.get("permissions", run.data.get("permissions"))
        self.permissions = effective_permissions(spec, self.where, fork=run.fork)
        self.token = localgh.make_token(self.permissions)
        self.secrets = {**run.secrets, "GITHUB_TOKEN": self.token}
        self.masks: list[str] = []  # values actions masked (core.setSecret)
        # GitHub gives steps a way to request an OIDC token only with id-token: write.
        self.id_token_request = (
            {
                "ACTIONS_ID_TOKEN_REQUEST_URL": f"{localgh.API_URL}/_local/oidc/token?"
                f"run={run.run_id}&job={job_id}",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": f"local-oidc-{uuid.uuid4().hex}",
            }
            if self.permissions.get("id-token") == "write"
            else {}
        )
        self.masks.extend(self.id_token_request.values())
        self.github = {
            **run.github,
            "job": job_id,
            "token": self.token,
            "workspace": str(self.workspace),
        }

    # contexts
    def needs_ctx(self) -> Ctx:
        needs = {}
        for need in self.run.needs[self.id]:
            job = self.run.result.jobs[need]
            outputs = Ctx(f"needs.{need}.outputs", job.outputs)
            needs[need] = Ctx(f"needs.{need}", {"result": job.conclusion, "outputs": outputs})
        return Ctx("needs", needs)

    def job_contexts(self) -> dict[str, Any]:
        return {
            "github": Ctx("github", self.github),
            "needs": self.needs_ctx(),
            "vars": Ctx("vars", self.run.vars, strict=False),
            "inputs": self.run.inputs_ctx(),
        }

    def step_contexts(self, env: dict[str, str]) -> dict[str, Any]:
        return {
            **self.job_contexts(),
            "job": Ctx("job", {"status": self.status, "container": {}, "services": {}}),
            "runner": Ctx(
                "runner",
                {
                    "os": "Linux",
                    "arch": "X64",
                    "name": "local-runner",
                    "temp": str(self.temp),
                    "tool_cache": str(self.run.dir / "_tool"),
                    "environment": "github-hosted",
                    "debug": None,
                },
            ),
            "env": Ctx("env", env, strict=False),
            "secrets": Ctx("secrets", self.secrets, strict=False),
            "steps": Ctx("steps", self.steps),
        }

    def ancestors(self, job_id: str) -> set[str]:
        found: set[str] = set()
        for need in self.run.needs[job_id]:
            found |= {need} | self.ancestors(need)
        return found

    def job_status(self, name: str) -> bool:
        results = [self.run.result.jobs[a].conclusion for a in self.ancestors(self.id)]
        return {
            "success": all(r == "success" for r in results),
            "failure": any(r == "failure" for r in results),
            "always": True,
            "cancelled": False,
        }[name]

    def step_status(self, name: str) -> bool:
        return {
            "success": self.status == "success",
            "failure": self.status == "failure",
            "always": True,
            "cancelled": False,
        }[name]

    # the job
    def execute(self) -> JobResult:
        data = self.data
        evaluator = Evaluator(f"{self.where}.if", self.job_contexts(), status=self.job_status)
        declared = data.get("outputs") or {}
        result = JobResult(
            id=self.id,
            name=self.id,
            conclusion="skipped",
            steps=[],
            outputs=dict.fromkeys(declared, ""),
            summary="",
            workspace=self.workspace,
            permissions=self.permissions,
        )
        if not evaluator.condition(data.get("if")):
            return result
        evaluator = Evaluator(self.where, self.job_contexts())
        result.name = evaluator.text(data.get("name", self.id))
        result.runs_on = evaluator.template(data["runs-on"])
        environment = data.get("environment")
        evaluator.template(
            environment.get("name") if isinstance(environment, dict) else environment
        )
        evaluator.template(data.get("concurrency"))
        result.continue_on_error = truthy(evaluator.template(data.get("continue-on-error")))
        timeout = _number(evaluator.template(data.get("timeout-minutes", 360)))
        self.deadline = time.monotonic() + timeout * 60
        workflow_env = Evaluator(
            f"{self.run.label}: env",
            {
                **self.run.workflow_contexts(),
                "secrets": Ctx("secrets", self.secrets, False),
                "github": Ctx("github", self.github),
            },
        )
        self.env = {k: workflow_env.text(v) for k, v in (self.run.data.get("env") or {}).items()}
        job_env = Evaluator(
            f"{self.where}.env",
            {**self.job_contexts(), "secrets": Ctx("secrets", self.secrets, strict=False)},
        )
        self.env.update({k: job_env.text(v) for k, v in (data.get("env") or {}).items()})
        defaults = {
            **((self.run.data.get("defaults") or {}).get("run") or {}),
            **((data.get("defaults") or {}).get("run") or {}),
        }
        defaults_evaluator = Evaluator(
            f"{self.where}.defaults", {**self.job_contexts(), "env": Ctx("env", self.env, False)}
        )
        self.defaults = {key: defaults_evaluator.text(v) for key, v in defaults.items()}
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.temp.mkdir(parents=True, exist_ok=True)
        for index, step in enumerate(data["steps"]):
            self.results.append(self.step(index, step))
        for name, always, action in reversed(self.post):
            if always or self.status == "success":
                self.results.append(self.post_step(name, action))
        for group in self.process_groups:  # orphan processes
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        outputs = Evaluator(f"{self.where}.outputs", self.step_contexts(self.env))
        result.outputs = {key: outputs.text(value) for key, value in declared.items()}
        secrets = [value for value in self.secrets.values() if value]
        result.outputs = {
            key: value
            for key, value in result.outputs.items()
            if not any(secret in value for secret in secrets)
        }
        result.conclusion, result.steps = self.status, self.results
        result.summary = "".join(self.summary)
        return result

    def mask(self, text: str) -> str:
        for secret in sorted(
            (v for v in [*self.secrets.values(), *self.masks] if v.strip()), key=len, reverse=True
        ):
            text = text.replace(secret, "***")
        return text

    def step(self, index: int, step: dict) -> StepResult:
        where = f"{self.where}.steps[{index}]"
        step_id = step.get("id")
        evaluator = Evaluator(where, self.step_contexts(self.env), workspace=self.workspace)
        step_env = {k: evaluator.text(v) for k, v in (step.get("env") or {}).items()}
        env = {**self.env, **step_env}
        contexts = self.step_contexts(env)
        evaluator = Evaluator(where, contexts, workspace=self.workspace)
        condition = Evaluator(
            f"{where}.if",
            {k: v for k, v in contexts.items() if k != "secrets"},
            status=self.step_status,
            workspace=self.workspace,
        )
        if "name" in step:
            name = evaluator.text(step["name"])
        elif "run" in step:
            name = f"Run {step['run'].strip().splitlines()[0] if step['run'].strip() else ''}"
        else:
            name = f"Run {step['uses']}"
        skipped = StepResult(name, step_id, "skipped", "skipped", "")
        if time.monotonic() > self.deadline:
            self.status = "failure"
            skipped.log = "##[error]The job has exceeded its timeout-minutes"
            self.record(step_id, skipped)
            return skipped
        if not condition.condition(step.get("if")):
            self.record(step_id, skipped)
            return skipped
        continue_on_error = truthy(evaluator.template(step.get("continue-on-error", False)))
        minutes = _number(evaluator.template(step.get("timeout-minutes", 360)))
        timeout = max(0.0, min(minutes * 60, self.deadline - time.monotonic()))
        log: list[str] = []
        outputs: dict[str, str] = {}
        try:
            if "run" in step:
                ok = self.run_script(step, evaluator, env, timeout, log, outputs, index)
            else:
                ok = self.run_action(step, evaluator, env, log, outputs, name)
        except _StepFailed as error:
            log.append(f"##[error]{error}")
            ok = False
        outcome = "success" if ok else "failure"
        conclusion = "success" if ok or continue_on_error else "failure"
        if conclusion == "failure":
            self.status = "failure"
        result = StepResult(name, step_id, outcome, conclusion, self.mask("\n".join(log)), outputs)
        self.record(step_id, result)
        return result

    def record(self, step_id: str | None, result: StepResult) -> None:
        if step_id:
            self.steps[step_id] = Ctx(
                f"steps.{step_id}",
                {
                    "outputs": Ctx(f"steps.{step_id}.outputs", result.outputs, strict=False),
                    "outcome": result.outcome,
                    "conclusion": result.conclusion,
                },
            )

    def process_env(self, env: dict[str, str], action: str) -> dict[str, str]:
        process = {**self.run.base_env, **env}
        process.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_ACTION": action,
                "GITHUB_ACTOR": self.github["actor"],
                "GITHUB_ACTOR_ID": self.github["actor_id"],
                "GITHUB_API_URL": localgh.API_URL,
                "GITHUB_BASE_REF": self.run.base_ref,
                "GITHUB_EVENT_NAME": self.run.event_name,
                "GITHUB_EVENT_PATH": str(self.run.event_path),
                "GITHUB_GRAPHQL_URL": self.github["graphql_url"],
                "GITHUB_HEAD_REF": self.run.head_ref,
                "GITHUB_JOB": self.id,
                "GITHUB_REF": self.run.ref,
                "GITHUB_REF_NAME": self.github["ref_name"],
                "GITHUB_REF_PROTECTED": "false",
                "GITHUB_REF_TYPE": self.github["ref_type"],
                "GITHUB_REPOSITORY": self.run.gh.repository,
                "GITHUB_REPOSITORY_ID": self.github["repository_id"],
                "GITHUB_REPOSITORY_OWNER": self.run.gh.owner,
                "GITHUB_REPOSITORY_OWNER_ID": "1",
                "GITHUB_RETENTION_DAYS": "90",
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_RUN_ID": str(self.run.run_id),
                "GITHUB_RUN_NUMBER": str(self.run.run_number),
                "GITHUB_SERVER_URL": localgh.SERVER_URL,
                "GITHUB_SHA": self.run.sha,
                "GITHUB_TRIGGERING_ACTOR": self.github["triggering_actor"],
                "GITHUB_WORKFLOW": self.run.name,
                "GITHUB_WORKFLOW_REF": self.github["workflow_ref"],
                "GITHUB_WORKFLOW_SHA": self.run.sha,
                "GITHUB_WORKSPACE": str(self.workspace),
                "RUNNER_ARCH": "X64",
                "RUNNER_ENVIRONMENT": "github-hosted",
                "RUNNER_NAME": "local-runner",
                "RUNNER_OS": "Linux",
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_TOOL_CACHE": str(self.run.dir / "_tool"),
                **self.id_token_request,
            }
        )
        base_path = self.run.base_env.get("PATH", os.defpath)
        process["PATH"] = os.pathsep.join(
            [*self.path_additions, *self.run.extra_path, str(self.run.bin), base_path]
        )
        return process

    def run_script(self, step, evaluator, env, timeout, log, outputs, index) -> bool:
        shell = evaluator.text(step.get("shell") or self.defaults.get("shell") or "")
        directory = evaluator.text(step.get("working-directory") or "") or self.defaults.get(
            "working-directory", ""
        )
        cwd = self.workspace / directory if directory else self.workspace
        script = evaluator.text(step["run"])
        if not cwd.is_dir():
            raise _StepFailed(
                f"An error occurred trying to start process '/usr/bin/bash' with working "
                f"directory '{cwd}'. No such file or directory"
            )
        commands = self.temp / "_runner_file_commands"
        commands.mkdir(exist_ok=True)
        files = {
            name: commands / f"{name.lower()}_{uuid.uuid4()}"
            for name in (
                "GITHUB_OUTPUT",
                "GITHUB_ENV",
                "GITHUB_PATH",
                "GITHUB_STEP_SUMMARY",
                "GITHUB_STATE",
            )
        }
        for path in files.values():
            path.touch()
        process_env = self.process_env(env, step.get("id") or f"__run_{index}")
        process_env.update({name: str(path) for name, path in files.items()})
        script_file = self.temp / f"{uuid.uuid4()}.sh"
        script_file.write_text(script, encoding="utf-8")
        if shell == "bash":
            argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)]
        else:  # no shell: GitHub's default, without pipefail
            argv = ["bash", "-e", str(script_file)]
        log.append(f"[command]{' '.join(argv)}  (in {cwd})")
        # Output goes to a file, not a pipe: a background process a step leaves running
        # (a server for later steps) must not hold the step open. Such processes are
        # killed when the job ends, as GitHub cleans up orphan processes.
        output_file = self.temp / f"{script_file.stem}.log"
        with output_file.open("wb") as output:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=process_env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.process_groups.append(process.pid)
            try:
                process.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                timed_out = True
        log.append(output_file.read_text(encoding="utf-8", errors="replace"))
        if timed_out:
            log.append(f"##[error]The action has timed out after {timeout / 60:g} minutes.")
        elif process.returncode != 0:
            log.append(f"##[error]Process completed with exit code {process.returncode}.")
        self.read_file_commands(files, outputs)
        return not timed_out and process.returncode == 0

    def read_file_commands(self, files: dict[str, Path], outputs: dict[str, str]) -> None:
        outputs.update(_parse_file_command(files["GITHUB_OUTPUT"].read_text(), "GITHUB_OUTPUT"))
        self.env.update(_parse_file_command(files["GITHUB_ENV"].read_text(), "GITHUB_ENV"))
        for line in files["GITHUB_PATH"].read_text().splitlines():
            if line.strip():
                self.path_additions.insert(0, line.strip())
        self.summary.append(files["GITHUB_STEP_SUMMARY"].read_text())

    def run_action(self, step, evaluator, env, log, outputs, name) -> bool:
        action_name, action = _parse_uses(step["uses"], self.where)
        given = {key: evaluator.text(value) for key, value in (step.get("with") or {}).items()}
        if action is None:
            return self.run_composite(action_name, given, env, log, outputs)
        inputs = {key: self.default_input(default) for key, default in action.inputs.items()}
        inputs.update(given)
        call = _Call(
            job=self,
            name=name,
            inputs=inputs,
            env=self.process_env(env, step.get("id") or f"__{action_name.replace('/', '_')}"),
            log=log,
            outputs=outputs,
        )
        action.run(call)
        return True

    # local composite actions
    def load_action(self, path: str) -> tuple[Path, dict]:
        folder = (self.workspace / path).resolve()
        files = [folder / name for name in ("action.yml", "action.yaml")]
        found = [f for f in files if f.is_file()]
        if not found:
            raise _StepFailed(
                f"Can't find 'action.yml', 'action.yaml' or 'Dockerfile' under '{folder}'. "
                "Did you forget to run actions/checkout before running your local action?"
            )
        where = f"{path}/{found[0].name}"
        data = load_workflow(found[0])
        if not isinstance(data, dict) or set(data) - ACTION_KEYS:
            raise RunnerError(f"{where}: expected a mapping with keys {sorted(ACTION_KEYS)}")
        runs = data.get("runs")
        if not isinstance(runs, dict) or runs.get("using") != "composite":
            raise RunnerError(f"{where}: runs.using: only composite local actions are emulated")
        if set(runs) - {"using", "steps"} or not isinstance(runs.get("steps"), list):
            raise RunnerError(f"{where}: runs: expected using: composite and a list of steps")
        for section in ("inputs", "outputs"):
            declared = data.get(section) or {}
            if not isinstance(declared, dict) or not all(
                isinstance(v, dict) for v in declared.values()
            ):
                raise RunnerError(f"{where}: {section}: expected a mapping of mappings")
        _static(f"{where}: outputs", data.get("outputs"), COMPOSITE_CONTEXTS, step=True)
        ids: set[str] = set()
        for index, step in enumerate(runs["steps"]):
            at = f"{where}: runs.steps[{index}]"
            if not isinstance(step, dict) or set(step) - COMPOSITE_STEP_KEYS:
                raise RunnerError(f"{at}: expected a mapping with keys from {COMPOSITE_STEP_KEYS}")
            if "run" in step and "shell" not in step:
                raise RunnerError(f"{at}: shell is required for run steps of composite actions")
            _validate_step(step, at, ids)
            _static(f"{at}.if", step.get("if"), COMPOSITE_CONTEXTS, condition=True, step=True)
            rest = {k: v for k, v in step.items() if k not in ("if", "id", "uses")}
            _static(at, rest, COMPOSITE_CONTEXTS, step=True)
        return folder, data

    def run_composite(self, path, given, env, log, outputs) -> bool:
        """A local composite action: its inputs (defaults for those not given), its steps
        in order with their own ``steps`` context and status, outputs from ``value``.
        Environment files written by its steps act on the job, as on GitHub."""
        folder, data = self.load_action(path)
        declared = data.get("inputs") or {}
        unexpected = sorted(set(given) - set(declared))
        if unexpected:
            log.append(
                f"##[warning]Unexpected input(s) {', '.join(map(repr, unexpected))}, valid "
                f"inputs are {sorted(declared)}"
            )
        inputs = {key: to_str(spec.get("default", "")) for key, spec in declared.items()}
        inputs.update(given)
        steps = data["runs"]["steps"]
        ids = [step["id"] for step in steps if "id" in step]
        inner: dict[str, Any] = dict.fromkeys(ids)
        status = {"failed": False}
        github = {**self.github, "action_path": str(folder)}

        def contexts(step_env: dict[str, str]) -> dict[str, Any]:
            base = self.step_contexts(step_env)
            return {
                **{key: base[key] for key in ("env", "job", "runner")},
                "github": Ctx("github", github),
                "inputs": Ctx("inputs", inputs, strict=False),
                "steps": Ctx("steps", inner),
            }

        def step_status(name: str) -> bool:
            return {
                "success": not status["failed"],
                "failure": status["failed"],
                "always": True,
                "cancelled": False,
            }[name]

        for index, step in enumerate(steps):
            where = f"{path}: runs.steps[{index}]"
            first = Evaluator(where, contexts({**self.env, **env}), workspace=self.workspace)
            step_env = {**env, **{k: first.text(v) for k, v in (step.get("env") or {}).items()}}
            context = contexts({**self.env, **step_env})
            evaluator = Evaluator(where, context, workspace=self.workspace)
            condition = Evaluator(
                f"{where}.if", context, status=step_status, workspace=self.workspace
            )
            name = evaluator.text(step.get("name") or step.get("uses") or "run")
            result: dict[str, Any] = {"outputs": {}, "outcome": "skipped"}
            if condition.condition(step.get("if")):
                log.append(f"##[group]{path}: {name}")
                step_log: list[str] = []
                step_outputs: dict[str, str] = {}
                try:
                    if "run" in step:
                        ok = self.run_script(
                            step,
                            evaluator,
                            {**self.env, **step_env, "GITHUB_ACTION_PATH": str(folder)},
                            max(0.0, self.deadline - time.monotonic()),
                            step_log,
                            step_outputs,
                            index,
                        )
                    else:
                        ok = self.run_action(
                            step, evaluator, {**self.env, **step_env}, step_log, step_outputs, name
                        )
                except _StepFailed as error:
                    step_log.append(f"##[error]{error}")
                    ok = False
                log.extend(step_log)
                log.append("##[endgroup]")
                result = {"outputs": step_outputs, "outcome": "success" if ok else "failure"}
            conclusion = result["outcome"]
            if conclusion == "failure":
                if truthy(evaluator.template(step.get("continue-on-error", False))):
                    conclusion = "success"
                else:
                    status["failed"] = True
            if "id" in step:
                inner[step["id"]] = Ctx(
                    f"steps.{step['id']}",
                    {
                        "outputs": Ctx("outputs", result["outputs"], strict=False),
                        "outcome": result["outcome"],
                        "conclusion": conclusion,
                    },
                )
        values = Evaluator(f"{path}: outputs", contexts({**self.env, **env}))
        for key, spec in (data.get("outputs") or {}).items():
            outputs[key] = values.text(spec.get("value", ""))
        return not status["failed"]

    def id_token(self, audience: str) -> str:
        """An OIDC token with GitHub's claims for this job. Unsigned (a placeholder
        signature): the stand-ins that take it (moto's STS) do not verify signatures,
        while the cloud would check it against GitHub's published keys."""
        run, event = self.run, self.run.event_name
        environment = self.data.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        if environment:
            subject = f"environment:{environment}"
        elif event == "pull_request":
            subject = "pull_request"
        else:
            subject = f"ref:{run.ref}"
        now = int(time.time())
        claims = {
            "iss": "https://token.actions.githubusercontent.com",
            "aud": audience,
            "sub": f"repo:{run.gh.repository}:{subject}",
            "repository": run.gh.repository,
            "repository_owner": run.gh.owner,
            "ref": run.ref,
            "sha": run.sha,
            "event_name": event,
            "workflow": run.name,
            "job_workflow_ref": self.github["workflow_ref"],
            "run_id": str(run.run_id),
            "actor": self.github["actor"],
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        if environment:
            claims["environment"] = environment

        def part(value: dict) -> str:
            raw = json.dumps(value, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        token = f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'local'})}.{part(claims)}.local"
        self.masks.append(token)
        return token

    def default_input(self, default: str | None) -> str:
        return {
            "$token": self.token,
            "$repository": self.run.gh.repository,
            "$run_id": str(self.run.run_id),
        }.get(default or "", default or "")

    def post_step(self, name: str, action: Callable[[_Call], None]) -> StepResult:
        log: list[str] = []
        call = _Call(self, name, {}, self.process_env(self.env, "__post"), log, {})
        try:
            action(call)
            ok = True
        except _StepFailed as error:
            log.append(f"##[error]{error}")
            ok = False
            self.status = "failure"
        outcome = "success" if ok else "failure"
        return StepResult(name, None, outcome, outcome, self.mask("\n".join(log)))


# ------------------------------------------------------------------------- actions


def _checkout(call: _Call) -> None:
    job, gh = call.job, call.job.run.gh
    workspace = job.workspace.resolve()
    dest = (workspace / call.inputs["path"]).resolve() if call.inputs["path"] else workspace
    if not dest.is_relative_to(workspace):
        raise _StepFailed(f"Repository path '{dest}' is not under '{workspace}'")
    try:
        depth = int(call.inputs["fetch-depth"])
    except ValueError:
        raise _StepFailed(f"fetch-depth: {call.inputs['fetch-depth']!r} is not a number") from None
    persist, fetch_tags = call.boolean("persist-credentials"), call.boolean("fetch-tags")
    clean = call.boolean("clean")
    call.boolean("show-progress")
    call.boolean("set-safe-directory")
    ref = call.inputs["ref"]
    if ref:
        ref, sha = _resolve_checkout_ref(gh, ref)
    else:
        ref, sha = job.run.ref, job.run.sha
    if ref.startswith("refs/heads/"):
        target = f"refs/remotes/origin/{ref.removeprefix('refs/heads/')}"
    elif ref.startswith("refs/pull/"):
        target = f"refs/remotes/pull/{ref.removeprefix('refs/pull/')}"
    else:
        target = ref  # refs/tags/... or a bare SHA
    dest.mkdir(parents=True, exist_ok=True)
    if not clean and (dest / ".git").exists():
        call.say("note (local runner): clean: false is not emulated; the directory is emptied")
    for child in dest.iterdir():
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    call.git("init", "--quiet", str(dest), cwd=dest)
    call.git("remote", "add", "origin", str(gh.origin), cwd=dest)
    call.git("config", "--local", "gc.auto", "0", cwd=dest)
    if persist:
        basic = base64.b64encode(f"x-access-token:{call.inputs['token']}".encode()).decode()
        call.git(
            "config",
            "--local",
            "http.https://github.com/.extraheader",
            f"AUTHORIZATION: basic {basic}",
            cwd=dest,
        )
    fetch = ["-c", "protocol.version=2", "fetch", "--prune", "--no-recurse-submodules"]
    refspec = f"+{sha}:{target}" if target != sha else sha
    if depth <= 0:
        call.git(
            *fetch,
            "origin",
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/tags/*:refs/tags/*",
            cwd=dest,
        )
        # like actions/checkout: fetch the event's commit unless the ref already has it
        if _rev(dest / ".git", target) != sha:
            call.git(*fetch, "origin", refspec, cwd=dest)
    else:
        tags = ["+refs/tags/*:refs/tags/*"] if fetch_tags else []
        no_tags = [] if fetch_tags else ["--no-tags"]
        call.git(*fetch, *no_tags, f"--depth={depth}", "origin", refspec, *tags, cwd=dest)
    if ref.startswith("refs/heads/"):
        branch = ref.removeprefix("refs/heads/")
        call.git("checkout", "--progress", "--force", "-B", branch, target, cwd=dest)
    else:
        call.git("checkout", "--progress", "--force", target, cwd=dest)
    head = call.git("rev-parse", "HEAD", cwd=dest)
    if head != sha:
        raise _StepFailed(f"checked out {head}, expected {sha}")
    call.outputs.update(ref=ref if ref != sha else "", commit=sha)


def _resolve_checkout_ref(gh: GitHub, ref: str) -> tuple[str, str]:
    if re.fullmatch(r"[0-9a-f]{40}", ref):
        if _rev(gh.origin, ref) is None:
            raise _StepFailed(f"commit {ref} not found in the repository")
        return ref, ref
    candidates = [ref] if ref.startswith("refs/") else [f"refs/heads/{ref}", f"refs/tags/{ref}"]
    for candidate in candidates:
        sha = _rev(gh.origin, candidate)
        if sha:
            return candidate, sha
    raise _StepFailed(f"A branch or tag with the name '{ref}' could not be found")


def _setup_python(call: _Call) -> None:
    workspace, inputs = call.job.workspace, call.inputs
    for key in ("check-latest", "allow-prereleases", "update-environment"):
        call.boolean(key)
    version = inputs["python-version"]
    if version and inputs["python-version-file"]:
        call.say(
            "##[warning]Both python-version and python-version-file inputs are specified, "
            "only python-version will be used."
        )
    elif not version:
        version_file = inputs["python-version-file"] or ".python-version"
        path = workspace / version_file
        if not path.is_file():
            if inputs["python-version-file"]:
                raise _StepFailed(f"The specified python version file at: {path} doesn't exist.")
            call.say("python-version input is not specified: the Python on PATH is used")
        elif path.name == "pyproject.toml":
            project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
            version = project.get("requires-python", "")
            call.say(f"Resolved {version_file} as {version}")
        else:
            lines = [
                line.strip()
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.strip().startswith("#")
            ]
            version = lines[0] if lines else ""
            call.say(f"Resolved {version_file} as {version}")
    found = subprocess.run(
        [
            "python3",
            "-c",
            "import platform, sys; print(platform.python_version()); print(sys.executable)",
        ],
        env=call.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise _StepFailed(f"no python3 on PATH: {found.stderr.strip()}")
    actual, executable = found.stdout.split("\n")[:2]
    if version and actual.split(".")[: len(version.split("."))] != version.split("."):
        call.say(
            f"note (local runner): {version} requested, the python3 on PATH is {actual}; "
            "setup-python installs nothing here"
        )
    call.say(f"Successfully set up CPython ({actual}) from {executable}")
    cache = inputs["cache"]
    if cache:
        defaults = {
            "pip": "**/requirements.txt",
            "pipenv": "**/Pipfile.lock",
            "poetry": "**/poetry.lock",
        }
        if cache not in defaults:
            raise _StepFailed(f"Caching for '{cache}' is not supported")
        patterns = _lines(inputs["cache-dependency-path"]) or [defaults[cache]]
        if not match_files(workspace, patterns):
            raise _StepFailed(
                f"No file in {workspace} matched to [{','.join(patterns)}], make sure you "
                "have checked out the target repository"
            )
        call.say(f"note (local runner): the {cache} cache is not emulated (cache-hit false)")
        call.outputs["cache-hit"] = "false"
    call.outputs.update({"python-version": actual, "python-path": executable})
    call.job.env["pythonLocation"] = str(Path(executable).parent.parent)


def _cache_version(paths: list[str], cross_os: bool) -> str:
    return hashlib.sha256(json.dumps([paths, "zstd", cross_os]).encode()).hexdigest()[:16]


def _cache_entries(gh: GitHub, scope: str, version: str) -> list[dict]:
    entries = []
    for meta in (gh.root / "cache" / quote(scope, safe="")).glob(f"*/{version}/entry.json"):
        entry = json.loads(meta.read_text(encoding="utf-8"))
        entries.append({**entry, "dir": meta.parent})
    return entries


def _cache(call: _Call) -> None:
    job, gh, inputs = call.job, call.job.run.gh, call.inputs
    paths, key, restore_keys = (
        _lines(inputs["path"]),
        inputs["key"],
        _lines(inputs["restore-keys"]),
    )
    for required in ("path", "key"):
        if not inputs[required].strip():
            raise _StepFailed(f"Input required and not supplied: {required}")
    for candidate in [key, *restore_keys]:
        if len(candidate) > 512 or "," in candidate:
            raise _StepFailed(
                f"Key Validation Error: {candidate} cannot be larger than 512 characters "
                "nor contain commas."
            )
    cross_os, fail_on_miss = (
        call.boolean("enableCrossOsArchive"),
        call.boolean("fail-on-cache-miss"),
    )
    lookup_only, save_always = call.boolean("lookup-only"), call.boolean("save-always")
    version = _cache_version(paths, cross_os)
    hit = None
    for scope in job.run.cache_scopes:
        entries = _cache_entries(gh, scope, version)
        exact = [e for e in entries if e["key"] == key]
        if exact:
            hit = exact[0]
            break
        for prefix in [key, *restore_keys]:
            matching = [e for e in entries if e["key"].startswith(prefix)]
            if matching:
                hit = max(matching, key=lambda e: e["created"])
                break
        if hit:
            break
    exact_hit = hit is not None and hit["key"] == key
    if hit is None:
        if fail_on_miss:
            raise _StepFailed(
                "Failed to restore cache entry. Exiting as fail-on-cache-miss is set. "
                f"Input key: {key}"
            )
        call.say(f"Cache not found for input keys: {', '.join([key, *restore_keys])}")
    else:
        call.outputs["cache-hit"] = "true" if exact_hit else "false"
        if lookup_only:
            call.say(f"Cache found and can be restored from key: {hit['key']}")
        else:
            _copy_tree(hit["dir"] / "data" / "workspace", job.workspace)
            _copy_tree(hit["dir"] / "data" / "absolute", Path("/"))
            call.say(f"Cache restored from key: {hit['key']} (scope {hit['scope']})")
    if exact_hit or lookup_only:
        return
    scope = job.run.ref

    def save(post: _Call) -> None:
        files = match_files(job.workspace, paths)
        if not files:
            post.say(
                "##[warning]Path Validation Error: Path(s) specified in the action for "
                "caching do(es) not exist, hence no cache is being saved."
            )
            return
        entry = gh.root / "cache" / quote(scope, safe="") / quote(key, safe="") / version
        if entry.exists():
            post.say(
                f"##[warning]Failed to save: Unable to reserve cache with key {key}, "
                "another job may be creating this cache."
            )
            return
        staging = entry.with_name(f".{version}.{uuid.uuid4().hex}")
        workspace = job.workspace.resolve()
        for file in files:
            absolute = Path(os.path.normpath(file.absolute()))
            if absolute.is_relative_to(workspace):
                target = staging / "data" / "workspace" / absolute.relative_to(workspace)
            else:
                target = staging / "data" / "absolute" / absolute.relative_to("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target, follow_symlinks=False)
        meta = {
            "key": key,
            "version": version,
            "scope": scope,
            "paths": paths,
            "created": time.time_ns(),
            "run_id": job.run.run_id,
        }
        (staging / "entry.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        staging.rename(entry)
        post.say(f"Cache saved with key: {key} (scope {scope}, {len(files)} files)")

    job.post.append((f"Post {call.name}", save_always, save))


def _copy_tree(source: Path, dest: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, dest, symlinks=True, dirs_exist_ok=True)


_ARTIFACT_NAME_FORBIDDEN = set('"<>|*?\r\n\\/:')


def _upload_artifact(call: _Call) -> None:
    job, inputs = call.job, call.inputs
    name = inputs["name"] or "artifact"
    if set(name) & _ARTIFACT_NAME_FORBIDDEN:
        raise _StepFailed(f"The artifact name is not valid: {name}")
    patterns = _lines(inputs["path"])
    if not patterns:
        raise _StepFailed("Input required and not supplied: path")
    if_none = inputs["if-no-files-found"]
    if if_none not in ("warn", "error", "ignore"):
        raise _StepFailed(f"Unrecognized if-no-files-found input. Provided: {if_none}.")
    if inputs["retention-days"] and not 1 <= int(inputs["retention-days"]) <= 90:
        raise _StepFailed("retention-days must be between 1 and 90")
    if not 0 <= int(inputs["compression-level"] or 6) <= 9:
        raise _StepFailed("Invalid compression-level. Valid values are 0-9.")
    overwrite, hidden = call.boolean("overwrite"), call.boolean("include-hidden-files")
    workspace = job.workspace
    files = [f for f in match_files(workspace, patterns, hidden=hidden) if f.is_file()]
    if not files:
        message = f"No files were found with the provided path: {', '.join(patterns)}."
        if if_none == "error":
            raise _StepFailed(f"{message} No artifacts will be uploaded.")
        if if_none == "warn":
            call.say(f"##[warning]{message} No artifacts will be uploaded.")
        return
    roots = [search_root(workspace, p) for p in patterns if not p.startswith("!")]
    if len(files) == 1 and roots[0] == files[0]:
        root = files[0].parent
    else:
        root = Path(os.path.commonpath(roots)) if len(roots) > 1 else roots[0]
    directory = job.run.gh.root / "artifacts" / str(job.run.run_id)
    dest, meta = directory / name, directory / f"{name}.json"
    if dest.exists():
        if not overwrite:
            raise _StepFailed(
                "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) "
                "Conflict: an artifact with this name already exists on the workflow run"
            )
        shutil.rmtree(dest)
    for file in files:
        target = dest / file.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
    artifact_id = int(hashlib.sha256(f"{job.run.run_id}/{name}".encode()).hexdigest()[:8], 16)
    meta.write_text(
        json.dumps(
            {
                "id": artifact_id,
                "name": name,
                "run_id": job.run.run_id,
                "files": len(files),
                "retention_days": int(inputs["retention-days"] or 90),
            }
        ),
        encoding="utf-8",
    )
    call.say(f"Uploaded {len(files)} file(s) from {root} as artifact {name!r}")
    call.outputs.update(
        {
            "artifact-id": str(artifact_id),
            "artifact-url": f"{localgh.SERVER_URL}/{job.run.gh.repository}/actions/runs/"
            f"{job.run.run_id}/artifacts/{artifact_id}",
        }
    )


def _download_artifact(call: _Call) -> None:
    job, gh, inputs = call.job, call.job.run.gh, call.inputs
    token, run_id = inputs["github-token"], job.run.run_id
    if inputs["repository"] != gh.repository:
        raise _StepFailed(
            f"repository {inputs['repository']}: the local runner has only {gh.repository}"
        )
    if token:
        if localgh.token_scopes(token) is None:
            raise _StepFailed("Unable to download artifact(s): Bad credentials")
        if not localgh.allows(token, "actions", "read"):
            raise _StepFailed(
                "Unable to download artifact(s): Resource not accessible by integration "
                "(the token lacks actions: read)"
            )
        run_id = int(inputs["run-id"])
    elif inputs["run-id"] != str(run_id):
        call.say(
            f"note: run-id {inputs['run-id']} is ignored without github-token "
            "(as in download-artifact); looking in this run"
        )
    workspace = job.workspace
    dest = workspace / Path(inputs["path"]).expanduser() if inputs["path"] else workspace
    directory = gh.root / "artifacts" / str(run_id)
    available = (
        sorted(p.name for p in directory.iterdir() if p.is_dir()) if directory.is_dir() else []
    )
    if inputs["name"]:
        if inputs["name"] not in available:
            raise _StepFailed(
                f"Unable to download artifact(s): Artifact not found for name: {inputs['name']}"
                "\n        Please ensure that your artifact is not expired and the artifact was "
                "uploaded using a compatible version of toolkit/upload-artifact."
            )
        _copy_tree(directory / inputs["name"], dest)
        call.say(f"Artifact {inputs['name']!r} of run {run_id} downloaded to {dest}")
    else:
        pattern = glob_regex(inputs["pattern"]) if inputs["pattern"] else None
        chosen = [n for n in available if pattern is None or pattern.match(n)]
        merge = call.boolean("merge-multiple")
        for name in chosen:
            _copy_tree(directory / name, dest if merge else dest / name)
        call.say(f"{len(chosen)} artifact(s) of run {run_id} downloaded to {dest}")
    call.outputs["download-path"] = str(dest)


def _cml_version(version: str, where: str) -> None:
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version):
        raise RunnerError(
            f"{where}: iterative/setup-cml version {version!r}: pin an exact version like 0.20.6"
        )


def _setup_cml(call: _Call) -> None:
    version = call.inputs["version"]
    _cml_version(version, call.job.where)
    if not call.boolean("vega"):
        call.say("vega-lite CLI tools not requested")
    else:
        call.say("note (local runner): the vega-lite CLI tools are not provided")
    directory = call.job.run.dir / "cml-bin"
    _shim(directory, "cml")
    call.job.path_additions.insert(0, str(directory))
    call.say(f"cml {version} (local stand-in {STANDINS / 'cml.py'}) on PATH")


# OpenID Connect logins. Each, like the real action, needs the job's id-token: write
# (the runner then sets ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, as GitHub does) and fails
# without it; the token is minted by _Job.id_token.


def _oidc_request(call: _Call) -> bool:
    names = ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL")
    return all(call.env.get(name) for name in names)


def _export(call: _Call, name: str, value: str, secret: bool = False) -> None:
    """core.exportVariable (GITHUB_ENV) and, for a secret, core.setSecret."""
    call.job.env[name] = value
    if secret:
        call.job.masks.append(value)


def _configure_aws_credentials(call: _Call) -> None:
    """aws-actions/configure-aws-credentials: OIDC (role-to-assume, no keys) really calls
    STS AssumeRoleWithWebIdentity with boto3, at AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL
    when set (moto's server in tests), else AWS; or static keys. Exports the region and
    credentials to later steps and masks them."""
    import boto3
    import botocore
    import botocore.config
    import botocore.exceptions

    inputs = call.inputs
    region, role = inputs["aws-region"], inputs["role-to-assume"]
    key_id, secret = inputs["aws-access-key-id"], inputs["aws-secret-access-key"]
    if not region:
        raise _StepFailed("Input required and not supplied: aws-region")
    if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", region):
        raise _StepFailed(f"Region is not valid: {region}")
    session_name = inputs["role-session-name"]
    if not 2 <= len(session_name) <= 64 or not re.fullmatch(r"[\w+=,.@-]*", session_name):
        raise _StepFailed(f"Role session name is not valid: '{session_name}'")
    oidc = _oidc_request(call)
    if role and not key_id and not oidc:
        call.say(
            "It looks like you might be trying to authenticate with OIDC. Did you mean to set "
            "the `id-token` permission? If you are not trying to authenticate with OIDC and "
            "the action is working successfully, you can ignore this message."
        )
    _export(call, "AWS_DEFAULT_REGION", region)
    _export(call, "AWS_REGION", region)
    endpoint = (
        inputs["sts-endpoint"]
        or call.env.get("AWS_ENDPOINT_URL_STS")
        or call.env.get("AWS_ENDPOINT_URL")
        or None
    )

    def sts(**options: Any):
        return boto3.client("sts", region_name=region, endpoint_url=endpoint, **options)

    try:
        if role and not key_id and oidc:
            token = call.job.id_token(inputs["audience"])
            unsigned = botocore.config.Config(signature_version=botocore.UNSIGNED)
            answer = sts(config=unsigned).assume_role_with_web_identity(
                RoleArn=role,
                RoleSessionName=session_name,
                WebIdentityToken=token,
                DurationSeconds=int(inputs["role-duration-seconds"]),
            )
            found = answer["Credentials"]
            assumed = answer["AssumedRoleUser"]["AssumedRoleId"]
            call.say(f"Authenticated as assumedRoleId {assumed}")
            credentials = {
                "aws_access_key_id": found["AccessKeyId"],
                "aws_secret_access_key": found["SecretAccessKey"],
                "aws_session_token": found["SessionToken"],
            }
        elif key_id and not role:
            if not secret:
                raise _StepFailed(
                    "'aws-secret-access-key' must be provided if 'aws-access-key-id' is provided"
                )
            credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
            if inputs["aws-session-token"]:
                credentials["aws_session_token"] = inputs["aws-session-token"]
            call.say("Proceeding with IAM user credentials")
        elif key_id and role:
            raise RunnerError(
                f"{call.job.where}: configure-aws-credentials: role assumption with access keys "
                "is not emulated"
            )
        else:  # ambient credentials: none on this runner
            raise _StepFailed(
                "Credentials could not be loaded, please check your action inputs: Could not "
                "load credentials from any providers"
            )
        identity = sts(**credentials).get_caller_identity()
    except botocore.exceptions.BotoCoreError as error:
        raise _StepFailed(str(error)) from None
    except botocore.exceptions.ClientError as error:
        raise _StepFailed(str(error)) from None
    _export(call, "AWS_ACCESS_KEY_ID", credentials["aws_access_key_id"], secret=True)
    _export(call, "AWS_SECRET_ACCESS_KEY", credentials["aws_secret_access_key"], secret=True)
    _export(call, "AWS_SESSION_TOKEN", credentials.get("aws_session_token", ""), secret=True)
    call.outputs.update(
        {"aws-account-id": identity["Account"], "authenticated-arn": identity["Arn"]}
    )


def _google_auth(call: _Call) -> None:
    """google-github-actions/auth with workload identity federation: checks the inputs and
    the job's id-token permission, writes the credentials file the real action writes
    (gha-creds-*.json in the workspace, an external_account configuration that reads the
    job's OIDC token) and exports the same variables; removed by the post step. It does
    not exchange the token with Google (no network): a wrong provider fails only there."""
    inputs, job = call.inputs, call.job
    provider, account = inputs["workload_identity_provider"], inputs["service_account"]

    def fail(message: str) -> _StepFailed:
        return _StepFailed(f"google-github-actions/auth failed with: {message}")

    if not provider:
        raise fail(
            'The GitHub Action workflow must specify exactly one of "workload_identity_provider" '
            'or "credentials_json"! If you are specifying input values via GitHub secrets, '
            "ensure the secret is being injected into the environment. By default, secrets "
            "are not passed to workflows triggered from forks, including Dependabot."
        )
    if not re.fullmatch(
        r"projects/\d+/locations/global/workloadIdentityPools/[^/]+/providers/[^/]+", provider
    ):
        raise fail(f'invalid workload_identity_provider "{provider}"')
    if not _oidc_request(call):
        raise fail(
            "GitHub Actions did not inject $ACTIONS_ID_TOKEN_REQUEST_TOKEN or "
            "$ACTIONS_ID_TOKEN_REQUEST_URL into this job. This most likely means the GitHub "
            "Actions workflow permissions are incorrect, or this job is being run from a fork."
        )
    audience = inputs["audience"] or f"https://iam.googleapis.com/{provider}"
    call.job.id_token(audience)  # what getIDToken() would return
    project = inputs["project_id"] or (
        account.split("@", 1)[1].split(".", 1)[0] if "@" in account else ""
    )
    if call.boolean("create_credentials_file"):
        path = job.workspace / f"gha-creds-{uuid.uuid4().hex[:16]}.json"
        source = {
            "url": f"{call.env['ACTIONS_ID_TOKEN_REQUEST_URL']}&audience={quote(audience)}",
            "headers": {"Authorization": f"Bearer {call.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"},
            "format": {"type": "json", "subject_token_field_name": "value"},
        }
        config = {
            "type": "external_account",
            "audience": f"//iam.googleapis.com/{provider}",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "https://sts.googleapis.com/v1/token",
            "credential_source": source,
        }
        if account:
            config["service_account_impersonation_url"] = (
                "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
                f"{account}:generateAccessToken"
            )
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        call.say(f'Created credentials file at "{path}"')
        call.outputs["credentials_file_path"] = str(path)
        if call.boolean("export_environment_variables"):
            for name in (
                "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
                "GOOGLE_APPLICATION_CREDENTIALS",
                "GOOGLE_GHA_CREDS_PATH",
            ):
                _export(call, name, str(path))
        if call.boolean("cleanup_credentials"):

            def cleanup(post: _Call) -> None:
                path.unlink(missing_ok=True)
                post.say(f"Removed exported credentials at {path}")

            job.post.append((f"Post {call.name}", True, cleanup))
    if project:
        call.outputs["project_id"] = project
        if call.boolean("export_environment_variables"):
            for name in (
                "CLOUDSDK_CORE_PROJECT",
                "CLOUDSDK_PROJECT",
                "GCLOUD_PROJECT",
                "GCP_PROJECT",
                "GOOGLE_CLOUD_PROJECT",
            ):
                _export(call, name, project)
    call.say("note (local runner): no token exchange with Google's STS (no network)")


def _azure_login(call: _Call) -> None:
    """azure/login with OpenID Connect (client-id, tenant-id, subscription-id): checks the
    inputs and the job's id-token permission like the real action, then only says what
    it would do. The real one logs the Azure CLI in (files under ~/.azure, nothing in
    GITHUB_ENV); that state is not emulated, so nothing is written."""
    inputs = call.inputs
    if inputs["auth-type"].upper() != "SERVICE_PRINCIPAL":
        raise RunnerError(f"{call.job.where}: azure/login auth-type {inputs['auth-type']!r}")
    allow_no_subscription = call.boolean("allow-no-subscriptions")
    missing = [
        key
        for key in ("client-id", "tenant-id", "subscription-id")
        if not inputs[key] and not (key == "subscription-id" and allow_no_subscription)
    ]
    if missing:
        raise _StepFailed(
            "Login failed with Error: Using auth-type: SERVICE_PRINCIPAL. Not all values are "
            f"present. Ensure 'client-id' and 'tenant-id' are supplied. (missing: {missing})"
        )
    if not _oidc_request(call):
        raise _StepFailed(
            "Failed to fetch federated token from GitHub. Please make sure to give write "
            "permissions to id-token in the workflow."
        )
    call.job.id_token(inputs["audience"])
    call.say(
        "Federated token details: issuer https://token.actions.githubusercontent.com, "
        f"subject claim repo:{call.job.run.gh.repository}:..."
    )
    call.say("note (local runner): `az login --federated-token` is not run; ~/.azure untouched")


ACTIONS: dict[str, _Action] = {
    "actions/checkout": _Action(
        inputs={
            "ref": "", "token": "$token", "persist-credentials": "true", "path": "",
            "clean": "true", "fetch-depth": "1", "fetch-tags": "false",
            "show-progress": "true", "set-safe-directory": "true",
        },
        not_emulated=frozenset({
            "repository", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "filter",
            "sparse-checkout", "sparse-checkout-cone-mode", "lfs", "submodules",
            "github-server-url",
        }),
        run=_checkout,
    ),
    "actions/setup-python": _Action(
        inputs={
            "python-version": "", "python-version-file": "", "cache": "",
            "cache-dependency-path": "", "check-latest": "false", "allow-prereleases": "false",
            "token": "$token", "update-environment": "true",
        },
        not_emulated=frozenset({"architecture", "freethreaded", "pip-version", "pip-install"}),
        run=_setup_python,
    ),
    "actions/cache": _Action(
        inputs={
            "path": "", "key": "", "restore-keys": "", "enableCrossOsArchive": "false",
            "fail-on-cache-miss": "false", "lookup-only": "false", "save-always": "false",
        },
        not_emulated=frozenset({"upload-chunk-size"}),
        run=_cache,
    ),
    "actions/upload-artifact": _Action(
        inputs={
            "name": "artifact", "path": "", "if-no-files-found": "warn", "retention-days": "",
            "compression-level": "6", "overwrite": "false", "include-hidden-files": "false",
        },
        not_emulated=frozenset(),
        run=_upload_artifact,
    ),
    "actions/download-artifact": _Action(
        inputs={
            "name": "", "path": "", "pattern": "", "merge-multiple": "false",
            "github-token": "", "repository": "$repository", "run-id": "$run_id",
        },
        not_emulated=frozenset({"artifact-ids"}),
        run=_download_artifact,
    ),
    "iterative/setup-cml": _Action(
        inputs={"version": "latest", "vega": "true"}, not_emulated=frozenset(), run=_setup_cml
    ),
    "aws-actions/configure-aws-credentials": _Action(
        inputs={
            "aws-region": "", "role-to-assume": "", "aws-access-key-id": "",
            "aws-secret-access-key": "", "aws-session-token": "", "audience": "sts.amazonaws.com",
            "role-session-name": "GitHubActions", "role-duration-seconds": "3600",
            "sts-endpoint": "",
        },
        not_emulated=frozenset({
            "aws-profile", "overwrite-aws-profile", "web-identity-token-file", "role-chaining",
            "http-proxy", "no-proxy", "mask-aws-account-id", "role-external-id",
            "role-skip-session-tagging", "transitive-tag-keys", "inline-session-policy",
            "managed-session-policies", "output-credentials", "output-env-credentials",
            "unset-current-credentials", "disable-retry", "retry-max-attempts",
            "special-characters-workaround", "use-existing-credentials", "allowed-account-ids",
            "force-skip-oidc", "action-timeout-s", "custom-tags",
        }),
        run=_configure_aws_credentials,
    ),
    "google-github-actions/auth": _Action(
        inputs={
            "workload_identity_provider": "", "service_account": "", "project_id": "",
            "audience": "", "create_credentials_file": "true",
            "export_environment_variables": "true", "cleanup_credentials": "true",
        },
        not_emulated=frozenset({
            "credentials_json", "token_format", "delegates", "universe", "request_reason",
            "access_token_lifetime", "access_token_scopes", "access_token_subject",
            "id_token_audience", "id_token_include_email",
        }),
        run=_google_auth,
    ),
    "azure/login": _Action(
        inputs={
            "client-id": "", "tenant-id": "", "subscription-id": "",
            "allow-no-subscriptions": "false", "audience": "api://AzureADTokenExchange",
            "auth-type": "SERVICE_PRINCIPAL", "environment": "azurecloud",
            "enable-AzPSSession": "false",
        },
        not_emulated=frozenset({"creds"}),
        run=_azure_login,
    ),
}  # fmt: skip


def run_workflow(
    gh: GitHub,
    workflow: Path,
    event_name: str,
    payload: dict,
    *,
    secrets: dict[str, str] | None = None,
    vars: dict | None = None,
    inputs: dict | None = None,
    env: dict[str, str] | None = None,
    path: list[Path] | None = None,
    workdir: Path | None = None,
) -> Run:
    """Run ``workflow``'s jobs for one event. A failing step is a "failure" result;
    anything the runner does not know raises RunnerError."""
    return _Run(
        gh,
        Path(workflow).resolve(),
        event_name,
        payload,
        secrets=secrets,
        vars=vars,
        inputs=inputs,
        env=env,
        path=path,
        workdir=workdir,
    ).run()
