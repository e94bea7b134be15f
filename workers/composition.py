"""The composition root of the transition store: what else a newly recorded transition writes.

`activities.store.record_transition` knows nothing of the layers beside it; the worker (and every
other caller that records transitions, the tests and benchmarks among them) passes these hooks,
so the evaluation's case facts and the knowledge base's article uses are written in the same
transaction as the log row, in this order, exactly once per row.
"""

from __future__ import annotations

from activities.store import TransitionHook
from evaluation import facts
from knowledge import usage


def transition_hooks() -> tuple[TransitionHook, ...]:
    """The hooks of every transition store: article uses of a direct answer, then case facts."""
    return (usage.on_transition_recorded, facts.on_transition_recorded)
