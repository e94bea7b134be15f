"""Who acts from the command line: `--by USER` of a deactivated user or department is refused.

The CLI is the centre's console and `--by` names who acts. A name that is not a user of the
application database is taken as it always was (not everyone who works a case has an API
account). A user who is deactivated, or whose department is deactivated, may not act: the
command stops before it does anything, with `refused: <why>` and exit 1, as the HTTP API
answers their token 401. The database is the one of the command's `--url`, else $DATABASE_URL.
"""

from __future__ import annotations

import typer

from cli.runtime import EXIT_REFUSED, cli_errors, fail
from db.engine import database_url, make_engine, normalise_url, session_factory
from services.principals import acting_user


def check_actor(ctx: typer.Context, value: str | None) -> str | None:
    """The `--by` callback: `value` unchanged, or exit 1 if that user may not act."""
    if value is None or not value.strip() or ctx.resilient_parsing:
        return value
    url = ctx.params.get("url")  # `--url` is eager: parsed before `--by` wherever it is given
    resolved = normalise_url(url) if isinstance(url, str) and url else database_url()
    with cli_errors(resolved):
        try:
            acting_user(session_factory(make_engine(resolved)), value.strip())
        except ValueError as err:
            raise fail(f"refused: {err}", EXIT_REFUSED) from None
    return value
