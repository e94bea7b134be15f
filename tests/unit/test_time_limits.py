"""Amendments of the time-limit table: the edition a case started under decides its limits."""

from __future__ import annotations

import pytest

from models.enums import CaseType, Step, Urgency
from rules import time_limits
from rules.time_limits import Amendment, days, hours, limit_for

SIGN_OFF_FASTER = Amendment(
    edition=2,
    patch_id="sign-off-4-hours",
    summary="sign-off: 4 hours",
    step_limits={Step.SIGN_OFF: {Urgency.NORMAL: hours(4)}},
)
SIGN_OFF_SLOWER = Amendment(
    edition=3,
    patch_id="sign-off-2-days",
    summary="sign-off: 2 working days; help handling 6",
    step_limits={Step.SIGN_OFF: {Urgency.NORMAL: days(2)}},
    handling_normal={CaseType.HELP: days(6)},
)


def test_without_amendments_the_table_stands() -> None:
    assert limit_for(Step.SIGN_OFF, Urgency.NORMAL, CaseType.COMPLAINT, False) == days(1)
    assert limit_for(Step.HANDLING, Urgency.NORMAL, CaseType.COMPLAINT, False) == days(10)
    assert limit_for(Step.HANDLING, Urgency.URGENT, CaseType.COMPLAINT, False) == hours(2)
    assert limit_for(Step.HANDLING, Urgency.NORMAL, CaseType.HELP, True) == days(15)


def test_each_edition_sees_the_newest_amendment_up_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time_limits, "AMENDMENTS", (SIGN_OFF_FASTER, SIGN_OFF_SLOWER))

    def sign_off(edition: int) -> time_limits.Limit:
        return limit_for(Step.SIGN_OFF, Urgency.NORMAL, CaseType.COMPLAINT, False, edition)

    assert [sign_off(edition) for edition in (1, 2, 3)] == [days(1), hours(4), days(2)]
    help_handling = [
        limit_for(Step.HANDLING, Urgency.NORMAL, CaseType.HELP, False, edition)
        for edition in (1, 2, 3)
    ]
    assert help_handling == [days(5), days(5), days(6)]
    # What an amendment does not name stays as in the table; urgent and complex limits too.
    assert limit_for(Step.SIGN_OFF, Urgency.URGENT, CaseType.HELP, False, 3) == hours(0.5)
    assert limit_for(Step.HANDLING, Urgency.NORMAL, CaseType.HELP, True, 3) == days(15)
