"""Every human step of the case lifecycle as `POST /cases/{case_no}/<step>`.

The acting user is the token's principal, never a body field; a department acts only as itself
and only on cases it holds. The `Idempotency-Key` header is the Update id, so a retried request
runs the step once. A refused step answers 409 with the case's current status and leaves the
case as it was.
"""

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Path
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from api.auth import Principal, Role, require
from api.case_access import ensure_visible
from api.context import ApiContext, get_context
from api.permissions import Action
from api.problems import Problem
from api.refusals import refused
from models.commands import (
    AddNote,
    AssistInput,
    CallbackResult,
    Command,
    Dispatch,
    EscalationRequest,
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
from models.intake import CASE_NO_PATTERN
from models.state import CaseView
from models.text import CleanText
from services import cases as case_service
from workflows.case import CaseWorkflow

router = APIRouter(prefix="/cases", tags=["case steps"])
ModelT = TypeVar("ModelT", bound=BaseModel)

CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN, description="e.g. GY20261128-000123")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=64, description="a retried request runs once"),
]

# (path, Update, command, permission, summary)
STEPS: list[tuple[str, Any, type[Command], Action, str]] = [
    ("dispatch", CaseWorkflow.dispatch, Dispatch, Action.DISPATCH, "Dispatch (派单)"),
    ("sign-off", CaseWorkflow.sign_off, SignOff, Action.SIGN_OFF, "Sign for the case (签收)"),
    ("return", CaseWorkflow.return_case, ReturnCase, Action.RETURN_CASE, "Return it (退单)"),
    (
        "return-review",
        CaseWorkflow.review_return,
        ReturnReview,
        Action.REVIEW_RETURN,
        "Decide on a return",
    ),
    (
        "extension-request",
        CaseWorkflow.request_extension,
        ExtensionRequest,
        Action.REQUEST_EXTENSION,
        "Ask for an extension (延期)",
    ),
    (
        "extension-decision",
        CaseWorkflow.decide_extension,
        ExtensionDecision,
        Action.DECIDE_EXTENSION,
        "Decide on an extension",
    ),
    (
        "assist-input",
        CaseWorkflow.submit_assist_input,
        AssistInput,
        Action.ASSIST_INPUT,
        "Assisting department's input (协办)",
    ),
    ("reply", CaseWorkflow.reply, Reply, Action.REPLY, "Reply (反馈)"),
    (
        "reply-review",
        CaseWorkflow.review_reply,
        ReplyReview,
        Action.REVIEW_REPLY,
        "Review the reply (审核)",
    ),
    (
        "callback",
        CaseWorkflow.record_callback,
        CallbackResult,
        Action.RECORD_CALLBACK,
        "Record a callback attempt (回访); dissatisfied reopens (重办)",
    ),
    ("withdraw", CaseWorkflow.withdraw, Withdraw, Action.WITHDRAW, "Withdraw (撤单)"),
    ("merge", CaseWorkflow.merge, MergeCase, Action.MERGE, "Merge into a master case (并单)"),
    ("urge", CaseWorkflow.urge, Urge, Action.URGE, "Urge the department (催办)"),
    ("notes", CaseWorkflow.add_note, AddNote, Action.NOTE, "Add a note"),
    (
        "retry-faults",
        CaseWorkflow.retry_faults,
        RetryFaults,
        Action.RETRY_FAULTS,
        "Retry the case's faults, once their cause is fixed (administrators)",
    ),
]


def body_model(command: type[BaseModel]) -> type[BaseModel]:
    """The command without `by`: the actor comes from the token."""
    fields: dict[str, Any] = {
        name: (field.annotation, field)
        for name, field in command.model_fields.items()
        if name != "by"
    }
    return create_model(
        f"{command.__name__}Body",
        __base__=StepBody,
        __doc__=command.__doc__,
        **fields,
    )


class StepBody(CleanText):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _add_step(path: str, update: Any, command: type[Command], action: Action, summary: str) -> None:
    body_type = body_model(command)

    async def step(
        case_no: CaseNo,
        body: body_type,  # type: ignore[valid-type]
        principal: Annotated[Principal, Depends(require(action))],
        context: Annotated[ApiContext, Depends(get_context)],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseView:
        values = body.model_dump()  # type: ignore[attr-defined]
        acting_as = values.get("department")
        if principal.role is Role.DEPARTMENT and acting_as not in (None, principal.department):
            raise Problem(403, f"department {principal.department} may act only as itself")
        await ensure_visible(context, principal, case_no)
        full = _command(command, values, principal)
        try:
            await case_service.check_reply_wording(context.sessions, full)
        except case_service.ForbiddenWordingError as err:
            raise Problem(
                422,
                str(err),
                errors=[
                    {"field": "body.content", "rule": "forbidden_wording", "message": err.listed}
                ],
            ) from err
        try:
            return await case_service.act(
                context.client, case_no, update, full, request_id=idempotency_key
            )
        except case_service.CaseActionError as err:
            raise await refused(context, case_no, err) from err

    router.add_api_route(
        f"/{{case_no}}/{path}",
        step,
        methods=["POST"],
        summary=summary,
        response_model=CaseView,
        name=f"case_{path.replace('-', '_')}",
    )


for _step in STEPS:
    _add_step(*_step)


EscalationBody = body_model(EscalationRequest)


@router.post("/{case_no}/escalations", status_code=202, summary="Escalate (督办)")
async def escalate(
    case_no: CaseNo,
    body: EscalationBody,  # type: ignore[valid-type]
    principal: Annotated[Principal, Depends(require(Action.ESCALATE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> dict[str, str]:
    request = _command(EscalationRequest, body.model_dump(), principal)  # type: ignore[attr-defined]
    try:
        await case_service.escalate(context.client, case_no, request)
    except case_service.CaseActionError as err:
        raise await refused(context, case_no, err) from err
    return {"case_no": case_no, "status": "escalation sent"}


def _command(command: type[ModelT], values: dict[str, Any], principal: Principal) -> ModelT:
    """The full command: the body's fields and the acting user."""
    try:
        return command.model_validate(values | {"by": principal.user_id})
    except ValidationError as err:
        issues = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise Problem(422, issues) from err
