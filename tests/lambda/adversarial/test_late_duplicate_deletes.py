"""Adversarial: CloudFormation invokes the handler asynchronously, so Lambda may
deliver a Delete twice, the second copy up to the maximum event age later. A
Delete's copy that comes after the same logical resource began making a job of
the same name again (the resource was removed by a rollback and added back by
the next deploy, or renamed away and back) must leave that job alone: it is the
current request's, not the job the Delete was sent for."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.fake_sagemaker import Script
from tests.harness.properties import compilation_job_properties as props

from ._helpers import ignore_later_answers

A = "teststack--compile-aaaa000000"
SLOW = Script([(0, "STARTING"), (20, "INPROGRESS"), (600, "COMPLETED")])
MADE_UP_ID = "TestStack-Resource-1A2B3C4D5E6F"


@pytest.mark.xfail(
    strict=True,
    reason="a late second copy of a rollback Delete stops and deletes the job that the re-added resource's Create "
    "is waiting for (decide.delete trusts any non-COMPLETE stack status; the Removal records the new job as target)",
)
def test_a_late_copy_of_a_rollback_delete_leaves_the_job_a_re_added_resource_is_creating(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[A] = SLOW
    # Deploy 1 adds the resource; a sibling fails, CloudFormation cancels the Create and deletes it.
    first = life.event("Create", props(A))
    life.submit(first)
    life.run_all(until=life.clock.now() + 30.0)
    life.cloudformation.cancel("Resource")
    ignore_later_answers(life, first)
    rollback_delete = life.event("Delete", props(A), physical_id=MADE_UP_ID)
    assert life.run_until_answered(rollback_delete).status == "SUCCESS"
    life.run_all()
    assert A not in life.sagemaker.jobs
    stops = len(life.sagemaker.called("stop_compilation_job"))

    # An hour later deploy 2 adds the resource back: the same logical id makes A again.
    life.clock.advance(3600.0)
    second = life.event("Create", props(A))
    life.submit(second)
    life.run_all(until=life.clock.now() + 60.0)
    assert A in life.sagemaker.jobs

    life.submit(rollback_delete)  # Lambda delivers the first deploy's rollback Delete a second time
    life.run_all()

    assert len(life.sagemaker.called("stop_compilation_job")) == stops, "the late Delete stopped the new job"
    assert life.first_answer(second).status == "SUCCESS", life.first_answer(second).reason
    assert A in life.sagemaker.jobs


B = "teststack--compile-bbbb000000"


@pytest.mark.xfail(
    strict=True,
    reason="a late copy of a cleanup Delete deletes the stack's live job when CloudFormation cannot be asked "
    "(stack.live_in_stack counts unknown as not live; the job's CreationTime after the request is not checked)",
)
def test_a_late_copy_of_a_cleanup_delete_leaves_the_live_job_while_cloudformation_throttles(
    make_lifecycle: Any,
) -> None:
    from tests.harness.fake_sagemaker import client_error

    from ._helpers import cleanup_delete

    life = make_lifecycle()
    assert life.run_until_answered(life.event("Create", props(A))).status == "SUCCESS"
    assert life.run_until_answered(life.event("Update", props(B), physical_id=A, old_properties=props(A))).status == (
        "SUCCESS"
    )
    first_cleanup = life.event("Delete", props(A), physical_id=A)
    cleanup_delete(life, first_cleanup, current_physical_id=B)
    # The rename is reverted in the next deploy: A is made again, B cleaned up.
    assert life.run_until_answered(life.event("Update", props(A), physical_id=B, old_properties=props(B))).status == (
        "SUCCESS"
    )
    cleanup_delete(life, life.event("Delete", props(B), physical_id=B), current_physical_id=A)
    assert A in life.sagemaker.jobs

    # A burst of deploys in the account: DescribeStackResource is throttled for a while.
    life.cloudformation.failures = [client_error("Throttling", "Rate exceeded")] * 200
    life.invoke(first_cleanup)  # the first cleanup Delete, delivered again

    assert A in life.sagemaker.jobs, "the job the stack's resource points at was deleted"
