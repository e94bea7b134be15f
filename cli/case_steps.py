"""`hotline case <step>`: one command per human step of a case, run through the step table.

Each command only reads its options into the fields of the step's command; which Update it is,
what it may check first (a reply's wording) and the command's model come from the one step
table, `services.steps`. A refused step prints `refused: <why>` and exits 1; a bad field exits 2.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

import typer
from temporalio.client import Client

from cli.options import AsJson, By, CaseNo, Decision, Dept, Note, RequestId
from cli.output import emit_view
from cli.runtime import cli_errors, with_client
from db.engine import database_url, make_engine, session_factory
from models.enums import ReplyResult, ReturnReason, Satisfaction
from models.state import CaseView
from services import steps
from services.steps import Step, perform
from settings.temporal import TemporalSettings

StepFields = dict[str, Any]
"""The fields of a step's command, as its options give them."""

STEP_COMMANDS: list[tuple[Step[Any], Callable[..., None]]] = []
"""Every step command of this module with its step, in the order of the process."""


def run_step(
    step: Step[Any], case_no: str, fields: StepFields, request_id: str | None, as_json: bool
) -> None:
    """Validate the command, run the step on the case, print where the case stands."""
    with cli_errors():
        command = step.build(fields)
        sessions = session_factory(make_engine(database_url()))

        async def run(client: Client, _settings: TemporalSettings) -> CaseView:
            return await perform(client, sessions, step, case_no, command, request_id)

        view = with_client(run)
    emit_view(view, as_json)


def step_command(
    step: Step[Any],
) -> Callable[[Callable[..., StepFields]], Callable[..., None]]:
    """Make a function that reads a step's options into its fields the command of that step.

    The function takes the command's options (typer reads them from its signature, so they keep
    their order and help) and returns the fields; the command runs the step with them.
    """

    def register(options: Callable[..., StepFields]) -> Callable[..., None]:
        @functools.wraps(options)
        def command(**given: Any) -> None:
            fields = options(**given)
            run_step(step, given["case_no"], fields, given["request_id"], given["as_json"])

        STEP_COMMANDS.append((step, command))
        return command

    return register


# ---- the centre and the departments ------------------------------------------------------------


@step_command(steps.DISPATCH)
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
) -> StepFields:
    """Dispatch a received case (派单)."""
    return dict(by=by, note=note, lead_department=lead, assisting_departments=assist or [])


@step_command(steps.SIGN_OFF)
def sign(
    case_no: CaseNo,
    dept: Dept,
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> StepFields:
    """Sign for a dispatched case (签收)."""
    return dict(by=by, note=note, department=dept)


@step_command(steps.RETURN)
def return_(
    case_no: CaseNo,
    dept: Dept,
    reason: Annotated[ReturnReason, typer.Option("--reason", help="return reason code")],
    basis: Annotated[str, typer.Option("--basis", help="legal basis of the return")],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> StepFields:
    """Return a case to the centre (退单), with a reason code and its legal basis."""
    return dict(by=by, note=note, department=dept, reason=reason, legal_basis=basis)


@step_command(steps.RETURN_REVIEW)
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
) -> StepFields:
    """Decide on a department's return."""
    return dict(by=by, note=note, approve=approve, redispatch_to=redispatch_to)


@step_command(steps.EXTENSION_REQUEST)
def extend(
    case_no: CaseNo,
    dept: Dept,
    days: Annotated[int, typer.Option("--days", help="working days asked for (1-10)")],
    reason: Annotated[str, typer.Option("--reason", help="why more time is needed")],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> StepFields:
    """Ask for an extension of the handling deadline (延期)."""
    return dict(by=by, note=note, department=dept, working_days=days, reason=reason)


@step_command(steps.EXTENSION_DECISION)
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
) -> StepFields:
    """Decide on an extension request."""
    return dict(by=by, note=note, approve=approve, working_days=days)


@step_command(steps.ASSIST_INPUT)
def assist(
    case_no: CaseNo,
    dept: Dept,
    content: Annotated[str, typer.Option("--content", help="the assisting department's input")],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> StepFields:
    """Send an assisting department's input to the lead (协办)."""
    return dict(by=by, note=note, department=dept, content=content)


@step_command(steps.REPLY)
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
) -> StepFields:
    """Reply on a case in handling (答复)."""
    return dict(by=by, note=note, department=dept, result=result, content=content, officer=officer)


@step_command(steps.REPLY_REVIEW)
def review_reply(
    case_no: CaseNo,
    approve: Decision,
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> StepFields:
    """Approve a reply (on to callback) or reject it (redo)."""
    return dict(by=by, note=note, approve=approve)


@step_command(steps.CALLBACK)
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
) -> StepFields:
    """Record one callback attempt (回访)."""
    return dict(
        by=by,
        note=note,
        reached=reached,
        resolved=resolved,
        satisfaction=satisfaction,
        cause_with_department=not cause_elsewhere,
    )


# ---- any time ----------------------------------------------------------------------------------


@step_command(steps.WITHDRAW)
def withdraw(
    case_no: CaseNo,
    reason: Annotated[str, typer.Option("--reason", help="why the citizen withdraws")],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> StepFields:
    """Close a case the citizen withdraws (撤件)."""
    return dict(by=by, note=note, reason=reason)


@step_command(steps.MERGE)
def merge(
    case_no: CaseNo,
    into: Annotated[
        str, typer.Option("--into", metavar="MASTER", help="the open case to merge into")
    ],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> StepFields:
    """Merge a case into another open case (并单) and close it."""
    return dict(by=by, note=note, master_case_no=into)


@step_command(steps.URGE)
def urge(
    case_no: CaseNo,
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> StepFields:
    """Urge the department holding the case (催办)."""
    return dict(by=by, note=note)


@step_command(steps.NOTE)
def note(
    case_no: CaseNo,
    text: Annotated[str, typer.Option("--text", help="the note")],
    by: By,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> StepFields:
    """Add a note to the case's timeline."""
    return dict(by=by, note=text)
