"""退订: the phone numbers that asked for no more SMS, and the citizen's reply that asks.

A number is kept only as the sha256 of its normalised form (`sms_opt_outs.phone_hash`), never
as the number itself, so the table answers "has this number opted out?" and nothing else. A
reply of 退订, TD or T (trimmed; full-width letters and any case alike) to one of our SMS opts
its sender out (`inbound_sms`); anything else is ignored. An operator or an administrator can
opt a number out or back in (`hotline notices opt-out|opt-in`). No log line or error message
here holds a number.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from db.engine import SessionFactory
from db.tables import SmsOptOutRow
from models.errors import BadDataError
from rules import notice_rules as rules

logger = logging.getLogger(__name__)

OptOutSource = Literal["sms_reply", "operator", "api"]
OPT_OUT_WORDS: frozenset[str] = frozenset({"退订", "td", "t"})
"""The replies that mean 退订 (after NFKC, trimming and case folding)."""


class PhoneNumberError(BadDataError, ValueError):
    """Not a phone number (the message never repeats what was given)."""


class InboundAction(StrEnum):
    """What an inbound SMS did."""

    OPTED_OUT = "opted_out"  # the sender is opted out now
    ALREADY_OPTED_OUT = "already_opted_out"  # it had been before
    IGNORED = "ignored"  # not a 退订 reply: nothing was done


def normalise_phone(phone: str) -> str:
    """The number as digits only, without the +86 / 0086 prefix: ` +86 139-0000-1111` →
    `13900001111` (`rules.notice_rules`, as delivery reads it). PhoneNumberError if it is not
    a phone number."""
    normal = rules.normalise_phone(phone)
    if normal is None:
        raise PhoneNumberError("not a phone number: digits only, with or without the country code")
    return normal


def phone_hash(phone: str) -> str:
    """The sha256 (hex) of the normalised number: all `sms_opt_outs` keeps of it, and what the
    delivery looks up before it texts a number (`rules.notice_rules.phone_hash`)."""
    return rules.phone_hash(normalise_phone(phone))


def opt_out(sessions: SessionFactory, phone: str, source: OptOutSource, now: datetime) -> bool:
    """Opt the number out of every SMS; True if it was not opted out before."""
    key = phone_hash(phone)
    try:
        with sessions.begin() as session:
            if session.get(SmsOptOutRow, key) is not None:
                return False
            session.add(SmsOptOutRow(phone_hash=key, opted_out_at=now, source=source))
    except IntegrityError:  # the same number opted out at the same moment elsewhere
        return False
    logger.info("a phone number opted out of SMS (%s)", source)
    return True


def opt_in(sessions: SessionFactory, phone: str, source: OptOutSource) -> bool:
    """Let the number receive SMS again; True if it had opted out."""
    key = phone_hash(phone)
    with sessions.begin() as session:
        removed = session.execute(delete(SmsOptOutRow).where(SmsOptOutRow.phone_hash == key))
    found = bool(removed.rowcount)  # type: ignore[attr-defined]
    if found:
        logger.info("a phone number opted in to SMS again (%s)", source)
    return found


def is_opted_out(sessions: SessionFactory, phone: str) -> bool:
    """Whether the number asked for no more SMS."""
    key = phone_hash(phone)
    with sessions() as session:
        found = session.scalar(
            select(SmsOptOutRow.phone_hash).where(SmsOptOutRow.phone_hash == key)
        )
    return found is not None


def is_opt_out_reply(text: str) -> bool:
    """A reply of 退订 / TD / T, trimmed, in any width and case."""
    return unicodedata.normalize("NFKC", text).strip().casefold() in OPT_OUT_WORDS


def inbound_sms(sessions: SessionFactory, sender: str, text: str, now: datetime) -> InboundAction:
    """A citizen's SMS to the centre, from the gateway: a 退订 reply opts the sender out.

    PhoneNumberError if `sender` is not a phone number (only for a 退订 reply: anything else
    is ignored without looking at the sender)."""
    if not is_opt_out_reply(text):
        return InboundAction.IGNORED
    if opt_out(sessions, sender, "sms_reply", now):
        return InboundAction.OPTED_OUT
    return InboundAction.ALREADY_OPTED_OUT
