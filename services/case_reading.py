"""Reading one case as its reader may see it, and logging the personal data that was shown.

The API's case detail and the console's case page both read a case through here: the reader's
audience (`rules.disclosure`, from the permission matrix), the case as that audience may see it,
and one access-log entry for the personal fields shown (none for an audience that sees none).
"""

from __future__ import annotations

from dataclasses import dataclass

from db.engine import SessionFactory
from models.state import CaseState
from rules.disclosure import Audience, audience_for, disclose_case, disclosure
from rules.permissions import Action, Principal, allowed
from services.access_log import record_access


@dataclass(frozen=True)
class CaseReading:
    state: CaseState  # as the reader may see it
    caller_masked: bool
    personal_data_included: bool


def reader_audience(principal: Principal) -> Audience:
    """The disclosure audience of a reader (who always gives a purpose, or its default)."""
    return audience_for(
        principal.role.value,
        reads_personal_data=allowed(principal.role, Action.READ_PERSONAL_DATA),
    )


def read_case(
    sessions: SessionFactory, principal: Principal, case_no: str, state: CaseState, purpose: str
) -> CaseReading:
    """The case as `principal` may see it; logs the personal fields shown (blocking)."""
    audience = reader_audience(principal)
    seen = disclosure(audience, confidential=state.intake.caller.confidential)
    shown = disclose_case(state, audience)
    included = audience is not Audience.NONE
    if included:
        record_access(
            sessions,
            principal,
            case_no,
            seen.personal_fields,
            purpose,
            "view",
            seen.masked,
        )
    return CaseReading(shown, seen.masked, included)
