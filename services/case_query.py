"""The CLI's `--query` text, read as a filter of the one case list (`services.case_list`).

The text keeps the syntax of a Temporal visibility query over the case's search attributes, so
`"Overdue=true AND LeadDepartment='gy-market'"` lists the same cases from the SQL projection:
conditions joined by AND, each `Name op value`, or `Name IN ('a', 'b')` for the codes.

    CaseStatus, CaseType, Urgency     = or IN
    LeadDepartment, District          =
    WorkflowId                        = 'case-<case number>'
    Overdue                           = true | false
    EscalationLevel                   = > >= < <= (a number)
    NextDeadline                      = > >= < <= (an ISO 8601 datetime with its UTC offset)

Anything else is refused with `CaseQueryError("invalid query: <why>")`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from models.enums import CaseStatus, CaseType, Urgency
from models.timestamps import offset_datetime, offset_refusal
from services.case_list import CaseFilter
from services.cases import CaseQueryError
from workflows.case import workflow_id

EnumT = TypeVar("EnumT", bound=StrEnum)
Value = str | int | bool
# Timestamps are kept to the microsecond, so `> t` is `>= t + 1 µs` and `<= t` is `< t + 1 µs`.
TICK = timedelta(microseconds=1)

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<number>-?\d+)"""
    r"""|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>>=|<=|!=|=|>|<|\(|\)|,))"""
)
_COMPARISONS = ("=", ">", ">=", "<", "<=")


def case_filter(query: str | None) -> CaseFilter:
    """The filter a `--query` text asks for; no text (or blank) lists every case."""
    wanted = CaseFilter()
    if query is None or not query.strip():
        return wanted
    tokens = _tokens(query)
    seen: set[str] = set()
    position = 0
    while True:
        name, op, values, position = _condition(tokens, position)
        apply = _ATTRIBUTES.get(name)
        if apply is None:
            raise _invalid(f"unknown attribute {name!r} (one of {', '.join(_ATTRIBUTES)})")
        if name in _ONCE and name in seen:
            raise _invalid(f"{name} appears twice (use {name} IN (...))")
        seen.add(name)
        wanted = apply(wanted, op, values)
        if position == len(tokens):
            return wanted
        if tokens[position] != ("name", "AND"):
            raise _invalid("conditions are joined by AND (no OR, NOT or parentheses)")
        position += 1


# ---- reading the text ---------------------------------------------------------------------------

Token = tuple[str, str]


