"""Retries and the dead letter: a gateway failing three times then answering gives one delivery
and three recorded failures; a refusal (400) dead-letters at once; a gateway that never answers
well dead-letters the row after the maximum attempts.

Urgent cases, so the quiet hours never hold these SMS whatever the time of day; short retry
intervals from the test settings (200 ms, doubling, at most 1 s).
"""

from __future__ import annotations

from temporalio.client import Client

from db.engine import SessionFactory
from models.delivery import NoticeStatus
from models.enums import Urgency
from tests.delivery.conftest import MAX_ATTEMPTS
from tests.delivery.gateway import Gateway
from tests.delivery.support import attempts_of, new_phone, open_case, receipt, until_status
from workers.notice_dispatch import NoticeDispatcher


async def test_three_failures_then_one_delivery(
    delivery_client: Client,
    dispatcher: NoticeDispatcher,
    sessions: SessionFactory,
    gateway: Gateway,
) -> None:
    phone = new_phone()
    gateway.script(phone, 500, 500, 500)
    case_no = await open_case(delivery_client, sessions, phone, Urgency.URGENT)
    row = await receipt(sessions, case_no)
    sent = await until_status(sessions, row.id, [NoticeStatus.SENT, NoticeStatus.DEAD])

    assert sent.status == NoticeStatus.SENT
    assert sent.attempts == 4
    attempts = attempts_of(sessions, row.id)
    assert [a.ok for a in attempts] == [False, False, False, True]
    assert [a.detail for a in attempts[:3]] == ["SMS gateway answered HTTP 500"] * 3
    assert all(a.finished_at is not None for a in attempts)
    received = gateway.to(phone)
    assert len(received) == 4
    assert len({r.body["id"] for r in received}) == 1  # every attempt carries the same key
    assert sent.last_error is None


async def test_a_refusal_dead_letters_at_once(
    delivery_client: Client,
    dispatcher: NoticeDispatcher,
    sessions: SessionFactory,
    gateway: Gateway,
) -> None:
    phone = new_phone()
    gateway.script(phone, 400)
    case_no = await open_case(delivery_client, sessions, phone, Urgency.URGENT)
    row = await receipt(sessions, case_no)
    dead = await until_status(sessions, row.id, [NoticeStatus.DEAD, NoticeStatus.SENT])

    assert dead.status == NoticeStatus.DEAD
    assert dead.attempts == 1
    assert dead.last_error == "SMS gateway answered HTTP 400"
    assert phone not in (dead.last_error or "")
    assert [a.ok for a in attempts_of(sessions, row.id)] == [False]
    assert len(gateway.to(phone)) == 1


async def test_the_maximum_attempts_dead_letter_a_failing_notice(
    delivery_client: Client,
    dispatcher: NoticeDispatcher,
    sessions: SessionFactory,
    gateway: Gateway,
) -> None:
    phone = new_phone()
    gateway.script(phone, *[503] * (MAX_ATTEMPTS + 3))
    case_no = await open_case(delivery_client, sessions, phone, Urgency.URGENT)
    row = await receipt(sessions, case_no)
    dead = await until_status(sessions, row.id, [NoticeStatus.DEAD, NoticeStatus.SENT])

    assert dead.status == NoticeStatus.DEAD
    assert dead.attempts == MAX_ATTEMPTS
    assert dead.last_error == "SMS gateway answered HTTP 503"
    assert [a.ok for a in attempts_of(sessions, row.id)] == [False] * MAX_ATTEMPTS
    assert len(gateway.to(phone)) == MAX_ATTEMPTS
