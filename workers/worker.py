"""The case worker: runs CaseWorkflow and its activities on the hotline task queue (and, by
default, the heavy work of `workers.heavy` on `<task queue>-heavy`).

The worker process's composition root: it registers the workflows and activities and hands the
activities what they must not import (the transition store's hooks, how a review is started).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities.archive import HistoryArchiver
from activities.calendar_source import CalendarSource, load_overrides
from activities.case_activities import CaseActivities
from activities.channels.registry import load_notice_settings, notice_destinations
from activities.delivery import DeliveryActivities
from activities.knowledge import KnowledgeActivities
from activities.review_rearm import ReviewRearmer
from connection.client import connect
from db.engine import make_engine, session_factory
from observability.logs import configure_logging
from observability.sdk_runtime import enable_sdk_metrics
from observability.tracing import configure_tracing
from observability.worker_metrics import worker_endpoint
from rules.calendar import WorkingCalendar
from services.knowledge_review import start_review
from settings.environment import Settings
from settings.notices import NoticeSettings
from settings.temporal import TemporalSettings
from workers.cache import cached_cases
from workers.composition import transition_hooks
from workers.heavy import CaseWorker, QueueKind, build_heavy_worker, worker_queues
from workers.notice_dispatch import NoticeDispatcher
from workers.schedules import ensure_knowledge_sweep
from workflows.archive import ArchiveCaseWorkflow
from workflows.article_review import ArticleReviewWorkflow
from workflows.case import CaseWorkflow
from workflows.case.sandbox import workflow_runner
from workflows.knowledge_sweep import KnowledgeSweepWorkflow
from workflows.notice_delivery import NoticeDeliveryWorkflow

log = logging.getLogger(__name__)
ACTIVITY_THREADS = 16

Alongside = Callable[[Client, asyncio.Event], Awaitable[None]]
"""What a process runs next to the worker (the dev stack: the HTTP API) until the event is set."""


def build_worker(
    client: Client,
    task_queue: str,
    database_url: str | None = None,
    calendar: WorkingCalendar | None = None,
    executor: ThreadPoolExecutor | None = None,
    notices: NoticeSettings | None = None,
    heavy: bool = True,
    interceptors: Sequence[Interceptor] = (),
    cache: int | None = None,
) -> Worker:
    """One worker: the case, knowledge-base and notice delivery workflows plus their
    activities, against one application database (`notices`: where notices go, default from
    the environment), and (`heavy`) the worker of the queue's heavy work beside it. It does
    not look for notices to deliver: `run_worker` starts that. The archive stays registered
    here too, for archives started on the case queue before heavy work had a queue. `cache`:
    how many runs it keeps in memory (default `HOTLINE_WORKER_CACHED_CASES`, `workers.cache`)."""
    sessions = session_factory(make_engine(database_url))
    source = CalendarSource(
        calendar or WorkingCalendar.load(Settings.from_env().holidays_dir),
        lambda: load_overrides(sessions),
    )
    activities = CaseActivities(sessions, source, hooks=transition_hooks())
    knowledge = KnowledgeActivities(sessions, source)
    archiver = HistoryArchiver(client, sessions)
    return CaseWorker(
        client,
        heavy=build_heavy_worker(client, task_queue, sessions) if heavy else None,
        task_queue=task_queue,
        workflows=[
            CaseWorkflow,
            ArchiveCaseWorkflow,
            ArticleReviewWorkflow,
            KnowledgeSweepWorkflow,
            NoticeDeliveryWorkflow,
        ],
        activities=[
            *activities.all(),
            *knowledge.all(),
            *ReviewRearmer(sessions, functools.partial(start_review, client)).all(),
            *archiver.all(),
            *DeliveryActivities(sessions, notices or load_notice_settings()).all(),
        ],
        activity_executor=executor or ThreadPoolExecutor(ACTIVITY_THREADS),
        workflow_runner=workflow_runner(),
        interceptors=interceptors,
        max_cached_workflows=cached_cases() if cache is None else cache,
    )


async def run_worker(
    settings: TemporalSettings | None = None,
    database_url: str | None = None,
    alongside: Alongside | None = None,
    announce_notices: bool = True,
) -> None:
    """Poll (and run `alongside`, if given) until SIGINT or SIGTERM; then finish and stop.
    Next to the worker the notice dispatcher starts the delivery of every waiting notice; where
    notices go is printed first (`announce_notices`; the dev stack prints it with its own)."""
    settings = settings or TemporalSettings.from_env()
    queues = worker_queues()
    cache = cached_cases()
    if QueueKind.CASES not in queues:
        await run_heavy_worker(settings, database_url)
        return
    notices = load_notice_settings()
    if announce_notices:
        print("notices:", *notice_destinations(notices), sep="\n  ", flush=True)
    client = await connect(settings)
    try:
        await ensure_knowledge_sweep(client, settings.task_queue)
    except Exception:  # the worker still serves; the next start tries again
        log.exception("the knowledge base's weekly sweep schedule could not be ensured")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        heavy = QueueKind.HEAVY in queues
        endpoint = await worker_endpoint(client, session_factory(make_engine(database_url)))
        async with (
            build_worker(
                client,
                settings.task_queue,
                database_url,
                notices=notices,
                heavy=heavy,
                interceptors=endpoint.interceptors,
                cache=cache,
            ),
            endpoint,
        ):
            log.info(
                "worker polling task queue %s%s in namespace %s, keeping up to %d cases cached",
                settings.task_queue,
                f" and {settings.heavy_task_queue}" if heavy else "",
                settings.namespace,
                cache,
            )
            sessions = session_factory(make_engine(database_url))
            dispatcher = NoticeDispatcher(client, sessions, settings.task_queue, notices)
            dispatching = asyncio.create_task(dispatcher.run(stop))
            try:
                if alongside is None:
                    await stop.wait()
                else:
                    await alongside(client, stop)
            finally:
                stop.set()
                await dispatching
            log.info("worker stopping")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def run_heavy_worker(settings: TemporalSettings, database_url: str | None) -> None:
    """Poll only the heavy task queue until SIGINT or SIGTERM (`HOTLINE_WORKER_QUEUES=heavy`)."""
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    sessions = session_factory(make_engine(database_url))
    try:
        endpoint = await worker_endpoint(client, sessions)  # the probes of a heavy-only pod
        async with (
            build_heavy_worker(
                client, settings.task_queue, sessions, interceptors=endpoint.interceptors
            ),
            endpoint,
        ):
            log.info(
                "worker polling task queue %s in namespace %s",
                settings.heavy_task_queue,
                settings.namespace,
            )
            await stop.wait()
            log.info("worker stopping")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


WORKER_SERVICE = "hotline-worker"


def check_worker_settings(command: str) -> None:
    """Refuse a wrong worker setting (`HOTLINE_WORKER_QUEUES`, `HOTLINE_WORKER_CACHED_CASES`) in
    one line naming `command`, before anything starts."""
    try:
        worker_queues()
        cached_cases()
    except ValueError as error:
        raise SystemExit(f"{command}: {error}") from None


def main() -> None:
    check_worker_settings("hotline worker")
    configure_logging(WORKER_SERVICE)
    configure_tracing(WORKER_SERVICE)
    enable_sdk_metrics()
    asyncio.run(run_worker())


if __name__ == "__main__":
    main()
