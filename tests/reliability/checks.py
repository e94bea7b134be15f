"""The three checks every disruption drill ends with: nothing lost, nothing doubled, converged.

* lost: an acknowledged intake whose workflow or projection row is missing;
* doubled: outbox rows beyond one per (case, event), or a dispatched case with more than one
  dispatch notice or receipt SMS (one of each per dispatch, and the drills dispatch once);
* converged: each workflow's `state` Query and its SQL projection row agree on status, version
  (= the transition log's seq 1..n, no gap, no repeat), lead and assisting departments,
  escalation level, next deadline and closure, polled with a bounded timeout.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from db.engine import SessionFactory
from db.tables import CaseRow, NotificationRow, TransitionRow
from models.state import CaseState
from workflows.case import CaseWorkflow, workflow_id

QUERY_CONCURRENCY = 16
ONCE_PER_DISPATCH = ("dispatch_notice", "sms_received")


@dataclass
class Verdict:
    cases: int
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    diverged: dict[str, str] = field(default_factory=dict)
    rounds: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.diverged)

    def figures(self) -> str:
        return (
            f"cases {self.cases}, lost {len(self.lost)}, doubled {len(self.doubled)}, "
            f"diverged {len(self.diverged)} (after {self.rounds} rounds, {self.seconds:.1f}s)"
        )


async def workflow_states(client: Client, case_nos: Iterable[str]) -> dict[str, CaseState | None]:
    """Each case's `state` Query; None for a case the server does not know."""
    gate = asyncio.Semaphore(QUERY_CONCURRENCY)

    async def one(case_no: str) -> tuple[str, CaseState | None]:
        handle = client.get_workflow_handle_for(CaseWorkflow.run, workflow_id(case_no))
        async with gate:
            try:
                return case_no, await handle.query(CaseWorkflow.state)
            except RPCError as err:
                if err.status is RPCStatusCode.NOT_FOUND:
                    return case_no, None
                raise

    return dict(await asyncio.gather(*(one(case_no) for case_no in case_nos)))


def _database_view(
    sessions: SessionFactory, case_nos: list[str]
) -> tuple[dict[str, CaseRow], dict[str, list[int]], list[tuple[str, str, int]]]:
    with sessions() as session:
        rows = {
            row.case_no: row
            for row in session.scalars(select(CaseRow).where(CaseRow.case_no.in_(case_nos)))
        }
        seqs: dict[str, list[int]] = {}
        for case_no, seq in session.execute(
            select(TransitionRow.case_no, TransitionRow.seq)
            .where(TransitionRow.case_no.in_(case_nos))
            .order_by(TransitionRow.case_no, TransitionRow.seq)
        ):
            seqs.setdefault(case_no, []).append(seq)
        notices = [
            (case_no, template, count)
            for case_no, template, count in session.execute(
                select(NotificationRow.case_no, NotificationRow.template, func.count())
                .where(NotificationRow.case_no.in_(case_nos))
                .group_by(NotificationRow.case_no, NotificationRow.template)
            )
        ]
        duplicates = session.execute(
            select(NotificationRow.case_no, NotificationRow.event_key)
            .where(NotificationRow.case_no.in_(case_nos))
            .group_by(NotificationRow.case_no, NotificationRow.event_key)
            .having(func.count() > 1)
        ).all()
    notices += [(case_no, f"event {key} twice", 2) for case_no, key in duplicates]
    return rows, seqs, notices


def difference(state: CaseState, row: CaseRow | None, seqs: list[int]) -> str | None:
    """What the projection row says differently from the workflow (None: they agree)."""
    if row is None:
        return "no projection row"
    version = len(state.timeline)
    lead = state.lead
    expected = {
        "status": state.status.value,
        "version": version,
        "lead_department": lead.department if lead else None,
        "assisting_departments": sorted(
            a.department for a in state.assignments if a.active and not a.lead
        ),
        "escalation_level": state.escalation_level,
        "next_deadline": state.next_deadline,
        "closure_reason": state.closure_reason.value if state.closure_reason else None,
        "transition seqs": list(range(1, version + 1)),
    }
    actual = {
        "status": row.status,
        "version": row.version,
        "lead_department": row.lead_department,
        "assisting_departments": sorted(row.assisting_departments),
        "escalation_level": row.escalation_level,
        "next_deadline": row.next_deadline,
        "closure_reason": row.closure_reason,
        "transition seqs": seqs,
    }
    wrong = [
        f"{k}: sql {actual[k]!r} != workflow {v!r}" for k, v in expected.items() if actual[k] != v
    ]
    return "; ".join(wrong) or None


async def verify(
    client: Client, sessions: SessionFactory, case_nos: Iterable[str], timeout: float = 120.0
) -> Verdict:
    """Poll until every case's projection agrees with its workflow, or `timeout` passes."""
    numbers = sorted(set(case_nos))
    verdict = Verdict(cases=len(numbers))
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        verdict.rounds += 1
        states = await workflow_states(client, numbers)
        rows, seqs, notices = await asyncio.to_thread(_database_view, sessions, numbers)
        verdict.lost = sorted(n for n in numbers if states[n] is None or n not in rows)
        verdict.diverged = {}
        for case_no, state in states.items():
            if state is None:
                continue
            problem = difference(state, rows.get(case_no), seqs.get(case_no, []))
            if problem:
                verdict.diverged[case_no] = problem
        verdict.doubled = sorted(
            {n for n, template, count in notices if count > 1 and _once(template)}
        )
        verdict.seconds = loop.time() - started
        if verdict.ok or verdict.seconds > timeout:
            return verdict
        await asyncio.sleep(1.0)


def _once(template: str) -> bool:
    return template in ONCE_PER_DISPATCH or template.startswith("event ")


def missing_notices(states: dict[str, CaseState | None], sessions: SessionFactory) -> list[str]:
    """Dispatched cases without their dispatch notice or receipt SMS (a notice lost)."""
    dispatched = [n for n, s in states.items() if s is not None and s.lead is not None]
    with sessions() as session:
        found = Counter(
            (case_no, template)
            for case_no, template in session.execute(
                select(NotificationRow.case_no, NotificationRow.template).where(
                    NotificationRow.case_no.in_(dispatched)
                )
            )
        )
    return sorted(n for n in dispatched for t in ONCE_PER_DISPATCH if found[(n, t)] != 1)
