"""The SQL side of a case: one projection row, the transition log and the outbox, on both
SQLite and PostgreSQL (when DATABASE_URL names one), written by the real worker."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.engine import make_engine, session_factory
from db.seed import seed_demo
from db.tables import CaseRow, NotificationRow, TransitionRow
from migrations.runner import upgrade
from tests.workflows.cases import drive_to_closure, intake, start
from workers.worker import build_worker
from workflows.archive import archive_workflow_id
from workflows.case import CaseWorkflow


@pytest.fixture(params=["sqlite", "postgresql"])
async def projected(
    request: pytest.FixtureRequest,
    env: WorkflowEnvironment,
    database_url: str,
    tmp_path: Path,
) -> AsyncIterator[tuple[str, str]]:
    """(database url, task queue) with a worker writing to that database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'projection.db'}"
        upgrade(url)
        seed_demo(session_factory(make_engine(url)))
    elif database_url.startswith("postgresql"):
        url = database_url  # migrated and seeded by the session fixture
    else:
        pytest.skip("PostgreSQL: DATABASE_URL does not name a PostgreSQL server")
    queue = f"projection-{request.param}"
    async with build_worker(env.client, queue, url):
        yield url, queue


async def test_case_projection_log_and_outbox(env: WorkflowEnvironment, projected) -> None:
    url, queue = projected
    case = intake()
    handle = await start(env.client, case, task_queue=queue)
    await drive_to_closure(handle)
    state = await handle.query(CaseWorkflow.state)
    # The case ends once it has started its archive; the archive stamps the row after that.
    await env.client.get_workflow_handle(archive_workflow_id(case.case_no)).result()

    sessions = session_factory(make_engine(url))
    with sessions() as session:
        row = session.get(CaseRow, case.case_no)
        assert row is not None
        assert row.status == "closed" and row.closure_reason == "resolved"
        assert row.version == len(state.timeline)
        assert row.lead_department == "gy-market"
        assert row.satisfaction == "satisfied" and row.resolved is True
        assert row.archived_at is not None
        log = session.scalars(
            select(TransitionRow)
            .where(TransitionRow.case_no == case.case_no)
            .order_by(TransitionRow.seq)
        ).all()
        assert [t.action for t in log] == [e.action for e in state.timeline]
        assert [t.seq for t in log] == list(range(1, len(log) + 1))
        outbox = session.scalars(
            select(NotificationRow).where(NotificationRow.case_no == case.case_no)
        ).all()
    sent = Counter((n.template, n.channel) for n in outbox)
    assert sent == {
        ("dispatch_notice", "internal"): 1,
        ("sms_received", "sms"): 1,
        ("callback_script", "internal"): 1,
        ("closure_sms", "sms"): 1,
    }
    sms = next(n for n in outbox if n.template == "sms_received")
    assert case.case_no in sms.body and sms.recipient == "13800001234"
    assert "张三" not in sms.body
    notice = next(n for n in outbox if n.template == "dispatch_notice")
    assert "13800001234" not in notice.body and "张三" not in notice.body
