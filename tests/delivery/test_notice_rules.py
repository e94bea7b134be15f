"""The pure rules of delivery: the idempotency key, the quiet hours, the signature, the cap's
day, the retry schedule, and the phone hash the opt-out table is keyed by."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from models.timestamps import BEIJING
from rules.notice_rules import (
    beijing_day,
    day_bounds,
    is_urgent,
    next_morning,
    notice_key,
    phone_hash,
    quiet_until,
    retry_delay,
    signed,
)
from services.sms_opt_out import phone_hash as opt_out_hash


def bj(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=BEIJING)


def test_the_key_is_the_first_32_hex_of_the_sha256_of_case_and_event() -> None:
    expected = hashlib.sha256(b"GY20261128-000123|2:sms_received:citizen").hexdigest()[:32]
    assert notice_key("GY20261128-000123", "2:sms_received:citizen") == expected
    assert notice_key("GY20261128-000123", "3:closure_sms:citizen") != expected


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (bj(2, 21, 59), None),
        (bj(2, 22, 0), bj(3, 8)),
        (bj(2, 23, 0), bj(3, 8)),
        (bj(3, 0, 30), bj(3, 8)),
        (bj(3, 7, 59), bj(3, 8)),
        (bj(3, 8, 0), None),
        (bj(3, 12, 0), None),
    ],
)
def test_quiet_hours_hold_until_the_next_eight(now: datetime, until: datetime | None) -> None:
    assert quiet_until(now, urgent=False) == until
    assert quiet_until(now.astimezone(UTC), urgent=False) == until
    assert quiet_until(now, urgent=True) is None


def test_urgent_and_utility_cases_are_urgent() -> None:
    assert is_urgent("urgent") and is_urgent("utility")
    assert not is_urgent("normal") and not is_urgent(None)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        quiet_until(datetime(2026, 12, 2, 23), urgent=False)


def test_the_cap_counts_per_beijing_day() -> None:
    late = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)  # 00:30 on 3 December in Beijing
    assert beijing_day(late).day == 3
    start, end = day_bounds(beijing_day(late))
    assert start == bj(3, 0) and end - start == timedelta(days=1)
    assert next_morning(late) == bj(4, 8)
    assert next_morning(bj(3, 23, 59)) == bj(4, 8)


def test_the_signature_is_at_the_front_once() -> None:
    assert signed("您好！工单号GY1") == "【贵阳12345】您好！工单号GY1"
    assert signed("【贵阳12345】工单受理通知\n您好") == "【贵阳12345】工单受理通知\n您好"
    assert signed("【贵阳12345】【贵阳12345】您好") == "【贵阳12345】您好"
    assert signed("【贵阳12345】您好", "【某市12345】") == "【某市12345】您好"


def test_the_retry_waits_double_up_to_the_longest() -> None:
    delays = [retry_delay(n, timedelta(seconds=5), timedelta(minutes=10)) for n in range(1, 10)]
    assert delays[:4] == [timedelta(seconds=s) for s in (5, 10, 20, 40)]
    assert delays[-1] == timedelta(minutes=10)


@pytest.mark.parametrize("phone", ["13900001111", "+86 139-0000-1111", "8613900001111"])
def test_the_phone_hash_is_the_opt_out_tables(phone: str) -> None:
    assert phone_hash(phone) == opt_out_hash(phone) == opt_out_hash("13900001111")