def _tokens(query: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = query.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _invalid(f"cannot read {text[position:]!r}")
        kind = match.lastgroup or ""
        value = match[kind]
        tokens.append(
            (kind, value.upper() if kind == "name" and value.upper() in _WORDS else value)
        )
        position = match.end()
    return tokens


_WORDS = {"AND", "OR", "NOT", "IN", "TRUE", "FALSE"}


def _condition(tokens: list[Token], position: int) -> tuple[str, str, list[Value], int]:
    """One `Name op value` or `Name IN (v, ...)` from `position`: name, op, values, next."""

    def at(index: int) -> Token:
        return tokens[index] if index < len(tokens) else ("end", "")

    kind, name = at(position)
    if kind != "name" or name in _WORDS:
        raise _invalid("expected an attribute name such as CaseStatus")
    kind, op = at(position + 1)
    if (kind, op) == ("name", "IN"):
        if at(position + 2) != ("op", "("):
            raise _invalid(f"{name} IN takes a list: {name} IN ('a', 'b')")
        values: list[Value] = []
        index = position + 3
        while True:
            values.append(_value(name, at(index)))
            if at(index + 1) == ("op", ")"):
                return name, "IN", values, index + 2
            if at(index + 1) != ("op", ","):
                raise _invalid(f"{name} IN takes a list: {name} IN ('a', 'b')")
            index += 2
    if kind != "op" or op not in _COMPARISONS:
        raise _invalid(f"{name}: expected one of {' '.join(_COMPARISONS)} or IN")
    return name, op, [_value(name, at(position + 2))], position + 3


def _value(name: str, token: Token) -> Value:
    kind, text = token
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if kind == "number":
        return int(text)
    if (kind, text) in (("name", "TRUE"), ("name", "FALSE")):
        return text == "TRUE"
    raise _invalid(f"{name}: expected a value ('text', a number, true or false)")


def _invalid(why: str) -> CaseQueryError:
    return CaseQueryError(f"invalid query: {why}")


# ---- what each attribute filters ----------------------------------------------------------------

Apply = Callable[[CaseFilter, str, list[Value]], CaseFilter]


def _text(name: str, op: str, values: list[Value]) -> str:
    if op != "=" or not isinstance(values[0], str):
        raise _invalid(f"{name} takes = 'text'")
    return values[0]


def _codes(enum: type[EnumT], name: str, op: str, values: list[Value]) -> tuple[EnumT, ...]:
    if op not in ("=", "IN"):
        raise _invalid(f"{name} takes = or IN")
    members = []
    for value in values:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            members.append(enum(value))
        except ValueError:
            known = ", ".join(member.value for member in enum)
            raise _invalid(f"{name}: {value!r} is not one of {known}") from None
    return tuple(members)


def _codes_of(enum: type[StrEnum], field: str, name: str) -> Apply:
    def apply(wanted: CaseFilter, op: str, values: list[Value]) -> CaseFilter:
        changes: dict[str, Any] = {field: _codes(enum, name, op, values)}
        return replace(wanted, **changes)

    return apply


def _lead(wanted: CaseFilter, op: str, values: list[Value]) -> CaseFilter:
    return replace(wanted, lead_department=_text("LeadDepartment", op, values))


def _district(wanted: CaseFilter, op: str, values: list[Value]) -> CaseFilter:
    return replace(wanted, district=_text("District", op, values))


def _workflow_id(wanted: CaseFilter, op: str, values: list[Value]) -> CaseFilter:
    value = _text("WorkflowId", op, values)
    prefix = workflow_id("")
    if not value.startswith(prefix):
        raise _invalid(f"WorkflowId: a case's workflow id is {prefix}<case number>")
    return replace(wanted, case_no=value.removeprefix(prefix))


def _overdue(wanted: CaseFilter, op: str, values: list[Value]) -> CaseFilter:
    if op != "=" or not isinstance(values[0], bool):
        raise _invalid("Overdue takes = true or = false")
    return replace(wanted, overdue=values[0])


def _level(wanted: CaseFilter, op: str, values: list[Value]) -> CaseFilter:
    value = values[0]
    if op == "IN" or isinstance(value, bool) or not isinstance(value, int):
        raise _invalid("EscalationLevel takes = > >= < <= and a number")
    low = {"=": value, ">": value + 1, ">=": value}.get(op)
    high = {"=": value, "<": value - 1, "<=": value}.get(op)
    if low is not None and (
        wanted.min_escalation_level is None or low > wanted.min_escalation_level
    ):
        wanted = replace(wanted, min_escalation_level=low)
    if high is not None and (
        wanted.max_escalation_level is None or high < wanted.max_escalation_level
    ):
        wanted = replace(wanted, max_escalation_level=high)
    return wanted


def _deadline(wanted: CaseFilter, op: str, values: list[Value]) -> CaseFilter:
    value = values[0]
    if op == "IN" or not isinstance(value, str):
        raise _invalid("NextDeadline takes = > >= < <= and 'an ISO 8601 datetime'")
    try:
        at = offset_datetime(value.strip())
    except ValueError as err:
        why = offset_refusal(err) or "not an ISO 8601 datetime"
        raise _invalid(f"NextDeadline: {why}") from None
    after = {"=": at, ">": at + TICK, ">=": at}.get(op)
    before = {"=": at + TICK, "<": at, "<=": at + TICK}.get(op)
    if after is not None and (wanted.due_after is None or after > wanted.due_after):
        wanted = replace(wanted, due_after=after)
    if before is not None and (wanted.due_before is None or before < wanted.due_before):
        wanted = replace(wanted, due_before=before)
    return wanted


def _faulted(_wanted: CaseFilter, _op: str, _values: list[Value]) -> CaseFilter:
    raise _invalid("Faulted is not kept in the case list: `hotline case faults` lists them")


_ATTRIBUTES: dict[str, Apply] = {
    "CaseStatus": _codes_of(CaseStatus, "status", "CaseStatus"),
    "CaseType": _codes_of(CaseType, "case_type", "CaseType"),
    "Urgency": _codes_of(Urgency, "urgency", "Urgency"),
    "LeadDepartment": _lead,
    "District": _district,
    "EscalationLevel": _level,
    "Overdue": _overdue,
    "NextDeadline": _deadline,
    "WorkflowId": _workflow_id,
    "Faulted": _faulted,
}
# The attributes of one value: a second condition on one of them is refused, not intersected.
_ONCE = {"CaseStatus", "CaseType", "Urgency", "LeadDepartment", "District", "Overdue", "WorkflowId"}
