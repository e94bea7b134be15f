"""Database connection: the URL from the settings, one cached engine per URL, sessions.

SQLite (the embedded default, a file under `.hotline/`) and PostgreSQL (production, CI) are both
supported. A URL may carry a password: never log or print it raw, use `safe_url()`.

No engine ever puts personal data into a log or an error message: statement parameters are
hidden (`hide_parameters=True`, so an error's text and the `sqlalchemy.engine` log show none),
and the rows a query returns are never logged, whatever level that logger is set to.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from settings.environment import Settings

DEFAULT_SQLITE_PRAGMAS: Mapping[str, str] = MappingProxyType(
    {"journal_mode": "WAL", "synchronous": "OFF"}
)
SQLITE_BUSY_TIMEOUT_MS = 30_000
DEFAULT_DATABASE_URL = "sqlite:///.hotline/hotline.db"

SessionFactory = sessionmaker[Session]

_PRAGMA_NAME = re.compile(r"^[a-z_]+$")
_PRAGMA_VALUE = re.compile(r"^[A-Za-z0-9_-]+$")
_engines: dict[tuple[str, tuple[tuple[str, str], ...]], Engine] = {}
_engines_lock = threading.Lock()
ENGINE_LOGGER = "sqlalchemy.engine.Engine"
_ROW_MESSAGES = frozenset({"Row %r"})


class _NoResultRows(logging.Filter):
    """Drops the engine's "Row ..." records (logged at DEBUG): a result row holds whatever the
    query read, a caller's name and phone included. Statements are kept: their values are
    bound parameters, which the engines hide."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in _ROW_MESSAGES


def _guard_engine_log() -> None:
    logger = logging.getLogger(ENGINE_LOGGER)
    if not any(isinstance(f, _NoResultRows) for f in logger.filters):
        logger.addFilter(_NoResultRows())


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` use the psycopg 3 driver; anything else is unchanged."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def database_url(settings: Settings | None = None) -> str:
    """The database URL of `settings` (`DATABASE_URL`, else the SQLite file
    `.hotline/hotline.db`); without settings, those of the environment now."""
    return normalise_url((settings or Settings.from_env()).database_url or DEFAULT_DATABASE_URL)


def safe_url(url: str) -> str:
    """The URL with its password masked, fit for logs and error messages."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def ensure_sqlite_parent(url: str) -> None:
    """Create the directory of a SQLite database file (no-op for memory and other databases)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_engine(
    url: str | None = None, *, sqlite_pragmas: Mapping[str, str] | None = None
) -> Engine:
    """The engine for `url` (default: `database_url()`), created once per URL and pragmas.

    SQLite connections get `sqlite_pragmas` (default WAL journal, synchronous OFF), foreign keys
    on and a busy timeout, so concurrent activity threads wait for the write lock instead of
    failing. PostgreSQL connections are pre-pinged from a pool. Parameters are hidden from
    every log and error message, result rows from every log (see the module docstring).
    """
    resolved = normalise_url(url) if url is not None else database_url()
    pragmas = dict(DEFAULT_SQLITE_PRAGMAS if sqlite_pragmas is None else sqlite_pragmas)
    key = (resolved, tuple(sorted(pragmas.items())))
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _build_engine(resolved, pragmas)
            _engines[key] = engine
        return engine


def session_factory(engine: Engine) -> SessionFactory:
    """Sessions bound to `engine`; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def dispose_engines() -> None:
    """Close every cached engine's pool and forget it (shutdown, tests)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _build_engine(url: str, pragmas: Mapping[str, str]) -> Engine:
    _guard_engine_log()
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    for name, value in pragmas.items():
        if not _PRAGMA_NAME.match(name) or not _PRAGMA_VALUE.match(str(value)):
            raise ValueError(f"invalid SQLite pragma {name}={value!r}")
    ensure_sqlite_parent(url)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True
    )
    statements = [f"PRAGMA {name}={value}" for name, value in pragmas.items()]
    statements += ["PRAGMA foreign_keys=ON", f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"]

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for statement in statements:
                cursor.execute(statement)
        finally:
            cursor.close()

    return engine


Insert = sqlite.Insert | postgresql.Insert


def dialect_insert(dialect: str, table: Any) -> Insert:
    """An INSERT of `table` (a mapped class or a Table) in `dialect` (a session's
    `get_bind().dialect.name`), for the `ON CONFLICT` clauses that make writes idempotent."""
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"no idempotent insert for the {dialect} dialect")
