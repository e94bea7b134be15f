"""The auditor's search and access-log forms, read into the filters of the one service layer.

A search is a `services.case_list.CaseFilter` (a case number, or the list's own filters); an
access-log view is the arguments of `services.access_log.access_entries`. A bad field gives the
field's name and the reason, and the page answers 422 with nothing run.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar

from models.enums import CaseStatus, CaseType, Urgency
from models.errors import BadDataError
from models.intake import CASE_NO_PATTERN
from models.timestamps import BEIJING
from services.case_list import CaseFilter

MAX_TEXT = 64
USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEPARTMENT_ID = re.compile(r"^[a-z0-9-]{1,64}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CASE_NO = re.compile(CASE_NO_PATTERN)
EnumT = TypeVar("EnumT", bound=StrEnum)


class FormError(BadDataError, ValueError):
    """Fields of a form that cannot be read: field name -> reason, in Chinese."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in errors.items()))
        self.errors = errors


@dataclass
class _Reader:
    form: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        value = self.form.get(name, "").strip()
        if not value:
            return None
        if len(value) > MAX_TEXT or CONTROL.search(value):
            self.errors[name] = f"最多 {MAX_TEXT} 个字符，不含控制字符"
            return None
        return value

    def code(self, name: str, enum: type[EnumT]) -> tuple[EnumT, ...]:
        value = self.text(name)
        if value is None:
            return ()
        try:
            return (enum(value),)
        except ValueError:
            self.errors[name] = "不是可选的值"
            return ()

    def pattern(self, name: str, pattern: re.Pattern[str], why: str) -> str | None:
        value = self.text(name)
        if value is not None and not pattern.fullmatch(value):
            self.errors[name] = why
            return None
        return value

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.errors[name] = "日期格式应为 2026-12-01"
            return None

    def done(self) -> None:
        if self.errors:
            raise FormError(self.errors)


def case_search(form: dict[str, str]) -> CaseFilter:
    """The search form as a filter: `q` is a case number, or text in the title."""
    read = _Reader(form)
    q = read.text("q")
    level = read.text("level")
    overdue = read.text("overdue")
    wanted = CaseFilter(
        status=read.code("status", CaseStatus),
        case_type=read.code("case_type", CaseType),
        urgency=read.code("urgency", Urgency),
        department=read.pattern("department", DEPARTMENT_ID, "不是单位编号"),
        district=read.text("district"),
        overdue={"true": True, "false": False}.get(overdue or ""),
        min_escalation_level=int(level) if level in ("1", "2", "3") else None,
        title_contains=None if q is None or CASE_NO.fullmatch(q) else q,
        case_no=q if q is not None and CASE_NO.fullmatch(q) else None,
    )
    if overdue not in (None, "true", "false"):
        read.errors["overdue"] = "不是可选的值"
    if level not in (None, "1", "2", "3"):
        read.errors["level"] = "应为 1 至 3"
    read.done()
    return wanted


@dataclass(frozen=True)
class LogQuery:
    """What an access-log page asks `access_entries` for."""

    user_id: str | None = None
    case_no: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: tuple[datetime, int] | None = None


def log_query(form: dict[str, str], case_no: str | None = None) -> LogQuery:
    """The access-log form: user, case (the global log), Beijing days from/to (inclusive)."""
    read = _Reader(form)
    user_id = read.pattern("user", USER_ID, "不是用户编号")
    if case_no is None:
        case_no = read.pattern("case_no", CASE_NO, "案件编号如 GY20261128-000123")
    first, last = read.day("from"), read.day("to")
    if first and last and last < first:
        read.errors["to"] = "截止日期早于起始日期"
    before = None
    raw = read.text("cursor")
    if raw is not None:
        before = _cursor(raw)
        if before is None:
            read.errors["cursor"] = "不是本页给出的翻页位置"
    read.done()
    return LogQuery(
        user_id=user_id,
        case_no=case_no,
        since=_midnight(first) if first else None,
        until=_midnight(last + timedelta(days=1)) if last else None,
        before=before,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BEIJING)


def log_cursor(at: datetime, entry_id: int) -> str:
    """The cursor of the page after the entry (`at`, `entry_id`)."""
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{entry_id}".encode()).decode()


def _cursor(raw: str) -> tuple[datetime, int] | None:
    try:
        at, entry_id = base64.urlsafe_b64decode(raw.encode()).decode().split("|")
        moment = datetime.fromisoformat(at)
        if moment.utcoffset() is None:
            return None
        return moment, int(entry_id)
    except (ValueError, UnicodeDecodeError):
        return None
