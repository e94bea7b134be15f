"""`hotline notices ...`: how far each notice got, the supervisors' counts, retry, 退订.

hotline notices case NO [--by USER] [--json]     a case's notices and their delivery
hotline notices summary [--json]                 pending, held and dead-lettered notices
hotline notices retry ID --by USER               a dead-lettered notice back to pending
hotline notices opt-out PHONE --by USER          no more SMS to that number (退订)
hotline notices opt-in PHONE --by USER           SMS to that number again

`notices case` without --by shows every notice and no phone; with --by USER as that user may
see them over the API (a department only its own, the centre's readers the citizen's phone
masked, and that reading logged). retry, opt-out and opt-in need a user who may manage notices
(supervisors, administrators). A phone is never printed in full. Exit codes as in
`cli.runtime`: 1 refused (a notice that is not dead), 2 bad input (unknown case, notice or
user, not a phone number).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from cli.admin import admin_errors, resolve_url, sessions_for
from cli.options import AsJson, By, CaseNo, DatabaseUrl
from cli.output import local_time
from cli.runtime import EXIT_REFUSED, EXIT_USAGE, fail
from db.engine import SessionFactory
from models.delivery import NoticeStatus
from models.errors import CaseNotFoundError
from models.privacy import mask_phone
from rules.permissions import Action, Principal, allowed
from services.notice_delivery import (
    CaseNotice,
    NoticeNotFoundError,
    NoticeNotRetryableError,
    case_notices,
    delivery_counts,
    requeue,
)
from services.principals import get_user
from services.sms_opt_out import PhoneNumberError, normalise_phone, opt_in, opt_out

notices_app = typer.Typer(
    help="Notice delivery: a case's notices, the counts, retrying a dead one, 退订.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

ReaderOption = Annotated[
    str | None,
    typer.Option("--by", help="read as this user may (a department only its own notices)"),
]
Phone = Annotated[str, typer.Argument(metavar="PHONE", help="the phone number, e.g. 13900001111")]
CLI_PURPOSE = "notice delivery status (hotline notices case)"


def _user(sessions: SessionFactory, user_id: str, action: Action | None) -> Principal:
    user = get_user(sessions, user_id.strip())
    if user is None or not user.active:
        raise fail(f"--by: no active user {user_id.strip()!r}", EXIT_USAGE)
    if action is not None and not allowed(user.role, action):
        raise fail(f"--by: {user_id.strip()!r} ({user.role}) may not {action}", EXIT_USAGE)
    return user.principal


def _status(notice: CaseNotice) -> str:
    if notice.status is NoticeStatus.HELD and notice.held_until is not None:
        return f"held until {local_time(notice.held_until)}"
    return notice.status.value


def notice_line(notice: CaseNotice) -> str:
    """One notice on one line: id, template, recipient, channel, status, attempts, time."""
    recipient = notice.recipient + (f" {notice.phone}" if notice.phone else "")
    channel = notice.channel.value if notice.channel else notice.route
    when = notice.delivered_at or notice.sent_at or notice.created_at
    line = (
        f"  #{notice.notice_id:<6} {notice.template:<18} {recipient:<24} {channel:<12} "
        f"{_status(notice):<28} attempts {notice.attempts:<3} {local_time(when)}"
    )
    return line + (f"  last error: {notice.last_error}" if notice.last_error else "")


@notices_app.command("case")
def case_command(
    case_no: CaseNo,
    by: ReaderOption = None,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """A case's notices, oldest first: recipient, channel, status, attempts and time."""
    resolved = resolve_url(url)
    with admin_errors(resolved):
        sessions = sessions_for(resolved)
        reader = _user(sessions, by, Action.READ_NOTICES) if by else None
        try:
            notices = case_notices(sessions, case_no, reader, CLI_PURPOSE)
        except CaseNotFoundError as err:
            raise fail(str(err), EXIT_USAGE) from None
    if as_json:
        payload = [notice.model_dump(mode="json") for notice in notices]
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    typer.echo(f"case {case_no}: {len(notices)} notice{'s' if len(notices) != 1 else ''}")
    for notice in notices:
        typer.echo(notice_line(notice))


@notices_app.command("summary")
def summary_command(as_json: AsJson = False, url: DatabaseUrl = None) -> None:
    """Notices not yet sent: pending (waiting or being sent), held, and dead-lettered."""
    resolved = resolve_url(url)
    with admin_errors(resolved):
        counts = delivery_counts(sessions_for(resolved))
    if as_json:
        typer.echo(counts.model_dump_json(indent=2))
        return
    typer.echo(f"  {'pending':<15} {counts.pending:,}")
    typer.echo(f"  {'held':<15} {counts.held:,}")
    hint = "  (hotline notices retry ID)" if counts.dead else ""
    typer.echo(f"  {'dead':<15} {counts.dead:,}{hint}")


@notices_app.command("retry")
def retry_command(
    notice_id: Annotated[int, typer.Argument(metavar="ID", min=1, help="the notice's id")],
    by: By,
    url: DatabaseUrl = None,
) -> None:
    """Put a dead-lettered notice back to pending: the delivery process sends it again."""
    resolved = resolve_url(url)
    with admin_errors(resolved):
        sessions = sessions_for(resolved)
        principal = _user(sessions, by, Action.MANAGE_NOTICES)
        try:
            notice = requeue(sessions, notice_id, principal)
        except NoticeNotFoundError as err:
            raise fail(str(err), EXIT_USAGE) from None
        except NoticeNotRetryableError as err:
            raise fail(f"refused: {err}", EXIT_REFUSED) from None
    typer.echo(f"notice {notice.notice_id} of case {notice.case_no}: back to pending")


@notices_app.command("opt-out")
def opt_out_command(phone: Phone, by: By, url: DatabaseUrl = None) -> None:
    """No more SMS to this number (退订), as if it had replied TD."""
    resolved = resolve_url(url)
    shown = _masked(phone)
    with admin_errors(resolved):
        sessions = sessions_for(resolved)
        _user(sessions, by, Action.MANAGE_NOTICES)
        done = opt_out(sessions, phone, "operator", datetime.now(UTC))
    typer.echo(f"{shown}: opted out of SMS" if done else f"{shown}: had already opted out")


@notices_app.command("opt-in")
def opt_in_command(phone: Phone, by: By, url: DatabaseUrl = None) -> None:
    """SMS to this number again (the citizen asked for them back)."""
    resolved = resolve_url(url)
    shown = _masked(phone)
    with admin_errors(resolved):
        sessions = sessions_for(resolved)
        _user(sessions, by, Action.MANAGE_NOTICES)
        done = opt_in(sessions, phone, "operator")
    typer.echo(f"{shown}: receives SMS again" if done else f"{shown}: had not opted out")


def _masked(phone: str) -> str:
    """The number masked, or exit 2 if it is not a phone number (never echoing it)."""
    try:
        return mask_phone(normalise_phone(phone))
    except PhoneNumberError as err:
        raise fail(f"PHONE: {err}", EXIT_USAGE) from None
