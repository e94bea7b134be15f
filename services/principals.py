"""The users who act, one role each: add, read, list, deactivate and reactivate, and who may act
now.

A user of the department role belongs to one department; a deactivated user, or a user of a
deactivated department, may not act (their tokens are refused, `--by` them is refused).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.engine import SessionFactory
from db.tables import NAME, USER_ID, DepartmentRow, UserRow
from models.errors import RefusedError
from rules.permissions import Principal, Role

_USER_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{USER_ID - 1}}}")


class UserInfo(BaseModel):
    """A user as listed: no credentials."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    role: Role
    department: str | None
    active: bool
    created_at: datetime

    @property
    def principal(self) -> Principal:
        """The user as the principal who acts."""
        return Principal(user_id=self.id, role=self.role, department=self.department)


class UserRefused(RefusedError, ValueError):
    """A user that may not be added: `field` names the field, the message says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def may_act(user: UserRow, department_active: bool | None) -> bool:
    """Whether a user may act: active, and of an active department if they have one
    (`department_active` is that department's `active`, None when it has no row)."""
    return user.active and (user.department is None or department_active is True)


def acting_user(sessions: SessionFactory, user_id: str) -> UserInfo | None:
    """The user `user_id` if they may act; None if there is no such user. ValueError, with the
    reason, for a deactivated user or a user of a deactivated department."""
    with sessions() as session:
        found = session.execute(
            select(UserRow, DepartmentRow.active)
            .outerjoin(DepartmentRow, DepartmentRow.id == UserRow.department)
            .where(UserRow.id == user_id)
        ).one_or_none()
        if found is None:
            return None
        user, department_active = found
        if not user.active:
            raise ValueError(f"user {user_id!r} is deactivated")
        if not may_act(user, department_active):
            raise ValueError(
                f"user {user_id!r} belongs to deactivated department {user.department!r}"
            )
        return user_info(user)


def add_user(
    sessions: SessionFactory,
    user_id: str,
    name: str,
    role: Role | str,
    department: str | None = None,
) -> UserInfo:
    """Create an active user. UserRefused (a ValueError), naming the field and the reason, for
    an invalid id or name, an unknown role or department, a department missing for (or given
    to a role other than) the department role, or an id already taken."""
    if not _USER_ID.fullmatch(user_id):
        raise UserRefused(
            "id",
            f"invalid user id {user_id!r}: letters, digits, '.', '_' and '-', "
            f"at most {USER_ID} characters, starting with a letter or digit",
        )
    name = name.strip()
    if not name or len(name) > NAME:
        raise UserRefused("name", f"a user's name must have 1 to {NAME} characters")
    try:
        role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise UserRefused("role", f"unknown role {role!r} (one of {roles})") from None
    department = department or None
    if role is Role.DEPARTMENT and department is None:
        raise UserRefused("department", "a user of role department needs a department")
    if role is not Role.DEPARTMENT and department is not None:
        raise UserRefused(
            "department", f"only users of role department have a department, not role {role}"
        )
    row = UserRow(
        id=user_id,
        name=name,
        role=role.value,
        department=department,
        active=True,
        created_at=datetime.now(UTC),
    )
    try:
        with sessions.begin() as session:
            if department is not None and session.get(DepartmentRow, department) is None:
                raise UserRefused("department", f"unknown department {department!r}")
            if session.get(UserRow, user_id) is not None:
                raise UserRefused("id", f"user {user_id!r} already exists")
            session.add(row)
    except IntegrityError:  # a concurrent add of the same id
        raise UserRefused("id", f"user {user_id!r} already exists") from None
    return user_info(row)


def get_user(sessions: SessionFactory, user_id: str) -> UserInfo | None:
    with sessions() as session:
        row = session.get(UserRow, user_id)
        return None if row is None else user_info(row)


def list_users(sessions: SessionFactory) -> list[UserInfo]:
    """Every user, active or not, by id."""
    with sessions() as session:
        return [user_info(row) for row in session.scalars(select(UserRow).order_by(UserRow.id))]


def deactivate_user(sessions: SessionFactory, user_id: str) -> bool:
    """Deactivate a user (their tokens stop working at once): True if they were active, False if
    already inactive; ValueError if there is no such user."""
    with sessions.begin() as session:
        row = session.get(UserRow, user_id)
        if row is None:
            raise ValueError(f"no user {user_id!r}")
        was_active = row.active
        row.active = False
    return was_active


def activate_user(sessions: SessionFactory, user_id: str) -> bool:
    """Reactivate a user (their tokens that were not revoked work again): True if they were
    inactive, False if already active; ValueError if there is no such user."""
    with sessions.begin() as session:
        row = session.get(UserRow, user_id)
        if row is None:
            raise ValueError(f"no user {user_id!r}")
        was_inactive = not row.active
        row.active = True
    return was_inactive


def user_info(row: UserRow) -> UserInfo:
    """The user as services hand it out (no password state)."""
    return UserInfo(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        department=row.department,
        active=row.active,
        created_at=row.created_at,
    )
