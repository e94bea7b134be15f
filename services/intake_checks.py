"""Checks of an intake before its case is opened, beyond what its fields' types check.

A direct answer (直接答复) is said to the citizen, as a department's reply is: the same wording
check (`services.phrases.check_wording`, the current forbidden list) refuses it.
"""

from __future__ import annotations

from db.engine import SessionFactory
from models.intake import DirectAnswer, IntakeRecord
from services.cases import ForbiddenWordingError
from services.phrases import check_wording


def check_direct_answer(sessions: SessionFactory, intake: IntakeRecord) -> None:
    """ForbiddenWordingError if the intake's direct answer holds forbidden wording."""
    if not isinstance(intake.outcome, DirectAnswer):
        return
    findings = check_wording(sessions, intake.outcome.answer)
    if findings:
        raise ForbiddenWordingError(findings)
