"""Saved filters belong to one user: listed, applied and deleted only by their owner."""

from __future__ import annotations

import pytest

from db.engine import SessionFactory
from services.saved_filters import (
    SavedFilterError,
    delete_filter,
    my_filter,
    my_filters,
    save_filter,
)
from tests.console_lists.conftest import T0


def test_a_user_saves_lists_replaces_and_deletes_their_filters(sessions: SessionFactory) -> None:
    first = save_filter(sessions, "disp-1", "queue", "云岩区超期", "district=云岩区", T0)
    save_filter(sessions, "disp-1", "queue", "市场", "category=x", T0)
    save_filter(sessions, "disp-1", "board", "云岩区超期", "district=云岩区&overdue=yes", T0)
    again = save_filter(sessions, "disp-1", "queue", "云岩区超期", "district=南明区", T0)
    assert again.id == first.id and again.query == "district=南明区"
    assert [f.name for f in my_filters(sessions, "disp-1", "queue")] == ["云岩区超期", "市场"]
    assert delete_filter(sessions, "disp-1", first.id)
    assert [f.name for f in my_filters(sessions, "disp-1", "queue")] == ["市场"]
    assert my_filter(sessions, "disp-1", first.id) is None


def test_another_users_filter_is_not_visible_or_usable(sessions: SessionFactory) -> None:
    mine = save_filter(sessions, "disp-1", "queue", "我的", "status=received", T0)
    assert my_filters(sessions, "disp-2", "queue") == []
    assert my_filter(sessions, "disp-2", mine.id) is None
    assert not delete_filter(sessions, "disp-2", mine.id)
    assert my_filter(sessions, "disp-1", mine.id) == mine


def test_a_filter_needs_a_name(sessions: SessionFactory) -> None:
    with pytest.raises(SavedFilterError) as refused:
        save_filter(sessions, "disp-1", "queue", "  ", "q=x", T0)
    assert refused.value.field == "name"
    with pytest.raises(SavedFilterError):
        save_filter(sessions, "disp-1", "queue", "长" * 65, "q=x", T0)
    assert my_filters(sessions, "disp-1", "queue") == []
