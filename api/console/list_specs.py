"""The console's lists: each list section's filter, permission and order, and the pages
that show them (one table, so the pages, their fragments, exports and saved filters agree)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.enums import CaseStatus
from rules.permissions import Action
from services.case_list import CaseFilter, ListOrder

NEAR_DUE = timedelta(days=1)
OPEN = tuple(status for status in CaseStatus if status is not CaseStatus.CLOSED)


@dataclass(frozen=True)
class ListSpec:
    key: str
    title: str
    action: Action
    wanted: Callable[[datetime], CaseFilter]
    order: ListOrder = ListOrder.DEADLINE
    summarised: bool = False  # the board: counts by department and level


LISTS: dict[str, ListSpec] = {
    spec.key: spec
    for spec in (
        ListSpec(
            "received",
            "待派单",
            Action.DISPATCH,
            lambda _: CaseFilter(status=(CaseStatus.RECEIVED,)),
        ),
        ListSpec(
            "return-review",
            "退单待审核",
            Action.REVIEW_RETURN,
            lambda _: CaseFilter(status=(CaseStatus.RETURN_REVIEW,)),
            ListOrder.NEWEST,
        ),
        ListSpec(
            "replied",
            "答复待审核",
            Action.REVIEW_REPLY,
            lambda _: CaseFilter(status=(CaseStatus.REPLIED,)),
            ListOrder.NEWEST,
        ),
        ListSpec(
            "inbox",
            "待签收与办理中（按最近时限）",
            Action.SIGN_OFF,
            lambda _: CaseFilter(status=(CaseStatus.DISPATCHED, CaseStatus.HANDLING)),
        ),
        ListSpec(
            "callbacks",
            "待回访",
            Action.RECORD_CALLBACK,
            lambda _: CaseFilter(status=(CaseStatus.CALLBACK,)),
            ListOrder.NEWEST,
        ),
        ListSpec(
            "overdue",
            "已超期",
            Action.ESCALATE,
            lambda _: CaseFilter(status=OPEN, overdue=True),
            summarised=True,
        ),
        ListSpec(
            "near-due",
            "临近时限（24 小时内）",
            Action.ESCALATE,
            lambda at: CaseFilter(
                status=OPEN, overdue=False, due_after=at, due_before=at + NEAR_DUE
            ),
            summarised=True,
        ),
        ListSpec("search", "查询结果", Action.LIST_CASES, lambda _: CaseFilter(), ListOrder.NEWEST),
    )
}

PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "queue": ("派单与审核", ("received", "return-review", "replied")),
    "inbox": ("本单位待办", ("inbox",)),
    "callbacks": ("回访", ("callbacks",)),
    "board": ("督办看板", ("overdue", "near-due")),
    "search": ("案件查询", ("search",)),
}


def page_of(key: str) -> str:
    """The list page a list section is on."""
    return next(name for name, (_, keys) in PAGES.items() if key in keys)
