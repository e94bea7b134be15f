"""The rules of notice delivery, pure: the idempotency key of an outbox row, the quiet hours of
citizen SMS, the signature, the per-number daily cap's day, the retry schedule, a phone's hash.

- Every outbox row has one idempotency key, `notice_key(case_no, event_key)`, the same on every
  attempt: the receiving side (a gateway, a department's system) drops a repeat by it.
- No citizen SMS between 22:00 and 08:00 Beijing time unless the case is urgent (紧急 or 加急):
  `quiet_until` says until when one is held (the next 08:00).
- Every SMS carries the centre's signature (default 【贵阳12345】) once, at the front.
- A number gets at most a daily cap of SMS per Beijing day; one over the cap waits for 08:00 of
  the next day (`next_morning`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Final

from models.timestamps import BEIJING

DEFAULT_SIGNATURE: Final = "【贵阳12345】"
QUIET_START: Final = time(22, 0)
QUIET_END: Final = time(8, 0)
URGENT_LEVELS: Final = frozenset({"urgent", "utility"})
"""The case urgencies (`models.enums.Urgency` values) whose SMS the quiet hours do not hold."""

_SEPARATORS = re.compile(r"[\s\-().]")
_COUNTRY_PREFIXES = ("+86", "0086")


def notice_key(case_no: str, event_key: str) -> str:
    """The idempotency key of the outbox row (case_no, event_key): 32 hex characters."""
    return hashlib.sha256(f"{case_no}|{event_key}".encode()).hexdigest()[:32]


def is_urgent(urgency: object) -> bool:
    """Whether a case of this urgency may text a citizen during the quiet hours."""
    return str(urgency) in URGENT_LEVELS


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("notice rules need an aware datetime")
    return now


def beijing_day(now: datetime) -> date:
    """The Beijing calendar day of a moment (the daily cap counts per this day)."""
    return _aware(now).astimezone(BEIJING).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first moment of a Beijing day and of the day after (aware, Beijing time)."""
    start = datetime.combine(day, time(0, 0), tzinfo=BEIJING)
    return start, start + timedelta(days=1)


def next_morning(now: datetime) -> datetime:
    """08:00 Beijing of the day after `now`'s Beijing day (a capped SMS waits for it)."""
    return datetime.combine(beijing_day(now) + timedelta(days=1), QUIET_END, tzinfo=BEIJING)


def in_quiet_hours(now: datetime) -> bool:
    """Whether `now` is between 22:00 and 08:00 Beijing time."""
    local = _aware(now).astimezone(BEIJING).timetz().replace(tzinfo=None)
    return local >= QUIET_START or local < QUIET_END


def quiet_until(now: datetime, urgent: bool) -> datetime | None:
    """Until when a citizen SMS due at `now` is held: the next 08:00 Beijing during the quiet
    hours, None outside them or for an urgent case."""
    if urgent or not in_quiet_hours(now):
        return None
    local = _aware(now).astimezone(BEIJING)
    morning = datetime.combine(local.date(), QUIET_END, tzinfo=BEIJING)
    return morning if local < morning else morning + timedelta(days=1)


def signed(text: str, signature: str = DEFAULT_SIGNATURE) -> str:
    """`text` with `signature` at its front, once: a signature the text starts with already
    (the configured one, or the default the templates carry) is not repeated."""
    body = text.strip()
    for known in dict.fromkeys((signature, DEFAULT_SIGNATURE)):
        while known and body.startswith(known):
            body = body[len(known) :].lstrip()
    return f"{signature}{body}"


def retry_delay(attempt: int, initial: timedelta, maximum: timedelta) -> timedelta:
    """The wait after failed attempt `attempt` (1-based): `initial`, doubling, at most
    `maximum` (what the delivery's Temporal retry policy does)."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    delay: timedelta = initial * float(2 ** (attempt - 1))
    return min(delay, maximum)


def normalise_phone(phone: str) -> str | None:
    """The number as digits only, without +86 / 0086 / 86 before a mobile number; None if it
    is not a mainland phone number."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", phone))
    for prefix in _COUNTRY_PREFIXES:
        if compact.startswith(prefix):
            compact = compact.removeprefix(prefix)
            break
    if not compact.isdigit() or not 5 <= len(compact) <= 20:
        return None
    if compact.startswith("86") and len(compact) == 13 and compact[2] == "1":
        compact = compact[2:]
    return compact


def phone_hash(phone: str) -> str:
    """The sha256 (hex) of the normalised number, as `sms_opt_outs` keeps it (the raw text's
    hash for something that is not a phone number, which never matches an opted-out one)."""
    normal = normalise_phone(phone)
    return hashlib.sha256((normal if normal is not None else phone).encode("utf-8")).hexdigest()
