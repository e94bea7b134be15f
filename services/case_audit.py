"""What an auditor runs on one case, for the console as for the API: replay, chain check, export,
and what the history alone tells of its deadlines.

Replay loads the case's history as `hotline audit replay NO` does (the engine, else the archive
once the engine no longer holds it) and runs it through today's workflow code
(`audit.replay`); the chain check is `hotline audit verify NO` (`audit.verify.check_case`); an
export is the complete record, logged as an export of every personal field, exactly as
`GET /cases/{no}/export` answers it. The deadlines computed over the case's life are read from
its history (`audit.timeline`, as `hotline audit timeline NO`), cross-checked with the SQL log.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from temporalio.client import Client

from audit.crosscheck import Mismatch, crosscheck
from audit.replay import ReplayOutcome, case_replayer, replay_history
from audit.sources import HistoryNotFoundError, load_history
from audit.timeline import build_timeline
from audit.timeline_model import ItemKind, TimelineError
from audit.verify import Report, check_case
from db.engine import SessionFactory
from models.privacy import PERSONAL_FIELDS
from models.state import CaseState, Deadline
from rules.permissions import Principal
from services.access_log import record_access


@dataclass(frozen=True)
class CaseReplay:
    """A replay's outcome and where its history came from ("engine", "archive (…)")."""

    outcome: ReplayOutcome
    origin: str


async def replay_case(client: Client, sessions: SessionFactory, case_no: str) -> CaseReplay:
    """Replay the case's history against today's code; HistoryNotFoundError if none is kept."""
    loaded = await load_history(case_no, None, None, lambda: sessions, client)
    outcome = await replay_history(loaded.history, case_replayer(client.data_converter))
    return CaseReplay(outcome, loaded.origin)


def verify_case_chain(sessions: SessionFactory, case_no: str) -> Report:
    """The hash chains of the case's transition log and archive (blocking)."""
    return check_case(sessions, case_no)


def export_case(
    sessions: SessionFactory, principal: Principal, case_no: str, state: CaseState, purpose: str
) -> CaseState:
    """The complete record, personal data included, logged as an export (blocking).

    The citizen's retrieval code is left out: a credential, not a fact of the case.
    """
    record_access(
        sessions, principal, case_no, list(PERSONAL_FIELDS), purpose, "export", masked=False
    )
    return state.model_copy(
        update={"intake": state.intake.model_copy(update={"retrieval_code": None})}
    )


FOR = "for_transition"


@dataclass(frozen=True)
class ComputedDeadline:
    """A time limit as the workflow computed it (fixed in its history), and when."""

    at: datetime
    deadline: Deadline
    for_transition: int | None


@dataclass(frozen=True)
class HistoryFacts:
    """What the case's history records beyond its live state; `missing` when none is kept."""

    origin: str = ""
    deadlines: list[ComputedDeadline] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    transitions: int = 0
    missing: str | None = None


async def history_facts(client: Client, sessions: SessionFactory, case_no: str) -> HistoryFacts:
    """Every deadline computed for the case, from its history, and the cross-check of that
    history with the SQL transition log and projection (`hotline audit timeline NO`)."""
    try:
        loaded = await load_history(case_no, None, None, lambda: sessions, client)
        timeline = await build_timeline(loaded.history, client.data_converter)
    except (HistoryNotFoundError, TimelineError) as err:
        return HistoryFacts(missing=str(err))
    deadlines = [
        ComputedDeadline(
            item.at,
            Deadline.model_validate(
                {k: v for k, v in item.detail.items() if k != "for_transition"}
            ),
            item.detail.get(FOR),
        )
        for item in timeline.entries
        if item.kind is ItemKind.DEADLINE
    ]
    mismatches = await asyncio.to_thread(crosscheck, timeline, sessions)
    return HistoryFacts(loaded.origin, deadlines, mismatches, len(timeline.transitions))
