"""The Markdown pieces every report shares (pull request, model card, drift, retraining),
so that they agree: how a number, a missing value, a name and a table look.

A name or value that comes from data (a column, a category, a class, a path) is
rendered with ``code`` and only with it: whatever it holds, it shows as written and does
nothing (no heading, link, image, HTML, @mention or broken table).
"""

import math
import re
from collections.abc import Iterable, Sequence

MISSING = "—"  # a value that does not exist, in every report


def number(value: float | None, digits: int = 4) -> str:
    """``value`` with ``digits`` decimals; MISSING for None or NaN."""
    if value is None or math.isnan(value):
        return MISSING
    return f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 4) -> str:
    """A difference, with its sign; MISSING for None or NaN."""
    if value is None or math.isnan(value):
        return MISSING
    return f"{value:+.{digits}f}"


def percent(share: float, digits: int = 1) -> str:
    return f"{share * 100:.{digits}f}%"


def p_value(value: float | None) -> str:
    if value is None or math.isnan(value):
        return MISSING
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


def code(text: object) -> str:
    """``text`` as inline code on one line, inert whatever it holds: inside a code span
    Markdown, HTML, links, images and @mentions are plain text (GitHub links no mention
    there); the fence is longer than any run of backticks in ``text``; line breaks become
    spaces, so it cannot start a block (a heading, a list) or end a table row. In a table,
    ``table`` escapes its pipes."""
    text = LINE_BREAKS.sub(" ", str(text))
    if not text:
        return "` `"
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each side when both have one: pad to keep them
    padding = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def codes(items: Iterable[object]) -> str:
    return ", ".join(code(item) for item in items)


def cell(text: object) -> str:
    """Text that stays inside one table cell: its pipes escaped (GitHub reads ``\\|`` as
    a pipe even inside code spans, and a backslash before it stays as written), its line
    breaks spaces."""
    return LINE_BREAKS.sub(" ", str(text)).replace("|", "\\|")


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    """A table's lines, each cell through ``cell``. ``align`` has one letter per column:
    l(eft) or r(ight)."""
    marks = [("---:" if align[i : i + 1] == "r" else "---") for i in range(len(header))]
    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return lines


def cut(items: list[str], limit: int) -> list[str]:
    """At most ``limit`` list items, then how many more there are."""
    if len(items) <= limit:
        return items
    return [*items[:limit], f"- … and {len(items) - limit} more"]
