"""The access log of personal data: who saw or exported which fields of which case, and why.

Append-only: this module writes rows and reads them, never changes or deletes one. A row names
the fields (`caller.name`, `caller.phones`), never their values, so the log itself holds no
personal data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import literal, select, tuple_

from db.engine import SessionFactory
from db.tables import AccessLogRow, UtcDateTime
from rules.permissions import Principal, Role

AccessAction = Literal["view", "export"]
MAX_ENTRIES = 1000
MAX_PURPOSE = 500

# A dotted field path, such as caller.phones or caller.phones.0: a name, never a value.
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")


class AccessEntry(BaseModel):
    """One access to personal data, as recorded."""

    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    user_id: str
    role: Role
    case_no: str
    fields: list[str]
    purpose: str
    action: AccessAction
    masked: bool


def record_access(
    sessions: SessionFactory,
    principal: Principal,
    case_no: str,
    fields: Sequence[str],
    purpose: str,
    action: AccessAction = "view",
    masked: bool = False,
) -> None:
    """Append one entry: `principal` saw (or exported) `fields` of `case_no` for `purpose`.

    ValueError if `fields` is empty or holds something other than field names, if `purpose` is
    blank or longer than 500 characters, or if `action` is neither "view" nor "export".
    """
    if isinstance(fields, str):
        raise ValueError("fields must be a sequence of field names, not one string")
    names = list(fields)
    if not names:
        raise ValueError("record at least one field name")
    bad = [index for index, name in enumerate(names) if not _FIELD.fullmatch(name)]
    if bad:
        # The offending entries may be values: name their positions, not their content.
        raise ValueError(f"fields at positions {bad} are not field names such as caller.name")
    purpose = purpose.strip()
    if not purpose or len(purpose) > MAX_PURPOSE:
        raise ValueError(f"the purpose of an access must have 1 to {MAX_PURPOSE} characters")
    if action not in ("view", "export"):
        raise ValueError(f"unknown access action {action!r} (view or export)")
    with sessions.begin() as session:
        session.add(
            AccessLogRow(
                at=datetime.now(UTC),
                user_id=principal.user_id,
                role=principal.role.value,
                case_no=case_no,
                fields=names,
                purpose=purpose,
                action=action,
                masked=masked,
            )
        )


def access_entries(
    sessions: SessionFactory,
    *,
    case_no: str | None = None,
    user_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: tuple[datetime, int] | None = None,
    limit: int = 100,
) -> list[AccessEntry]:
    """Entries newest first, filtered by case, user and time (`since` inclusive, `until`
    exclusive); at most `limit` of them (1 to 1000). `before`: only entries older than this
    (at, id), the last entry of the previous page: keyset paging.

    ValueError if `since` or `until` is naive: a time without its offset names no instant.
    """
    if not 1 <= limit <= MAX_ENTRIES:
        raise ValueError(f"limit must be between 1 and {MAX_ENTRIES}")
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"{name} is a naive datetime; pass one with its UTC offset")
    query = select(AccessLogRow)
    if case_no is not None:
        query = query.where(AccessLogRow.case_no == case_no)
    if user_id is not None:
        query = query.where(AccessLogRow.user_id == user_id)
    if since is not None:
        query = query.where(AccessLogRow.at >= since)
    if until is not None:
        query = query.where(AccessLogRow.at < until)
    if before is not None:
        query = query.where(
            tuple_(AccessLogRow.at, AccessLogRow.id)
            < tuple_(literal(before[0], UtcDateTime()), literal(before[1]))
        )
    query = query.order_by(AccessLogRow.at.desc(), AccessLogRow.id.desc()).limit(limit)
    with sessions() as session:
        return [
            AccessEntry.model_validate(row, from_attributes=True) for row in session.scalars(query)
        ]
