"""`hotline user ...` and `hotline token ...`: the API's users and their bearer tokens.

hotline user add ID --name N --role R [--department D]   create an active user
hotline user list [--json]                              every user
hotline user deactivate ID                              the user's tokens stop working
hotline user activate ID                                a deactivated user may act again
hotline user purge-sessions                             delete expired console sessions
hotline user set-password ID [--by U] [--password-stdin]
                                                        the console password (one-time if generated)
hotline token issue USER_ID                             a new token, printed once
hotline token revoke TOKEN_ID                           the token stops working
hotline token list [--user U] [--json]                  tokens without their secrets

On the application database of --url, else DATABASE_URL (default .hotline/hotline.db). Exit
codes as in `cli.runtime`: 2 for bad input (unknown user, department, token...), 3 when the
database cannot be used.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, ValidationError

from cli.actors import check_actor
from cli.options import AsJson, DatabaseUrl
from cli.output import NONE, local_time
from cli.runtime import EXIT_USAGE, cli_errors, fail
from db.tables import USER_ROLES

if TYPE_CHECKING:
    from db.engine import SessionFactory

user_app = typer.Typer(
    help="Users of the HTTP API and the console: one role each, and a department for the "
    "department role.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
token_app = typer.Typer(
    help="Bearer tokens of the HTTP API: issue (shown once), list, revoke.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@contextmanager
def admin_errors(url: str) -> Iterator[None]:
    """`cli_errors`, plus a refused value (unknown user, duplicate id...) as bad input."""
    with cli_errors(url):
        try:
            yield
        except ValidationError:
            raise
        except ValueError as err:
            raise fail(str(err), EXIT_USAGE) from None


def _check_role(value: str) -> str:
    if value not in USER_ROLES:
        raise typer.BadParameter(f"{value!r} is not a role (one of {', '.join(USER_ROLES)})")
    return value


def resolve_url(url: str | None) -> str:
    from db.engine import database_url, normalise_url

    return normalise_url(url) if url else database_url()


def sessions_for(url: str) -> SessionFactory:
    from db.engine import make_engine, session_factory

    return session_factory(make_engine(url))


def emit_json(items: Sequence[BaseModel]) -> None:
    payload = [item.model_dump(mode="json") for item in items]
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))


# ---- users --------------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    user_id: Annotated[str, typer.Argument(metavar="ID", help="user id, e.g. op-001")],
    name: Annotated[str, typer.Option("--name", help="the person's name", show_default=False)],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            metavar="ROLE",
            callback=_check_role,
            help=f"the user's one role: {', '.join(USER_ROLES)}",
            show_default=False,
        ),
    ],
    department: Annotated[
        str | None,
        typer.Option("--department", help="department id (role department only), e.g. gy-water"),
    ] = None,
    url: DatabaseUrl = None,
) -> None:
    """Create an active user."""
    from services.principals import add_user

    resolved = resolve_url(url)
    with admin_errors(resolved):
        user = add_user(sessions_for(resolved), user_id, name, role, department)
    where = f" of {user.department}" if user.department else ""
    typer.echo(f"user {user.id} added: {user.role}{where}")


@user_app.command("list")
def user_list(as_json: AsJson = False, url: DatabaseUrl = None) -> None:
    """List every user, active or not."""
    from services.principals import list_users

    resolved = resolve_url(url)
    with admin_errors(resolved):
        users = list_users(sessions_for(resolved))
    if as_json:
        emit_json(users)
        return
    if not users:
        typer.echo("no users")
    for user in users:
        state = "active" if user.active else "inactive"
        typer.echo(
            f"{user.id:<16} {user.role.value:<10} {user.department or NONE:<16} "
            f"{state:<8} {user.name}"
        )


@user_app.command("deactivate")
def user_deactivate(
    user_id: Annotated[str, typer.Argument(metavar="ID", help="user id")],
    url: DatabaseUrl = None,
) -> None:
    """Deactivate a user: every token of theirs stops working at once."""
    from services.principals import deactivate_user

    resolved = resolve_url(url)
    with admin_errors(resolved):
        changed = deactivate_user(sessions_for(resolved), user_id)
    typer.echo(f"user {user_id} deactivated" if changed else f"user {user_id} already inactive")


@user_app.command("activate")
def user_activate(
    user_id: Annotated[str, typer.Argument(metavar="ID", help="user id")],
    url: DatabaseUrl = None,
) -> None:
    """Reactivate a deactivated user: their tokens that were not revoked work again."""
    from services.principals import activate_user

    resolved = resolve_url(url)
    with admin_errors(resolved):
        changed = activate_user(sessions_for(resolved), user_id)
    typer.echo(f"user {user_id} activated" if changed else f"user {user_id} already active")


@user_app.command("purge-sessions")
def user_purge_sessions(url: DatabaseUrl = None) -> None:
    """Delete every expired console session (each sign-in also deletes a bounded batch) and the
    released failure counters of unknown user ids. Safe to run from cron at any time."""
    from datetime import UTC, datetime

    from services.console_auth import purge_expired

    resolved = resolve_url(url)
    with admin_errors(resolved):
        purged = purge_expired(sessions_for(resolved), now=datetime.now(UTC))
    typer.echo(
        f"{purged.sessions} expired console sessions deleted, "
        f"{purged.guards} released sign-in counters deleted"
    )


@user_app.command("set-password")
def user_set_password(
    user_id: Annotated[str, typer.Argument(metavar="ID", help="user id")],
    by: Annotated[
        str,
        typer.Option(
            "--by", help="who sets it (user id), kept with the password", callback=check_actor
        ),
    ] = "cli",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="read the password from stdin (at least 10 characters) instead of generating "
            "a one-time password",
        ),
    ] = False,
    url: DatabaseUrl = None,
) -> None:
    """Set a user's console password, or generate a one-time password and print it once.

    Without `--password-stdin` the generated password alone goes to stdout (for a script to
    capture) and the notes to stderr; the user must change it at the next sign-in. Setting a
    password unlocks the user and ends their console sessions.
    """
    from datetime import UTC, datetime

    from services.console_auth import PasswordRefused, UnknownUserError, set_password

    password = sys.stdin.read().rstrip("\r\n") if password_stdin else None
    resolved = resolve_url(url)
    with admin_errors(resolved):
        try:
            chosen = set_password(
                sessions_for(resolved), user_id, password, by=by, now=datetime.now(UTC)
            )
        except (UnknownUserError, PasswordRefused) as err:
            raise fail(str(err), EXIT_USAGE) from None
    if password is not None:
        typer.echo(f"console password of user {user_id} set")
        return
    typer.echo(f"one-time console password of user {user_id} set", err=True)
    typer.echo(
        "warning: it is shown only once; the user must change it at the next sign-in", err=True
    )
    typer.echo(chosen)


# ---- tokens -------------------------------------------------------------------------------------


@token_app.command("issue")
def token_issue(
    user_id: Annotated[str, typer.Argument(metavar="USER_ID", help="the token's user")],
    url: DatabaseUrl = None,
) -> None:
    """Issue a token for an active user and print it: it is shown this once only.

    The token alone goes to stdout (for a script to capture); the notes go to stderr.
    """
    from services.tokens import issue_token

    resolved = resolve_url(url)
    with admin_errors(resolved):
        issued = issue_token(sessions_for(resolved), user_id)
    typer.echo(f"token {issued.token_id} issued for user {user_id}", err=True)
    typer.echo(
        "warning: the token is shown only once and cannot be recovered; store it now",
        err=True,
    )
    typer.echo(issued.token)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[
        str, typer.Argument(metavar="TOKEN_ID", help="the token's public id (from token list)")
    ],
    url: DatabaseUrl = None,
) -> None:
    """Revoke a token: it stops working (on other API processes within a minute at most)."""
    from services.tokens import get_token, revoke_token

    resolved = resolve_url(url)
    with admin_errors(resolved):
        sessions = sessions_for(resolved)
        if revoke_token(sessions, token_id):
            typer.echo(f"token {token_id} revoked")
            return
        if get_token(sessions, token_id) is None:
            raise ValueError(f"no token {token_id!r}")
    typer.echo(f"token {token_id} was already revoked")


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Option("--user", help="only this user's tokens")] = None,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """List tokens (ids and dates, never secrets), revoked ones included."""
    from services.tokens import list_tokens

    resolved = resolve_url(url)
    with admin_errors(resolved):
        tokens = list_tokens(sessions_for(resolved), user)
    if as_json:
        emit_json(tokens)
        return
    if not tokens:
        typer.echo("no tokens")
    for token in tokens:
        state = f"revoked {local_time(token.revoked_at)}" if token.revoked_at else "active"
        typer.echo(
            f"{token.token_id}  {token.user_id:<16} created {local_time(token.created_at)}  "
            f"last used {local_time(token.last_used_at)}  {state}"
        )
