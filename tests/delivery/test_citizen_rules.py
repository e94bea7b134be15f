"""The Chinese SMS rules on the real delivery: the quiet hours hold a citizen SMS until 08:00
Beijing (an urgent case's goes at once), an opted-out number's SMS is suppressed, and the
sixth SMS of a number in one day waits for the next morning.

The quiet-hours test starts its deliveries itself at 23:00 Beijing virtual time (children of
`tests.delivery.clock.StartDeliveriesAt`), without the dispatcher; the others run through it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.delivery import DeliveryOptions, DeliveryRequest
from db.engine import SessionFactory
from db.tables import SmsOptOutRow
from models.delivery import NoticeStatus
from models.enums import Urgency
from models.timestamps import BEIJING
from rules.notice_rules import next_morning, phone_hash
from settings.notices import NoticeSettings
from tests.delivery.clock import StartAt, StartDeliveriesAt
from tests.delivery.conftest import CLOCK_QUEUE, DELIVERY_QUEUE
from tests.delivery.gateway import Gateway
from tests.delivery.support import (
    new_phone,
    open_case,
    past_hold,
    receipt,
    reread,
    until_status,
)
from workers.notice_dispatch import NoticeDispatcher

CAP = 5


def next_eleven_pm(now: datetime) -> datetime:
    """The first 23:00 Beijing at least a minute after `now`."""
    local = (now + timedelta(minutes=1)).astimezone(BEIJING)
    target = datetime.combine(local.date(), time(23, 0), tzinfo=BEIJING)
    return target if target > local else target + timedelta(days=1)


async def test_quiet_hours_hold_a_citizen_sms_until_eight(
    env: WorkflowEnvironment,
    delivery_client: Client,
    sessions: SessionFactory,
    gateway: Gateway,
    notice_settings: NoticeSettings,
) -> None:
    phone, urgent_phone = new_phone(), new_phone()
    normal = await receipt(sessions, await open_case(delivery_client, sessions, phone))
    urgent = await receipt(
        sessions, await open_case(delivery_client, sessions, urgent_phone, Urgency.URGENT)
    )
    assert normal.urgent is False and urgent.urgent is True
    options = DeliveryOptions.of(notice_settings)
    now = datetime.now(UTC)
    at = next_eleven_pm(now)
    clock = await env.client.start_workflow(
        StartDeliveriesAt.run,
        StartAt(
            wait=at - now,
            task_queue=DELIVERY_QUEUE,
            requests=[
                DeliveryRequest(notice_id=normal.id, options=options),
                DeliveryRequest(notice_id=urgent.id, options=options),
            ],
        ),
        id=f"delivery-clock-{normal.id}",
        task_queue=CLOCK_QUEUE,
    )
    await env.fast_forward(clock, at - now + timedelta(seconds=1))
    await clock.result()

    held = await until_status(sessions, normal.id, [NoticeStatus.HELD, NoticeStatus.SENT])
    eight = datetime.combine(at.date() + timedelta(days=1), time(8, 0), tzinfo=BEIJING)
    assert held.status == NoticeStatus.HELD
    assert held.held_until == eight
    went = await until_status(sessions, urgent.id, [NoticeStatus.SENT, NoticeStatus.HELD])
    assert went.status == NoticeStatus.SENT  # an urgent case's SMS is not held
    assert len(gateway.to(urgent_phone)) == 1

    delivery = env.client.get_workflow_handle(f"notice-{normal.id}")
    started = await env.get_current_time(delivery)
    assert started.astimezone(BEIJING).hour == 23
    await env.fast_forward(delivery, eight - started - timedelta(minutes=1))  # 07:59
    assert reread(sessions, normal.id).status == NoticeStatus.HELD
    assert gateway.to(phone) == []
    await env.fast_forward(delivery, timedelta(minutes=2))  # 08:01
    sent = await until_status(sessions, normal.id, [NoticeStatus.SENT])
    assert sent.held_until is None
    assert len(gateway.to(phone)) == 1


async def test_an_opted_out_number_gets_no_sms(
    delivery_client: Client,
    dispatcher: NoticeDispatcher,
    sessions: SessionFactory,
    gateway: Gateway,
) -> None:
    phone = new_phone()
    with sessions.begin() as session:
        session.add(
            SmsOptOutRow(
                phone_hash=phone_hash(f"+86 {phone}"),
                opted_out_at=datetime.now(UTC),
                source="sms_reply",
            )
        )
    row = await receipt(sessions, await open_case(delivery_client, sessions, phone))
    done = await until_status(
        sessions, row.id, [NoticeStatus.SUPPRESSED, NoticeStatus.SENT, NoticeStatus.HELD]
    )
    assert done.status == NoticeStatus.SUPPRESSED
    assert done.attempts == 0
    assert gateway.to(phone) == []


async def test_the_sixth_sms_of_a_day_waits_for_the_next_morning(
    env: WorkflowEnvironment,
    delivery_client: Client,
    dispatcher: NoticeDispatcher,
    sessions: SessionFactory,
    gateway: Gateway,
) -> None:
    # Urgent cases: the quiet hours never hold them, the cap does.
    phone = new_phone()
    rows = []
    for _ in range(CAP + 1):
        case_no = await open_case(delivery_client, sessions, phone, Urgency.URGENT)
        row = await receipt(sessions, case_no)
        done = await until_status(sessions, row.id, [NoticeStatus.SENT, NoticeStatus.HELD])
        rows.append(done)
    assert [r.status for r in rows] == [NoticeStatus.SENT] * CAP + [NoticeStatus.HELD]
    sixth = rows[-1]
    assert sixth.held_until == next_morning(datetime.now(UTC))
    assert len(gateway.to(phone)) == CAP

    await past_hold(env, sessions, sixth.id)
    await until_status(sessions, sixth.id, [NoticeStatus.SENT])
    assert len(gateway.to(phone)) == CAP + 1


async def test_an_sms_too_old_to_text_a_citizen_is_dead_lettered(
    env: WorkflowEnvironment,
    delivery_client: Client,
    sessions: SessionFactory,
    gateway: Gateway,
    notice_settings: NoticeSettings,
) -> None:
    phone = new_phone()
    row = await receipt(sessions, await open_case(delivery_client, sessions, phone))
    wait = notice_settings.max_age + timedelta(hours=1)
    clock = await env.client.start_workflow(
        StartDeliveriesAt.run,
        StartAt(
            wait=wait,
            task_queue=DELIVERY_QUEUE,
            requests=[
                DeliveryRequest(notice_id=row.id, options=DeliveryOptions.of(notice_settings))
            ],
        ),
        id=f"delivery-clock-{row.id}",
        task_queue=CLOCK_QUEUE,
    )
    await env.fast_forward(clock, wait + timedelta(seconds=1))
    await clock.result()

    dead = await until_status(sessions, row.id, [NoticeStatus.DEAD, NoticeStatus.SENT])
    assert dead.status == NoticeStatus.DEAD
    assert dead.attempts == 0
    assert dead.last_error == "too old to text a citizen (older than 72 h)"
    assert gateway.to(phone) == []
