"""Builders of hand-computed evaluation data: cases recorded through the store, transition by
transition (so the facts hook runs as in production), departments and knowledge articles.

`november(sessions)` records the month the indicator and ranking tests compute by hand; the
comments there give each case's part in the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Self

from sqlalchemy import insert

from activities.notifications import NotificationRenderer
from activities.store import record_transition
from db.engine import SessionFactory
from db.knowledge_tables import ArticleRow, ArticleVersionRow
from db.tables import DepartmentRow
from models.records import CaseProjection, Transition, TransitionRecord
from tests.builders import received_projection
from workers.composition import transition_hooks

BEIJING = timezone(timedelta(hours=8))
RENDERER = NotificationRenderer()

DEPARTMENTS = (
    ("water", "水务局", "functional"),
    ("housing", "住建局", "functional"),
    ("market", "市场监管局", "functional"),
    ("yunyan-gov", "云岩区人民政府", "district_government"),
    ("power", "供电局", "enterprise"),
)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A Beijing time in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


def seed_departments(sessions: SessionFactory) -> None:
    with sessions.begin() as session:
        session.execute(
            insert(DepartmentRow),
            [
                dict(id=id_, name=name, kind=kind, district=None, liaison=None, active=True)
                for id_, name, kind in DEPARTMENTS
            ],
        )


@dataclass
class CaseBuilder:
    """One case, recorded step by step through `record_transition`."""

    sessions: SessionFactory
    number: int
    case_type: str = "complaint"
    channel: str = "phone"
    district: str = "云岩区"
    projection: CaseProjection | None = None
    records: list[TransitionRecord] = field(default_factory=list)

    @property
    def case_no(self) -> str:
        return f"GY20261101-{self.number:06d}"

    def step(
        self,
        action: str,
        when: datetime,
        to_status: str,
        detail: dict[str, Any] | None = None,
        **changes: Any,
    ) -> Self:
        seq = len(self.records) + 1
        base = self.projection or self._first(when)
        self.projection = base.model_copy(
            update={"version": seq, "status": to_status, "updated_at": when, **changes}
        )
        from_status = self.records[-1].transition.to_status if self.records else None
        record = TransitionRecord(
            projection=self.projection,
            transition=Transition(
                case_no=self.case_no,
                seq=seq,
                at=when,
                action=action,
                actor="tester",
                from_status=from_status,
                to_status=to_status,
                detail=detail or {},
            ),
        )
        record_transition(self.sessions, record, RENDERER, hooks=transition_hooks())
        self.records.append(record)
        return self

    # ---- the steps of the workflow, as it records them ----

    def intake(self, when: datetime, closes: str | None = None) -> Self:
        outcome = closes or "dispatch"
        if closes is None:
            return self.step("intake", when, "received", {"outcome": outcome})
        return self.close("intake", when, closes, {"outcome": outcome})

    def dispatch(self, when: datetime, department: str) -> Self:
        return self.step(
            "dispatch",
            when,
            "dispatched",
            {"lead_department": department, "assisting_departments": []},
            lead_department=department,
            dispatched_at=when,
            signed_at=None,
        )

    def sign_off(self, when: datetime) -> Self:
        department = self._lead()
        return self.step("sign_off", when, "handling", {"department": department}, signed_at=when)

    def overdue(self, when: datetime, step: str) -> Self:
        status = self._status()
        return self.step("deadline_overdue", when, status, {"step": step, "owner": self._lead()})

    def return_(self, when: datetime) -> Self:
        return self.step("return", when, "return_review", {"department": self._lead()})

    def return_rejected(self, when: datetime, back_to: str = "dispatched") -> Self:
        return self.step("return_rejected", when, back_to, {"department": self._lead()})

    def return_approved(self, when: datetime) -> Self:
        return self.step(
            "return_approved",
            when,
            "received",
            {"department": self._lead()},
            lead_department=None,
            dispatched_at=None,
            signed_at=None,
        )

    def extension_requested(self, when: datetime) -> Self:
        detail = {"department": self._lead(), "working_days": 5}
        return self.step("extension_requested", when, self._status(), detail)

    def extension_decided(self, when: datetime, approved: bool) -> Self:
        detail: dict[str, Any] = {"department": self._lead(), "approved": approved}
        if approved:
            detail["working_days"] = 5
        return self.step("extension_decided", when, self._status(), detail)

    def reply(self, when: datetime, on_time: bool = True) -> Self:
        detail = {"department": self._lead(), "result": "resolved", "on_time": on_time}
        return self.step("reply", when, "replied", detail, replied_at=when)

    def approve(self, when: datetime, callback: bool = True) -> Self:
        if callback:
            return self.step("reply_approved", when, "callback", {})
        return self.close("reply_approved", when, "no_callback_required", {})

    def callback(
        self,
        when: datetime,
        satisfaction: str | None,
        resolved: bool | None = None,
        closes: str | None = None,
        reopen: bool = False,
    ) -> Self:
        attempts = self._projection().callback_attempts + 1
        detail: dict[str, Any] = {"reached": satisfaction is not None, "attempt": attempts}
        changes: dict[str, Any] = {"callback_attempts": attempts}
        if satisfaction is not None:
            detail |= {"resolved": resolved, "satisfaction": satisfaction}
            changes |= {"satisfaction": satisfaction, "resolved": resolved}
        if reopen:
            rounds = self._projection().reopen_rounds + 1
            return self.step(
                "reopen",
                when,
                "handling",
                detail | {"round": rounds},
                reopen_rounds=rounds,
                **changes,
            )
        if closes is not None:
            return self.close("callback", when, closes, detail, **changes)
        return self.step("callback", when, "callback", detail, **changes)

    def close(
        self, action: str, when: datetime, reason: str, detail: dict[str, Any], **changes: Any
    ) -> Self:
        return self.step(
            action,
            when,
            "closed",
            detail | {"closure_reason": reason},
            closure_reason=reason,
            closed_at=when,
            next_deadline=None,
            overdue=False,
            **changes,
        )

    # ---- private ----

    def _projection(self) -> CaseProjection:
        assert self.projection is not None
        return self.projection

    def _lead(self) -> str:
        lead = self._projection().lead_department
        assert lead is not None
        return lead

    def _status(self) -> str:
        return self._projection().status

    def _first(self, when: datetime) -> CaseProjection:
        return received_projection(
            self.case_no,
            when,
            channel=self.channel,
            case_type=self.case_type,
            category="城乡建设/供水",
            district=self.district,
        )


def case(sessions: SessionFactory, number: int, case_type: str, channel: str, district: str):
    return CaseBuilder(sessions, number, case_type=case_type, channel=channel, district=district)


def november(sessions: SessionFactory) -> dict[str, CaseBuilder]:
    """The cases of the hand-computed month 2026-11 (letters as in the tests' comments)."""
    seed_departments(sessions)
    c: dict[str, CaseBuilder] = {}
    # A-D: closed at intake (A direct answer, B three-way call; C, D not valid requests).
    c["A"] = case(sessions, 1, "consultation", "phone", "云岩区").intake(
        at(11, 2, 9), "direct_answer"
    )
    c["B"] = case(sessions, 2, "help", "web", "南明区").intake(at(11, 2, 10), "three_way_call")
    c["C"] = case(sessions, 3, "other", "phone", "云岩区").intake(at(11, 2, 11), "not_accepted")
    c["D"] = case(sessions, 4, "help", "phone", "南明区").intake(at(11, 3, 9), "emergency_handoff")
    # E: merged at intake.
    c["E"] = (
        case(sessions, 5, "complaint", "phone", "云岩区")
        .intake(at(11, 3, 10))
        .close("intake_merge", at(11, 3, 10, 5), "merged", {"master_case_no": "x"})
    )
    # F: still open at water.
    c["F"] = (
        case(sessions, 6, "complaint", "app", "云岩区")
        .intake(at(11, 3, 11))
        .dispatch(at(11, 3, 11, 10), "water")
    )
    # G: water, all on time, very satisfied, resolved.
    c["G"] = (
        case(sessions, 7, "complaint", "phone", "云岩区")
        .intake(at(11, 4, 9))
        .dispatch(at(11, 4, 9, 30), "water")
        .sign_off(at(11, 4, 14))
        .reply(at(11, 6, 10))
        .approve(at(11, 6, 15))
        .callback(at(11, 9, 10), "very_satisfied", True, closes="resolved")
    )
    # H: water, signed late; handling overdue at the original due, then an approved extension
    # and a reply on time against the extended due; reopened once; basically satisfied.
    c["H"] = (
        case(sessions, 8, "help", "web", "南明区")
        .intake(at(11, 4, 10))
        .dispatch(at(11, 4, 10, 30), "water")
        .overdue(at(11, 5, 18), "sign_off")
        .sign_off(at(11, 6, 9))
        .extension_requested(at(11, 10, 9))
        .extension_decided(at(11, 10, 15), approved=False)
        .extension_requested(at(11, 11, 9))
        .overdue(at(11, 11, 18), "handling")
        .extension_decided(at(11, 12, 10), approved=True)
        .reply(at(11, 16, 10), on_time=True)
        .approve(at(11, 16, 15))
        .callback(at(11, 17, 10), "dissatisfied", False, reopen=True)
        .reply(at(11, 20, 10), on_time=True)
        .approve(at(11, 20, 15))
        .callback(at(11, 23, 10), "basically_satisfied", True, closes="resolved")
    )
    # I: water, a rejected return, a late reply, reopened, then three unreached callbacks.
    c["I"] = (
        case(sessions, 9, "complaint", "phone", "云岩区")
        .intake(at(11, 5, 9))
        .dispatch(at(11, 5, 9, 30), "water")
        .return_(at(11, 5, 15))
        .return_rejected(at(11, 6, 10))
        .sign_off(at(11, 6, 11))
        .overdue(at(11, 19, 18), "handling")
        .reply(at(11, 20, 10), on_time=False)
        .approve(at(11, 20, 15))
        .callback(at(11, 21, 10), "dissatisfied", False, reopen=True)
        .reply(at(11, 24, 10), on_time=True)
        .approve(at(11, 24, 15))
        .callback(at(11, 25, 10), None)
        .callback(at(11, 26, 10), None)
        .callback(at(11, 27, 10), None, closes="callback_unreachable")
    )
    # J: housing returns it (approved), re-dispatched to yunyan-gov; no callback required.
    c["J"] = (
        case(sessions, 10, "consultation", "wechat", "云岩区")
        .intake(at(11, 5, 10))
        .dispatch(at(11, 5, 10, 30), "housing")
        .return_(at(11, 5, 14))
        .return_approved(at(11, 6, 9))
        .dispatch(at(11, 6, 9, 30), "yunyan-gov")
        .sign_off(at(11, 6, 12))
        .reply(at(11, 9, 10))
        .approve(at(11, 9, 15), callback=False)
    )
    # K: housing, withdrawn.
    c["K"] = (
        case(sessions, 11, "complaint", "phone", "南明区")
        .intake(at(11, 6, 9))
        .dispatch(at(11, 6, 9, 30), "housing")
        .sign_off(at(11, 6, 10))
        .close("withdraw", at(11, 7, 9), "withdrawn", {"reason": "已自行解决"})
    )
    # L: housing, satisfied but not resolved.
    c["L"] = (
        case(sessions, 12, "help", "app", "南明区")
        .intake(at(11, 6, 10))
        .dispatch(at(11, 6, 10, 30), "housing")
        .sign_off(at(11, 6, 11))
        .reply(at(11, 10, 10))
        .approve(at(11, 10, 15))
        .callback(at(11, 12, 10), "satisfied", False, closes="resolved")
    )
    # M: received in October, closed in November: very dissatisfied, closed unresolved.
    c["M"] = (
        case(sessions, 13, "complaint", "phone", "云岩区")
        .intake(at(10, 28, 9))
        .dispatch(at(10, 28, 9, 30), "water")
        .sign_off(at(10, 28, 11))
        .reply(at(11, 3, 10))
        .approve(at(11, 3, 15))
        .callback(at(11, 5, 10), "very_dissatisfied", False, closes="closed_unresolved")
    )
    # N: received in November, closed in December.
    c["N"] = (
        case(sessions, 14, "help", "phone", "南明区")
        .intake(at(11, 29, 9))
        .dispatch(at(11, 29, 9, 30), "power")
        .sign_off(at(11, 29, 10))
        .reply(at(11, 30, 10))
        .approve(at(11, 30, 15))
        .callback(at(12, 2, 10), "satisfied", True, closes="resolved")
    )
    # O: dispatched to water, then merged while open.
    c["O"] = (
        case(sessions, 15, "complaint", "web", "云岩区")
        .intake(at(11, 7, 9))
        .dispatch(at(11, 7, 9, 30), "water")
        .close("merge", at(11, 8, 9), "merged", {"master_case_no": "x"}, merged_into="x")
    )
    # P: praise at power, closed on sign-off.
    c["P"] = (
        case(sessions, 16, "praise", "phone", "南明区")
        .intake(at(11, 7, 10))
        .dispatch(at(11, 7, 10, 30), "power")
    )
    c["P"].close("sign_off", at(11, 7, 15), "praise_noted", {}, signed_at=at(11, 7, 15))
    return c


def articles(sessions: SessionFactory) -> None:
    """water: 3 published (review-by 12-15, 11-30 fresh; 11-29 stale) and 1 pending; housing:
    1 published (stale) and 1 withdrawn. Approved in November: water 2, housing 1."""
    rows = [
        ("water", "published", date(2026, 12, 15)),
        ("water", "published", date(2026, 11, 30)),
        ("water", "published", date(2026, 11, 29)),
        ("water", "pending", date(2026, 12, 31)),
        ("housing", "published", date(2026, 10, 1)),
        ("housing", "withdrawn", date(2026, 12, 31)),
    ]
    versions = [
        ("water", "approved", at(11, 5)),
        ("water", "approved", at(11, 20)),
        ("water", "rejected", at(11, 6)),
        ("water", "approved", at(10, 20)),
        ("housing", "approved", at(11, 30, 23)),
        ("housing", "approved", at(12, 1, 0, 30)),
    ]
    with sessions.begin() as session:
        ids = []
        for n, (department, status, review_by) in enumerate(rows, start=1):
            row = ArticleRow(
                title=f"文章{n}",
                category_path="城乡建设/供水",
                content="内容",
                issuing_unit="单位",
                material_type="hot_qa",
                keywords=[],
                department=department,
                effective_from=date(2026, 1, 1),
                review_by=review_by,
                expires_on=None,
                status=status,
                published_version=1 if status == "published" else None,
                latest_version=1,
                created_at=at(1, 1),
                updated_at=at(1, 1),
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
        for n, (department, state, decided) in enumerate(versions, start=1):
            session.add(
                ArticleVersionRow(
                    article_id=ids[0],
                    version=n + 1,
                    state=state,
                    title="文章",
                    category_path="城乡建设/供水",
                    content="内容",
                    issuing_unit="单位",
                    material_type="hot_qa",
                    keywords=[],
                    department=department,
                    effective_from=date(2026, 1, 1),
                    review_by=date(2026, 12, 31),
                    expires_on=None,
                    note=None,
                    submitted_by="u",
                    submitted_at=decided - timedelta(hours=1),
                    review_due=None,
                    decided_by="centre",
                    decided_at=decided,
                    reason=None,
                )
            )
