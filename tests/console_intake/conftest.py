"""Fixtures of the intake service tests: the store tests' migrated SQLite and PostgreSQL
databases (a test that takes `sessions` runs on both), seeded with the demo catalogue and the
starter service phrases."""

from __future__ import annotations

import contextlib

import pytest

from db.engine import SessionFactory
from db.seed import seed_demo
from knowledge.phrases import PhraseEdit, PhraseUnchangedError, set_phrase
from rules.phrases import STARTER_PHRASES
from tests.activities.conftest import (  # noqa: F401
    postgres_url,
    session_factory,
    store_database_url,
)


@pytest.fixture
def sessions(session_factory: SessionFactory) -> SessionFactory:  # noqa: F811
    """The database with the demo catalogue and the starter service phrases (which migration
    0006 seeds, and an emptied test database may no longer hold)."""
    seed_demo(session_factory)
    for situation, key, text in STARTER_PHRASES:
        edit = PhraseEdit(situation=situation, key=key, text=text, by="seed")
        with contextlib.suppress(PhraseUnchangedError):
            set_phrase(session_factory, edit)
    return session_factory
