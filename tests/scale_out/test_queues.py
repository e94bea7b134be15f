"""Which queues a worker process polls, and the heavy queue's name on both sides."""

from __future__ import annotations

import pytest

from settings.temporal import TemporalSettings
from workers.heavy import QueueKind, worker_queues
from workflows.archive import heavy_task_queue


@pytest.mark.parametrize(
    ("value", "kinds"),
    [
        (None, {QueueKind.CASES, QueueKind.HEAVY}),
        ("all", {QueueKind.CASES, QueueKind.HEAVY}),
        ("cases", {QueueKind.CASES}),
        (" heavy ", {QueueKind.HEAVY}),
        ("cases,heavy", {QueueKind.CASES, QueueKind.HEAVY}),
    ],
)
def test_worker_queues_come_from_the_environment(value: str | None, kinds: set[QueueKind]) -> None:
    env = {} if value is None else {"HOTLINE_WORKER_QUEUES": value}
    assert worker_queues(env) == kinds


def test_an_unknown_queue_kind_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="'reports'"):
        worker_queues({"HOTLINE_WORKER_QUEUES": "cases,reports"})


def test_workers_and_workflows_agree_on_the_heavy_queue() -> None:
    settings = TemporalSettings.from_env({"HOTLINE_TASK_QUEUE": "town-cases"})
    assert settings.heavy_task_queue == heavy_task_queue("town-cases") == "town-cases-heavy"
    assert TemporalSettings().heavy_task_queue == "hotline-cases-heavy"
