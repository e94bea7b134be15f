"""A real refusal by the real database: the `cases` row of one caller name cannot be written.

PostgreSQL gets a CHECK constraint (NOT VALID, so rows already there are not checked); SQLite,
which cannot add a constraint to a table, gets a pair of triggers that abort the write. Either
way the database itself refuses the projection write of that caller's case, and of no other.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from db.engine import is_sqlite, make_engine

_ids = itertools.count(1)
_EVENTS = ("INSERT", "UPDATE")


class Refusal:
    """The constraint (PostgreSQL) or triggers (SQLite) `name` refusing `caller_name`'s row."""

    def __init__(self, database_url: str, caller_name: str) -> None:
        self.database_url = database_url
        self.caller_name = caller_name
        self.name = f"ck_test_refused_caller_{next(_ids)}"

    def install(self) -> None:
        quoted = self.caller_name.replace("'", "''")
        if is_sqlite(self.database_url):
            self._run(
                f"CREATE TRIGGER {self.name}_{event} BEFORE {event} ON cases "
                f"WHEN NEW.caller_name = '{quoted}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                for event in _EVENTS
            )
        else:
            self._run(
                [
                    f"ALTER TABLE cases ADD CONSTRAINT {self.name} "
                    f"CHECK (caller_name IS DISTINCT FROM '{quoted}') NOT VALID"
                ]
            )

    def lift(self) -> None:
        """The developer's fix: the database takes the row again."""
        if is_sqlite(self.database_url):
            self._run(f"DROP TRIGGER IF EXISTS {self.name}_{event}" for event in _EVENTS)
        else:
            self._run([f"ALTER TABLE cases DROP CONSTRAINT IF EXISTS {self.name}"])

    def _run(self, statements: Iterable[str]) -> None:
        # On the driver's connection: the statements quote the caller's name, and the test's
        # own set-up is not what the log scans of tests/activities/test_failure_logs.py check.
        connection = make_engine(self.database_url).raw_connection()
        try:
            cursor = connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            cursor.close()
            connection.commit()
        finally:
            connection.close()


@contextmanager
def refused_caller(database_url: str, caller_name: str) -> Iterator[Refusal]:
    """While open (or until `lift()`), the database refuses any `cases` row of `caller_name`."""
    refusal = Refusal(database_url, caller_name)
    refusal.install()
    try:
        yield refusal
    finally:
        refusal.lift()
