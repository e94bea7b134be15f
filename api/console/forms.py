"""Which step forms a case page offers, and a posted step form as its command's values.

The page offers a step of the step table (`services.steps.STEPS`) when the reader's role may
take it (`rules.permissions`), the case is at a status where it is taken, and the case as the
reader sees it leaves the step something to do (an extension request waiting for a decision, an
assisting department that has not sent its input). The workflow's validators still decide, and
a refusal is shown on the page. A form's fields are the command's own fields
(`models.commands`), so no field is defined twice; a department's steps always name the
reader's own department.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from models.enums import CaseStatus
from models.state import Assignment, CaseState
from rules.permissions import Principal, allowed
from services.steps import STEPS, Step

OPEN: tuple[CaseStatus, ...] = tuple(s for s in CaseStatus if s is not CaseStatus.CLOSED)

OFFERED_AT: dict[str, tuple[CaseStatus, ...]] = {
    "dispatch": (CaseStatus.RECEIVED,),
    "sign-off": OPEN,
    "return": (CaseStatus.DISPATCHED, CaseStatus.HANDLING),
    "return-review": (CaseStatus.RETURN_REVIEW,),
    "extension-request": (CaseStatus.HANDLING,),
    "extension-decision": OPEN,
    "assist-input": (CaseStatus.DISPATCHED, CaseStatus.HANDLING, CaseStatus.RETURN_REVIEW),
    "reply": (CaseStatus.HANDLING,),
    "reply-review": (CaseStatus.REPLIED,),
    "callback": (CaseStatus.CALLBACK,),
    "urge": (CaseStatus.DISPATCHED, CaseStatus.HANDLING),
    "withdraw": OPEN,
    "merge": OPEN,
    "notes": OPEN,
    "retry-faults": tuple(CaseStatus),
}
"""The statuses at which the page offers a step's form (the console's own layout choice)."""

TITLES: dict[str, str] = {
    "dispatch": "派单",
    "sign-off": "签收",
    "return": "退单",
    "return-review": "退单审核",
    "extension-request": "申请延期",
    "extension-decision": "延期审核",
    "assist-input": "协办意见",
    "reply": "答复",
    "reply-review": "答复审核",
    "callback": "回访",
    "urge": "催办",
    "withdraw": "撤单",
    "merge": "并单",
    "notes": "备注",
    "retry-faults": "重试故障",
}

REPEATED_FIELDS = frozenset({"assisting_departments"})
"""Command fields that are lists: the form posts one value per chosen item."""


def own_assignment(state: CaseState, principal: Principal) -> Assignment | None:
    """The reader's department's active assignment on the case, if it holds one."""
    if principal.department is None:
        return None
    return next(
        (a for a in state.assignments if a.active and a.department == principal.department),
        None,
    )


def waiting_extension(state: CaseState) -> Assignment | None:
    """The lead assignment whose extension request waits for the centre's decision."""
    lead = state.lead
    if lead is None or lead.extension_requested_days is None or lead.extension_decided:
        return None
    return lead


def _leads(state: CaseState, principal: Principal) -> bool:
    own = own_assignment(state, principal)
    return own is not None and own.lead


def _unsigned(state: CaseState, principal: Principal) -> bool:
    own = own_assignment(state, principal)
    if own is None or own.signed_at is not None:
        return False
    return not own.lead or state.status is CaseStatus.DISPATCHED


def _assists(state: CaseState, principal: Principal) -> bool:
    own = own_assignment(state, principal)
    return own is not None and not own.lead and own.assist_input is None


def _may_ask_extension(state: CaseState, principal: Principal) -> bool:
    lead = state.lead
    return (
        _leads(state, principal)
        and lead is not None
        and waiting_extension(state) is None
        and lead.extension_approved_days == 0
    )


SITUATION: Mapping[str, Callable[[CaseState, Principal], bool]] = {
    "sign-off": _unsigned,
    "return": _leads,
    "extension-request": _may_ask_extension,
    "extension-decision": lambda state, _: waiting_extension(state) is not None,
    "assist-input": _assists,
    "reply": _leads,
    "retry-faults": lambda state, _: bool(state.open_faults),
}
"""What else the case must show for its form to be offered (beyond the status)."""


@dataclass(frozen=True)
class StepForm:
    name: str
    title: str


def offered(step: Step[Any], state: CaseState, principal: Principal) -> bool:
    if step.name not in OFFERED_AT or state.status not in OFFERED_AT[step.name]:
        return False
    if not allowed(principal.role, step.permission):
        return False
    fits = SITUATION.get(step.name)
    return fits is None or fits(state, principal)


def step_forms(state: CaseState, principal: Principal) -> list[StepForm]:
    return [
        StepForm(step.name, TITLES[step.name])
        for step in STEPS
        if step.name in TITLES and offered(step, state, principal)
    ]


def step_values(
    step: Step[Any],
    form: Mapping[str, str],
    principal: Principal,
    repeated: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The command's fields from the form: blank fields left out (their defaults apply), the
    department of a department's step the reader's own, list fields from their repeated
    values. An extension refused carries no days (the days go with an approval only)."""
    values: dict[str, Any] = {}
    for name in step.command.model_fields:
        if name == "by":
            continue
        if name == "department":
            values[name] = principal.department
            continue
        if name in REPEATED_FIELDS:
            chosen = [v.strip() for v in (repeated or {}).get(name, []) if v.strip()]
            if chosen:
                values[name] = chosen
            continue
        raw = form.get(name, "").strip()
        if raw:
            values[name] = raw
    if step.name == "extension-decision" and values.get("approve") == "false":
        values.pop("working_days", None)
    return values


NEEDS_LEAD = "选择协办单位时，请同时选定承办单位"
"""The console's words for `rules.dispatch.AssistingWithoutLeadError`."""
