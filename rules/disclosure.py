"""What each reader sees of a case's caller and place (domain §11, §13): the one rule.

Every surface that lets a case's intake leave the system (`GET /cases/{no}`, the `GET /cases`
list, `hotline case show` and `list`, department notices, the audit timeline's masked mode)
asks this module, so the rule is written once:

- `CENTRE`, centre staff reading personal data with a logged purpose: everything.
- `DEPARTMENT`, a department on a case it holds (logged): everything, except on a
  confidential case: surname and masked phone, no address, street, community or coordinates.
- `MASKED`, a reader who gave no purpose: surname and masked phone, no address or coordinates;
  on a confidential case no street or community either.
- `NONE`, a role that may not read personal data: as `MASKED` without the caller at all.

The address and the coordinates point at a door, so they go only where the caller's name may
go in full. On a confidential (保密) case even the street and the community could point at a
whistle-blower, so only the centre's staff see them. The district always shows: it routes the
case and is a search attribute.

The retrieval code (the citizen's secret for the progress lookup) is in no case view for
anyone: it reaches the citizen in the receipt SMS and, once, the operator who took the call in
the intake answer (`may_see_retrieval_code`). A case list row carries only `LISTED_FIELDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.intake import Caller, CaseIntake, Location
from models.privacy import masked_caller
from models.state import CaseState

DEPARTMENT_ROLE = "department"


class Audience(StrEnum):
    CENTRE = "centre"
    DEPARTMENT = "department"
    MASKED = "masked"
    NONE = "none"


class CallerView(StrEnum):
    FULL = "full"
    MASKED = "masked"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class Disclosure:
    """What one audience sees of one case."""

    caller: CallerView
    exact_place: bool  # address, latitude, longitude
    area: bool  # street, community

    @property
    def masked(self) -> bool:
        return self.caller is CallerView.MASKED

    @property
    def personal_fields(self) -> list[str]:
        """The personal fields shown (in full or masked): what the access log records."""
        fields = [] if self.caller is CallerView.HIDDEN else ["caller.name", "caller.phones"]
        if self.exact_place:
            fields += ["location.address", "location.latitude", "location.longitude"]
        return fields


LISTED_FIELDS: frozenset[str] = frozenset(
    {
        "case_no",
        "status",
        "closure_reason",
        "case_type",
        "category",
        "urgency",
        "district",
        "title",
        "lead_department",
        "escalation_level",
        "overdue",
        "next_deadline",
        "warn_at",
        "received_at",
    }
)
"""What a row of a case list may carry, for every audience: no caller, no place finer than the
district, no retrieval code."""

PLACE_KEYS: frozenset[str] = frozenset(
    {"address", "street", "community", "latitude", "longitude", "location"}
)
CALLER_KEYS: frozenset[str] = frozenset(
    {"caller", "caller_name", "name", "phone", "phones", "retrieval_code"}
)
DEPARTMENT_WITHHELD_KEYS: frozenset[str] = PLACE_KEYS | CALLER_KEYS
"""Context keys no department notice may declare: a notice is sent the same way whether the
case is confidential or not, so it never carries what a confidential case withholds."""


def audience_for(role: str, *, reads_personal_data: bool, purpose_given: bool = True) -> Audience:
    """The audience of a reader of role `role` (a `rules.permissions.Role` value).

    `reads_personal_data`: the permission matrix lets the role read personal data;
    `purpose_given`: the reader said who they are and why, and the reading is logged.
    """
    if not reads_personal_data:
        return Audience.NONE
    if not purpose_given:
        return Audience.MASKED
    return Audience.DEPARTMENT if role == DEPARTMENT_ROLE else Audience.CENTRE


def disclosure(audience: Audience, *, confidential: bool) -> Disclosure:
    """What `audience` sees of a case (confidential or not)."""
    if audience is Audience.CENTRE:
        return Disclosure(CallerView.FULL, exact_place=True, area=True)
    if audience is Audience.DEPARTMENT:
        if confidential:
            return Disclosure(CallerView.MASKED, exact_place=False, area=False)
        return Disclosure(CallerView.FULL, exact_place=True, area=True)
    caller = CallerView.MASKED if audience is Audience.MASKED else CallerView.HIDDEN
    return Disclosure(caller, exact_place=False, area=not confidential)


def disclose(intake: CaseIntake, audience: Audience) -> CaseIntake:
    """The intake as `audience` may see it; never with the retrieval code."""
    seen = disclosure(audience, confidential=intake.caller.confidential)
    return intake.model_copy(
        update={
            "caller": _caller(intake.caller, seen),
            "location": _location(intake.location, seen),
            "retrieval_code": None,
        }
    )


def disclose_case(state: CaseState, audience: Audience) -> CaseState:
    """The case as `audience` may see it: its intake through `disclose`."""
    return state.model_copy(update={"intake": disclose(state.intake, audience)})


def may_see_retrieval_code(*, intake_operator: str | None, reader: str) -> bool:
    """Only the operator who took the call, in the intake answer (to read it to the caller)."""
    return intake_operator is not None and intake_operator == reader


def _caller(caller: Caller, seen: Disclosure) -> Caller:
    if seen.caller is CallerView.FULL:
        return caller
    if seen.caller is CallerView.MASKED:
        return masked_caller(caller)
    return caller.model_copy(update={"name": None, "phones": []})


def _location(location: Location, seen: Disclosure) -> Location:
    update: dict[str, object] = {}
    if not seen.exact_place:
        update |= {"address": None, "latitude": None, "longitude": None}
    if not seen.area:
        update |= {"street": None, "community": None}
    return location.model_copy(update=update) if update else location
