"""Which step forms a case page offers, and a posted step form as its command's values.

The page offers a step when the reader's role may take it (`rules.permissions`) and the case
is at a status where it is taken; the workflow's validators still decide, and a refusal is shown
on the page. A form's fields are the command's own fields (`models.commands`), so no field is
defined twice; a department's steps always name the reader's own department.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.enums import CaseStatus
from models.state import CaseState
from rules.permissions import Principal, allowed
from services.steps import STEPS, Step

OFFERED_AT: dict[str, tuple[CaseStatus, ...]] = {
    "dispatch": (CaseStatus.RECEIVED,),
    "sign-off": (CaseStatus.DISPATCHED,),
    "return": (CaseStatus.DISPATCHED, CaseStatus.HANDLING),
    "return-review": (CaseStatus.RETURN_REVIEW,),
    "reply": (CaseStatus.HANDLING,),
    "reply-review": (CaseStatus.REPLIED,),
    "callback": (CaseStatus.CALLBACK,),
    "urge": (CaseStatus.DISPATCHED, CaseStatus.HANDLING),
}
"""The statuses at which the page offers a step's form (the console's own layout choice)."""

TITLES: dict[str, str] = {
    "dispatch": "派单",
    "sign-off": "签收",
    "return": "退单",
    "return-review": "退单审核",
    "reply": "答复",
    "reply-review": "答复审核",
    "callback": "回访",
    "urge": "催办",
}


@dataclass(frozen=True)
class StepForm:
    name: str
    title: str


def step_forms(state: CaseState, principal: Principal) -> list[StepForm]:
    return [
        StepForm(step.name, TITLES[step.name])
        for step in STEPS
        if step.name in OFFERED_AT
        and state.status in OFFERED_AT[step.name]
        and allowed(principal.role, step.permission)
    ]


def step_values(step: Step[Any], form: dict[str, str], principal: Principal) -> dict[str, Any]:
    """The command's fields from the form: blank fields left out (their defaults apply), the
    department of a department's step the reader's own."""
    values: dict[str, Any] = {}
    for name in step.command.model_fields:
        if name == "by":
            continue
        if name == "department":
            values[name] = principal.department
            continue
        raw = form.get(name, "").strip()
        if raw:
            values[name] = raw
    return values
