"""Human steps on a case: the inputs of the workflow's Updates and of the escalate Signal."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from models.enums import ReplyResult, ReturnReason, Satisfaction
from models.intake import CASE_NO_PATTERN
from models.text import CleanText
from models.timestamps import OffsetDateTime

ActorId = str

MAX_EXTENSION_WORKING_DAYS = 10
"""At most this many working days per extension request (the rest of the extension policy is
`rules/extension.py`)."""


class Command(CleanText):
    model_config = ConfigDict(frozen=True, extra="forbid")

    by: ActorId = Field(min_length=1, max_length=64, description="who acts (user id)")
    note: str | None = Field(default=None, max_length=2000)


class Dispatch(Command):
    """派单. Without a lead department the dispatch catalogue decides."""

    lead_department: str | None = Field(default=None, max_length=64)
    assisting_departments: list[str] = Field(default_factory=list, max_length=10)


class SignOff(Command):
    department: str = Field(min_length=1, max_length=64)


class ReturnCase(Command):
    """退单 by the department, with a reason code and a legal basis."""

    department: str = Field(min_length=1, max_length=64)
    reason: ReturnReason
    legal_basis: str = Field(min_length=1, max_length=500)


class ReturnReview(Command):
    """The centre's decision on a return. Approve: re-dispatch (to `redispatch_to` if given)."""

    approve: bool
    redispatch_to: str | None = Field(default=None, max_length=64)


class ExtensionRequest(Command):
    department: str = Field(min_length=1, max_length=64)
    working_days: int = Field(ge=1, le=MAX_EXTENSION_WORKING_DAYS)
    reason: str = Field(min_length=1, max_length=1000)


class ExtensionDecision(Command):
    approve: bool
    working_days: int | None = Field(
        default=None, ge=1, le=MAX_EXTENSION_WORKING_DAYS, description="at most the requested days"
    )


class AssistInput(Command):
    """协办 input from an assisting department to the lead."""

    department: str = Field(min_length=1, max_length=64)
    content: str = Field(min_length=1, max_length=4000)


class Reply(Command):
    department: str = Field(min_length=1, max_length=64)
    result: ReplyResult
    content: str = Field(min_length=1, max_length=8000)
    officer: str = Field(min_length=1, max_length=64, description="responsible officer")


class ReplyReview(Command):
    approve: bool


class CallbackResult(Command):
    """One callback attempt (回访)."""

    reached: bool
    resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    cause_with_department: bool = Field(
        default=True, description="dissatisfied because of the department's handling"
    )


class Withdraw(Command):
    reason: str = Field(min_length=1, max_length=500)


class MergeCase(Command):
    master_case_no: str = Field(pattern=CASE_NO_PATTERN)


class Urge(Command):
    """A supervisor's manual urging (催办) of the department holding the case."""


class AddNote(Command):
    pass


class RetryFaults(Command):
    """Re-run the failed work of a case's open faults, once their cause is fixed."""


class Escalate(CleanText):
    """Signal `escalate`: {"level": 1|2|3, "note": "...", "by": "...", "deadline": "<ISO>"}.

    The signal's payload as the workflow reads it, from new signals and from histories alike:
    histories hold deadlines sent without an offset (the workflow reads those as Beijing time),
    so this model still accepts them. A new escalation is an `EscalationRequest`.
    """

    model_config = ConfigDict(extra="ignore")

    level: int = Field(ge=1, le=3)
    note: str = Field(default="", max_length=2000)
    by: ActorId = Field(min_length=1, max_length=64)
    deadline: datetime | None = None


class EscalationRequest(Escalate):
    """An escalation as the API and the CLI take it: a deadline carries its UTC offset."""

    deadline: OffsetDateTime | None = None


class MergedCaseLink(BaseModel):
    """Signal from a case that was merged into this one."""

    case_no: str = Field(pattern=CASE_NO_PATTERN)
    by: ActorId
