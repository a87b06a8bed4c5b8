"""The Markdown pieces every report shares (pull request, model card, drift, retraining),
so that they agree: how a number, a missing value, a name and a table look."""

import math
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


def code(text: object) -> str:
    """``text`` as inline code, whatever backticks it holds."""
    text = str(text)
    fence = "``" if "`" in text else "`"
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def codes(items: Iterable[object]) -> str:
    return ", ".join(code(item) for item in items)


def cell(text: object) -> str:
    """Text that stays inside one table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    """A table's lines. ``align`` has one letter per column: l(eft) or r(ight)."""
    marks = [("---:" if align[i : i + 1] == "r" else "---") for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def cut(items: list[str], limit: int) -> list[str]:
    """At most ``limit`` list items, then how many more there are."""
    if len(items) <= limit:
        return items
    return [*items[:limit], f"- … and {len(items) - limit} more"]
