"""Adversarial: Lambda can keep CloudFormation's asynchronous invocation in its
queue (throttling, a burst of deploys) past the request's deadline. CloudFormation
ignores the answer to a late cleanup Delete (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS):
whatever the handler does not remove then stays outside the stack for good.
Late continuations of a removal get cleanup time (issue 15 defect 3); a late
Delete request does not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import StackResource
from tests.harness.properties import compilation_job_properties as props

from .test_late_duplicate_requests import signed_now

A = "teststack--compile-aaaa000000"
B = "teststack--compile-bbbb000000"


@pytest.mark.xfail(
    strict=True,
    reason="a cleanup Delete delivered after its deadline answers FAILED at once without deleting anything "
    "(decide.delete never extends for cleanup; Removal's first describe is OutOfTime): the old job is orphaned",
)
def test_a_cleanup_delete_delivered_after_its_deadline_still_removes_the_old_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    assert life.run_until_answered(life.event("Create", props(A))).status == "SUCCESS"
    rename = life.event("Update", props(B), physical_id=A, old_properties=props(A))
    assert life.run_until_answered(rename).status == "SUCCESS"

    cleanup = signed_now(life, life.event("Delete", props(A), physical_id=A))
    life.cloudformation.resources["Resource"] = StackResource("UPDATE_COMPLETE", B)
    life.submit(cleanup, at=life.clock.now() + 1100.0)  # waited in Lambda's queue past ServiceTimeout - margin
    life.run_all()
    life.cloudformation.resources["Resource"] = StackResource("UPDATE_COMPLETE", B)  # the cleanup changes nothing

    assert life.sagemaker.called("delete_compilation_job"), "nothing tried to delete the old job"
    assert A not in life.sagemaker.jobs, "the old job stays outside the stack"
