"""A closed case whose history has been archived (waits for the archive workflow to finish)."""

from __future__ import annotations

from temporalio.client import Client

from tests.workflows.cases import drive_to_closure, intake, start
from workflows.archive import archive_workflow_id


async def archived_case(client: Client) -> str:
    case = intake()
    handle = await start(client, case)
    await drive_to_closure(handle)
    await client.get_workflow_handle(archive_workflow_id(case.case_no), result_type=bool).result()
    return case.case_no
