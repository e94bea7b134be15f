"""Notice delivery over HTTP, on a real case: who sees which notices, the counts, retry.

A case dispatched to a lead and an assisting department has a receipt SMS to the citizen and a
dispatch notice to each department. The centre sees all three with the phone masked; each
department sees only its own notice, and no phone; a department that holds no part of the case
gets the same 404 as for a case that does not exist. Only a dead-lettered notice is retried.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.client import Client

from db.engine import SessionFactory
from db.tables import NotificationRow
from models.delivery import DeliveryCounts
from services.access_log import access_entries
from tests.api.http import Api
from tests.notices_surfaces.support import (
    ASSISTING,
    LEAD,
    MASKED,
    OTHER,
    PHONE,
    dead,
    dispatched_case,
    held,
    outbox,
    row_id,
    sent,
    settled_counts,
)

MISSING = "GY20261128-999998"


async def test_the_centre_sees_every_notice_with_the_phone_masked(
    api: Api, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched_case(client, sessions)
    operator = api.token_for("operator")
    response = await api.http.get(f"/cases/{case_no}/notices", headers=operator)
    assert response.status_code == 200, response.text
    assert PHONE not in response.text
    notices = response.json()
    by_recipient = {n["recipient"]: n for n in notices}
    assert set(by_recipient) == {"citizen", LEAD, ASSISTING}
    citizen = by_recipient["citizen"]
    assert citizen["template"] == "sms_received" and citizen["route"] == "sms"
    assert citizen["phone"] == MASKED
    assert by_recipient[LEAD]["template"] == "dispatch_notice"
    assert by_recipient[LEAD]["phone"] is None
    for notice in notices:
        assert notice["case_no"] == case_no
        assert notice["status"] in {"pending", "held", "sending", "sent", "delivered"}
        assert isinstance(notice["attempts"], int)
    logged = access_entries(sessions, case_no=case_no)
    assert any(e.fields == ["caller.phones"] and e.masked for e in logged)

    admin = api.token_for("admin")  # reads cases, not personal data: no phone at all
    seen = (await api.http.get(f"/cases/{case_no}/notices", headers=admin)).json()
    assert len(seen) == 3 and all(n["phone"] is None for n in seen)
    assert MASKED not in str(seen)


async def test_a_department_sees_only_its_own_notices(
    api: Api, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched_case(client, sessions)
    for department in (LEAD, ASSISTING):
        liaison = api.token_for("department", department)
        response = await api.http.get(f"/cases/{case_no}/notices", headers=liaison)
        assert response.status_code == 200, response.text
        notices = response.json()
        assert [(n["recipient"], n["template"]) for n in notices] == [
            (department, "dispatch_notice")
        ]
        assert PHONE not in response.text and MASKED not in response.text
        assert "citizen" not in response.text

    stranger = api.token_for("department", OTHER)
    other = await api.http.get(f"/cases/{case_no}/notices", headers=stranger)
    missing = await api.http.get(f"/cases/{MISSING}/notices", headers=stranger)
    assert other.status_code == missing.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["detail"] == f"no case {case_no}"
    assert missing.json()["detail"] == f"no case {MISSING}"
    centre_missing = await api.http.get(
        f"/cases/{MISSING}/notices", headers=api.token_for("supervisor")
    )
    assert centre_missing.status_code == 404


async def test_statuses_as_delivery_leaves_them(
    api: Api, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched_case(client, sessions)
    rows = await outbox(sessions, case_no, {"sms_received"}, at_least=3)
    now = datetime.now(UTC).replace(microsecond=0)
    morning = now + timedelta(hours=5)
    held(sessions, row_id(rows, "sms_received"), morning)
    dead(sessions, row_id(rows, "dispatch_notice", LEAD), now)
    sent(sessions, row_id(rows, "dispatch_notice", ASSISTING), now, delivered=True)
    notices = (
        await api.http.get(f"/cases/{case_no}/notices", headers=api.token_for("supervisor"))
    ).json()
    by_recipient = {n["recipient"]: n for n in notices}
    assert by_recipient["citizen"]["status"] == "held"
    assert datetime.fromisoformat(by_recipient["citizen"]["held_until"]) == morning
    assert by_recipient[LEAD]["status"] == "dead"
    assert by_recipient[LEAD]["attempts"] == 5
    assert by_recipient[LEAD]["last_error"] == "HTTP 503 from the SMS gateway"
    assert by_recipient[LEAD]["channel"] == "sms_gateway"
    assert by_recipient[ASSISTING]["status"] == "delivered"
    assert datetime.fromisoformat(by_recipient[ASSISTING]["delivered_at"]) == now


async def test_the_summary_counts_pending_held_and_dead(
    api: Api, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched_case(client, sessions)
    rows = await outbox(sessions, case_no, {"sms_received"}, at_least=3)
    supervisor = api.token_for("supervisor")
    before = await settled_counts(sessions)
    answered = await api.http.get("/notices/summary", headers=supervisor)
    assert answered.status_code == 200, answered.text
    assert DeliveryCounts.model_validate(answered.json()) == before

    moved = [row_id(rows, "sms_received"), row_id(rows, "dispatch_notice", LEAD)]
    prior = _statuses(sessions, moved)
    held(sessions, moved[0], datetime.now(UTC) + timedelta(hours=6))
    dead(sessions, moved[1], datetime.now(UTC))
    expected = DeliveryCounts(
        pending=before.pending - sum(s in ("pending", "sending") for s in prior),
        held=before.held + (prior[0] != "held"),
        dead=before.dead + 1,
    )
    for role in ("supervisor", "admin"):
        got = await api.http.get("/notices/summary", headers=api.token_for(role))
        assert got.status_code == 200, got.text
        assert DeliveryCounts.model_validate(got.json()) == expected

    for role, department in (("department", LEAD), ("operator", None), ("auditor", None)):
        refused = await api.http.get("/notices/summary", headers=api.token_for(role, department))
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"] == f"role {role} may not manage_notices"


async def test_only_a_dead_notice_is_retried(
    api: Api, client: Client, sessions: SessionFactory
) -> None:
    case_no = await dispatched_case(client, sessions)
    rows = await outbox(sessions, case_no, {"sms_received"}, at_least=3)
    dead_id = row_id(rows, "dispatch_notice", LEAD)
    sent_id = row_id(rows, "dispatch_notice", ASSISTING)
    dead(sessions, dead_id, datetime.now(UTC))
    sent(sessions, sent_id, datetime.now(UTC))
    supervisor = api.token_for("supervisor")

    for role, department in (("department", LEAD), ("dispatcher", None)):
        refused = await api.http.post(
            f"/notices/{dead_id}/retry", headers=api.token_for(role, department)
        )
        assert refused.status_code == 403, refused.text
    assert _statuses(sessions, [dead_id]) == ["dead"]

    retried = await api.http.post(f"/notices/{dead_id}/retry", headers=supervisor)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending" and retried.json()["notice_id"] == dead_id
    assert retried.json()["attempts"] == 5  # the attempts so far stay on record

    again = await api.http.post(f"/notices/{dead_id}/retry", headers=supervisor)
    assert again.status_code == 409, again.text
    assert "only a dead-lettered (dead) notice can be retried" in again.json()["detail"]
    refused_sent = await api.http.post(f"/notices/{sent_id}/retry", headers=api.token_for("admin"))
    assert refused_sent.status_code == 409
    assert refused_sent.json()["notice_status"] == "sent"
    assert _statuses(sessions, [sent_id]) == ["sent"]
    unknown = await api.http.post("/notices/999999999/retry", headers=supervisor)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "no notice 999999999"


def _statuses(sessions: SessionFactory, ids: list[int]) -> list[str]:
    with sessions() as session:
        found = {
            notice_id: status
            for notice_id, status in session.execute(
                select(NotificationRow.id, NotificationRow.status).where(
                    NotificationRow.id.in_(ids)
                )
            )
        }
    return [found[i] for i in ids]
