"""Spreadsheet cells safe to open: text that a spreadsheet would run as a formula is neutralised.

A CSV or XLSX cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return is
read by Excel and its kin as a formula (OWASP "CSV injection"); free text such as a district or
an article's content can begin that way. `guard_cell` puts a `'` before such text, which makes
the spreadsheet show it as text. Only text is guarded: numbers stay numbers.

The guard is reversible, so an export can be imported again unchanged: text that already begins
with `'` followed by a trigger or another `'` gets one more `'`, and `unguard_cell` removes
exactly one `'` where `guard_cell` put it. A cell that merely begins with `'` and a letter is
left alone both ways.
"""

from __future__ import annotations

from typing import TypeVar

TRIGGERS: frozenset[str] = frozenset({"=", "+", "-", "@", "\t", "\r"})
QUOTE = "'"
_AFTER_QUOTE: frozenset[str] = TRIGGERS | {QUOTE}

T = TypeVar("T")


def guard_cell(value: T) -> T | str:
    """`value` as a cell: text that would start a formula behind a `'`; anything else as is."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in TRIGGERS or (value[0] == QUOTE and value[1:2] in _AFTER_QUOTE):
        return QUOTE + value
    return value


def unguard_cell(text: str) -> str:
    """The text `guard_cell` was given, from what it made of it."""
    if text[:1] == QUOTE and text[1:2] in _AFTER_QUOTE:
        return text[1:]
    return text
