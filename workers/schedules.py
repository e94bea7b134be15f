"""Temporal Schedules of the hotline: the knowledge base's weekly sweep.

`ensure_knowledge_sweep` creates the Schedule `kb-weekly-sweep` or brings an existing one up to
date (spec, action, policy), keeping its paused state and note, so every worker start can call
it safely. Its day and time come from `rules.knowledge`.
"""

from __future__ import annotations

import logging
from datetime import time, timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from models.knowledge import SweepRequest
from rules.knowledge import SWEEP_TIME, SWEEP_TIME_ZONE, SWEEP_WEEKDAY
from workflows.knowledge_sweep import KnowledgeSweepWorkflow

log = logging.getLogger(__name__)

KNOWLEDGE_SWEEP_SCHEDULE = "kb-weekly-sweep"
KNOWLEDGE_SWEEP_WORKFLOW = "kb-sweep"  # the server appends each run's scheduled time
SWEEP_RUN_TIMEOUT = timedelta(hours=1)
CATCHUP_WINDOW = timedelta(days=1)  # a sweep missed while the cluster was down runs late


def temporal_day_of_week(weekday: int) -> int:
    """`date.weekday()` (0 = Monday) as a Schedule's day of week (0 = Sunday)."""
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
    return (weekday + 1) % 7


def knowledge_sweep_schedule(
    task_queue: str,
    weekday: int = SWEEP_WEEKDAY,
    at: time = SWEEP_TIME,
    time_zone: str = SWEEP_TIME_ZONE,
) -> Schedule:
    """The weekly sweep: `weekday` (0 = Monday … 6 = Sunday) at `at` local time."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            KnowledgeSweepWorkflow.run,
            SweepRequest(),
            id=KNOWLEDGE_SWEEP_WORKFLOW,
            task_queue=task_queue,
            execution_timeout=SWEEP_RUN_TIMEOUT,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    second=[ScheduleRange(at.second)],
                    minute=[ScheduleRange(at.minute)],
                    hour=[ScheduleRange(at.hour)],
                    day_of_week=[ScheduleRange(temporal_day_of_week(weekday))],
                    comment="knowledge base weekly sweep",
                )
            ],
            time_zone_name=time_zone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
    )


async def ensure_knowledge_sweep(
    client: Client,
    task_queue: str,
    *,
    weekday: int = SWEEP_WEEKDAY,
    at: time = SWEEP_TIME,
    time_zone: str = SWEEP_TIME_ZONE,
    schedule_id: str = KNOWLEDGE_SWEEP_SCHEDULE,
) -> None:
    """Create the weekly sweep's Schedule, or update the existing one to this definition."""
    schedule = knowledge_sweep_schedule(task_queue, weekday, at, time_zone)
    try:
        await client.create_schedule(schedule_id, schedule)
        log.info("schedule %s created", schedule_id)
        return
    except ScheduleAlreadyRunningError:
        pass

    def updated(current: ScheduleUpdateInput) -> ScheduleUpdate:
        schedule.state = current.description.schedule.state  # an operator's pause stays
        return ScheduleUpdate(schedule=schedule)

    await client.get_schedule_handle(schedule_id).update(updated)
    log.info("schedule %s updated", schedule_id)
