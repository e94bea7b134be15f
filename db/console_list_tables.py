"""The console's saved list filters: a user's named filter of one list page (migration 0016).

A saved filter is the list's query string (filters only, never a page cursor and never personal
data), kept per user: only its owner lists, applies or deletes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.tables import USER_ID, Base, UtcDateTime, big_id

FILTER_NAME = 64
LIST_PAGE = 16
FILTER_QUERY = 1000


class SavedFilterRow(Base):
    """One named filter of one user on one list page."""

    __tablename__ = "saved_filters"
    __table_args__ = (
        UniqueConstraint("user_id", "list_page", "name"),
        Index(None, "user_id", "list_page"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID), ForeignKey("users.id"))
    list_page: Mapped[str] = mapped_column(String(LIST_PAGE))
    name: Mapped[str] = mapped_column(String(FILTER_NAME))
    query: Mapped[str] = mapped_column(String(FILTER_QUERY))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
