"""How a CLI command talks to Temporal and how its failures reach the user.

Exit codes: 0 done; 1 the step was refused (`refused: <why>`); 2 bad input (one `field: reason`
line per field); 3 Temporal, the application database or the codec key ring cannot be reached.
Never a traceback for these.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.failures import database_reason
from connection.client import connect
from db.engine import database_url, safe_url
from models.errors import CaseActionError, RefusedError, UnavailableError
from security.codec import PayloadDecryptionError
from security.keys import KeyRingError
from services.cases import (
    CaseQueryError,
    ForbiddenWordingError,
    IntakeArticlesError,
)
from settings.temporal import TemporalSettings

T = TypeVar("T")

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130


_temporal_used = False


def temporal_used() -> bool:
    """Whether this process has started the Temporal core (a client or a worker)."""
    return _temporal_used


def mark_temporal_used() -> None:
    global _temporal_used
    _temporal_used = True


class InvalidOptionsError(RefusedError):
    """Options that do not go together (e.g. two intake outcomes)."""


class TemporalUnreachableError(UnavailableError):
    def __init__(self, address: str) -> None:
        super().__init__(address)
        self.address = address


def settings() -> TemporalSettings:
    try:
        return TemporalSettings.from_env()
    except ValueError as err:
        raise InvalidOptionsError(f"configuration: {err}") from err


def with_client(action: Callable[[Client, TemporalSettings], Awaitable[T]]) -> T:
    """Connect with the settings of the environment and run `action` on the client."""
    config = settings()
    mark_temporal_used()

    async def main() -> T:
        try:
            client = await connect(config)
        except RuntimeError as err:  # the core SDK's "Failed client connect: ..."
            raise TemporalUnreachableError(config.address) from err
        try:
            return await action(client, config)
        except RPCError as err:
            if err.status is RPCStatusCode.UNAVAILABLE:
                raise TemporalUnreachableError(config.address) from err
            raise

    return asyncio.run(main())


def validation_lines(err: ValidationError) -> list[str]:
    """One `field: reason` line per error (`caller.phones.0: String should match ...`)."""
    lines = []
    for error in err.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"])
        lines.append(f"{field}: {error['msg']}" if field else str(error["msg"]))
    return lines


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@contextmanager
def cli_errors(database: str | None = None) -> Iterator[None]:
    """Turn the failures a user can cause or meet into a message on stderr and an exit code.

    `database` is the application database URL in use (default: `database_url()`).
    """
    try:
        yield
    except ValidationError as err:
        for line in validation_lines(err):
            typer.echo(line, err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except (InvalidOptionsError, CaseQueryError, IntakeArticlesError, ForbiddenWordingError) as err:
        raise fail(str(err), EXIT_USAGE) from None
    except CaseActionError as err:
        raise fail(f"refused: {err}", EXIT_REFUSED) from None
    except TemporalUnreachableError as err:
        raise fail(
            f"cannot reach Temporal at {err.address}: is `make run` running?", EXIT_UNREACHABLE
        ) from None
    except KeyRingError as err:
        raise fail(str(err), EXIT_UNREACHABLE) from None
    except PayloadDecryptionError as err:
        raise fail(f"cannot decrypt: {err}", EXIT_REFUSED) from None
    except SQLAlchemyError as err:
        reason = database_reason(err)  # never a refused value's text
        raise fail(
            f"cannot use the application database at {safe_url(database or database_url())}: "
            f"{reason} "
            "(is it migrated? `hotline db upgrade`)",
            EXIT_UNREACHABLE,
        ) from None
    except RPCError as err:
        raise fail(f"Temporal refused the request: {err.message}", EXIT_REFUSED) from None
    except KeyboardInterrupt:
        raise fail("interrupted", EXIT_INTERRUPTED) from None


def read_file_bytes(file: Path) -> bytes:
    """The bytes of a file the user named; a usage error naming it if it cannot be read."""
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise fail(f"no file {str(file)!r}", EXIT_USAGE) from None
    except IsADirectoryError:
        raise fail(f"{str(file)!r} is a directory, not a file", EXIT_USAGE) from None
    except OSError as err:
        raise fail(f"cannot read {str(file)!r}: {err.strerror}", EXIT_USAGE) from None
