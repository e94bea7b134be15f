"""`hotline case ...`: intake, show, list, and one subcommand per human step of a case.

The step commands are those of `cli.case_steps`, registered here under their names in the step
table (`services.steps`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer
from temporalio.client import Client

from cli.case_steps import STEP_COMMANDS
from cli.intake import intake
from cli.options import AsJson, CaseNo
from cli.output import emit_json, emit_lines, emit_listings, state_lines
from cli.runtime import InvalidOptionsError, cli_errors, with_client
from db.engine import SessionFactory, database_url, make_engine, session_factory
from models.errors import CaseNotFoundError
from models.state import CaseState
from models.text import check_text
from rules.disclosure import Audience, CallerView, audience_for, disclose_case, disclosure
from rules.permissions import Action, Principal, allowed
from services import cases
from services.access_log import record_access
from services.case_access import may_see
from services.case_list import CaseListing, list_cases
from services.case_query import case_filter
from services.principals import get_user
from settings.temporal import TemporalSettings

case_app = typer.Typer(
    help="Work cases: intake, read, list, and every human step of the process.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
case_app.command("intake")(intake)


# ---- reading ------------------------------------------------------------------------------------


ReaderOption = Annotated[
    str | None,
    typer.Option("--by", help="who reads the caller's personal data (a user id); with --purpose"),
]
MAX_PURPOSE = 200
PurposeOption = Annotated[
    str | None,
    typer.Option("--purpose", help="with --by: why (kept in the access log)"),
]


@case_app.command("show")
def show(
    case_no: CaseNo,
    as_json: AsJson = False,
    by: ReaderOption = None,
    purpose: PurposeOption = None,
) -> None:
    """Show one case with its timeline.

    The caller is shown as surname and masked phone, without address or coordinates (nor
    street and community on a confidential case), in text and --json alike. With --by USER
    --purpose WHY the case is shown as that user's role may see it (`rules.disclosure`), and
    the reading is written to the access log like a read through the API.
    """
    with cli_errors():
        reading = _reader(by, purpose)
        if reading is not None:
            ensure_held(reading.sessions, reading.reader, case_no)

        async def read(client: Client, _settings: TemporalSettings) -> CaseState:
            return await cases.show(client, case_no)

        state = with_client(read)
        audience = Audience.MASKED
        if reading is not None:
            role = reading.reader.role
            audience = audience_for(
                role.value, reads_personal_data=allowed(role, Action.READ_PERSONAL_DATA)
            )
        seen = disclosure(audience, confidential=state.intake.caller.confidential)
        if reading is not None and audience is not Audience.NONE:
            record_access(
                reading.sessions,
                reading.reader,
                case_no,
                seen.personal_fields,
                f"{reading.purpose} (hotline case show)",
                "view",
                seen.masked,
            )
        state = disclose_case(state, audience)
    if as_json:
        emit_json(state)
    else:
        emit_lines(state_lines(state, personal=seen.caller is CallerView.FULL))


@dataclass(frozen=True)
class Reading:
    """Who reads a case's personal data, and why (for the access log)."""

    reader: Principal
    purpose: str
    sessions: SessionFactory


def _reader(by: str | None, purpose: str | None) -> Reading | None:
    """The user named by --by (with --purpose), as the API would authenticate them."""
    if by is None and purpose is None:
        return None
    if not (by and by.strip() and purpose and purpose.strip()):
        raise InvalidOptionsError("--by USER and --purpose WHY go together")
    if len(purpose.strip()) > MAX_PURPOSE:
        raise InvalidOptionsError(f"--purpose: at most {MAX_PURPOSE} characters")
    try:
        check_text(purpose)
    except ValueError as err:
        raise InvalidOptionsError(f"--purpose: {err}") from None
    sessions = session_factory(make_engine(database_url()))
    user = get_user(sessions, by.strip())
    if user is None or not user.active:
        raise InvalidOptionsError(f"--by: no active user {by.strip()!r}")
    return Reading(user.principal, purpose.strip(), sessions)


def ensure_held(sessions: SessionFactory, reader: Principal, case_no: str) -> None:
    """A department reads only the cases it holds; any other is 'no case', as over the API."""
    if not may_see(sessions, reader, case_no):
        raise CaseNotFoundError(f"no case {case_no}")


@case_app.command("list")
def list_(
    query: Annotated[
        str | None,
        typer.Option(
            "--query",
            help="filter in the syntax of a visibility query on the case search attributes "
            "(CaseStatus, CaseType, Urgency, LeadDepartment, District, EscalationLevel, "
            "Overdue, NextDeadline, WorkflowId; conditions joined by AND), "
            "e.g. \"Overdue=true AND LeadDepartment='gy-water'\"",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: AsJson = False,
) -> None:
    """List cases, newest first, from the case list of the database (no personal data)."""
    with cli_errors():
        wanted = case_filter(query)
        sessions = session_factory(make_engine(database_url()))
        page = list_cases(sessions, wanted, limit=limit)
    emit_listings([CaseListing.of(summary) for summary in page.items], as_json)


# ---- the steps ----------------------------------------------------------------------------------


for _step, _command in STEP_COMMANDS:
    case_app.command(_step.cli_name)(_command)
