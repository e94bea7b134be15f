"""The case page without a browser: which step forms it offers to whom, and its timeline's
Chinese sentences (every action the workflow can record has its own)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.console.case_timeline import Words, clock_rows
from api.console.forms import step_forms, step_values
from models.actions import Action
from models.enums import CaseStatus, ClockStage, Step
from models.state import Assignment, CaseState, Clock, Deadline, TimelineEntry
from rules.permissions import Principal, Role
from services.steps import EXTENSION_DECISION
from tests.workflows.cases import intake

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
NAMES = {"gy-market": "贵阳市市场监督管理局", "gy-housing": "贵阳市住房和城乡建设局"}
MARKET = Principal("liaison", Role.DEPARTMENT, "gy-market")
HOUSING = Principal("helper", Role.DEPARTMENT, "gy-housing")
DISPATCHER = Principal("disp", Role.DISPATCHER)
SUPERVISOR = Principal("sup", Role.SUPERVISOR)


def case(status: CaseStatus, **lead: object) -> CaseState:
    assignments = [
        Assignment(department="gy-market", lead=True, dispatched_at=AT, **lead),
        Assignment(department="gy-housing", lead=False, dispatched_at=AT),
    ]
    return CaseState(intake=intake(), received_at=AT, status=status, assignments=assignments)


def offered(state: CaseState, who: Principal) -> set[str]:
    return {form.name for form in step_forms(state, who)}


def test_the_lead_and_the_assisting_department_are_offered_their_own_steps() -> None:
    handling = case(CaseStatus.HANDLING, signed_at=AT)
    assert offered(handling, MARKET) == {"return", "extension-request", "reply", "notes"}
    assert offered(handling, HOUSING) == {"sign-off", "assist-input", "notes"}
    other = Principal("else", Role.DEPARTMENT, "gy-water")
    assert offered(handling, other) == {"notes"}  # and the page is a 404 for it anyway


def test_an_extension_waiting_is_offered_to_the_dispatcher_only_once() -> None:
    waiting = case(CaseStatus.HANDLING, signed_at=AT, extension_requested_days=3)
    assert "extension-decision" in offered(waiting, DISPATCHER)
    assert "extension-request" not in offered(waiting, MARKET)
    decided = case(
        CaseStatus.HANDLING,
        signed_at=AT,
        extension_requested_days=3,
        extension_decided=True,
        extension_approved_days=2,
    )
    assert "extension-decision" not in offered(decided, DISPATCHER)
    assert "extension-request" not in offered(decided, MARKET)  # one per assignment


def test_closing_steps_for_the_centre_and_none_on_a_closed_case() -> None:
    received = case(CaseStatus.RECEIVED)
    assert offered(received, DISPATCHER) == {"dispatch", "withdraw", "merge", "notes"}
    assert offered(received, SUPERVISOR) == {"notes"}
    assert offered(case(CaseStatus.CLOSED), DISPATCHER) == set()


def test_a_refused_extension_carries_no_days() -> None:
    form = {"approve": "false", "working_days": "2", "note": "材料不足"}
    assert step_values(EXTENSION_DECISION, form, DISPATCHER) == {
        "approve": "false",
        "note": "材料不足",
    }
    form["approve"] = "true"
    assert step_values(EXTENSION_DECISION, form, DISPATCHER)["working_days"] == "2"


DETAILS: dict[str, dict[str, object]] = {
    Action.INTAKE: {"outcome": "dispatch", "channel": "phone"},
    Action.INTAKE_MERGE: {"outcome": "dispatch", "channel": "phone"},
    Action.DISPATCH: {"lead_department": "gy-market", "assisting_departments": ["gy-housing"]},
    Action.DISPATCH_REFUSED: {"reason": "单位已停用"},
    Action.SIGN_OFF: {"department": "gy-market"},
    Action.RETURN: {"department": "gy-market", "reason": "not_our_duty", "legal_basis": "三定"},
    Action.RETURN_APPROVED: {"department": "gy-market"},
    Action.RETURN_REJECTED: {"department": "gy-market"},
    Action.EXTENSION_REQUESTED: {"department": "gy-market", "working_days": 3, "reason": "送检"},
    Action.EXTENSION_DECIDED: {"approved": True, "working_days": 2, "new_due": AT.isoformat()},
    Action.ASSIST_INPUT: {"department": "gy-housing"},
    Action.REPLY: {
        "department": "gy-market",
        "result": "resolved",
        "officer": "王",
        "on_time": True,
    },
    Action.CALLBACK: {"reached": True, "satisfaction": "satisfied", "resolved": True, "attempt": 1},
    Action.REOPEN: {"reached": True, "satisfaction": "dissatisfied", "round": 1},
    Action.WITHDRAW: {"reason": "来电人撤回"},
    Action.MERGE: {"master_case_no": "GY20261201-000001"},
    Action.MERGE_FAILED: {"master_case_no": "GY20261201-000001"},
    Action.MERGED_CASE_LINKED: {"case_no": "GY20261201-000002"},
    Action.ESCALATE: {"level": 2, "requested_level": 2, "note": "媒体关注"},
    Action.DEADLINE_WARNING: {"step": "handling", "owner": "gy-market", "due": AT.isoformat()},
    Action.DEADLINE_OVERDUE: {"step": "sign_off", "owner": "gy-market", "escalation_level": 1},
    Action.DEADLINE_LEVEL2: {"step": "sign_off", "owner": "gy-market", "escalation_level": 2},
}


@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_its_own_chinese_sentence(action: Action) -> None:
    entry = TimelineEntry(
        seq=1,
        at=AT,
        action=action,
        actor="disp-01",
        from_status=CaseStatus.HANDLING,
        to_status=CaseStatus.HANDLING,
        detail=DETAILS.get(action, {}),
    )
    sentence = Words(NAMES).sentence(entry)
    assert sentence, action
    assert "None" not in sentence and "gy-" not in sentence, sentence
    english = [w for w in sentence.replace("disp-01", "").split() if w.isascii() and w.isalpha()]
    assert not english, f"{action}: {sentence}"


def test_the_sentences_say_who_asked_for_what_and_why() -> None:
    words = Words(NAMES)

    def said(action: Action) -> str:
        entry = TimelineEntry(
            seq=1,
            at=AT,
            action=action,
            actor="disp-01",
            from_status=CaseStatus.HANDLING,
            to_status=CaseStatus.HANDLING,
            detail=DETAILS[action],
        )
        return words.sentence(entry)

    assert (
        said(Action.EXTENSION_REQUESTED) == "贵阳市市场监督管理局 申请延期 3 个工作日，理由：送检"
    )
    assert said(Action.RETURN) == "贵阳市市场监督管理局 申请退单：非本单位职责；依据：三定"
    assert "协办：贵阳市住房和城乡建设局" in said(Action.DISPATCH)
    assert "2026-12-01 10:00" in said(Action.EXTENSION_DECIDED)  # Beijing time


def test_each_clock_has_its_stage_and_deadline() -> None:
    deadline = Deadline(step=Step.HANDLING, start=AT, due=AT, warn_at=AT, level2_at=AT)
    state = case(CaseStatus.HANDLING)
    state.clocks = [
        Clock(
            key="handling",
            owner="gy-market",
            deadline=deadline,
            stage=ClockStage.OVERDUE,
            original_due=AT,
        )
    ]
    (row,) = clock_rows(state, NAMES)
    assert (row.step, row.owner, row.stage, row.due) == (
        "办理",
        "贵阳市市场监督管理局",
        "overdue",
        AT,
    )
    assert row.extended_from == AT
