"""A test workflow that starts notice deliveries at a chosen virtual time.

A child workflow inherits its parent's virtual time: the test starts `StartDeliveriesAt`, which
waits `wait`, fast-forwards it across the wait, and the deliveries it then starts (as abandoned
children, on the delivery task queue) begin at that moment, 23:00 Beijing for instance.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.delivery import DeliveryRequest, delivery_workflow_id
    from workflows.notice_delivery import NoticeDeliveryWorkflow


class StartAt(BaseModel):
    wait: timedelta
    task_queue: str
    requests: list[DeliveryRequest]


@workflow.defn
class StartDeliveriesAt:
    @workflow.run
    async def run(self, start: StartAt) -> None:
        await workflow.sleep(start.wait)
        for request in start.requests:
            await workflow.start_child_workflow(
                NoticeDeliveryWorkflow.run,
                request,
                id=delivery_workflow_id(request.notice_id),
                task_queue=start.task_queue,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
