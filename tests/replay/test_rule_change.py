"""The README's worked example of a rule change: consultation handling from 2 to 3 working days.

The change is an amendment of the time-limit table (rules/time_limits.py), pinned per case by
`workflow.patched`: cases started before it keep 2 working days on every later step, cases
started after it get 3, and both histories replay. Replay alone does not catch a changed
duration (deadlines are recorded results), which is why the table is amended, not edited.
"""

from __future__ import annotations

import pytest
from temporalio.client import Client

from audit.replay import replay_history
from models.commands import Dispatch
from models.enums import CaseType
from models.intake import ToDispatch
from models.state import Deadline
from rules import time_limits
from rules.time_limits import Amendment, days
from tests.workflows.cases import CaseHandle, intake, start, until
from workflows.case import CaseWorkflow

CONSULTATION_3_DAYS = Amendment(
    edition=2,
    patch_id="consultation-handling-3-working-days",
    summary="consultation handling: 3 working days (was 2)",
    handling_normal={CaseType.CONSULTATION: days(3)},
)


async def waiting_consultation(client: Client) -> CaseHandle:
    """A consultation waiting for the dispatcher: its handling limit is not computed yet."""
    handle = await start(client, intake(case_type=CaseType.CONSULTATION, outcome=ToDispatch()))
    await until(handle, lambda s: bool(s.clocks))
    return handle


async def handling_deadline(handle: CaseHandle) -> Deadline:
    view = await handle.execute_update(
        CaseWorkflow.dispatch, Dispatch(by="disp-1", lead_department="gy-market")
    )
    assert view.status.value == "dispatched"
    state = await handle.query(CaseWorkflow.state)
    (clock,) = [c for c in state.clocks if c.key == "handling"]
    return clock.deadline


async def test_cases_keep_the_limits_they_started_under(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await waiting_consultation(client)

    monkeypatch.setattr(time_limits, "AMENDMENTS", (CONSULTATION_3_DAYS,))  # the deploy
    after = await waiting_consultation(client)

    old = await handling_deadline(before)  # a step taken after the change, on an old case
    new = await handling_deadline(after)
    assert (old.working_days, old.limits_edition) == (2, 1)
    assert (new.working_days, new.limits_edition) == (3, 2)
    assert (await before.query(CaseWorkflow.state)).limits_edition == 1
    assert (await after.query(CaseWorkflow.state)).limits_edition == 2

    # Both histories replay under the amended code: the old one finds no patch marker.
    for handle in (before, after):
        outcome = await replay_history(await handle.fetch_history())
        assert outcome.ok, outcome.plain()


async def test_editing_the_table_in_place_would_change_running_cases_silently(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = await waiting_consultation(client)
    monkeypatch.setitem(time_limits.HANDLING_NORMAL, CaseType.CONSULTATION, days(3))

    deadline = await handling_deadline(running)

    # The case started under 2 working days and now gets 3, and replay cannot tell: the
    # computed deadline is a recorded result. Hence amendments, not edits.
    assert deadline.working_days == 3
    assert (await replay_history(await running.fetch_history())).ok
