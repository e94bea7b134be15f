"""The publication policy (domain §11, §13): which cases Open311 may show, and what of them.

Open311's GET routes answer anyone, without sign-in. Whoever a case names must never be found
through them, above all a whistle-blower. So publication is opt-in, case by case:

Which cases
    A case is published only if ALL of these hold (`refusals` lists the ones that do not):

    - it came in through Open311 itself (`Channel.OPEN311`): a caller who phoned, wrote or
      messaged the centre never agreed to a public record of the contact;
    - it is not confidential (保密);
    - it is not a report (举报, `CaseType.REPORT`): a report names the people reported, and its
      mere existence, time and place can point at the one who reported it.

    Everything else is unpublished, and an unpublished case does not exist for Open311: the
    same 404 as an unknown number, left out of every list, never counted.

What of a published case
    No free text a caller wrote: not the title, the content, the street or the address. The
    `description` is the centre's public wording of the case (`case_publications`, set by a
    dispatcher or supervisor) or, without one, the service's name. The `address` is the
    district only (a value from a fixed list). The point (`lat`/`long`) is published only
    once the centre has published the case's wording, and then only to `POINT_DECIMALS`
    decimal places (about 110 m): otherwise the fields are present and empty. A point sent from
    a phone is as exact as a house number, usually where the caller lives or stands, and a
    public feed of exact points with times would show who reports what from where (a noise
    complaint's point is the complainer's home); posting to the API is a request for help, not
    consent to a public map. A dispatcher who publishes the wording has read the case and
    chose to show it; the block it is in, not the door. Status notes and
    the step history are fixed texts, never a note someone wrote. A published case that was
    merged into another one names that case's number only if that case is published too.
    Steps that link other cases to this one (`merged_case_linked`) are not shown: they would
    tell when someone else raised the same matter.

The public wording
    1 to `MAX_PUBLIC_TEXT` characters, not blank, none of the forbidden wording of the service
    phrases, no phone number (`public_text_problems`), and never the caller's own name or phone.
    Setting it on an unpublished case is refused: it would never be shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from models.actions import Action
from models.enums import CaseType, Channel

PUBLISHED_CHANNELS: frozenset[Channel] = frozenset({Channel.OPEN311})
"""The channels whose cases may be published: the caller chose the public API."""
UNPUBLISHED_TYPES: frozenset[CaseType] = frozenset({CaseType.REPORT})
"""Case types never published, whatever the channel."""
HIDDEN_STEPS: frozenset[str] = frozenset({Action.MERGED_CASE_LINKED})
"""Logged steps left out of the public history: they reveal other cases."""
MAX_PUBLIC_TEXT = 1000
POINT_DECIMALS = 3
MIN_NAME_LENGTH = 2

# Seven or more digits in a row, spaces and dashes allowed between them: a phone number (not
# the digits of a case number such as GY20261128-000123, which follow letters).
_PHONE_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\d[\s\-]?){6,}\d(?!\d)")
_SEPARATORS = re.compile(r"[\s\-]")


@dataclass(frozen=True)
class PublicationFacts:
    """What the policy looks at in a case (its projection's columns)."""

    channel: str
    case_type: str
    confidential: bool


def refusals(case: PublicationFacts) -> list[str]:
    """Why `case` may not be published, one short reason each; empty: it may be."""
    reasons = []
    if case.channel not in PUBLISHED_CHANNELS:
        reasons.append(f"it came in by {case.channel}, not through Open311")
    if case.confidential:
        reasons.append("it is confidential")
    if case.case_type in UNPUBLISHED_TYPES:
        reasons.append("it is a report (举报)")
    return reasons


def publishable(case: PublicationFacts) -> bool:
    """Whether Open311 may show `case` at all."""
    return not refusals(case)


def public_description(public_text: str | None, service_name: str) -> str:
    """The `description` of a published case: the centre's public wording, else the service."""
    return public_text if public_text else service_name


def public_coordinate(value: float | None, public_text: str | None) -> float | None:
    """A `lat` or `long` of a published case: shown, to `POINT_DECIMALS` places, only once the
    centre has published its wording; else None (the field present and empty)."""
    if value is None or not public_text:
        return None
    return round(value, POINT_DECIMALS)


def public_address(district: str) -> str | None:
    """The `address` of a published case: its district, never the caller's street or address."""
    return district or None


@dataclass(frozen=True)
class TextProblem:
    """One thing wrong with a public wording: a short rule code and what it requires."""

    rule: str
    message: str


def public_text_problems(
    text: str, caller_name: str | None, caller_phones: Sequence[str]
) -> list[TextProblem]:
    """What is wrong with a public wording (empty: nothing); never repeats the caller's data.

    The forbidden wording of the service phrases is data, checked by the caller of this."""
    problems = []
    if not text.strip():
        problems.append(TextProblem("blank", "must not be blank"))
    if len(text) > MAX_PUBLIC_TEXT:
        problems.append(TextProblem("too_long", f"must be at most {MAX_PUBLIC_TEXT} characters"))
    if _PHONE_LIKE.search(text):
        problems.append(TextProblem("phone_number", "must not contain a phone number"))
    flat = _SEPARATORS.sub("", text)
    if any(phone and _SEPARATORS.sub("", phone) in flat for phone in caller_phones):
        problems.append(TextProblem("caller_phone", "must not contain the caller's phone"))
    name = (caller_name or "").strip()
    if len(name) >= MIN_NAME_LENGTH and name in text:
        problems.append(TextProblem("caller_name", "must not contain the caller's name"))
    return problems
