"""Assignment (派单): the dispatch clock, routing by the catalogue, and the lead's assignment.

A dispatch names the lead (and any assisting) departments, or lets the dispatch catalogue
choose; either way `route_case` checks them. The lead then holds three clocks (sign-off, the
return window, handling) and each assisting department one (its input).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.case.checks import refuse, require_status
from workflows.case.clocks import HANDLING_KEY, assist_key
from workflows.case.context import CaseRun
from workflows.case.notices import notice, sms

with workflow.unsafe.imports_passed_through():
    from activities.case_activities import CaseActivities
    from models.actions import Action
    from models.commands import Dispatch
    from models.enums import CENTRE, CaseStatus, CaseType, Step
    from models.errors import NO_ROUTE
    from models.records import Route, RouteRequest
    from models.state import Assignment, CaseState


ROUTE_TIMEOUT = timedelta(seconds=10)
ROUTE_RETRY = RetryPolicy(
    maximum_interval=timedelta(seconds=30), non_retryable_error_types=[NO_ROUTE]
)


async def start_dispatch_clock(case: CaseRun) -> None:
    (deadline,) = await case.clocks.deadlines(Step.DISPATCH)
    case.clocks.set(Step.DISPATCH.value, CENTRE, deadline)


def check_dispatch(state: CaseState, command: Dispatch) -> None:
    require_status(state, CaseStatus.RECEIVED, step="dispatch")


async def route(case: CaseRun, lead_department: str | None, assisting: list[str]) -> Route:
    """The catalogue's choice, or the named departments once checked; refuses unknown ones."""
    intake = case.state.intake
    try:
        return await workflow.execute_activity_method(
            CaseActivities.route_case,
            RouteRequest(
                category=intake.category,
                district=intake.location.district,
                street=intake.location.street,
                lead_department=lead_department,
                assisting_departments=assisting,
            ),
            start_to_close_timeout=ROUTE_TIMEOUT,
            retry_policy=ROUTE_RETRY,
        )
    except ActivityError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == NO_ROUTE:
            raise refuse(f"cannot dispatch: {cause.message}") from err
        if isinstance(cause, ApplicationError) and cause.non_retryable:
            # Bad data in routing: the step is refused, visibly; the person retries it.
            raise refuse(f"cannot dispatch: {cause.message}") from err
        raise


async def assign(case: CaseRun, route: Route, by: str, note: str | None) -> None:
    state = case.state
    intake = state.intake
    praise = intake.case_type is CaseType.PRAISE
    handling_step = Step.PRAISE_CLOSE if praise else Step.HANDLING
    sign_off, window, handling, *assist = await case.clocks.deadlines(
        Step.SIGN_OFF,
        Step.RETURN_WINDOW,
        handling_step,
        *([Step.ASSIST_INPUT] * len(route.assisting_departments)),
    )
    now = workflow.now()
    case.clocks.drop(Step.DISPATCH.value)
    state.assignments.append(
        Assignment(department=route.lead_department, lead=True, dispatched_at=now)
    )
    case.clocks.set(Step.SIGN_OFF.value, route.lead_department, sign_off)
    case.clocks.set(Step.RETURN_WINDOW.value, route.lead_department, window)
    case.clocks.set(HANDLING_KEY, route.lead_department, handling)
    for department, deadline in zip(route.assisting_departments, assist, strict=True):
        state.assignments.append(Assignment(department=department, lead=False, dispatched_at=now))
        case.clocks.set(assist_key(department), department, deadline)
    notices = [
        notice(
            state,
            "dispatch_notice",
            department,
            lead=department == route.lead_department,
            sign_off_due=sign_off.due,
            handling_due=handling.due,
        )
        for department in [route.lead_department, *route.assisting_departments]
    ]
    if intake.caller.phones and not praise:
        notices.append(
            sms(
                state,
                "sms_received",
                expected_reply=handling.due,
                retrieval_code=intake.retrieval_code,
            )
        )
    await case.recorder.record(
        Action.DISPATCH,
        by,
        CaseStatus.DISPATCHED,
        {
            "lead_department": route.lead_department,
            "assisting_departments": route.assisting_departments,
            "catalogue_fallback": route.fallback,
            "note": note,
        },
        notices,
    )
