"""`hotline audit timeline` as an auditor runs it: a subprocess against the test server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.archive_store import load_archive
from services.access_log import access_entries
from tests.audit.timeline_support import NAME, PHONE, sessions
from tests.cli.runner import Hotline, hotline_runner
from tests.workflows.cases import drive_to_closure, intake, start


@pytest.fixture
def hotline(env: WorkflowEnvironment, client: Client, database_url: str) -> Hotline:
    return hotline_runner(env, database_url)


async def closed_case(client: Client) -> str:
    case = intake()
    await drive_to_closure(await start(client, case))
    return case.case_no


async def test_text_timeline_of_a_closed_case(
    hotline: Hotline, client: Client, database_url: str
) -> None:
    case_no = await closed_case(client)
    result = await hotline("audit", "timeline", case_no)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"case {case_no}: closed (resolved)")
    assert "source          engine" in out
    assert "gy-market signed for the case" in out
    assert "handling deadline computed: due" in out
    assert "cross-check with the database: clean" in out
    assert PHONE not in out and NAME not in out and "138****1234" in out
    unexplained = await hotline("audit", "timeline", case_no, "--personal")
    assert unexplained.returncode == 2
    assert "--personal needs --by USER and --purpose WHY" in unexplained.stderr
    personal = await hotline(
        "audit", "timeline", case_no, "--personal", "--by", "aud-1", "--purpose", "复核投诉"
    )
    assert personal.returncode == 0 and PHONE in personal.stdout and NAME in personal.stdout
    [entry] = access_entries(sessions(database_url), case_no=case_no)
    assert (entry.user_id, entry.role, entry.action) == ("aud-1", "auditor", "view")
    assert entry.purpose == "复核投诉 (hotline audit timeline)"
    assert entry.fields == ["caller.name", "caller.phones", "location.address"]


async def test_json_and_html_outputs(hotline: Hotline, client: Client, tmp_path: Path) -> None:
    case_no = await closed_case(client)
    result = await hotline("audit", "timeline", case_no, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["crosscheck"]["clean"] is True
    actions = [e["action"] for e in document["timeline"]["entries"] if e["kind"] != "deadline"]
    assert actions == [
        "intake",
        "dispatch",
        "sign_off",
        "reply",
        "reply_approved",
        "callback",
        "archive",
    ]
    assert PHONE not in result.stdout

    page = tmp_path / "timeline.html"
    result = await hotline("audit", "timeline", case_no, "--format", "html", "--output", str(page))
    assert result.returncode == 0, result.stderr
    assert f"timeline of {len(document['timeline']['entries'])} entries" in result.stdout
    assert "cross-check with the database: clean" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "gy-market signed for the case" in html


async def test_a_mismatch_is_reported_with_exit_1(
    hotline: Hotline, client: Client, database_url: str
) -> None:
    case_no = await closed_case(client)
    with sessions(database_url).begin() as session:
        session.execute(
            text("UPDATE case_transitions SET action = 'note' WHERE case_no = :no AND seq = 2"),
            {"no": case_no},
        )
    result = await hotline("audit", "timeline", case_no)
    assert result.returncode == 1, result.stderr
    assert "cross-check with the database: 1 mismatch(es)" in result.stdout
    assert (
        "transition 2 (dispatch): action is dispatch in the history but note in the transition log"
    ) in result.stdout


async def test_history_file_and_archive_sources(
    hotline: Hotline, client: Client, database_url: str, tmp_path: Path
) -> None:
    case = intake()
    handle = await start(client, case)
    await drive_to_closure(handle)
    path = tmp_path / f"case-{case.case_no}.json"
    path.write_text((await handle.fetch_history()).to_json(), encoding="utf-8")
    from_file = await hotline("audit", "timeline", case.case_no, "--file", str(path))
    assert from_file.returncode == 0, from_file.stderr
    assert f"source          {path}" in from_file.stdout
    from_engine = await hotline("audit", "timeline", case.case_no)
    assert from_engine.returncode == 0, from_engine.stderr

    def lines(out: str) -> list[str]:
        return [line for line in out.splitlines() if "[event " in line]

    assert lines(from_file.stdout) == lines(from_engine.stdout)

    factory = sessions(database_url)
    for _ in range(200):  # the archive workflow stores the history right after closure
        if load_archive(factory, case.case_no) is not None:
            break
        await asyncio.sleep(0.1)
    from_archive = await hotline("audit", "timeline", case.case_no, "--source", "archive")
    assert from_archive.returncode == 0, from_archive.stderr
    assert "source          archive (code" in from_archive.stdout
    assert lines(from_archive.stdout) == lines(from_engine.stdout)


async def test_missing_case_and_bad_options(hotline: Hotline, tmp_path: Path) -> None:
    missing = await hotline("audit", "timeline", "GY20991231-999999")
    assert missing.returncode == 1
    assert "no history of case GY20991231-999999" in missing.stderr
    assert "Traceback" not in missing.stderr
    engine_only = await hotline("audit", "timeline", "GY20991231-999999", "--source", "engine")
    assert engine_only.returncode == 1
    assert "the engine holds no history for case GY20991231-999999" in engine_only.stderr
    no_file = await hotline("audit", "timeline", "GY20991231-999999", "--source", "file")
    assert no_file.returncode == 2 and "--source file needs --file PATH" in no_file.stderr
    not_json = tmp_path / "x.json"
    not_json.write_text("not json", encoding="utf-8")
    bad = await hotline("audit", "timeline", "GY20991231-999999", "--file", str(not_json))
    assert bad.returncode == 1 and "not a JSON history" in bad.stderr
    bad_no = await hotline("audit", "timeline", "not-a-case")
    assert bad_no.returncode == 2
