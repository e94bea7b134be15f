"""The dev stack's demo users: one per role, each with a one-time console password.

`hotline run` calls `ensure_demo_users` after seeding the database: a missing demo user is added,
and each demo user without a console password gets a one-time password, returned so the caller
can show it once. A user who has a password keeps it (a second run prints nothing new);
`hotline user set-password ID` resets one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from db.engine import SessionFactory
from rules.permissions import Role
from services.console_auth import set_initial_password
from services.principals import add_user, get_user

DEMO_USERS: Sequence[tuple[str, str, Role, str | None]] = (
    ("demo-operator", "演示话务员", Role.OPERATOR, None),
    ("demo-dispatcher", "演示派单员", Role.DISPATCHER, None),
    ("demo-department", "演示市场监管局联络员", Role.DEPARTMENT, "gy-market"),
    ("demo-supervisor", "演示督办员", Role.SUPERVISOR, None),
    ("demo-auditor", "演示审计员", Role.AUDITOR, None),
    ("demo-admin", "演示管理员", Role.ADMIN, None),
)
"""(id, name, role, department) of the demo users; the department one is of gy-market."""
SEEDED_BY = "demo-seed"


@dataclass(frozen=True)
class DemoCredential:
    """A demo user given a one-time password just now: show `password` once."""

    user_id: str
    role: Role
    department: str | None
    password: str = field(repr=False)


def ensure_demo_users(sessions: SessionFactory, *, now: datetime) -> list[DemoCredential]:
    """Add the missing demo users and give each one without a password a one-time password;
    the users given one, in `DEMO_USERS` order. The departments must be seeded already."""
    given: list[DemoCredential] = []
    for user_id, name, role, department in DEMO_USERS:
        if get_user(sessions, user_id) is None:
            try:
                add_user(sessions, user_id, name, role, department)
            except ValueError:  # added meanwhile by another process
                if get_user(sessions, user_id) is None:
                    raise
        password = set_initial_password(sessions, user_id, by=SEEDED_BY, now=now)
        if password is not None:
            given.append(DemoCredential(user_id, role, department, password))
    return given
