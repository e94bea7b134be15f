"""How an activity's failure leaves it: sorted once, and described without personal data.

Temporal's worker logs an activity failure (with its traceback) at WARNING on every attempt and
keeps it in the history, so what an activity raises must never quote the data it was writing.
A database's own text does: SQLAlchemy's message carries the statement's parameters, and
PostgreSQL's DETAIL line quotes the failing row. `safe_activity` therefore replaces every
failure by an `ApplicationError` raised `from None` (no chained cause for a traceback to print)
whose message names only the activity, the error class and the constraint, table, column or
field at fault, never a value.

The sorting (`classify`):

- **bad data**: what no retry can fix, because the same input meets the same refusal: an
  `IntegrityError` other than a concurrent attempt's duplicate of an idempotency key, a
  `DataError`, a `StatementError` wrapping a `ValueError`/`TypeError` (a column type refusing
  a value), a pydantic `ValidationError`, a template error and a plain `ValueError`, `TypeError`
  or `KeyError`. Non-retryable: the activity fails at its first attempt and the workflow shows
  the fault (`workflows/case/recording.py`) until someone fixes the cause and retries it.
- **transient**: everything else (a lost connection, a lock or statement timeout, a database
  not migrated yet, a transition whose predecessor is still on its way). Retryable, with the
  workflow's backoff.

Failures the SDK raises itself (an activity input that does not decode, a workflow task that
fails) are logged with their traceback too, and a pydantic error quotes its input:
`guard_worker_logs()` has the worker's loggers print each exception of a traceback by its
`describe()` line instead of its text (a Temporal failure keeps its message, which this module
or the SDK wrote).
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import traceback
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

import jinja2
import pydantic
from sqlalchemy import exc as sa_exc
from temporalio.exceptions import ApplicationError, FailureError

F = TypeVar("F", bound=Callable[..., Any])

BAD_DATA_ERRORS: tuple[type[BaseException], ...] = (
    pydantic.ValidationError,
    jinja2.TemplateError,
    ValueError,
    TypeError,
    KeyError,
)
"""Plain Python errors that the same input raises again on every attempt."""

IDEMPOTENCY_KEYS: frozenset[tuple[str, tuple[str, ...]]] = frozenset(
    {
        ("cases", ("case_no",)),
        ("case_transitions", ("case_no", "seq")),
        ("notifications", ("case_no", "event_key")),
    }
)
"""(table, columns) of the keys that make the case store's writes idempotent: a duplicate on
one of them is a concurrent attempt of the same write, which its retry finds done."""

_IDENTIFIERS = re.compile(r"^[A-Za-z_][\w.]*(, [A-Za-z_][\w.]*)*$")
_SQLITE_CONSTRAINT = re.compile(
    r"^(CHECK|NOT NULL|UNIQUE|FOREIGN KEY) constraint failed(?:: (.*))?$"
)
_UNIQUE_SQLSTATE = "23505"
WORKER_LOGGERS = (
    "temporalio.activity",
    "temporalio.worker._activity",
    "temporalio.worker._workflow",
    "temporalio.worker._workflow_instance",
)
"""The SDK's loggers that log tracebacks of activity and workflow failures."""
_MAX_CHAIN = 16


class FailureFacts:
    """What may be said about one failure: its class and the names of what refused it."""

    def __init__(self, err: BaseException) -> None:
        self.error_class = type(err).__name__
        self.driver_class: str | None = None
        self.sqlstate: str | None = None
        self.constraint: str | None = None
        self.table: str | None = None
        self.columns: tuple[str, ...] = ()
        self.fields: list[str] = []
        self.wrapped: str | None = None
        self.raised_in: str | None = None
        if isinstance(err, sa_exc.DBAPIError):
            self._driver(err.orig)
        elif isinstance(err, sa_exc.StatementError):
            self.wrapped = type(err.orig).__name__ if err.orig is not None else None
        elif isinstance(err, pydantic.ValidationError):
            self.fields = [
                f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['type']}"
                for e in err.errors(include_url=False, include_input=False, include_context=False)
            ]
        else:
            self.raised_in = _raised_in(err)

    def _driver(self, orig: BaseException | None) -> None:
        if orig is None:
            return
        self.driver_class = type(orig).__name__
        diag = getattr(orig, "diag", None)  # psycopg
        if diag is not None:
            self.sqlstate = getattr(orig, "sqlstate", None)
            self.constraint = diag.constraint_name
            self.table = diag.table_name
            self.columns = (diag.column_name,) if diag.column_name else ()
            return
        name = getattr(orig, "sqlite_errorname", None)  # sqlite3
        if name is None:
            return
        self.sqlstate = name
        first = str(orig).splitlines()[0] if str(orig) else ""
        match = _SQLITE_CONSTRAINT.match(first)
        target = match.group(2) if match else None
        if not target or not _IDENTIFIERS.match(target):
            return  # e.g. an unnamed CHECK quotes its expression; a trigger its own text
        if match and match.group(1) == "CHECK":
            self.constraint = target
            return
        qualified = [part.strip() for part in target.split(",")]
        tables = {part.rsplit(".", 1)[0] for part in qualified if "." in part}
        if len(tables) == 1:
            self.table = tables.pop()
        self.columns = tuple(part.rsplit(".", 1)[-1] for part in qualified)

    @property
    def unique_violation(self) -> bool:
        return self.sqlstate in (_UNIQUE_SQLSTATE, "SQLITE_CONSTRAINT_UNIQUE") or (
            self.sqlstate == "SQLITE_CONSTRAINT_PRIMARYKEY"
        )

    def on_key(self, keys: Iterable[tuple[str, tuple[str, ...]]]) -> bool:
        """Whether the refusing constraint is one of `keys` (by PostgreSQL name or SQLite
        columns, following the naming convention of `db.tables`)."""
        for table, columns in keys:
            names = {f"uq_{table}_{'_'.join(columns)}", f"pk_{table}"}
            if self.constraint in names:
                return True
            if self.table == table and self.columns == columns:
                return True
        return False

    def describe(self) -> str:
        """`IntegrityError (CheckViolation, sqlstate 23514, constraint ck_x, table cases)`."""
        parts: list[str] = []
        if self.driver_class and self.driver_class != self.error_class:
            parts.append(self.driver_class)
        if self.wrapped:
            parts.append(f"wrapping {self.wrapped}")
        if self.sqlstate:
            parts.append(f"sqlstate {self.sqlstate}")
        if self.constraint:
            parts.append(f"constraint {self.constraint}")
        if self.table:
            parts.append(f"table {self.table}")
        if self.columns:
            parts.append(f"column {', '.join(self.columns)}")
        if self.fields:
            parts.append("fields " + "; ".join(self.fields[:5]))
        if self.raised_in:
            parts.append(f"raised in {self.raised_in}")
        return self.error_class + (f" ({', '.join(parts)})" if parts else "")


