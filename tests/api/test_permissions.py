"""The permission matrix: exactly the grants of the access-control issue, and its invariants."""

from __future__ import annotations

import pytest

from db.tables import USER_ROLES
from rules.permissions import (
    CHECK,
    PERMISSIONS,
    READ_ONLY_ACTIONS,
    Action,
    Role,
    allowed,
    permission_table_markdown,
)

READ = {"read_case", "list_cases", "read_personal_data", "read_knowledge", "read_notices"}

EXPECTED: dict[Role, set[str]] = {
    Role.OPERATOR: {"intake", "withdraw", "merge", "note", "record_callback", *READ},
    Role.DISPATCHER: {
        "intake",
        "dispatch",
        "review_return",
        "decide_extension",
        "review_reply",
        "record_callback",
        "withdraw",
        "merge",
        "note",
        "read_evaluation",
        "publish_case",
        *READ,
    },
    Role.DEPARTMENT: {
        "sign_off",
        "return_case",
        "request_extension",
        "assist_input",
        "reply",
        "note",
        "submit_article",
        *READ,
    },
    Role.SUPERVISOR: {
        "escalate",
        "urge",
        "note",
        "decode_payloads",
        "review_article",
        "read_evaluation",
        "publish_case",
        "manage_notices",
        *READ,
    },
    Role.AUDITOR: {"export", "read_access_log", "decode_payloads", "read_evaluation", *READ},
    Role.ADMIN: {
        "manage_departments",
        "manage_catalogue",
        "manage_users",
        "manage_calendar",
        "manage_phrases",
        "submit_article",
        "review_article",
        "transfer_articles",
        "read_knowledge",
        "read_evaluation",
        "ingest_calls",
        "read_case",
        "list_cases",
        "read_access_log",
        "retry_faults",
        "read_notices",
        "manage_notices",
    },
}


def test_the_matrix_grants_exactly_the_specified_actions():
    assert set(PERMISSIONS) == set(Role)
    for role in Role:
        assert {action.value for action in PERMISSIONS[role]} == EXPECTED[role], role


def test_the_database_roles_are_the_enum_roles():
    assert tuple(role.value for role in Role) == USER_ROLES


def test_every_action_is_granted_to_some_role():
    granted = set().union(*PERMISSIONS.values())
    assert granted == set(Action)


def test_the_auditor_reads_everything_and_changes_nothing():
    assert PERMISSIONS[Role.AUDITOR] <= READ_ONLY_ACTIONS
    assert {Action.READ_CASE, Action.LIST_CASES, Action.READ_PERSONAL_DATA} <= PERMISSIONS[
        Role.AUDITOR
    ]
    assert allowed(Role.AUDITOR, Action.EXPORT)


@pytest.mark.parametrize(
    ("role", "action"),
    [
        (Role.DEPARTMENT, Action.DISPATCH),
        (Role.DEPARTMENT, Action.INTAKE),
        (Role.OPERATOR, Action.DISPATCH),
        (Role.SUPERVISOR, Action.SIGN_OFF),
        (Role.ADMIN, Action.READ_PERSONAL_DATA),
        (Role.ADMIN, Action.INTAKE),
        (Role.AUDITOR, Action.NOTE),
        (Role.DISPATCHER, Action.EXPORT),
    ],
)
def test_refused(role, action):
    assert not allowed(role, action)


def test_only_the_auditor_exports_and_only_admins_manage():
    assert {role for role in Role if allowed(role, Action.EXPORT)} == {Role.AUDITOR}
    for action in (Action.MANAGE_USERS, Action.MANAGE_DEPARTMENTS, Action.MANAGE_CALENDAR):
        assert {role for role in Role if allowed(role, action)} == {Role.ADMIN}


def test_every_role_reads_cases():
    assert all(allowed(role, Action.READ_CASE) for role in Role)


def test_the_markdown_table_shows_the_matrix():
    lines = permission_table_markdown().splitlines()
    assert lines[0] == "| Action | " + " | ".join(role.value for role in Role) + " |"
    assert len(lines) == 2 + len(Action)
    rows = {line.split(" | ")[0].strip("| `"): line for line in lines[2:]}
    assert set(rows) == {action.value for action in Action}
    assert sum(line.count(CHECK) for line in lines) == sum(len(a) for a in PERMISSIONS.values())
    cells = [cell.strip() for cell in rows["dispatch"].strip("|").split("|")[1:]]
    assert cells == [CHECK if role is Role.DISPATCHER else "" for role in Role]
