"""Per-case facts for the indicators, kept up to date from the transition log.

`on_transition_recorded` is one of the transition store's hooks (`activities.store`, wired in
`workers.composition`): it runs in the transaction that wrote a new log row (never for a repeated
record), so each transition is folded into the case's
`case_facts` row exactly once, in the case's own order (the store writes a case's transitions in
sequence). The fold is one upsert: counters add, flags OR, and a dispatch starts the "since the
last dispatch" flags again. Migration 0010 computes the same row from an existing log in SQL;
`fold` is the same derivation in Python, which the tests hold both against.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Executable, case, or_
from sqlalchemy.orm import Session

from db.engine import dialect_insert
from db.evaluation_tables import CaseFactsRow
from models.actions import Action
from models.enums import CaseStatus
from models.records import Transition
from rules.evaluation import HANDLING_STEPS, SIGN_OFF_STEPS

COUNTERS = (
    "dispatches",
    "returns",
    "returns_rejected",
    "returns_approved",
    "extensions_approved",
    "replies",
    "replies_late",
    "reopens",
)
FLAGS = ("callback_required", "sign_off_overdue", "handling_overdue")
RESET_BY_DISPATCH = ("sign_off_overdue", "handling_overdue")
ACTIONS = frozenset(
    {
        Action.DISPATCH,
        Action.RETURN,
        Action.RETURN_REJECTED,
        Action.RETURN_APPROVED,
        Action.EXTENSION_DECIDED,
        Action.REPLY,
        Action.REOPEN,
        Action.DEADLINE_OVERDUE,
    }
)
"""The actions that change a fact (plus any move into callback, and the case's first row)."""


def transition_facts(transition: Transition) -> dict[str, Any] | None:
    """What one transition adds to its case's facts, as a first row would hold it; None when it
    changes nothing (and is not the case's first transition)."""
    action = transition.action
    detail = transition.detail
    callback = transition.to_status == CaseStatus.CALLBACK.value
    if action not in ACTIONS and not callback and transition.seq != 1:
        return None
    step = detail.get("step")
    overdue = action == Action.DEADLINE_OVERDUE
    return {
        "case_no": transition.case_no,
        "dispatches": int(action == Action.DISPATCH),
        "returns": int(action == Action.RETURN),
        "returns_rejected": int(action == Action.RETURN_REJECTED),
        "returns_approved": int(action == Action.RETURN_APPROVED),
        "extensions_approved": int(
            action == Action.EXTENSION_DECIDED and detail.get("approved") is True
        ),
        "replies": int(action == Action.REPLY),
        "replies_late": int(action == Action.REPLY and detail.get("on_time") is False),
        "reopens": int(action == Action.REOPEN),
        "callback_required": callback,
        "last_dispatch_seq": transition.seq if action == Action.DISPATCH else None,
        "sign_off_overdue": overdue and step in SIGN_OFF_STEPS,
        "handling_overdue": overdue and step in HANDLING_STEPS,
    }


def on_transition_recorded(session: Session, transition: Transition) -> None:
    """The store's hook for a newly written log row: fold it into the case's facts."""
    values = transition_facts(transition)
    if values is None:
        return
    session.execute(_upsert(session.get_bind().dialect.name), values)


def fold(transitions: Iterable[Transition]) -> dict[str, dict[str, Any]]:
    """The facts of every case in `transitions` (any order), case_no -> column values."""
    facts: dict[str, dict[str, Any]] = {}
    for transition in sorted(transitions, key=lambda t: (t.case_no, t.seq)):
        values = transition_facts(transition)
        if values is None:
            continue
        row = facts.get(transition.case_no)
        if row is None:
            facts[transition.case_no] = values
            continue
        for name in COUNTERS:
            row[name] += values[name]
        if values["dispatches"]:
            row["last_dispatch_seq"] = values["last_dispatch_seq"]
            for name in RESET_BY_DISPATCH:
                row[name] = False
        for name in FLAGS:
            row[name] = row[name] or values[name]
    return facts


@functools.cache
def _upsert(dialect: str) -> Executable:
    insert = dialect_insert(dialect, CaseFactsRow)
    new = insert.excluded
    old = CaseFactsRow.__table__.c
    dispatched = new.dispatches > 0
    updates: dict[str, Any] = {name: old[name] + new[name] for name in COUNTERS}
    updates["callback_required"] = or_(old.callback_required, new.callback_required)
    updates["last_dispatch_seq"] = case(
        (dispatched, new.last_dispatch_seq), else_=old.last_dispatch_seq
    )
    for name in RESET_BY_DISPATCH:
        updates[name] = case((dispatched, new[name]), else_=or_(old[name], new[name]))
    return insert.on_conflict_do_update(index_elements=["case_no"], set_=updates)
