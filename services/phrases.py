"""The wording check as a service: the forbidden expressions of the current phrase list found in
a text. Steps that carry a citizen-facing text (a reply, the public wording) run it, and the API
and the CLI offer it on its own; the phrase library itself is `knowledge.phrases`.
"""

from __future__ import annotations

from db.engine import SessionFactory
from knowledge.phrases import forbidden_expressions
from rules.phrases import WordingFinding, find_forbidden


def check_wording(sessions: SessionFactory, text: str) -> list[WordingFinding]:
    """The forbidden expressions (current list) found in `text`."""
    return find_forbidden(text, forbidden_expressions(sessions))
