"""Migration 0013 (call direction) on SQLite and PostgreSQL: calls stored before it become
inbound with the format of the file that wrote them, the schema matches the models, and it goes
down and up again."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from db import schema
from db.engine import make_engine
from migrations.runner import downgrade, upgrade

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def columns(url: str) -> set[str]:
    with make_engine(url).connect() as connection:
        return {column["name"] for column in inspect(connection).get_columns("call_records")}


def test_existing_calls_become_inbound_and_keep_their_format(store_database_url: str) -> None:
    url = store_database_url
    make_engine(url).dispose()
    downgrade(url, "0012")
    assert not {"direction", "timing"} & columns(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        for file_id, format in ((1, "queue_log"), (2, "cdr")):
            connection.execute(
                text(
                    "INSERT INTO call_files (id, sha256, name, source, format, lines, calls, "
                    "errors, error_lines, ingested_at, ingested_by) VALUES (:id, :sha, :name, "
                    "'asterisk', :format, 1, 1, 0, '[]', :at, 'admin-1')"
                ),
                {
                    "id": file_id,
                    "sha": f"{file_id:064d}",
                    "name": format,
                    "format": format,
                    "at": T0,
                },
            )
        rows: tuple[tuple[str, int | None], ...] = (("a", 1), ("b", 2), ("c", None))
        for call_id, written_by in rows:
            connection.execute(
                text(
                    "INSERT INTO call_records (source, call_id, offered_at, outcome, file_id, "
                    "updated_at) VALUES ('asterisk', :call_id, :at, 'answered', :file_id, :at)"
                ),
                {"call_id": call_id, "file_id": written_by, "at": T0},
            )
    engine.dispose()
    upgrade(url)
    with make_engine(url).connect() as connection:
        got = connection.execute(
            text("SELECT call_id, direction, timing FROM call_records ORDER BY call_id")
        ).all()
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []
    assert [tuple(row) for row in got] == [
        ("a", "inbound", "queue_log"),
        ("b", "inbound", "cdr"),
        ("c", "inbound", None),
    ]
    make_engine(url).dispose()
    downgrade(url, "0012")
    assert not {"direction", "timing"} & columns(url)
    make_engine(url).dispose()
    upgrade(url)
    assert {"direction", "timing"} <= columns(url)
    make_engine(url).dispose()
