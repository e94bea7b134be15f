"""The case worker: runs CaseWorkflow and its activities on the hotline task queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.case_activities import CaseActivities
from activities.db import make_engine, session_factory
from rules.calendar import WorkingCalendar
from workers.client import connect
from workers.config import TemporalSettings
from workflows.case import CaseWorkflow

log = logging.getLogger(__name__)
ACTIVITY_THREADS = 16


def build_worker(
    client: Client,
    task_queue: str,
    database_url: str | None = None,
    calendar: WorkingCalendar | None = None,
    executor: ThreadPoolExecutor | None = None,
) -> Worker:
    """One worker: the case workflow plus its activities, against one application database."""
    activities = CaseActivities(
        session_factory(make_engine(database_url)), calendar or WorkingCalendar.load()
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CaseWorkflow],
        activities=activities.all(),
        activity_executor=executor or ThreadPoolExecutor(ACTIVITY_THREADS),
    )


async def run_worker(
    settings: TemporalSettings | None = None, database_url: str | None = None
) -> None:
    settings = settings or TemporalSettings.from_env()
    client = await connect(settings)
    worker = build_worker(client, settings.task_queue, database_url)
    log.info(
        "worker polling task queue %s in namespace %s", settings.task_queue, settings.namespace
    )
    await worker.run()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker())


if __name__ == "__main__":
    main()
