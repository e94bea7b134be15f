"""A list page's filters and sort, read from its URL query string (they are not personal data).

Every list page of the console (queue, inbox, callbacks, board, search) takes the same
parameters; a bad one is a 422 page naming the field. `ListQuery.encoded` writes them back
(for the next page's link, the polled fragment and a saved filter); `narrowed` joins them
with what a list section asks for itself, as one `services.case_list.CaseFilter`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode

from models.enums import CaseStatus, ClockStage
from models.errors import BadDataError
from models.timestamps import BEIJING
from services.case_list import CaseFilter, ListOrder

TEXT = re.compile(r"^[^\x00-\x1f\x7f<>]*$")
DEPARTMENT = re.compile(r"^[a-z0-9-]{1,64}$")
MAX_TEXT = 64
MAX_CATEGORY = 255
LEVELS = (0, 1, 2, 3)
PAGE_SIZES = (10, 20, 50, 100)
CURSOR_PREFIX = "after_"
MAX_CURSOR = 200
ChoiceT = TypeVar("ChoiceT", bound=StrEnum)
FIELD_NAMES = {
    "status": "状态",
    "category": "分类",
    "district": "区县",
    "department": "承办单位",
    "stage": "时限状态",
    "overdue": "是否超期",
    "level": "督办级别",
    "received_from": "受理日期起",
    "received_to": "受理日期止",
    "q": "标题包含",
    "sort": "排序",
    "per": "每页件数",
    "cursor": "翻页位置",
}


class ListQueryError(BadDataError, ValueError):
    """A filter the list cannot take: `field` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{FIELD_NAMES.get(field, field)}：{message}")
        self.field = field


@dataclass(frozen=True)
class ListQuery:
    """The filters a person chose for a list page; None: not filtered on that."""

    status: CaseStatus | None = None
    category: str | None = None
    district: str | None = None
    department: str | None = None
    stage: ClockStage | None = None
    overdue: bool | None = None
    level: int | None = None
    received_from: date | None = None
    received_to: date | None = None
    q: str | None = None
    sort: ListOrder | None = None
    per: int | None = None  # page size, one of PAGE_SIZES

    def encoded(self) -> str:
        """The query string of these filters (empty when none is set)."""
        return urlencode(self.pairs())

    def pairs(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            if isinstance(value, bool):
                text = "yes" if value else "no"
            elif isinstance(value, date):
                text = value.isoformat()
            else:
                text = str(getattr(value, "value", value))
            pairs.append((field.name, text))
        return pairs

    @property
    def filtered(self) -> bool:
        return any(name not in ("sort", "per") for name, _ in self.pairs())

    def narrowed(self, base: CaseFilter) -> CaseFilter:
        """`base` (what a list section shows) with these filters joined to it."""
        status = base.status
        nothing = base.nothing
        if self.status is not None:
            nothing = nothing or (bool(status) and self.status not in status)
            status = (self.status,)
        overdue = base.overdue
        if self.overdue is not None:
            nothing = nothing or (overdue is not None and overdue is not self.overdue)
            overdue = self.overdue
        after = _beijing_midnight(self.received_from) if self.received_from else None
        before = (
            _beijing_midnight(self.received_to + timedelta(days=1)) if self.received_to else None
        )
        return dataclasses.replace(
            base,
            status=status,
            overdue=overdue,
            category=self.category or base.category,
            district=self.district or base.district,
            department=self.department or base.department,
            stage=self.stage or base.stage,
            min_escalation_level=base.min_escalation_level if self.level is None else self.level,
            max_escalation_level=base.max_escalation_level if self.level is None else self.level,
            received_after=after or base.received_after,
            received_before=before or base.received_before,
            title_contains=self.q or base.title_contains,
            nothing=nothing,
        )


def _beijing_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=BEIJING)


def _text(params: Mapping[str, str], name: str, longest: int = MAX_TEXT) -> str | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    if len(value) > longest:
        raise ListQueryError(name, f"最多 {longest} 个字")
    if not TEXT.match(value):
        raise ListQueryError(name, "含有不能使用的字符")
    return value


def _choice(params: Mapping[str, str], name: str, kind: type[ChoiceT]) -> ChoiceT | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError as err:
        raise ListQueryError(name, f"没有“{value[:20]}”这个选项") from err


def _day(params: Mapping[str, str], name: str) -> date | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise ListQueryError(name, "请写成 2026-12-01 这样的日期") from err


def parse_query(params: Mapping[str, str]) -> ListQuery:
    """The filters of a query string; ListQueryError names the first bad one."""
    overdue_text = params.get("overdue", "").strip()
    if overdue_text not in ("", "yes", "no"):
        raise ListQueryError("overdue", "只能是“是”或“否”")
    level_text = params.get("level", "").strip()
    if level_text and level_text not in {str(level) for level in LEVELS}:
        raise ListQueryError("level", "只能是 0 到 3 级")
    per_text = params.get("per", "").strip()
    if per_text and per_text not in {str(size) for size in PAGE_SIZES}:
        raise ListQueryError("per", "只能是 " + "、".join(map(str, PAGE_SIZES)))
    department = _text(params, "department")
    if department is not None and not DEPARTMENT.match(department):
        raise ListQueryError("department", "不是单位编码")
    found = ListQuery(
        status=_choice(params, "status", CaseStatus),
        category=_text(params, "category", MAX_CATEGORY),
        district=_text(params, "district"),
        department=department,
        stage=_choice(params, "stage", ClockStage),
        overdue=None if not overdue_text else overdue_text == "yes",
        level=int(level_text) if level_text else None,
        received_from=_day(params, "received_from"),
        received_to=_day(params, "received_to"),
        q=_text(params, "q"),
        sort=_choice(params, "sort", ListOrder),
        per=int(per_text) if per_text else None,
    )
    if found.received_from and found.received_to and found.received_from > found.received_to:
        raise ListQueryError("received_to", "不能早于起始日期")
    return found


def cursor_of(params: Mapping[str, str], key: str) -> str | None:
    """The page cursor of one list section (`after_<section>`), if the link carries one."""
    value = params.get(CURSOR_PREFIX + key, "").strip()
    if not value:
        return None
    if len(value) > MAX_CURSOR or not re.fullmatch(r"[A-Za-z0-9_=-]+", value):
        raise ListQueryError("cursor", "不是本列表给出的翻页位置")
    return value
