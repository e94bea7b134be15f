"""Migration 0015 (console sign-in) on SQLite and PostgreSQL: users stored before it keep no
password and no failures, the schema matches the models, and it goes down and up again."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from db import schema
from db.engine import make_engine
from migrations.runner import downgrade, upgrade

T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
NEW_COLUMNS = {
    "password_hash",
    "password_set_at",
    "password_set_by",
    "must_change_password",
    "failed_sign_ins",
    "locked_until",
}


def shape(url: str) -> tuple[set[str], set[str]]:
    """(tables, users columns) of the database at `url`."""
    with make_engine(url).connect() as connection:
        inspector = inspect(connection)
        columns = {column["name"] for column in inspector.get_columns("users")}
        return set(inspector.get_table_names()), columns


def test_users_before_it_keep_no_password_and_it_goes_down_and_up(store_database_url: str):
    url = store_database_url
    make_engine(url).dispose()
    downgrade(url, "0014")
    tables, columns = shape(url)
    assert "console_sessions" not in tables and not NEW_COLUMNS & columns
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, name, role, department, active, created_at) "
                "VALUES ('op-old', '王五', 'operator', NULL, :yes, :at)"
            ),
            {"yes": True, "at": T0},
        )
    engine.dispose()
    upgrade(url)
    with make_engine(url).connect() as connection:
        row = connection.execute(
            text(
                "SELECT password_hash, must_change_password, failed_sign_ins, locked_until "
                "FROM users WHERE id = 'op-old'"
            )
        ).one()
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []
    assert (row[0], bool(row[1]), row[2], row[3]) == (None, False, 0, None)
    tables, columns = shape(url)
    assert "console_sessions" in tables and columns >= NEW_COLUMNS
    make_engine(url).dispose()
