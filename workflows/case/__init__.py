"""The case process as one durable workflow: `CaseWorkflow` (in `workflow.py`) and the modules
of its stages, read in the order of the process.

`intake.py` → `assignment.py` (dispatch) → `handling.py` (sign-off, return, assisting input),
`extension.py`, `replies.py` (reply and its review) → `supervision.py` (deadlines firing, urging,
escalation) → `callback.py` → `closure.py` (withdrawal, merge, every closure) → `archiving.py`.
Under them: `clocks.py` (every time limit a clock, one timer), `recording.py` (transitions,
faults), `notices.py`, `checks.py` (what validators refuse), `views.py` (projection, search
attributes, the step result), `context.py` (the running case the steps share).

Work that fails for a reason no retry can fix neither fails the case nor stalls it: the case
records a fault and holds what it could not write until the `retry_faults` Update (see
`recording.py`). A closed case with an open fault waits for that retry before it completes.
"""

from workflows.case.workflow import CaseWorkflow, workflow_id

__all__ = ["CaseWorkflow", "workflow_id"]
