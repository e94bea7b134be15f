"""The clock stage a list row is coloured by, from the case's own projection row.

One rule, `services.case_list.stage_of` (the same rule filters a list by stage in SQL): level 2
or above is the ladder's LEVEL2, an overdue clock is OVERDUE, a clock whose warning time of the
escalation ladder has come is WARNED, else RUNNING. Each stage has its colour and its words, so
colour is never the only signal.
"""

from __future__ import annotations

from models.enums import ClockStage
from services.case_list import CaseSummary, stage_of

STAGE_MARKS: dict[ClockStage, str] = {
    ClockStage.RUNNING: "✓",
    ClockStage.WARNED: "⚠",
    ClockStage.OVERDUE: "✗",
    ClockStage.LEVEL2: "‼",
}
"""A sign beside each stage's words, for readers who do not see the colour."""


def list_stage(case: CaseSummary) -> ClockStage:
    return stage_of(case)
