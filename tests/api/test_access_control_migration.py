"""Migration 0002 (access control) goes up, down to 0001 and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from activities.store import allocate_case_no, retrieval_code
from db import schema as all_tables
from db.engine import make_engine, session_factory
from migrations.runner import alembic_config, downgrade, upgrade

ACCESS_TABLES = {"users", "api_tokens", "access_log"}
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def schema(url: str) -> tuple[set[str], set[str], str | None]:
    """(tables, case_numbers columns, alembic revision) of the database at `url`."""
    engine = make_engine(url)
    with engine.connect() as connection:
        inspector = inspect(connection)
        tables = set(inspector.get_table_names())
        columns = {column["name"] for column in inspector.get_columns("case_numbers")}
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return tables, columns, revision


def matches_the_models(url: str):
    with make_engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, all_tables.metadata) == []


def test_upgrade_downgrade_upgrade(store_database_url):
    url = store_database_url  # migrated to head, empty
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    sessions = session_factory(make_engine(url))
    tables, columns, revision = schema(url)
    assert tables >= ACCESS_TABLES
    assert "retrieval_code" in columns
    assert revision == head
    case_no = allocate_case_no(sessions, "req-migration", T0)
    code = retrieval_code(sessions, case_no)
    assert code is not None and code.isdigit() and len(code) == 6

    make_engine(url).dispose()  # no pooled connection holds on to the old schema
    downgrade(url, "0001")
    tables, columns, revision = schema(url)
    assert not ACCESS_TABLES & tables
    assert "retrieval_code" not in columns
    assert revision == "0001"

    make_engine(url).dispose()
    upgrade(url)
    tables, columns, revision = schema(url)
    assert tables >= ACCESS_TABLES
    assert revision == head
    assert matches_the_models(url)
    # The case number outlived the round trip; its code did not (allocated "before" codes).
    assert allocate_case_no(sessions, "req-migration", T0) == case_no
    assert retrieval_code(sessions, case_no) is None
    assert retrieval_code(sessions, "GY20261202-999999") is None
    make_engine(url).dispose()


def test_new_case_numbers_get_distinct_random_codes(session_factory):
    codes = [
        retrieval_code(session_factory, allocate_case_no(session_factory, f"req-{n}", T0))
        for n in range(20)
    ]
    assert all(code is not None and code.isdigit() and len(code) == 6 for code in codes)
    assert len(set(codes)) > 1
