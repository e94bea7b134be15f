"""`hotline case ...`: intake, show, list, and one subcommand per human step of a case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from sqlalchemy import select
from temporalio.client import Client
from temporalio.workflow import UpdateMethodMultiParam

from api.access_log import record_access
from api.auth import Principal, Role
from api.case_access import department_filter
from api.permissions import Action, allowed
from api.tokens import get_user
from cli.intake import intake
from cli.options import AsJson, By, CaseNo, Decision, Dept, Note, RequestId
from cli.output import emit_json, emit_lines, emit_listings, emit_view, state_lines
from cli.runtime import InvalidOptionsError, cli_errors, with_client
from db.engine import SessionFactory, database_url, make_engine, session_factory
from db.tables import CaseRow
from models.commands import (
    AddNote,
    AssistInput,
    CallbackResult,
    Dispatch,
    ExtensionDecision,
    ExtensionRequest,
    MergeCase,
    Reply,
    ReplyReview,
    ReturnCase,
    ReturnReview,
    SignOff,
    Urge,
    Withdraw,
)
from models.enums import ReplyResult, ReturnReason, Satisfaction
from models.state import CaseState, CaseView
from models.text import check_text
from rules.disclosure import Audience, CallerView, audience_for, disclose_case, disclosure
from services import cases
from services.cases import CaseListing, CaseNotFoundError
from settings.temporal import TemporalSettings
from workflows.case import CaseWorkflow

CommandT = TypeVar("CommandT", bound=BaseModel)

case_app = typer.Typer(
    help="Work cases: intake, read, list, and every human step of the process.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
case_app.command("intake")(intake)


def _step(
    case_no: str,
    update: UpdateMethodMultiParam[[CaseWorkflow, CommandT], CaseView],
    build: Callable[[], CommandT],
    request_id: str | None,
    as_json: bool,
) -> None:
    """Validate the command, run the step on the case, print where the case stands."""
    with cli_errors():
        command = build()

        async def run(client: Client, _settings: TemporalSettings) -> CaseView:
            if isinstance(command, Reply):
                sessions = session_factory(make_engine(database_url()))
                await cases.check_reply_wording(sessions, command)
            return await cases.act(client, case_no, update, command, request_id)

        view = with_client(run)
    emit_view(view, as_json)


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
    reader = Principal(user_id=user.id, role=user.role, department=user.department)
    return Reading(reader, purpose.strip(), sessions)


def ensure_held(sessions: SessionFactory, reader: Principal, case_no: str) -> None:
    """A department reads only the cases it holds; any other is 'no case', as over the API."""
    if reader.role is not Role.DEPARTMENT or reader.department is None:
        return
    with sessions() as session:
        held = session.scalar(
            select(CaseRow.case_no).where(
                CaseRow.case_no == case_no, department_filter(reader.department)
            )
        )
    if held is None:
        raise CaseNotFoundError(f"no case {case_no}")


@case_app.command("list")
def list_(
    query: Annotated[
        str | None,
        typer.Option(
            "--query",
            help="visibility filter on the case search attributes (CaseStatus, CaseType, "
            "Urgency, LeadDepartment, District, EscalationLevel, Overdue, NextDeadline), "
            "e.g. \"Overdue=true AND LeadDepartment='gy-water'\"",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: AsJson = False,
) -> None:
    """List cases from their search attributes (no personal data)."""
    with cli_errors():

        async def search(client: Client, _settings: TemporalSettings) -> list[CaseListing]:
            return await cases.list_cases(client, query, limit)

        listings = with_client(search)
    emit_listings(listings, as_json)


# ---- the centre and the departments ------------------------------------------------------------


@case_app.command("dispatch")
def dispatch(
    case_no: CaseNo,
    by: By,
    lead: Annotated[
        str | None, typer.Option("--lead", help="lead department (default: the catalogue)")
    ] = None,
    assist: Annotated[
        list[str] | None, typer.Option("--assist", help="assisting department (repeatable)")
    ] = None,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Dispatch a received case (派单)."""
    _step(
        case_no,
        CaseWorkflow.dispatch,
        lambda: Dispatch(
            by=by, note=note, lead_department=lead, assisting_departments=assist or []
        ),
        request_id,
        as_json,
    )


