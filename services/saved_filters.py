"""Saved filters of the console's lists: a user names a list's filter, lists theirs, applies
or deletes one. Each filter belongs to one user; another user's is never listed, applied or
deleted (it is the same "not found" as one that does not exist).

A filter is kept as the list's query string of filters only (no page cursor, no personal data:
the console's filters name statuses, categories, districts, departments, stages, dates and
title text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.console_list_tables import FILTER_NAME, FILTER_QUERY, SavedFilterRow
from db.engine import SessionFactory
from models.errors import BadDataError

MAX_PER_LIST = 50


class SavedFilterError(BadDataError, ValueError):
    """A filter that cannot be saved; `field` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SavedFilter:
    id: int
    list_page: str
    name: str
    query: str


def _of(row: SavedFilterRow) -> SavedFilter:
    return SavedFilter(row.id, row.list_page, row.name, row.query)


def save_filter(
    sessions: SessionFactory, user_id: str, list_page: str, name: str, query: str, now: datetime
) -> SavedFilter:
    """Save (or, under a name already used on this list, replace) the user's filter."""
    name = name.strip()
    if not name:
        raise SavedFilterError("name", "请填写筛选条件的名称")
    if len(name) > FILTER_NAME:
        raise SavedFilterError("name", f"名称最多 {FILTER_NAME} 个字")
    if len(query) > FILTER_QUERY:
        raise SavedFilterError("query", "筛选条件太长")
    with sessions.begin() as session:
        row = session.scalar(
            select(SavedFilterRow).where(
                SavedFilterRow.user_id == user_id,
                SavedFilterRow.list_page == list_page,
                SavedFilterRow.name == name,
            )
        )
        if row is None:
            count = len(_mine(session, user_id, list_page))
            if count >= MAX_PER_LIST:
                raise SavedFilterError("name", f"每个列表最多保存 {MAX_PER_LIST} 个筛选条件")
            row = SavedFilterRow(
                user_id=user_id, list_page=list_page, name=name, query=query, created_at=now
            )
            session.add(row)
        else:
            row.query = query
        session.flush()
        return _of(row)


def my_filters(sessions: SessionFactory, user_id: str, list_page: str) -> list[SavedFilter]:
    """The user's saved filters of one list page, by name."""
    with sessions() as session:
        return [_of(row) for row in _mine(session, user_id, list_page)]


def my_filter(sessions: SessionFactory, user_id: str, filter_id: int) -> SavedFilter | None:
    """The user's saved filter of that id; None when there is none of theirs."""
    with sessions() as session:
        row = session.get(SavedFilterRow, filter_id)
        return _of(row) if row is not None and row.user_id == user_id else None


def delete_filter(sessions: SessionFactory, user_id: str, filter_id: int) -> bool:
    """Delete the user's saved filter; False when there is none of theirs of that id."""
    with sessions.begin() as session:
        gone = session.execute(
            delete(SavedFilterRow)
            .where(SavedFilterRow.id == filter_id, SavedFilterRow.user_id == user_id)
            .returning(SavedFilterRow.id)
        )
        return gone.first() is not None


def _mine(session: Session, user_id: str, list_page: str) -> list[SavedFilterRow]:
    return list(
        session.scalars(
            select(SavedFilterRow)
            .where(SavedFilterRow.user_id == user_id, SavedFilterRow.list_page == list_page)
            .order_by(SavedFilterRow.name)
        )
    )
