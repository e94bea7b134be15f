"""Replaying a closed case from each source, and the divergence report on a broken workflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from audit.replay import case_replayer, replay_history
from audit.replay_all import replay_all
from audit.sources import (
    HistoryNotFoundError,
    LoadedHistory,
    Source,
    from_archive,
    from_engine,
    from_file,
)
from connection.client import data_converter
from db.engine import make_engine, session_factory
from tests.cli.runner import Hotline, hotline_runner
from tests.replay.archived import archived_case
from tests.replay.broken_workflow import TimerBeforeDispatchWorkflow
from tests.workflows.cases import drive_to_closure, intake, start
from tests.workflows.test_escalation import temporal_cli
from workflows.archive import ArchiveCaseWorkflow
from workflows.case import workflow_id


@pytest.fixture
def hotline(env: WorkflowEnvironment, client: Client, database_url: str) -> Hotline:
    return hotline_runner(env, database_url)


@pytest.fixture
async def closed_case(client: Client) -> str:
    case = intake()
    handle = await start(client, case)
    await drive_to_closure(handle)
    return case.case_no


async def test_replays_from_the_engine(client: Client, closed_case: str) -> None:
    loaded = await from_engine(client, closed_case)
    outcome = await replay_history(loaded.history)
    assert outcome.ok, outcome.plain()
    assert loaded.source is Source.ENGINE
    assert outcome.events == len(loaded.history.events) > 20


async def test_replays_from_the_archive(client: Client, database_url: str) -> None:
    case_no = await archived_case(client)
    loaded = from_archive(session_factory(make_engine(database_url)), case_no)
    outcome = await replay_history(loaded.history)
    assert outcome.ok, outcome.plain()
    assert loaded.source is Source.ARCHIVE and "archive (code " in loaded.origin


async def test_replays_our_export_and_the_stock_cli_export(
    env: WorkflowEnvironment, client: Client, closed_case: str, tmp_path: Path
) -> None:
    ours = tmp_path / f"case-{closed_case}.json"
    ours.write_text((await from_engine(client, closed_case)).history.to_json())
    stock = tmp_path / "stock.json"
    stock.write_text(
        temporal_cli(
            env, "workflow", "show", "--workflow-id", workflow_id(closed_case), "--output", "json"
        )
    )
    for path in (ours, stock):
        loaded = from_file(path, closed_case if path is stock else None)
        assert loaded.history.workflow_id == workflow_id(closed_case)
        outcome = await replay_history(loaded.history)
        assert outcome.ok, f"{path.name}: {outcome.plain()}"


def test_a_file_that_is_not_a_history_is_named(tmp_path: Path) -> None:
    for name, text, reason in [
        ("missing.json", None, "no such file"),
        ("garbage.json", "{not json", "not a JSON history"),
        ("other.json", json.dumps({"cases": []}), 'no "events" list'),
        ("empty.json", json.dumps({"events": []}), "no events"),
    ]:
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(HistoryNotFoundError, match=reason):
            from_file(path)


async def test_an_incompatible_change_is_reported_in_plain_words(
    client: Client, closed_case: str
) -> None:
    history = (await from_engine(client, closed_case)).history
    broken = Replayer(
        workflows=[TimerBeforeDispatchWorkflow, ArchiveCaseWorkflow],
        data_converter=data_converter(),
    )
    outcome = await replay_history(history, broken)
    assert not outcome.ok and outcome.divergence is not None
    divergence = outcome.divergence
    scheduled = next(e for e in history.events if e.event_id == divergence.event_id)
    assert scheduled.activity_task_scheduled_event_attributes.activity_type.name == "route_case"
    assert divergence.plain() == (
        f"at event {divergence.event_id} the history records activity 'route_case' scheduled, "
        "but the current code started a timer there instead"
    )
    # The same history replays with today's code: the gate tells the two apart.
    assert (await replay_history(history, case_replayer())).ok


async def test_cli_replays_one_case_and_reports_a_missing_one(
    hotline: Hotline, closed_case: str
) -> None:
    done = await hotline("audit", "replay", closed_case)
    assert done.returncode == 0, done.stderr
    assert f"case-{closed_case}: replays (" in done.stdout
    missing = await hotline("audit", "replay", "GY20000101-000001")
    assert missing.returncode == 1
    reason = "no history of case GY20000101-000001: neither the engine nor the archive has it"
    assert reason in missing.stderr
    assert "Traceback" not in missing.stderr


async def test_cli_options_that_do_not_go_together(hotline: Hotline, tmp_path: Path) -> None:
    for args, message in [
        ((), "give one case number, --file PATH, or --all"),
        (("--all", "GY20261128-000001"), "give one case number, --file PATH, or --all"),
        (("--source", "file"), "--source file needs --file PATH"),
        (("--file", str(tmp_path / "h.json"), "--all"), "--file replays one file"),
        (("--status", "closed", "GY20261128-000001"), "--status filters --all"),
    ]:
        result = await hotline("audit", "replay", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr
    bad_no = await hotline("audit", "replay", "12345")
    assert bad_no.returncode == 2 and "is not a case number" in bad_no.stderr


async def test_cli_replays_all_with_a_progress_bar_and_a_rate(
    hotline: Hotline, client: Client, closed_case: str
) -> None:
    result = await hotline("audit", "replay", "--all", "--status", "closed", "--jobs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replaying" in result.stderr  # the progress bar
    summary = result.stdout.strip().splitlines()[-1]
    assert "histories/s" in summary and "0 diverge, 0 failed" in summary
    as_json = await hotline("audit", "replay", "--all", "--status", "closed", "--json")
    document = json.loads(as_json.stdout)
    assert document["total"] >= 1 and document["total"] == document["replayed"]
    assert document["histories_per_second"] > 0


async def test_cli_replays_from_the_archive(hotline: Hotline, client: Client) -> None:
    case_no = await archived_case(client)
    one = await hotline("audit", "replay", case_no, "--source", "archive")
    assert one.returncode == 0, one.stderr
    assert f"case-{case_no}: replays (" in one.stdout
    many = await hotline("audit", "replay", "--all", "--source", "archive", "--json")
    assert many.returncode == 0, many.stderr
    document = json.loads(many.stdout)
    assert document["total"] >= 1 and not document["diverged"] and not document["failed"]


async def test_replay_all_in_worker_processes(client: Client) -> None:
    keys = []
    for _ in range(3):
        case = intake()
        await drive_to_closure(await start(client, case))
        keys.append(case.case_no)
    seen: list[str] = []

    async def fetch(key: str) -> LoadedHistory:
        return await from_engine(client, key)

    summary = await replay_all(
        [*keys, "GY20000101-000009"],
        fetch,
        jobs=2,
        on_outcome=lambda outcome: seen.append(outcome.workflow_id),
        histories_per_process=1,
    )
    assert (summary.total, summary.replayed, len(summary.diverged)) == (4, 3, 0)
    [missing] = summary.failed
    assert "no history for case GY20000101-000009" in (missing.error or "")
    assert sorted(seen) == sorted([*(f"case-{k}" for k in keys), "GY20000101-000009"])
    assert summary.rate > 0 and "4 histories in" in summary.plain()
