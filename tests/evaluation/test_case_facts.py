"""The per-case facts: the store's hook folds each newly written transition once (a repeated
record changes nothing), and migration 0010's backfill from the log gives the same rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from activities.store import record_transition
from db import engine as db
from db.engine import SessionFactory, make_engine
from db.evaluation_tables import CaseFactsRow
from evaluation.facts import fold
from migrations.runner import downgrade, upgrade
from tests.databases import NO_POSTGRES, drop_everything, postgres_schema_url
from tests.evaluation.case_fixtures import RENDERER, CaseBuilder, at, november
from workers.composition import transition_hooks

FLAGS = ("callback_required", "sign_off_overdue", "handling_overdue")


def stored_facts(sessions: SessionFactory) -> dict[str, dict[str, Any]]:
    with sessions() as session:
        rows = session.execute(select(CaseFactsRow.__table__)).all()
    return {
        row.case_no: {
            name: bool(value)
            if name in ("callback_required", "sign_off_overdue", "handling_overdue")
            else value
            for name, value in row._mapping.items()
        }
        for row in rows
    }


def reference(cases: dict[str, CaseBuilder]) -> dict[str, dict[str, Any]]:
    return fold(record.transition for built in cases.values() for record in built.records)


def test_the_hook_keeps_one_row_per_case_as_the_log_says(session_factory):
    cases = november(session_factory)

    facts = stored_facts(session_factory)

    assert len(facts) == len(cases) == 16
    assert facts == reference(cases)


def test_facts_by_hand(session_factory):
    cases = november(session_factory)
    facts = stored_facts(session_factory)

    h = facts[cases["H"].case_no]
    assert (h["dispatches"], h["returns"], h["extensions_approved"]) == (1, 0, 1)
    assert (h["replies"], h["replies_late"], h["reopens"]) == (2, 0, 1)
    assert (h["sign_off_overdue"], h["handling_overdue"], h["callback_required"]) == (
        True,
        True,
        True,
    )
    i = facts[cases["I"].case_no]
    assert (i["returns"], i["returns_rejected"], i["returns_approved"]) == (1, 1, 0)
    assert (i["replies"], i["replies_late"], i["reopens"], i["sign_off_overdue"]) == (
        2,
        1,
        1,
        False,
    )
    j = facts[cases["J"].case_no]
    assert (j["dispatches"], j["returns"], j["returns_approved"]) == (2, 1, 1)
    assert j["last_dispatch_seq"] == 5  # intake, dispatch, return, approved, dispatch
    assert j["callback_required"] is False
    a = facts[cases["A"].case_no]  # a direct answer: a row, and nothing in it
    assert a == {
        "case_no": cases["A"].case_no,
        "dispatches": 0,
        "returns": 0,
        "returns_rejected": 0,
        "returns_approved": 0,
        "extensions_approved": 0,
        "replies": 0,
        "replies_late": 0,
        "reopens": 0,
        "callback_required": False,
        "last_dispatch_seq": None,
        "sign_off_overdue": False,
        "handling_overdue": False,
    }


def test_a_dispatch_starts_the_lead_flags_again(session_factory):
    built = (
        CaseBuilder(session_factory, 99)
        .intake(at(11, 2, 1))
        .dispatch(at(11, 2, 2), "water")
        .overdue(at(11, 2, 3), "sign_off")
        .return_(at(11, 2, 4))
        .return_approved(at(11, 2, 5))
        .dispatch(at(11, 2, 6), "housing")
        .sign_off(at(11, 2, 7))
    )

    facts = stored_facts(session_factory)[built.case_no]

    assert facts["sign_off_overdue"] is False
    assert (facts["dispatches"], facts["last_dispatch_seq"]) == (2, 6)


def test_a_repeated_record_changes_nothing(session_factory):
    cases = november(session_factory)
    before = stored_facts(session_factory)

    outcomes = [
        record_transition(session_factory, record, RENDERER, hooks=transition_hooks())
        for built in cases.values()
        for record in built.records
    ]

    assert {o.transitions_written for o in outcomes} == {0}
    assert stored_facts(session_factory) == before


# ---- the migration's backfill ---------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own at head (the backfill drops and rebuilds case_facts)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'facts.db'}"
    else:
        found = postgres_schema_url("hotline_case_facts_migration")
        if found is None:
            pytest.skip(NO_POSTGRES)
        url = found
        drop_everything(url)
    upgrade(url)
    yield url
    make_engine(url).dispose()


def test_the_backfill_gives_the_facts_of_the_hook(migrated_url):
    sessions = db.session_factory(make_engine(migrated_url))
    cases = november(sessions)
    by_hook = stored_facts(sessions)

    downgrade(migrated_url, "0009")
    upgrade(migrated_url)

    assert stored_facts(sessions) == by_hook == reference(cases)
