"""How a refused or impossible step is answered: 404 unknown case, 409 with the current status."""

from __future__ import annotations

from api.context import ApiContext
from api.problems import Problem
from models.errors import CaseActionError, CaseNotFoundError
from services import cases as case_service
from workflows.case import CaseWorkflow, workflow_id


async def refused(context: ApiContext, case_no: str, err: CaseActionError) -> Problem:
    if isinstance(err, CaseNotFoundError):
        return Problem(404, str(err))
    if isinstance(err, case_service.CaseClosedError):
        return Problem(409, str(err), case_status="closed")
    status: str | None
    try:
        handle = context.client.get_workflow_handle_for(CaseWorkflow.run, workflow_id(case_no))
        status = (await handle.query(CaseWorkflow.view)).status.value
    except Exception:  # the refusal itself is the answer; the status is a courtesy
        status = None
    return Problem(409, str(err), case_status=status)
