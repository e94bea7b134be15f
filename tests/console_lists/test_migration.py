"""Migration 0016 (console lists) on SQLite and PostgreSQL: a case stored before it has no
warning moment (its colour is on time until its clock's next warning), saved filters get their
table, and it goes down and up again."""

from __future__ import annotations

from sqlalchemy import inspect

from db.engine import SessionFactory, make_engine
from migrations.runner import downgrade, upgrade
from services.case_list import CaseFilter, list_cases, stage_of
from tests.console_lists.conftest import Write


def shape(url: str) -> tuple[set[str], set[str], set[str]]:
    """(tables, cases columns, cases indexes) of the database at `url`."""
    with make_engine(url).connect() as connection:
        inspector = inspect(connection)
        columns = {column["name"] for column in inspector.get_columns("cases")}
        indexes = {str(index["name"]) for index in inspector.get_indexes("cases")}
        return set(inspector.get_table_names()), columns, indexes


def test_cases_before_it_are_on_time_and_it_goes_down_and_up(
    sessions: SessionFactory, write: Write, store_database_url: str
) -> None:
    write("GY20261203-000001", 1)
    url = store_database_url
    make_engine(url).dispose()
    downgrade(url, "0015")
    tables, columns, indexes = shape(url)
    assert "saved_filters" not in tables and "warn_at" not in columns
    assert "ix_cases_warn_at" not in indexes
    upgrade(url)
    tables, columns, indexes = shape(url)
    assert "saved_filters" in tables and "warn_at" in columns and "ix_cases_warn_at" in indexes
    (case,) = list_cases(sessions, CaseFilter()).items
    assert case.warn_at is None and stage_of(case).value == "running"
