"""Every human step of a case, once: its names, command, workflow Update, permission and checks.

This table is the one map step → Update → command → permission. The API builds its routes
`POST /cases/{no}/<name>` from it (`api.routes.case_actions`), the CLI runs its commands
`hotline case <cli_name>` through it (`cli.case_commands`), and `perform` runs a step's checks
(a reply's wording, which no workflow validator can read) before its Update, so no caller has
to remember them. Supervisor escalation is a Signal, not a step: `services.cases.escalate`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from temporalio.client import Client
from temporalio.workflow import UpdateMethodMultiParam

from db.engine import SessionFactory
from models.commands import (
    AddNote,
    AssistInput,
    CallbackResult,
    Command,
    Dispatch,
    ExtensionDecision,
    ExtensionRequest,
    MergeCase,
    Reply,
    ReplyReview,
    RetryFaults,
    ReturnCase,
    ReturnReview,
    SignOff,
    Urge,
    Withdraw,
)
from models.state import CaseView
from rules.dispatch import check_assisting_has_lead
from rules.permissions import Action
from services.cases import ForbiddenWordingError, act
from services.phrases import check_wording
from workflows.case import CaseWorkflow

CommandT = TypeVar("CommandT", bound=Command)


@dataclass(frozen=True)
class Step(Generic[CommandT]):
    """One human step: a CaseWorkflow Update with its command, permission and checks.

    `name` is the API's path segment, `cli_name` the CLI's command (None: no `hotline case`
    command of its own); `summary` is the API's one-line description. Each check is blocking
    (it may read the database) and raises to refuse the command.
    """

    name: str
    cli_name: str | None
    command: type[CommandT]
    update: UpdateMethodMultiParam[[CaseWorkflow, CommandT], CaseView]
    permission: Action
    summary: str
    checks: tuple[Callable[[SessionFactory, CommandT], None], ...] = ()

    def build(self, values: Mapping[str, Any]) -> CommandT:
        """The command of these values; pydantic's ValidationError names each bad field."""
        return self.command.model_validate(dict(values))


def reply_wording(sessions: SessionFactory, command: Reply) -> None:
    """A reply goes to the citizen: refuse forbidden wording of the service phrases in it."""
    findings = check_wording(sessions, command.content)
    if findings:
        raise ForbiddenWordingError(findings)


def dispatch_has_lead(sessions: SessionFactory, command: Dispatch) -> None:
    """Assisting departments are dispatched with a lead (`rules.dispatch`)."""
    check_assisting_has_lead(command.lead_department, command.assisting_departments)


DISPATCH = Step(
    "dispatch",
    "dispatch",
    Dispatch,
    CaseWorkflow.dispatch,
    Action.DISPATCH,
    "Dispatch (派单)",
    checks=(dispatch_has_lead,),
)
SIGN_OFF = Step(
    "sign-off",
    "sign",
    SignOff,
    CaseWorkflow.sign_off,
    Action.SIGN_OFF,
    "Sign for the case (签收)",
)
RETURN = Step(
    "return",
    "return",
    ReturnCase,
    CaseWorkflow.return_case,
    Action.RETURN_CASE,
    "Return it (退单)",
)
RETURN_REVIEW = Step(
    "return-review",
    "review-return",
    ReturnReview,
    CaseWorkflow.review_return,
    Action.REVIEW_RETURN,
    "Decide on a return",
)
EXTENSION_REQUEST = Step(
    "extension-request",
    "extend",
    ExtensionRequest,
    CaseWorkflow.request_extension,
    Action.REQUEST_EXTENSION,
    "Ask for an extension (延期)",
)
EXTENSION_DECISION = Step(
    "extension-decision",
    "decide-extension",
    ExtensionDecision,
    CaseWorkflow.decide_extension,
    Action.DECIDE_EXTENSION,
    "Decide on an extension",
)
ASSIST_INPUT = Step(
    "assist-input",
    "assist",
    AssistInput,
    CaseWorkflow.submit_assist_input,
    Action.ASSIST_INPUT,
    "Assisting department's input (协办)",
)
REPLY = Step(
    "reply",
    "reply",
    Reply,
    CaseWorkflow.reply,
    Action.REPLY,
    "Reply (反馈)",
    checks=(reply_wording,),
)
REPLY_REVIEW = Step(
    "reply-review",
    "review-reply",
    ReplyReview,
    CaseWorkflow.review_reply,
    Action.REVIEW_REPLY,
    "Review the reply (审核)",
)
CALLBACK = Step(
    "callback",
    "callback",
    CallbackResult,
    CaseWorkflow.record_callback,
    Action.RECORD_CALLBACK,
    "Record a callback attempt (回访); dissatisfied reopens (重办)",
)
WITHDRAW = Step(
    "withdraw", "withdraw", Withdraw, CaseWorkflow.withdraw, Action.WITHDRAW, "Withdraw (撤单)"
)
MERGE = Step(
    "merge",
    "merge",
    MergeCase,
    CaseWorkflow.merge,
    Action.MERGE,
    "Merge into a master case (并单)",
)
URGE = Step("urge", "urge", Urge, CaseWorkflow.urge, Action.URGE, "Urge the department (催办)")
NOTE = Step("notes", "note", AddNote, CaseWorkflow.add_note, Action.NOTE, "Add a note")
RETRY_FAULTS = Step(
    "retry-faults",
    "retry-faults",
    RetryFaults,
    CaseWorkflow.retry_faults,
    Action.RETRY_FAULTS,
    "Retry the case's faults, once their cause is fixed (administrators)",
)

STEPS: tuple[Step[Any], ...] = (
    DISPATCH,
    SIGN_OFF,
    RETURN,
    RETURN_REVIEW,
    EXTENSION_REQUEST,
    EXTENSION_DECISION,
    ASSIST_INPUT,
    REPLY,
    REPLY_REVIEW,
    CALLBACK,
    WITHDRAW,
    MERGE,
    URGE,
    NOTE,
    RETRY_FAULTS,
)
"""Every step, in the order of the process (and of the API's routes)."""


async def perform(
    client: Client,
    sessions: SessionFactory,
    step: Step[CommandT],
    case_no: str,
    command: CommandT,
    request_id: str | None = None,
) -> CaseView:
    """Run the step's checks, then its Update on the case; where the case stands after it.

    `request_id` is the Update id: a retried submit with the same id runs the step once.
    """
    for check in step.checks:
        await asyncio.to_thread(check, sessions, command)
    return await act(client, case_no, step.update, command, request_id)
