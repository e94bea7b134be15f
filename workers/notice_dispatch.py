"""The notice dispatcher: every worker process looks for outbox rows waiting for a delivery and
starts each one's `NoticeDeliveryWorkflow`.

Each row's workflow id is `notice-<row id>`, started with `USE_EXISTING` (a running delivery is
never doubled, however many workers find the row at once) and `ALLOW_DUPLICATE` (a row a
supervisor put back to `pending` after it was dead-lettered gets a new run). Rows are taken
oldest first, a batch at a time, with a cursor, so a long backlog is walked through rather than
its first batch started again and again. Every few minutes rows held past their hold are
included too: their delivery was lost only if a Temporal server lost its state, and a running
one is left alone. A failure (the database or Temporal unreachable) is logged and tried again
next time: the rows stay in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from activities.delivery import (
    DeliveryOptions,
    DeliveryRequest,
    delivery_workflow_id,
    pending_notices,
)
from activities.failures import describe
from db.engine import SessionFactory
from settings.notices import NoticeSettings
from workflows.notice_delivery import NoticeDeliveryWorkflow

log = logging.getLogger(__name__)

BATCH = 100
STALE_EVERY = 60  # rounds between looks at rows held past their hold
STALE_GRACE = timedelta(minutes=10)


class NoticeDispatcher:
    """Starts the delivery of every waiting row on `task_queue`."""

    def __init__(
        self,
        client: Client,
        sessions: SessionFactory,
        task_queue: str,
        settings: NoticeSettings,
        *,
        batch: int = BATCH,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._task_queue = task_queue
        self._options = DeliveryOptions.of(settings)
        self._interval = settings.poll_interval.total_seconds()
        self._batch = batch
        self._after = 0
        self._rounds = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set."""
        while not stop.is_set():
            try:
                await self.dispatch_once()
            except Exception as err:  # the outbox keeps the rows: next round tries again
                log.warning("notice dispatch failed (%s); trying again", describe(err))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)

    async def dispatch_once(self) -> int:
        """Start the delivery of one batch of waiting rows; how many were started (or found
        running)."""
        self._rounds += 1
        stale = None
        if self._rounds % STALE_EVERY == 1:
            stale = datetime.now(UTC) - STALE_GRACE
        ids = await asyncio.to_thread(
            pending_notices, self._sessions, self._batch, self._after, stale
        )
        self._after = ids[-1] if len(ids) == self._batch else 0
        for notice_id in ids:
            await self.start(notice_id)
        return len(ids)

    async def start(self, notice_id: int) -> None:
        await self._client.start_workflow(
            NoticeDeliveryWorkflow.run,
            DeliveryRequest(notice_id=notice_id, options=self._options),
            id=delivery_workflow_id(notice_id),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
