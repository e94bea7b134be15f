"""The benchmark's database: a fresh SQLite file, or a given URL (a PostgreSQL one created)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from db.engine import dispose_engines, make_engine, normalise_url, safe_url, session_factory
from db.seed import seed_demo
from migrations.runner import upgrade

TEMPORARY_LABEL = "sqlite (fresh temporary file)"


@contextmanager
def database_url(url: str | None, prefix: str = "hotline-bench-") -> Iterator[str]:
    """`url` normalised, else a SQLite file in a temporary directory removed afterwards.

    Every cached engine is disposed of on the way out.
    """
    folder = None
    if url is None:
        folder = tempfile.mkdtemp(prefix=prefix)
        url = f"sqlite:///{Path(folder) / 'hotline.db'}"
    try:
        yield normalise_url(url)
    finally:
        dispose_engines()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class AppDatabase:
    url: str
    label: str
    """What the report says the database is (no password)."""


@asynccontextmanager
async def app_database(url: str | None) -> AsyncIterator[AppDatabase]:
    """The application database, migrated and seeded: `url`, else a fresh SQLite file."""
    with database_url(url) as resolved:
        await asyncio.to_thread(upgrade, resolved)
        await asyncio.to_thread(seed_demo, session_factory(make_engine(resolved)))
        yield AppDatabase(resolved, TEMPORARY_LABEL if url is None else safe_url(resolved))


def is_postgres(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "postgresql"


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database of `url` if it is missing (True if created).

    Created from the server's `postgres` database; nothing to do for another backend.
    """
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "postgresql":
        return False
    name = parsed.database
    if not name:
        raise SystemExit("--database-url names no database")
    admin = create_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with admin.connect() as connection:
            found = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if found:
                return False
            quoted = admin.dialect.identifier_preparer.quote(name)
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
            return True
    finally:
        admin.dispose()
