"""The service phrases (服务用语) an operator says while taking a call: the greeting, the phrase
of the intake outcome chosen, and the closing, from the current phrase library
(`knowledge.phrases`), so an administrator's edit shows on the next form.

The library's situations are those of the standard; each outcome uses the ones that fit it
(OUTCOME_SITUATIONS). Placeholders are filled with what is known: the case number once the call
is taken, a plain marker before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from db.engine import SessionFactory
from knowledge.phrases import current_phrases
from models.enums import IntakeOutcomeKind, Situation

OUTCOME_SITUATIONS: dict[IntakeOutcomeKind, tuple[Situation, ...]] = {
    IntakeOutcomeKind.DISPATCH: (Situation.CONFIRM, Situation.DISPATCH),
    IntakeOutcomeKind.MERGE: (Situation.CONFIRM, Situation.DISPATCH),
    IntakeOutcomeKind.DIRECT_ANSWER: (Situation.HOLD,),
    IntakeOutcomeKind.THREE_WAY_CALL: (Situation.HOLD,),
    IntakeOutcomeKind.EMERGENCY_HANDOFF: (Situation.HOLD,),
    IntakeOutcomeKind.NOT_ACCEPTED: (Situation.CONFIRM,),
}
"""Which situations' phrases go with each intake outcome."""
CASE_NO_MARKER = "（案件编号）"
SURNAME_MARKER = "（姓氏）"
TITLE_MARKER = "（诉求标题）"


@dataclass(frozen=True)
class IntakeScript:
    """What to say, in order: greeting, the outcome's phrases (by outcome kind), closing."""

    greeting: list[str]
    by_outcome: dict[str, list[str]] = field(default_factory=dict)
    closing: list[str] = field(default_factory=list)


def _filled(text: str, case_no: str | None) -> str:
    return (
        text.replace("{case_no}", case_no or CASE_NO_MARKER)
        .replace("{surname}", SURNAME_MARKER)
        .replace("{title}", TITLE_MARKER)
    )


def intake_script(sessions: SessionFactory, case_no: str | None = None) -> IntakeScript:
    """The current phrases for taking a call (placeholders filled with `case_no` when given)."""
    by_situation: dict[Situation, list[str]] = {}
    for phrase in current_phrases(sessions):
        by_situation.setdefault(phrase.situation, []).append(_filled(phrase.text, case_no))
    return IntakeScript(
        greeting=by_situation.get(Situation.GREETING, []),
        by_outcome={
            kind.value: [text for s in situations for text in by_situation.get(s, [])]
            for kind, situations in OUTCOME_SITUATIONS.items()
        },
        closing=by_situation.get(Situation.CLOSING, []),
    )
