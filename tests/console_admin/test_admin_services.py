"""The services the administrator's pages and the API share, on SQLite and PostgreSQL: every
refusal names its field and writes nothing; a user disabled and enabled again; the wording
check on phrase edits; a year's schedule refused per field."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from db.engine import SessionFactory
from db.tables import CalendarYearRow
from knowledge.phrases import PhraseEdit, current_phrases, phrase_history
from models.enums import Situation
from services.calendar_years import (
    ScheduleRefused,
    YearScheduleBody,
    list_years,
    publish_year,
    schedule_errors,
)
from services.phrase_edits import PhraseWordingRefused, edit_phrase
from services.principals import UserRefused, activate_user, add_user, deactivate_user, get_user
from services.reference_data import (
    CatalogueConflict,
    CatalogueEntry,
    Department,
    ReferenceRefused,
    add_catalogue_entry,
    list_catalogue,
    list_departments,
    save_department,
)
from services.tokens import VerificationCache, authenticate, issue_token


def entry(**changes: object) -> CatalogueEntry:
    values: dict[str, object] = {"category": "文化旅游/景区投诉", "lead_department": "gy-water"}
    return CatalogueEntry.model_validate(values | changes)


def test_catalogue_refusals_name_the_field_and_write_nothing(sessions: SessionFactory):
    before = list_catalogue(sessions)
    for bad, field in [
        (entry(lead_department="no-such"), "lead_department"),
        (entry(assisting_departments=["gy-market", "no-such"]), "assisting_departments"),
        (entry(assisting_departments=["gy-water"]), "assisting_departments"),
    ]:
        with pytest.raises(ReferenceRefused) as caught:
            add_catalogue_entry(sessions, bad)
        assert caught.value.field == field
    assert list_catalogue(sessions) == before
    added = add_catalogue_entry(sessions, entry(district="云岩区"))
    assert added.id is not None
    with pytest.raises(CatalogueConflict):
        add_catalogue_entry(sessions, entry(district="云岩区"))
    add_catalogue_entry(sessions, entry())  # "any district" is another entry
    with pytest.raises(CatalogueConflict):
        add_catalogue_entry(sessions, entry())
    assert len(list_catalogue(sessions)) == len(before) + 2


def test_a_department_is_renamed_and_deactivated(sessions: SessionFactory):
    culture = Department(id="gy-culture", name="文化局", kind="functional")
    save_department(sessions, culture)
    save_department(sessions, culture.model_copy(update={"name": "文化和旅游局", "active": False}))
    [saved] = [d for d in list_departments(sessions) if d.id == "gy-culture"]
    assert (saved.name, saved.active) == ("文化和旅游局", False)


def test_a_schedule_is_refused_per_field_and_nothing_is_published(sessions: SessionFactory):
    assert schedule_errors(2091, [date(2090, 1, 1)], []) == {
        "holidays": "holidays entry 2090-01-01 is not in year 2091"
    }
    assert set(schedule_errors(2091, [], [date(2092, 1, 1)])) == {"workdays"}
    both = schedule_errors(2091, [date(2091, 1, 1)], [date(2091, 1, 1)])
    assert "both holidays and workdays" in both["workdays"]
    assert set(schedule_errors(1999, [], [])) == {"year"}
    bad = YearScheduleBody(holidays=[date(2091, 1, 1), date(2090, 5, 1)], workdays=[])
    with pytest.raises(ScheduleRefused) as caught:
        publish_year(sessions, 2091, bad, "admin-1")
    assert set(caught.value.errors) == {"holidays"}
    with sessions() as session:
        assert (
            session.scalars(select(CalendarYearRow).where(CalendarYearRow.year == 2091)).all() == []
        )
    good = YearScheduleBody(holidays=[date(2091, 1, 1)], workdays=[date(2091, 1, 6)])
    published = publish_year(sessions, 2091, good, "admin-1")
    assert (published.updated_by, published.workdays) == ("admin-1", [date(2091, 1, 6)])
    assert [y.year for y in list_years(sessions)] == [2091]


def test_a_phrase_to_be_said_may_not_contain_forbidden_wording(sessions: SessionFactory):
    forbidden = edit_phrase(
        sessions, PhraseEdit(situation=Situation.FORBIDDEN, key="t-kick", text="踢皮球", by="a")
    )
    assert forbidden.version == 1  # the forbidden list itself is not checked
    with pytest.raises(PhraseWordingRefused) as caught:
        edit_phrase(
            sessions,
            PhraseEdit(situation=Situation.HOLD, key="t-hold", text="请别踢皮球，稍候", by="a"),
        )
    assert [f.expression for f in caught.value.findings] == ["踢皮球"]
    assert phrase_history(sessions, Situation.HOLD, "t-hold") == []
    saved = edit_phrase(
        sessions, PhraseEdit(situation=Situation.HOLD, key="t-hold", text="请您稍候", by="a")
    )
    assert saved.version == 1
    assert "t-hold" in {p.key for p in current_phrases(sessions, Situation.HOLD)}


def test_user_refusals_name_the_field(sessions: SessionFactory):
    for args, field in [
        (("bad id", "x", "operator"), "id"),
        (("ok-1", " ", "operator"), "name"),
        (("ok-1", "x", "mayor"), "role"),
        (("ok-1", "x", "department"), "department"),
        (("ok-1", "x", "operator", "gy-water"), "department"),
        (("ok-1", "x", "department", "no-such"), "department"),
        (("op-001", "x", "operator"), "id"),
    ]:
        with pytest.raises(UserRefused) as caught:
            add_user(sessions, *args)
        assert caught.value.field == field, args
        assert isinstance(caught.value, ValueError)  # older callers catch ValueError
    assert get_user(sessions, "ok-1") is None


def test_a_disabled_user_is_enabled_again_with_their_tokens(sessions: SessionFactory):
    issued = issue_token(sessions, "op-001")
    cache = VerificationCache()
    assert authenticate(sessions, issued.token, cache=cache) is not None
    assert deactivate_user(sessions, "op-001") is True
    assert authenticate(sessions, issued.token, cache=cache) is None
    assert activate_user(sessions, "op-001") is True
    assert activate_user(sessions, "op-001") is False
    assert authenticate(sessions, issued.token, cache=cache) is not None
    with pytest.raises(ValueError):
        activate_user(sessions, "no-such")