def describe(err: BaseException) -> str:
    """A one-line description of `err` fit for any log or message: no value, no row, no text
    the error got from elsewhere."""
    return FailureFacts(err).describe()


def database_reason(err: sa_exc.SQLAlchemyError) -> str:
    """Why the database could not be used, for a person at a terminal: a connection-level
    error's own first line (it names a server, a file or a missing table, never data), any
    other error's `describe()` (a refused value's text may quote it)."""
    if isinstance(err, sa_exc.OperationalError | sa_exc.InterfaceError):
        text = str(err.orig or "").strip()
        if text:
            return text.splitlines()[0]
    return describe(err)


def is_bad_data(
    err: BaseException, idempotency_keys: Iterable[tuple[str, tuple[str, ...]]] = IDEMPOTENCY_KEYS
) -> bool:
    """Whether no retry can fix `err` (see the module docstring)."""
    if isinstance(err, sa_exc.IntegrityError):
        facts = FailureFacts(err)
        return not (facts.unique_violation and facts.on_key(idempotency_keys))
    if isinstance(err, sa_exc.DataError):
        return True
    if isinstance(err, sa_exc.DBAPIError):
        return False
    if isinstance(err, sa_exc.StatementError):
        return isinstance(err.orig, ValueError | TypeError)
    return isinstance(err, BAD_DATA_ERRORS)


def classify(
    activity_name: str,
    err: BaseException,
    idempotency_keys: Iterable[tuple[str, tuple[str, ...]]] = IDEMPOTENCY_KEYS,
) -> ApplicationError:
    """The `ApplicationError` an activity raises for `err`: non-retryable for bad data,
    retryable otherwise; its type is the error's class, its message safe to log."""
    bad = is_bad_data(err, idempotency_keys)
    kind = "bad data, not retried" if bad else "retrying"
    return ApplicationError(
        f"{activity_name} failed: {describe(err)}; {kind}",
        type=type(err).__name__,
        non_retryable=bad,
    )


def safe_activity(fn: F) -> F:
    """Decorate an activity (under `@activity.defn`) so that whatever it raises leaves it as
    `classify` says. `ApplicationError`s the activity raises itself pass unchanged."""
    name = fn.__name__

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except ApplicationError:
                raise
            except Exception as err:
                failure = classify(name, err)
            raise failure from None

        return cast(F, run_async)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ApplicationError:
            raise
        except Exception as err:
            failure = classify(name, err)
        raise failure from None

    return cast(F, run)


def _raised_in(err: BaseException) -> str | None:
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return None
    last = frames[-1]
    module = last.filename.replace("\\", "/").rsplit("/", 2)
    return f"{'/'.join(module[-2:])}:{last.lineno} {last.name}"


class SafeTracebacks(logging.Filter):
    """Replaces a record's traceback by `safe_traceback` of it: frames, and each exception by
    its `describe()` line (a Temporal failure by its message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = safe_traceback(record.exc_info[1])
            record.exc_info = None
        return True


def guard_worker_logs() -> None:
    """Install `SafeTracebacks` on the SDK's worker loggers (once; repeating changes nothing)."""
    for name in WORKER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SafeTracebacks) for f in logger.filters):
            logger.addFilter(SafeTracebacks())


def safe_traceback(err: BaseException) -> str:
    """The traceback of `err` and its causes, as Python prints it, minus every message that is
    not known to be safe."""
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and len(chain) < _MAX_CHAIN and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = []
    for exc in reversed(chain):
        frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        message = exc.message if isinstance(exc, FailureError) else describe(exc)
        parts.append(
            f"Traceback (most recent call last):\n{frames}"
            f"{type(exc).__module__}.{type(exc).__qualname__}: {message}"
        )
    return "\n\nwhich caused:\n\n".join(parts)
