"""`hotline case publish`: the centre's public wording of a case, shown on Open311.

hotline case publish NO --text "..." --by USER   set or replace it
hotline case publish NO --clear --by USER        clear it (Open311 shows the service name)

`--by` must be an active user whose role may publish cases (dispatcher or supervisor). Exit
codes as in `cli.runtime`: 1 when the case is not published on Open311 (a confidential case, a
report, a case that did not come in through Open311), 2 for bad input (unknown case or user,
a wording that breaks the rules of `rules.publication` or holds forbidden wording).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.admin import admin_errors, resolve_url, sessions_for
from cli.options import AsJson, By, CaseNo, DatabaseUrl
from cli.runtime import EXIT_REFUSED, EXIT_USAGE, fail
from rules.permissions import Action, allowed
from services.principals import get_user
from services.publication import (
    NotPublishableError,
    PublicTextError,
    UnknownCaseError,
    clear_public,
    mark_public,
)


def publish_command(
    case_no: CaseNo,
    by: By,
    text: Annotated[
        str | None,
        typer.Option("--text", help="the centre's public wording of the case"),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="remove the public wording instead")
    ] = False,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Set (--text) or clear (--clear) the public wording Open311 shows of a case."""
    if (text is None) == (not clear):
        raise fail("give exactly one of --text and --clear", EXIT_USAGE)
    resolved = resolve_url(url)
    with admin_errors(resolved):
        sessions = sessions_for(resolved)
        user = get_user(sessions, by)
        if user is None or not user.active or not allowed(user.role, Action.PUBLISH_CASE):
            raise fail(f"--by: {by!r} is not an active user who may publish cases", EXIT_USAGE)
        try:
            if clear:
                removed = clear_public(sessions, case_no, by)
                typer.echo(
                    f"case {case_no}: public wording cleared"
                    if removed
                    else f"case {case_no}: had no public wording"
                )
                return
            publication = mark_public(sessions, case_no, text or "", by)
        except UnknownCaseError as err:
            raise fail(str(err), EXIT_USAGE) from None
        except NotPublishableError as err:
            raise fail(f"refused: {err}", EXIT_REFUSED) from None
        except PublicTextError as err:
            raise fail(str(err), EXIT_USAGE) from None
    if as_json:
        typer.echo(publication.model_dump_json(indent=2))
    else:
        typer.echo(f"case {case_no}: public wording set by {publication.marked_by}")
