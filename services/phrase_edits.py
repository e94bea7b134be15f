"""Editing a service phrase, with the forbidden-wording check applied to the new wording.

Phrases are what operators say to citizens, so a phrase of any situation but `forbidden` may
not contain an expression of the current forbidden list (`services.phrases.check_wording`);
the forbidden list itself is edited freely. The API, the CLI and the console's phrase page all
edit through `edit_phrase`, so the check holds wherever a phrase is changed.
"""

from __future__ import annotations

from db.engine import SessionFactory
from knowledge.phrases import Phrase, PhraseEdit, set_phrase
from models.enums import Situation
from models.errors import RefusedError
from rules.phrases import WordingFinding
from services.phrases import check_wording


class PhraseWordingRefused(RefusedError, ValueError):
    """The new wording contains forbidden expressions; `findings` lists them."""

    def __init__(self, findings: list[WordingFinding]) -> None:
        listed = "、".join(dict.fromkeys(f.expression for f in findings))
        super().__init__(f"text: contains forbidden wording: {listed}")
        self.findings = findings


def edit_phrase(sessions: SessionFactory, edit: PhraseEdit) -> Phrase:
    """The phrase's next version (version 1 if new). PhraseWordingRefused if the wording of a
    phrase to be said contains forbidden expressions; PhraseUnchangedError if it reads so
    already. Nothing is written when refused."""
    if edit.situation is not Situation.FORBIDDEN:
        findings = check_wording(sessions, edit.text)
        if findings:
            raise PhraseWordingRefused(findings)
    return set_phrase(sessions, edit)
