"""The timeline of a case read from its (encrypted) history, and its cross-check with SQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from audit.crosscheck import MismatchKind, crosscheck
from audit.timeline import build_timeline
from audit.timeline_model import ItemKind, Timeline, masked
from audit.timeline_words import local
from cli.audit_timeline import Format, render
from tests.audit.timeline_support import (
    ADDRESS,
    LEGAL_BASIS,
    NAME,
    PHONE,
    FullCase,
    full_case,
    sessions,
)
from tests.workflows.cases import drive_to_closure, intake, start

# (kind, action, actor) of every item but the computed deadlines, in order.
EXPECTED_STEPS = [
    (ItemKind.INTAKE, "intake", "op-001"),
    (ItemKind.STEP, "dispatch", "op-001"),
    (ItemKind.STEP, "return", "liaison-m"),
    (ItemKind.STEP, "return_approved", "rev-1"),
    (ItemKind.STEP, "dispatch", "rev-1"),
    (ItemKind.STEP, "sign_off", "liaison-h"),
    (ItemKind.STEP, "extension_requested", "liaison-h"),
    (ItemKind.STEP, "extension_decided", "rev-2"),
    (ItemKind.ESCALATION, "escalate", "sup-1"),
    (ItemKind.URGING, "urge", "sup-2"),
    (ItemKind.WARNING, "deadline_warning", "system"),
    (ItemKind.OVERDUE, "deadline_overdue", "system"),
    (ItemKind.STEP, "reply", "liaison-h"),
    (ItemKind.STEP, "reply_approved", "rev-3"),
    (ItemKind.CALLBACK, "reopen", "cb-01"),
    (ItemKind.STEP, "reply", "liaison-h"),
    (ItemKind.STEP, "reply_approved", "rev-3"),
    (ItemKind.CLOSURE, "callback", "cb-01"),
    (ItemKind.OTHER, "archive", "system"),
]
# The deadlines each step computed, listed right after it.
EXPECTED_DEADLINES = {
    ("dispatch", "op-001"): ["sign_off", "return_window", "handling"],
    ("return", "liaison-m"): ["return_review"],
    ("dispatch", "rev-1"): ["sign_off", "return_window", "handling"],
    ("extension_requested", "liaison-h"): ["extension_review"],
    ("extension_decided", "rev-2"): ["handling"],
    ("reply", "liaison-h"): ["reply_review"],
    ("reply_approved", "rev-3"): ["callback"],
    ("reopen", "cb-01"): ["reopen"],
}


@pytest.fixture(scope="module")
async def case(env: WorkflowEnvironment, worker: None) -> AsyncIterator[FullCase]:
    yield await full_case(env, env.client)


@pytest.fixture(scope="module")
async def timeline(case: FullCase) -> Timeline:
    return await build_timeline(await case.handle.fetch_history())


def steps(timeline: Timeline) -> list[tuple[ItemKind, str, str]]:
    return [
        (i.kind, i.action, i.actor) for i in timeline.entries if i.kind is not ItemKind.DEADLINE
    ]


def item(timeline: Timeline, action: str, actor: str | None = None, nth: int = 0):
    found = [i for i in timeline.entries if i.action == action and actor in (None, i.actor)]
    return found[nth]


async def test_the_timeline_lists_every_step_in_order(timeline: Timeline, case: FullCase) -> None:
    assert steps(timeline) == EXPECTED_STEPS
    assert timeline.case_no == case.case_no
    assert timeline.status == "closed" and timeline.closure_reason == "resolved"
    assert timeline.escalation_level == 2
    assert timeline.execution == "completed"
    assert timeline.notes == []
    seqs = [i.seq for i in timeline.entries if i.seq is not None]
    assert seqs == list(range(1, len(timeline.transitions) + 1))
    assert [t.seq for t in timeline.transitions] == seqs
    assert all(t.persisted for t in timeline.transitions)


async def test_each_step_is_followed_by_the_deadlines_it_computed(
    timeline: Timeline, case: FullCase
) -> None:
    computed: dict[tuple[str, str], list[str]] = {}
    owner: tuple[str, str] | None = None
    dues: dict[str, list[datetime]] = {}
    for entry in timeline.entries:
        if entry.kind is ItemKind.DEADLINE:
            assert owner is not None
            assert entry.actor == "system"
            assert entry.detail["for_transition"] is not None
            computed.setdefault(owner, []).append(entry.detail["step"])
            step = entry.detail["step"]
            dues.setdefault(step, []).append(datetime.fromisoformat(entry.detail["due"]))
            assert f"due {local(datetime.fromisoformat(entry.detail['due']))}" in entry.summary
        else:
            owner = (entry.action, entry.actor)
    # Steps by the same actor repeat (two replies, two approvals): their lists add up.
    expected = {key: list(value) for key, value in EXPECTED_DEADLINES.items()}
    expected[("reply", "liaison-h")] *= 2
    expected[("reply_approved", "rev-3")] *= 2
    assert computed == expected
    # The dues the live state held are the dues in the history, step by step.
    assert dues == case.dues
    handling = [e for e in timeline.entries if e.detail.get("step") == "handling"]
    assert "10 working days" in handling[0].summary
    assert handling[2].summary.startswith("handling deadline moved by the approved extension")


async def test_summaries_name_who_did_what(timeline: Timeline) -> None:
    assert item(timeline, "sign_off").summary == "gy-housing signed for the case"
    assert item(timeline, "escalate").summary == "escalated to level 2 by sup-1: 媒体关注"
    assert item(timeline, "return").summary.startswith("gy-market returned the case: not our duty")
    assert "approved by rev-2: 3 working days" in item(timeline, "extension_decided").summary
    assert "urging notice sent to gy-housing" in item(timeline, "urge").summary
    overdue = item(timeline, "deadline_overdue")
    assert "the handling deadline of gy-housing passed" in overdue.summary
    assert "urging notice sent to gy-housing" in overdue.summary
    assert "warning notice sent to gy-housing" in item(timeline, "deadline_warning").summary
    assert "late" in item(timeline, "reply").summary
    reopen = item(timeline, "reopen")
    assert "reached, dissatisfied, not resolved" in reopen.summary
    assert "reopened for handling, round 1" in reopen.summary
    assert item(timeline, "callback").summary.endswith("case closed (resolved)")
    assert "the case history is handed to the archive" in item(timeline, "archive").summary


async def test_items_carry_the_request_that_caused_them(timeline: Timeline, client: Client) -> None:
    sign_off = item(timeline, "sign_off").detail["request"]
    assert sign_off["via"] == "update sign_off"
    assert sign_off["client_identity"] == client.identity
    assert sign_off["update_id"]
    assert item(timeline, "escalate").detail["request"]["via"] == "signal escalate"
    assert item(timeline, "intake").detail["request"]["via"] == "workflow start"
    assert "request" not in item(timeline, "deadline_warning").detail
    redispatch = item(timeline, "dispatch", "rev-1").detail["request"]
    assert redispatch["via"] == "update review_return"


async def test_personal_data_is_masked_unless_asked_for(timeline: Timeline) -> None:
    assert timeline.intake is not None
    assert timeline.intake.caller_name == NAME and timeline.intake.caller_phones == [PHONE]
    hidden = masked(timeline)
    assert hidden.intake is not None and not hidden.personal
    assert hidden.intake.caller_phones == ["138****1234"]
    for output_format in Format:
        document = render(hidden, [], output_format)
        assert PHONE not in document and NAME not in document and ADDRESS not in document
        assert "138****1234" in document
    assert PHONE in render(timeline, [], Format.TEXT)
    assert timeline.intake.caller_name == NAME  # masking made a copy


async def test_json_output_parses(timeline: Timeline) -> None:
    document = json.loads(render(masked(timeline), [], Format.JSON))
    assert document["crosscheck"] == {"clean": True, "mismatches": []}
    parsed = Timeline.model_validate(document["timeline"])
    assert steps(parsed) == EXPECTED_STEPS
    assert parsed.entries == masked(timeline).entries


async def test_html_renders_the_entries_and_escapes_free_text(timeline: Timeline) -> None:
    page = render(masked(timeline), [], Format.HTML)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<tr class="kind-') == len(timeline.entries)
    assert "gy-housing signed for the case" in page
    assert "escalated to level 2 by sup-1: 媒体关注" in page
    assert LEGAL_BASIS not in page and "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "Clean: the transition log" in page


async def test_crosscheck_is_clean(timeline: Timeline, database_url: str) -> None:
    assert crosscheck(timeline, sessions(database_url)) == []


async def test_crosscheck_reports_an_altered_log_and_projection(
    client: Client, database_url: str
) -> None:
    case = intake()
    handle = await start(client, case)
    await drive_to_closure(handle)
    history = await handle.fetch_history()
    own = await build_timeline(history)
    factory = sessions(database_url)
    assert crosscheck(own, factory) == []

    with factory.begin() as session:
        session.execute(
            text(
                "UPDATE case_transitions SET actor = 'someone-else', to_status = 'callback' "
                "WHERE case_no = :no AND seq = 3"
            ),
            {"no": case.case_no},
        )
        session.execute(
            text("DELETE FROM case_transitions WHERE case_no = :no AND seq = 4"),
            {"no": case.case_no},
        )
        session.execute(
            text("UPDATE cases SET escalation_level = 3 WHERE case_no = :no"),
            {"no": case.case_no},
        )
    mismatches = crosscheck(own, factory)
    found = {(m.kind, m.seq, m.field) for m in mismatches}
    assert found == {
        (MismatchKind.DIFFERS, 3, "actor"),
        (MismatchKind.DIFFERS, 3, "to_status"),
        (MismatchKind.MISSING, 4, None),
        (MismatchKind.PROJECTION, None, "escalation_level"),
    }
    by_field = {m.field: m for m in mismatches}
    assert by_field["actor"].message == (
        "transition 3 (sign_off): actor is l in the history but someone-else in the transition log"
    )
    assert "transition 4 (reply by liaison-1" in by_field[None].message
    assert "escalation level is 0 in the history but 3" in by_field["escalation_level"].message
    text_out = render(own, mismatches, Format.TEXT)
    assert "cross-check with the database: 4 mismatch(es)" in text_out
