"""Who may do what: the roles, the principal who acts, and the one permission matrix.

Every API route and every case step states the `Action` it performs (the step table of
`services.steps`, `api.auth.require(Action.DISPATCH)`); whether a role may perform it is decided
here and nowhere else. Scoping within an allowed action (a department sees only its own cases,
with confidential callers masked) is `services.case_access`'s concern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

CHECK = "✓"


class Role(StrEnum):
    OPERATOR = "operator"
    DISPATCHER = "dispatcher"
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who acts: a user with one role (and, for the department role only, one department)."""

    user_id: str
    role: Role
    department: str | None = None  # set for, and only for, the department role


class Action(StrEnum):
    """Something a request does to a case or to the system's configuration."""

    # case workflow steps
    INTAKE = "intake"
    DISPATCH = "dispatch"
    SIGN_OFF = "sign_off"
    RETURN_CASE = "return_case"
    REVIEW_RETURN = "review_return"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    ASSIST_INPUT = "assist_input"
    REPLY = "reply"
    REVIEW_REPLY = "review_reply"
    RECORD_CALLBACK = "record_callback"
    WITHDRAW = "withdraw"
    MERGE = "merge"
    URGE = "urge"
    NOTE = "note"
    ESCALATE = "escalate"
    RETRY_FAULTS = "retry_faults"  # re-run a case's failed work once its cause is fixed
    PUBLISH_CASE = "publish_case"  # the public wording Open311 shows of a case
    # reading
    READ_CASE = "read_case"
    LIST_CASES = "list_cases"
    READ_PERSONAL_DATA = "read_personal_data"
    EXPORT = "export"
    DECODE_PAYLOADS = "decode_payloads"  # the Temporal UI's codec endpoint
    # administration
    MANAGE_DEPARTMENTS = "manage_departments"
    MANAGE_CATALOGUE = "manage_catalogue"
    MANAGE_USERS = "manage_users"
    MANAGE_CALENDAR = "manage_calendar"
    MANAGE_PHRASES = "manage_phrases"
    READ_ACCESS_LOG = "read_access_log"
    # knowledge base
    READ_KNOWLEDGE = "read_knowledge"  # published articles, search
    SUBMIT_ARTICLE = "submit_article"  # a department: its own articles only
    REVIEW_ARTICLE = "review_article"  # the centre: approve or reject, flags, suggestions
    TRANSFER_ARTICLES = "transfer_articles"  # bulk import and full export
    # evaluation
    READ_EVALUATION = "read_evaluation"  # indicators, ranking, reports, the live view
    INGEST_CALLS = "ingest_calls"  # the telephony system's call records
    # notice delivery
    READ_NOTICES = "read_notices"  # a case's notices and their delivery (scoped like the case)
    MANAGE_NOTICES = "manage_notices"  # delivery counts, retrying a dead-lettered notice, 退订


READ_ONLY_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.READ_CASE,
        Action.LIST_CASES,
        Action.READ_PERSONAL_DATA,
        Action.EXPORT,
        Action.DECODE_PAYLOADS,
        Action.READ_ACCESS_LOG,
        Action.READ_KNOWLEDGE,
        Action.READ_EVALUATION,
        Action.READ_NOTICES,
    }
)
"""Actions that change nothing (an export is logged, but changes no case)."""

_READ = (
    Action.READ_CASE,
    Action.LIST_CASES,
    Action.READ_PERSONAL_DATA,
    Action.READ_KNOWLEDGE,
    Action.READ_NOTICES,
)

PERMISSIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        Role.OPERATOR: frozenset(
            {
                Action.INTAKE,
                *_READ,
                Action.WITHDRAW,
                Action.MERGE,
                Action.NOTE,
                Action.RECORD_CALLBACK,
            }
        ),
        Role.DISPATCHER: frozenset(
            {
                Action.INTAKE,
                Action.DISPATCH,
                Action.REVIEW_RETURN,
                Action.DECIDE_EXTENSION,
                Action.REVIEW_REPLY,
                Action.RECORD_CALLBACK,
                Action.WITHDRAW,
                Action.MERGE,
                Action.NOTE,
                Action.READ_EVALUATION,
                Action.PUBLISH_CASE,
                *_READ,
            }
        ),
        # The routes limit a department to its own cases and mask confidential callers.
        Role.DEPARTMENT: frozenset(
            {
                Action.SIGN_OFF,
                Action.RETURN_CASE,
                Action.REQUEST_EXTENSION,
                Action.ASSIST_INPUT,
                Action.REPLY,
                Action.NOTE,
                Action.SUBMIT_ARTICLE,
                *_READ,
            }
        ),
        Role.SUPERVISOR: frozenset(
            {
                Action.ESCALATE,
                Action.URGE,
                Action.NOTE,
                Action.DECODE_PAYLOADS,
                Action.REVIEW_ARTICLE,
                Action.READ_EVALUATION,
                Action.PUBLISH_CASE,
                Action.MANAGE_NOTICES,
                *_READ,
            }
        ),
        # Reads everything, changes nothing.
        Role.AUDITOR: frozenset(
            {
                *_READ,
                Action.EXPORT,
                Action.DECODE_PAYLOADS,
                Action.READ_ACCESS_LOG,
                Action.READ_EVALUATION,
            }
        ),
        Role.ADMIN: frozenset(
            {
                Action.MANAGE_DEPARTMENTS,
                Action.MANAGE_CATALOGUE,
                Action.MANAGE_USERS,
                Action.MANAGE_CALENDAR,
                Action.MANAGE_PHRASES,
                Action.SUBMIT_ARTICLE,
                Action.REVIEW_ARTICLE,
                Action.TRANSFER_ARTICLES,
                Action.READ_KNOWLEDGE,
                Action.READ_EVALUATION,
                Action.INGEST_CALLS,
                Action.READ_CASE,
                Action.LIST_CASES,
                Action.READ_ACCESS_LOG,
                Action.RETRY_FAULTS,
                Action.READ_NOTICES,
                Action.MANAGE_NOTICES,
            }
        ),
    }
)
"""The permission matrix: the actions each role may perform. Nothing else grants a permission."""


def allowed(role: Role, action: Action) -> bool:
    """Whether `role` may perform `action` (an unknown role may do nothing)."""
    return action in PERMISSIONS.get(role, frozenset())


def acts_as_itself(principal: Principal, department: str | None) -> bool:
    """A department acts only as itself: the department a step names (if any) is its own."""
    return principal.role is not Role.DEPARTMENT or department in (None, principal.department)


def permission_table_markdown() -> str:
    """The matrix as a Markdown table: one row per action, one column per role, ✓ if allowed."""
    roles = list(Role)
    lines = [
        "| Action | " + " | ".join(role.value for role in roles) + " |",
        "| --- | " + " | ".join(":---:" for _ in roles) + " |",
    ]
    for action in Action:
        cells = [CHECK if allowed(role, action) else "" for role in roles]
        lines.append(f"| `{action.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
