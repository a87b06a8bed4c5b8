"""GitHub's expression language, ``${{ }}``: its grammar, values and functions, and the
contexts available at each place of a workflow (checked before anything runs)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import ExprError, RunnerError
from .globs import hash_files

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


def tokenize(text: str) -> list[tuple[str, Any, int]]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ExprError(f"unexpected character {text[position]!r} at position {position}")
        kind, value = match.lastgroup, match.group()
        if kind == "str":
            tokens.append(("lit", value[1:-1].replace("''", "'"), position))
        elif kind == "num":
            literal = int(value, 16) if "x" in value.lower() else float(value)
            if isinstance(literal, float) and literal.is_integer():
                literal = int(literal)
            tokens.append(("lit", literal, position))
        elif kind != "ws":
            tokens.append((kind, value, position))
        position = match.end()
    tokens.append(("end", None, len(text)))
    return tokens


class _Parser:
    """Recursive descent over GitHub's grammar, lowest precedence first:
    ``||``, ``&&``, ``== !=``, ``< <= > >=``, ``!``, then ``. [] ()``."""

    def __init__(self, text: str):
        self.text, self.tokens, self.index = text, tokenize(text), 0

    def parse(self) -> tuple:
        if self.tokens[0][0] == "end":
            raise ExprError("empty expression")
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
        raise ExprError(f"unexpected {what} at position {position}")

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
                    raise ExprError("the .* object filter is not emulated")
                if kind != "ident":
                    self.index -= 1
                    self.unexpected()
                node = ("prop", node, value)
            elif self.accept("punct", "["):
                if self.peek() == ("punct", "*", self.peek()[2]):
                    raise ExprError("the [*] object filter is not emulated")
                index = self.binary(0)
                if not self.accept("punct", "]"):
                    self.unexpected()
                node = ("index", node, index)
            else:
                return node


def walk(node: tuple) -> Iterable[tuple]:
    yield node
    if node[0] == "call":
        for arg in node[2]:
            yield from walk(arg)
    elif node[0] in ("prop", "!"):
        yield from walk(node[1])
    elif node[0] != "lit" and node[0] != "ctx":
        for child in node[1:]:
            if isinstance(child, tuple):
                yield from walk(child)


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
            raise ExprError(f"{self.name}.{key} does not exist (known: {known})")
        return None


def plain(value: Any) -> Any:
    if isinstance(value, Ctx):
        return {key: plain(item) for key, item in value.data.items()}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def number(value: Any) -> float:
    kind = type_of(value)
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
    kind = type_of(value)
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
    kind = type_of(value)
    if kind == "number":
        return value != 0 and not math.isnan(value)
    if kind in ("array", "object"):
        return True
    return bool(value)


def loose_equal(left: Any, right: Any) -> bool:
    """GitHub's ``==``: same kinds compare (strings ignoring case, objects by identity);
    primitive kinds that differ are compared as numbers."""
    left_kind, right_kind = type_of(left), type_of(right)
    if left_kind == right_kind:
        if left_kind == "string":
            return left.casefold() == right.casefold()
        if left_kind in ("array", "object"):
            return left is right
        return left == right
    if "array" in (left_kind, right_kind) or "object" in (left_kind, right_kind):
        return False
    return number(left) == number(right)


def compare(operator: str, left: Any, right: Any) -> bool:
    if type_of(left) == type_of(right) == "string":
        left, right = left.casefold(), right.casefold()
    else:
        left, right = number(left), number(right)
        if math.isnan(left) or math.isnan(right):
            return False
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[operator]


def format_string(fmt: str, args: list[Any]) -> str:
    out, index = [], 0
    while index < len(fmt):
        char = fmt[index]
        if fmt.startswith("{{", index) or fmt.startswith("}}", index):
            out.append(char)
            index += 2
        elif char == "{":
            end = fmt.find("}", index)
            placeholder = fmt[index + 1 : end] if end > 0 else ""
            if not placeholder.isdigit() or int(placeholder) >= len(args):
                raise ExprError(f"format: invalid placeholder in {fmt!r}")
            out.append(to_str(args[int(placeholder)]))
            index = end + 1
        elif char == "}":
            raise ExprError(f"format: unmatched '}}' in {fmt!r}")
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
            raise ExprError(f"unterminated ${{{{ in {text!r}")
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
        for item in walk(node):
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
        except ExprError as error:
            raise self._fail(str(error), text) from None
        self.check(node, text)
        return node

    def expression(self, text: str) -> Any:
        node = self.parse(text)
        try:
            return self._eval(node)
        except ExprError as error:
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
        except ExprError as error:
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
        except ExprError as error:
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
        if not any(n[0] == "call" and n[1].lower() in STATUS_FUNCTIONS for n in walk(node)):
            node = ("&&", ("call", "success", []), node)
        return node

    def condition(self, value: Any) -> bool:
        node = self.condition_node(value)
        try:
            return truthy(self._eval(node))
        except ExprError as error:
            raise self._fail(str(error), to_str(value)) from None

    # evaluation
    def _eval(self, node: tuple) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "ctx":
            return self.contexts[node[1]]
        if kind == "prop":
            return member(self._eval(node[1]), node[2])
        if kind == "index":
            target, key = self._eval(node[1]), self._eval(node[2])
            if isinstance(target, list):
                position = number(key)
                ok = not math.isnan(position) and position.is_integer()
                return target[int(position)] if ok and 0 <= position < len(target) else None
            return member(target, to_str(key))
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
            return compare(kind, self._eval(node[1]), self._eval(node[2]))
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
            return format_string(to_str(args[0]), args[1:])
        if name == "join":
            separator = to_str(args[1]) if len(args) > 1 else ","
            if isinstance(args[0], list):
                return separator.join(to_str(item) for item in args[0])
            return to_str(args[0]) if type_of(args[0]) not in ("object",) else ""
        if name == "tojson":
            return json.dumps(plain(args[0]), indent=2)
        if name == "fromjson":
            try:
                return json.loads(to_str(args[0]))
            except json.JSONDecodeError as error:
                raise ExprError(f"fromJSON: invalid JSON {to_str(args[0])!r}: {error}") from None
        return hash_files(self.workspace, [to_str(arg) for arg in args])


def member(target: Any, key: str) -> Any:
    if isinstance(target, Ctx):
        return target.get(key)
    if isinstance(target, dict):
        if key in target:
            return target[key]
        for name, value in target.items():
            if name.lower() == key.lower():
                return value
    return None
