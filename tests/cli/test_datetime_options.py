"""Every datetime option of `hotline` carries its UTC offset, or the command stops with exit
code 2 naming the option, before it writes or sends anything.

Before, `escalate --deadline 2026-12-01T18:00` was taken as Beijing time by a guess, and
`audit replay --since` could not take an offset at all. A day where a day is meant stays a day.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.engine import make_engine, session_factory
from db.tables import CaseNumberRow
from tests.cli.runner import Hotline, hotline_runner
from tests.cli.test_cli import data, dispatched_case, eventually, intake_args

NAIVE = "2026-12-01T10:00:00"
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def hotline(env: WorkflowEnvironment, client: Client, database_url: str) -> Hotline:
    return hotline_runner(env, database_url)


def case_numbers(database_url: str) -> int:
    with session_factory(make_engine(database_url))() as session:
        return int(session.scalar(select(func.count()).select_from(CaseNumberRow)) or 0)


def refused_option(result: subprocess.CompletedProcess[str], option: str) -> None:
    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr}"
    assert f"Invalid value for '{option}'" in result.stderr
    assert "needs a UTC offset" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_naive_received_at_exits_2_and_burns_no_case_number(
    hotline: Hotline, database_url: str
) -> None:
    before = case_numbers(database_url)

    naive = await hotline(*intake_args("--dispatch", "--received-at", NAIVE, "--json"))

    refused_option(naive, "--received-at")
    assert case_numbers(database_url) == before
    view = data(
        await hotline(
            *intake_args("--dispatch", "--received-at", "2026-12-01T10:00+08:00", "--json")
        )
    )
    assert case_numbers(database_url) == before + 1
    state = data(await hotline("case", "show", view["case_no"], "--json"))
    assert datetime.fromisoformat(state["received_at"]) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def test_a_naive_escalation_deadline_exits_2_and_sends_nothing(hotline: Hotline) -> None:
    case_no = await dispatched_case(hotline)
    escalate = ("escalate", case_no, "--level", "1", "--note", "督办", "--by", "sup-1")

    naive = await hotline(*escalate, "--deadline", "2026-12-01T18:00")

    refused_option(naive, "--deadline")
    garbage = await hotline(*escalate, "--deadline", "tomorrow")
    assert garbage.returncode == 2 and "not an ISO 8601 datetime" in garbage.stderr
    state: dict[str, Any] = data(await hotline("case", "show", case_no, "--json"))
    assert state["escalation_level"] == 0
    sent = await hotline(*escalate, "--deadline", "2026-12-01T10:00Z")
    assert sent.returncode == 0, sent.stderr
    assert "requested deadline 2026-12-01 18:00" in sent.stdout  # shown in Beijing time

    async def escalated() -> bool:
        shown = data(await hotline("case", "show", case_no, "--json"))
        return bool(shown["escalation_level"] == 1)

    await eventually(escalated)


async def test_replay_windows_take_a_day_or_a_time_with_its_offset(
    hotline: Hotline, database_url: str
) -> None:
    for option in ("--since", "--until"):
        naive = await hotline("audit", "replay", "--all", option, NAIVE, "--url", database_url)
        refused_option(naive, option)

    start = datetime.now(UTC).astimezone(BEIJING) - timedelta(seconds=1)
    await dispatched_case(hotline)
    tomorrow = (datetime.now(UTC).astimezone(BEIJING) + timedelta(days=1)).date().isoformat()

    async def replay(since: str, until: str) -> Any:
        window = ("--since", since, "--until", until, "--json", "--url", database_url)
        return data(await hotline("audit", "replay", "--all", "--source", "engine", *window))

    async def found() -> bool:
        return bool((await replay(start.isoformat(), tomorrow))["total"] >= 1)

    await eventually(found)
    summary = await replay(start.isoformat(), tomorrow)
    assert summary["diverged"] == [] and summary["failed"] == []
    later = (start + timedelta(hours=1)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert (await replay(later, tomorrow))["total"] == 0  # the time of day counts, in UTC too
