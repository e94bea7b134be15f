"""The clock stage a list row is coloured by, from the case's own projection row.

A row carries the case's next deadline, its overdue flag and its escalation level, all written
by the workflow's clocks (`rules.escalation`): level 2 or above is the ladder's LEVEL2, an
overdue clock is OVERDUE. A case page shows each clock's own stage, warnings included.
"""

from __future__ import annotations

from models.enums import ClockStage
from rules.escalation import LEVEL2
from services.case_list import CaseSummary


def list_stage(case: CaseSummary) -> ClockStage:
    if case.escalation_level >= LEVEL2:
        return ClockStage.LEVEL2
    if case.overdue:
        return ClockStage.OVERDUE
    return ClockStage.RUNNING
