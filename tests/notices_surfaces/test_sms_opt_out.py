"""退订 kept as a hash: the number's forms, the replies that mean it, opting out and back in.

Runs on a fresh migrated SQLite file and on PostgreSQL (`session_factory`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from db.engine import SessionFactory
from db.tables import SmsOptOutRow
from services.sms_opt_out import (
    InboundAction,
    PhoneNumberError,
    inbound_sms,
    is_opt_out_reply,
    is_opted_out,
    normalise_phone,
    opt_in,
    opt_out,
    phone_hash,
)
from tests.activities.conftest import (  # noqa: F401
    postgres_url,
    session_factory,
    store_database_url,
)

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "written",
    [
        "13900001111",
        "139 0000 1111",
        "139-0000-1111",
        "+8613900001111",
        "008613900001111",
        "8613900001111",
        "+86 139 0000 1111",
        "１３９００００１１１１",
    ],
)
def test_every_way_of_writing_a_number_is_one_number(written: str) -> None:
    assert normalise_phone(written) == "13900001111"
    assert phone_hash(written) == hashlib.sha256(b"13900001111").hexdigest()


@pytest.mark.parametrize("bad", ["", "abc", "12", "+44 20 7946 0958", "139000011112222333344"])
def test_what_is_not_a_number_is_refused_without_repeating_it(bad: str) -> None:
    with pytest.raises(PhoneNumberError) as refused:
        normalise_phone(bad)
    assert not any(character.isdigit() for character in str(refused.value))


@pytest.mark.parametrize(
    ("text", "opts_out"),
    [
        ("退订", True),
        (" 退订\n", True),
        ("TD", True),
        ("td", True),
        ("Td", True),
        ("ＴＤ", True),
        ("ｔｄ", True),
        ("T", True),
        ("t ", True),
        ("\u3000退订\u3000", True),
        ("退订了", False),
        ("不要退订", False),
        ("TDD", False),
        ("T D", False),
        ("", False),
        ("谢谢", False),
    ],
)
def test_the_replies_that_mean_opt_out(text: str, opts_out: bool) -> None:
    assert is_opt_out_reply(text) is opts_out


def test_opt_out_and_back_in(session_factory: SessionFactory) -> None:  # noqa: F811
    phone = "13900002222"
    assert not is_opted_out(session_factory, phone)
    assert opt_out(session_factory, phone, "operator", NOW) is True
    assert opt_out(session_factory, "+86 139 0000 2222", "api", NOW) is False
    assert is_opted_out(session_factory, phone)
    with session_factory() as session:
        rows = list(session.scalars(select(SmsOptOutRow)))
    assert [(r.phone_hash, r.source, r.opted_out_at) for r in rows] == [
        (phone_hash(phone), "operator", NOW)
    ]
    assert opt_in(session_factory, phone, "operator") is True
    assert opt_in(session_factory, phone, "operator") is False
    assert not is_opted_out(session_factory, phone)


def test_an_inbound_reply(session_factory: SessionFactory) -> None:  # noqa: F811
    phone = "13900003333"
    assert inbound_sms(session_factory, phone, "收到，谢谢", NOW) is InboundAction.IGNORED
    assert not is_opted_out(session_factory, phone)
    assert inbound_sms(session_factory, phone, "TD", NOW) is InboundAction.OPTED_OUT
    assert inbound_sms(session_factory, phone, "退订", NOW) is InboundAction.ALREADY_OPTED_OUT
    assert is_opted_out(session_factory, phone)
    with pytest.raises(PhoneNumberError):
        inbound_sms(session_factory, "unknown", "TD", NOW)
