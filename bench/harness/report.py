"""Printing a benchmark's figures: JSON or a text table, then its one-line summary."""

from __future__ import annotations

import json
import unicodedata
from typing import Any, Protocol


class Figures(Protocol):
    def figures(self) -> dict[str, Any]: ...
    def table(self) -> str: ...


def print_report(report: Figures, as_json: bool, last_line: str) -> None:
    """The figures (`--json`: as JSON), then the line a script can read the result from."""
    if as_json:
        print(json.dumps(report.figures(), ensure_ascii=False, indent=2))
    else:
        print(report.table())
    print(last_line, flush=True)


def cell(value: Any, fmt: str = "{}") -> str:
    """A table cell: `value` formatted, `-` for none."""
    return "-" if value is None else fmt.format(value)


def columns(value: str) -> int:
    """Terminal columns of `value`: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)


def left(value: str, width: int) -> str:
    """`value` padded to `width` terminal columns."""
    return value + " " * max(0, width - columns(value))
