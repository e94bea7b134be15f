"""The plan a query on `cases` really ran with in PostgreSQL, and the rows its scans read.

`capture_plan` makes one more call with ``auto_explain`` loaded in the session (a superuser
only; otherwise ``EXPLAIN ANALYZE`` of the last SQL the call sent, which always shows the custom
plan). psycopg prepares a statement server-side from its fifth execution on a connection, and
PostgreSQL may then plan it without the parameters' values: such a plan is marked generic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event


@dataclass
class Plan:
    nodes: str
    generic: bool
    server_ms: float | None
    rows_read: int


async def capture_plan(connection: Connection, call: Callable[[], Awaitable[object]]) -> Plan:
    """The plan of one more `call` (of the list route): auto_explain's, else EXPLAIN ANALYZE's."""
    raw = connection.connection.driver_connection
    notices: list[str] = []
    statements: list[tuple[str, Any]] = []

    def on_notice(diagnostic: Any) -> None:
        notices.append(diagnostic.message_primary or "")

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        statements.append((statement, parameters))

    explained = _auto_explain(connection, on=True)
    raw.add_notice_handler(on_notice)
    event.listen(connection, "before_cursor_execute", on_execute)
    try:
        await call()
        event.remove(connection, "before_cursor_execute", on_execute)
        # auto_explain logs when the statement's portal is closed, i.e. at the next statement.
        connection.exec_driver_sql("SELECT 1").all()
    finally:
        if event.contains(connection, "before_cursor_execute", on_execute):
            event.remove(connection, "before_cursor_execute", on_execute)
        raw.remove_notice_handler(on_notice)
        if explained:
            _auto_explain(connection, on=False)
    for notice in notices:
        start = notice.find("{")
        if "plan:" in notice and start >= 0:
            document = json.loads(notice[start:])
            if "FROM cases" not in document.get("Query Text", ""):
                continue
            duration = re.search(r"duration: ([0-9.]+) ms", notice)
            return _summarise(document["Plan"], float(duration.group(1)) if duration else None)
    statement, parameters = statements[-1]
    result = connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
    ).scalar_one()
    document = (json.loads(result) if isinstance(result, str) else result)[0]
    return _summarise(document["Plan"], document.get("Execution Time"))


def _auto_explain(connection: Connection, *, on: bool) -> bool:
    if not on:
        connection.exec_driver_sql("SET auto_explain.log_min_duration = -1")
        connection.exec_driver_sql("SET client_min_messages = notice")
        return False
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("LOAD 'auto_explain'")
    except Exception:  # not a superuser, or no auto_explain: fall back to EXPLAIN ANALYZE
        return False
    for setting in (
        "auto_explain.log_format = json",
        "auto_explain.log_analyze = on",
        "auto_explain.log_timing = off",
        "auto_explain.log_min_duration = 0",
        "client_min_messages = log",
    ):
        connection.exec_driver_sql(f"SET {setting}")
    return True


SCANS_OF_ROWS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


def _summarise(plan: dict[str, Any], server_ms: float | None) -> Plan:
    """The nodes under the top Limit (first child each), generic or not, rows the scans read.

    A generic plan shows its parameters as `$1`, ...; a custom one shows their values.
    """
    labels = []
    node: dict[str, Any] | None = plan
    while node is not None:
        if node["Node Type"] != "Limit":
            label = node["Node Type"]
            if node.get("Parallel Aware"):
                label = "Parallel " + label
            if node.get("Scan Direction") == "Backward":
                label += " Backward"
            if "Index Name" in node:
                label += f" ({node['Index Name'].removeprefix('ix_cases_')})"
            labels.append(label)
        children = node.get("Plans") or []
        node = children[0] if children else None
    rows_read = 0
    generic = False
    for each in _walk(plan):
        own = json.dumps({key: value for key, value in each.items() if key != "Plans"})
        generic = generic or re.search(r"\$\d+", own) is not None
        if each["Node Type"] in SCANS_OF_ROWS and each.get("Relation Name") == "cases":
            read = (
                each.get("Actual Rows", 0)
                + each.get("Rows Removed by Filter", 0)
                + each.get("Rows Removed by Index Recheck", 0)
            )
            rows_read += round(read * each.get("Actual Loops", 1))
    return Plan(" > ".join(labels), generic, server_ms, rows_read)


def _walk(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans") or []:
        yield from _walk(child)