@case_app.command("sign")
def sign(
    case_no: CaseNo,
    dept: Dept,
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Sign for a dispatched case (签收)."""
    _step(
        case_no,
        CaseWorkflow.sign_off,
        lambda: SignOff(by=by, note=note, department=dept),
        request_id,
        as_json,
    )


@case_app.command("return")
def return_(
    case_no: CaseNo,
    dept: Dept,
    reason: Annotated[ReturnReason, typer.Option("--reason", help="return reason code")],
    basis: Annotated[str, typer.Option("--basis", help="legal basis of the return")],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Return a case to the centre (退单), with a reason code and its legal basis."""
    _step(
        case_no,
        CaseWorkflow.return_case,
        lambda: ReturnCase(by=by, note=note, department=dept, reason=reason, legal_basis=basis),
        request_id,
        as_json,
    )


@case_app.command("review-return")
def review_return(
    case_no: CaseNo,
    approve: Decision,
    by: By,
    redispatch_to: Annotated[
        str | None,
        typer.Option("--redispatch-to", help="with --approve: dispatch at once to this department"),
    ] = None,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Decide on a department's return."""
    _step(
        case_no,
        CaseWorkflow.review_return,
        lambda: ReturnReview(by=by, note=note, approve=approve, redispatch_to=redispatch_to),
        request_id,
        as_json,
    )


@case_app.command("extend")
def extend(
    case_no: CaseNo,
    dept: Dept,
    days: Annotated[int, typer.Option("--days", help="working days asked for (1-10)")],
    reason: Annotated[str, typer.Option("--reason", help="why more time is needed")],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Ask for an extension of the handling deadline (延期)."""
    _step(
        case_no,
        CaseWorkflow.request_extension,
        lambda: ExtensionRequest(
            by=by, note=note, department=dept, working_days=days, reason=reason
        ),
        request_id,
        as_json,
    )


@case_app.command("decide-extension")
def decide_extension(
    case_no: CaseNo,
    approve: Decision,
    by: By,
    days: Annotated[
        int | None,
        typer.Option("--days", help="with --approve: working days granted (default: as asked)"),
    ] = None,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Decide on an extension request."""
    _step(
        case_no,
        CaseWorkflow.decide_extension,
        lambda: ExtensionDecision(by=by, note=note, approve=approve, working_days=days),
        request_id,
        as_json,
    )


@case_app.command("assist")
def assist(
    case_no: CaseNo,
    dept: Dept,
    content: Annotated[str, typer.Option("--content", help="the assisting department's input")],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Send an assisting department's input to the lead (协办)."""
    _step(
        case_no,
        CaseWorkflow.submit_assist_input,
        lambda: AssistInput(by=by, note=note, department=dept, content=content),
        request_id,
        as_json,
    )


@case_app.command("reply")
def reply(
    case_no: CaseNo,
    dept: Dept,
    result: Annotated[ReplyResult, typer.Option("--result", help="outcome of the handling")],
    content: Annotated[str, typer.Option("--content", help="the reply to the citizen")],
    officer: Annotated[str, typer.Option("--officer", help="responsible officer")],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Reply on a case in handling (答复)."""
    _step(
        case_no,
        CaseWorkflow.reply,
        lambda: Reply(
            by=by, note=note, department=dept, result=result, content=content, officer=officer
        ),
        request_id,
        as_json,
    )


@case_app.command("review-reply")
def review_reply(
    case_no: CaseNo,
    approve: Decision,
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Approve a reply (on to callback) or reject it (redo)."""
    _step(
        case_no,
        CaseWorkflow.review_reply,
        lambda: ReplyReview(by=by, note=note, approve=approve),
        request_id,
        as_json,
    )


@case_app.command("callback")
def callback(
    case_no: CaseNo,
    reached: Annotated[
        bool,
        typer.Option("--reached/--unreached", help="was the citizen reached", show_default=False),
    ],
    by: By,
    resolved: Annotated[
        bool | None,
        typer.Option("--resolved/--unresolved", help="with --reached: is the matter resolved"),
    ] = None,
    satisfaction: Annotated[
        Satisfaction | None, typer.Option("--satisfaction", help="with --reached")
    ] = None,
    cause_elsewhere: Annotated[
        bool,
        typer.Option(
            "--cause-elsewhere",
            help="dissatisfaction not caused by the department's handling (no reopen)",
        ),
    ] = False,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Record one callback attempt (回访)."""
    _step(
        case_no,
        CaseWorkflow.record_callback,
        lambda: CallbackResult(
            by=by,
            note=note,
            reached=reached,
            resolved=resolved,
            satisfaction=satisfaction,
            cause_with_department=not cause_elsewhere,
        ),
        request_id,
        as_json,
    )


# ---- any time ----------------------------------------------------------------------------------


@case_app.command("withdraw")
def withdraw(
    case_no: CaseNo,
    reason: Annotated[str, typer.Option("--reason", help="why the citizen withdraws")],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Close a case the citizen withdraws (撤件)."""
    _step(
        case_no,
        CaseWorkflow.withdraw,
        lambda: Withdraw(by=by, note=note, reason=reason),
        request_id,
        as_json,
    )


@case_app.command("merge")
def merge(
    case_no: CaseNo,
    into: Annotated[
        str, typer.Option("--into", metavar="MASTER", help="the open case to merge into")
    ],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Merge a case into another open case (并单) and close it."""
    _step(
        case_no,
        CaseWorkflow.merge,
        lambda: MergeCase(by=by, note=note, master_case_no=into),
        request_id,
        as_json,
    )


@case_app.command("urge")
def urge(
    case_no: CaseNo,
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Urge the department holding the case (催办)."""
    _step(
        case_no,
        CaseWorkflow.urge,
        lambda: Urge(by=by, note=note),
        request_id,
        as_json,
    )


@case_app.command("note")
def note(
    case_no: CaseNo,
    text: Annotated[str, typer.Option("--text", help="the note")],
    by: By,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Add a note to the case's timeline."""
    _step(
        case_no,
        CaseWorkflow.add_note,
        lambda: AddNote(by=by, note=text),
        request_id,
        as_json,
    )
