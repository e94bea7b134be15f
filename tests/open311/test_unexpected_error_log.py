"""An error no handler knows is a 500 problem naming a reference, and its log line holds no value.

The database itself refuses a write the API makes (a CHECK constraint on PostgreSQL, whose error
quotes the failing row; an aborting trigger on SQLite), through the real publication route. The
answer is the RFC 9457 `500` with a reference; neither it nor any log record carries the row.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from db.engine import SessionFactory, is_sqlite, make_engine
from tests.conftest import TASK_QUEUE
from tests.open311.support import BASE, json_of, request_form

MARKER = "泄露标记"


def _run(database_url: str, statement: str) -> None:
    connection = make_engine(database_url).raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(statement)
        cursor.close()
        connection.commit()
    finally:
        connection.close()


@pytest.fixture
async def whole_api(client: Client, sessions: SessionFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The whole application, with all its middleware (not the Open311 routers alone)."""
    app = create_app(ApiContext(client=client, sessions=sessions, task_queue=TASK_QUEUE))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def refused_wording(database_url: str) -> Iterator[None]:
    """While open, the database refuses a public wording that holds `MARKER`."""
    name = f"ck_test_refused_wording_{uuid.uuid4().hex[:8]}"
    if is_sqlite(database_url):
        _run(
            database_url,
            f"CREATE TRIGGER {name} BEFORE INSERT ON case_publications "
            f"WHEN NEW.public_text LIKE '%{MARKER}%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        )
        lift = f"DROP TRIGGER IF EXISTS {name}"
    else:
        _run(
            database_url,
            f"ALTER TABLE case_publications ADD CONSTRAINT {name} "
            f"CHECK (public_text NOT LIKE '%{MARKER}%') NOT VALID",
        )
        lift = f"ALTER TABLE case_publications DROP CONSTRAINT IF EXISTS {name}"
    try:
        yield
    finally:
        _run(database_url, lift)


async def test_an_unexpected_database_error_is_a_500_problem_and_logs_no_value(
    whole_api: httpx.AsyncClient,
    api_key: str,
    publisher: dict[str, str],
    refused_wording: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = await whole_api.post(f"{BASE}/requests.json", data=request_form(api_key))
    assert created.status_code == 201, created.text
    [answer] = json_of(created)
    case_no = answer["service_request_id"]

    caplog.set_level(logging.DEBUG)
    response = await whole_api.put(
        f"/cases/{case_no}/publication",
        json={"public_text": f"小区停水{MARKER}"},
        headers=publisher,
    )
    assert response.status_code == 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 500 and problem["reference"] in problem["detail"]
    assert MARKER not in response.text
    logged = [r for r in caplog.records if r.name == "api.unexpected"]
    assert [r.levelname for r in logged] == ["ERROR"]
    assert problem["reference"] in logged[0].getMessage()
    assert "IntegrityError" in logged[0].getMessage()
    for record in caplog.records:
        assert MARKER not in record.getMessage(), record.name
        assert MARKER not in (record.exc_text or ""), record.name
