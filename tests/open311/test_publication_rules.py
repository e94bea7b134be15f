"""`rules.publication` as pure code, and its SQL form in `api.open311.queries` agreeing with it
on every combination of channel, case type and confidentiality."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from api.open311.queries import published
from db.engine import make_engine, session_factory
from db.tables import CaseRow
from models.enums import CaseType, Channel
from rules.publication import PublicationFacts, public_text_problems, publishable, refusals
from tests.builders import received_projection


def test_only_open311_cases_neither_confidential_nor_reports_are_published() -> None:
    assert publishable(PublicationFacts("open311", "help", False))
    assert publishable(PublicationFacts("open311", "complaint", False))
    assert refusals(PublicationFacts("phone", "report", True)) == [
        "it came in by phone, not through Open311",
        "it is confidential",
        "it is a report (举报)",
    ]
    for channel in Channel:
        if channel is not Channel.OPEN311:
            assert not publishable(PublicationFacts(channel, "help", False))
    assert not publishable(PublicationFacts("open311", "report", False))
    assert not publishable(PublicationFacts("open311", "help", True))


def test_the_sql_filter_is_the_same_policy(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'policy.db'}")
    CaseRow.__table__.create(engine)  # type: ignore[attr-defined]
    sessions = session_factory(engine)
    at = datetime(2026, 11, 30, tzinfo=UTC)
    combinations = list(itertools.product(Channel, CaseType, (False, True)))
    rows = [
        received_projection(
            f"GY20261130-{n:06d}",
            at,
            channel=channel.value,
            case_type=case_type.value,
            confidential=confidential,
        ).model_dump()
        for n, (channel, case_type, confidential) in enumerate(combinations)
    ]
    with sessions.begin() as session:
        session.execute(insert(CaseRow), rows)
    with sessions() as session:
        selected = set(session.scalars(select(CaseRow.case_no).where(published())))
    expected = {
        row["case_no"]
        for row in rows
        if publishable(PublicationFacts(row["channel"], row["case_type"], row["confidential"]))
    }
    assert selected == expected
    assert len(expected) == len(CaseType) - 1  # open311, not confidential, not a report


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("黔灵片区停水，正在抢修", []),
        ("请拨打12345咨询", []),
        ("与工单 GY20261128-000123 同一片区", []),
        ("", ["blank"]),
        ("  \n ", ["blank"]),
        ("停" * 1001, ["too_long"]),
        ("请联系 0851-8888 8888", ["phone_number"]),
        ("联系13912345678", ["phone_number", "caller_phone"]),
        ("张三丰反映停水", ["caller_name"]),
    ],
)
def test_public_text_problems(text: str, rules: list[str]) -> None:
    found = public_text_problems(text, "张三丰", ["13912345678"])
    assert [problem.rule for problem in found] == rules
    assert not any("张三丰" in p.message or "13912345678" in p.message for p in found)


def test_a_one_character_name_is_not_looked_for() -> None:
    assert public_text_problems("王府井片区停水", "王", []) == []
