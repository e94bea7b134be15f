"""The service phrase library (domain §10): current wording by situation, every version kept.

An edit never changes a row: it adds the next version of the phrase, with who changed it and
when, so the history of each phrase stays readable. The current forbidden list is what the
wording check (`rules.phrases.find_forbidden`) looks for in replies, notes and articles.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from db.engine import SessionFactory
from db.tables import PhraseRow
from models.enums import Situation
from models.errors import RefusedError
from models.text import CleanText
from rules.phrases import MAX_PHRASE

KEY_PATTERN = r"^[a-z][a-z0-9-]{0,31}$"


class PhraseEdit(CleanText):
    """A new wording for (situation, key): a new phrase, or the next version of one."""

    situation: Situation
    key: str = Field(pattern=KEY_PATTERN, description="lower-case id, e.g. greeting")
    text: str = Field(min_length=1, max_length=MAX_PHRASE)
    by: str = Field(min_length=1, max_length=64)


class Phrase(BaseModel):
    situation: Situation
    key: str
    version: int
    text: str
    changed_by: str
    changed_at: datetime


class PhraseUnchangedError(RefusedError, ValueError):
    """The new wording is the current one: no version is added."""


def current_phrases(sessions: SessionFactory, situation: Situation | None = None) -> list[Phrase]:
    """The current (highest) version of every phrase, by situation and key."""
    latest = (
        select(PhraseRow.situation, PhraseRow.key, func.max(PhraseRow.version).label("version"))
        .group_by(PhraseRow.situation, PhraseRow.key)
        .subquery()
    )
    query = (
        select(PhraseRow)
        .join(
            latest,
            (PhraseRow.situation == latest.c.situation)
            & (PhraseRow.key == latest.c.key)
            & (PhraseRow.version == latest.c.version),
        )
        .order_by(PhraseRow.situation, PhraseRow.key)
    )
    if situation is not None:
        query = query.where(PhraseRow.situation == situation.value)
    with sessions() as session:
        return [_phrase(row) for row in session.scalars(query)]


def phrase_history(sessions: SessionFactory, situation: Situation, key: str) -> list[Phrase]:
    """Every version of one phrase, oldest first (empty if there is no such phrase)."""
    query = (
        select(PhraseRow)
        .where(PhraseRow.situation == situation.value, PhraseRow.key == key)
        .order_by(PhraseRow.version)
    )
    with sessions() as session:
        return [_phrase(row) for row in session.scalars(query)]


def set_phrase(sessions: SessionFactory, edit: PhraseEdit) -> Phrase:
    """Add the next version of (situation, key) with the new wording; version 1 if it is new."""
    with sessions.begin() as session:
        current = session.scalars(
            select(PhraseRow)
            .where(PhraseRow.situation == edit.situation.value, PhraseRow.key == edit.key)
            .order_by(PhraseRow.version.desc())
            .limit(1)
        ).first()
        if current is not None and current.text == edit.text:
            raise PhraseUnchangedError(
                f"{edit.situation.value}/{edit.key} already reads so (version {current.version})"
            )
        row = PhraseRow(
            situation=edit.situation.value,
            key=edit.key,
            version=(current.version + 1) if current is not None else 1,
            text=edit.text,
            changed_by=edit.by,
            changed_at=datetime.now(UTC),
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError as err:  # a concurrent edit took this version number
            raise PhraseUnchangedError(
                f"{edit.situation.value}/{edit.key} was changed meanwhile; read it and retry"
            ) from err
        return _phrase(row)


def forbidden_expressions(sessions: SessionFactory) -> list[tuple[str, str]]:
    """The current forbidden list as (key, expression), for `rules.phrases.find_forbidden`."""
    return [(p.key, p.text) for p in current_phrases(sessions, Situation.FORBIDDEN)]


def _phrase(row: PhraseRow) -> Phrase:
    return Phrase(
        situation=Situation(row.situation),
        key=row.key,
        version=row.version,
        text=row.text,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
    )
