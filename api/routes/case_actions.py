"""Every human step of the case lifecycle as `POST /cases/{case_no}/<step>`, one route per
entry of the step table (`services.steps`), and supervisor escalation.

The acting user is the token's principal, never a body field; a department acts only as itself
and only on cases it holds. The `Idempotency-Key` header is the Update id, so a retried request
runs the step once. A refused step answers 409 with the case's current status and leaves the
case as it was.
"""

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Path
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from api.auth import require
from api.case_access import ensure_visible
from api.context import ApiContext, get_context
from api.problems import Problem
from api.refusals import refused
from models.commands import EscalationRequest
from models.errors import CaseActionError
from models.intake import CASE_NO_PATTERN
from models.state import CaseView
from models.text import CleanText
from rules.dispatch import AssistingWithoutLeadError
from rules.permissions import Action, Principal, acts_as_itself
from services import cases as case_service
from services.cases import ForbiddenWordingError
from services.steps import STEPS, Step, perform

router = APIRouter(prefix="/cases", tags=["case steps"])
ModelT = TypeVar("ModelT", bound=BaseModel)

CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN, description="e.g. GY20261128-000123")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=64, description="a retried request runs once"),
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


def _add_step(step: Step[Any]) -> None:
    body_type = body_model(step.command)

    async def run(
        case_no: CaseNo,
        body: body_type,  # type: ignore[valid-type]
        principal: Annotated[Principal, Depends(require(step.permission))],
        context: Annotated[ApiContext, Depends(get_context)],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseView:
        values = body.model_dump()  # type: ignore[attr-defined]
        if not acts_as_itself(principal, values.get("department")):
            raise Problem(403, f"department {principal.department} may act only as itself")
        await ensure_visible(context, principal, case_no)
        command = _command(step.command, values, principal)
        try:
            return await perform(
                context.client, context.sessions, step, case_no, command, idempotency_key
            )
        except AssistingWithoutLeadError as err:
            raise Problem(
                422,
                str(err),
                errors=[
                    {
                        "field": "body.assisting_departments",
                        "rule": "needs_lead",
                        "message": str(err),
                    }
                ],
            ) from err
        except ForbiddenWordingError as err:
            raise Problem(
                422,
                str(err),
                errors=[
                    {"field": "body.content", "rule": "forbidden_wording", "message": err.listed}
                ],
            ) from err
        except CaseActionError as err:
            raise await refused(context, case_no, err) from err

    router.add_api_route(
        f"/{{case_no}}/{step.name}",
        run,
        methods=["POST"],
        summary=step.summary,
        response_model=CaseView,
        name=f"case_{step.name.replace('-', '_')}",
    )


for _step in STEPS:
    _add_step(_step)


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
    except CaseActionError as err:
        raise await refused(context, case_no, err) from err
    return {"case_no": case_no, "status": "escalation sent"}


def _command(command: type[ModelT], values: dict[str, Any], principal: Principal) -> ModelT:
    """The full command: the body's fields and the acting user."""
    try:
        return command.model_validate(values | {"by": principal.user_id})
    except ValidationError as err:
        issues = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise Problem(422, issues) from err
