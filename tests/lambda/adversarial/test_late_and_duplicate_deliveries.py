"""Adversarial: Lambda's asynchronous invocation is at-least-once and an event
can wait in its queue. CloudFormation invokes the handler asynchronously, and
the handler hands over to itself the same way: any request or continuation
may arrive twice, or late."""

from __future__ import annotations

from typing import Any

from tests.harness import url_path
from tests.harness.fake_sagemaker import Script
from tests.harness.properties import compilation_job_properties as props

from ._helpers import cleanup_delete

A = "teststack--compile-aaaa000000"
B = "teststack--compile-bbbb000000"
LONG = Script([(0, "STARTING"), (20, "INPROGRESS"), (3000, "COMPLETED")])


# --- the handler resists ---------------------------------------------------------------
def test_a_create_delivered_twice_makes_one_job_and_both_answer_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[A] = Script([(0, "INPROGRESS"), (1200, "COMPLETED")])
    create = life.event("Create", props(A, StoppingCondition={"MaxRuntimeInSeconds": 3300}, ServiceTimeout=3600))
    start = life.clock.now()
    life.submit(create)
    life.submit(create, at=start + 0.01)  # the same event again, at once (both describe before either creates)
    life.run_all()

    assert len(life.sagemaker.jobs) == 1
    answers = life.server.responses[url_path(create["ResponseURL"])]
    assert {a["Status"] for a in answers} == {"SUCCESS"} and {a["PhysicalResourceId"] for a in answers} == {A}
    assert life.queued() == []


def test_a_continuation_delivered_twice_answers_the_same(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[A] = Script([(0, "INPROGRESS"), (1500, "COMPLETED")])
    life.lambda_.on_invoke = lambda event: [life._handed_over(event), life._handed_over(event)]  # at-least-once
    create = life.event("Create", props(A, StoppingCondition={"MaxRuntimeInSeconds": 3300}, ServiceTimeout=3600))
    life.submit(create)
    life.run_all()

    answers = life.server.responses[url_path(create["ResponseURL"])]
    assert answers and all(a["Status"] == "SUCCESS" and a["PhysicalResourceId"] == A for a in answers)
    assert life.sagemaker.called("stop_compilation_job") == []
    assert life.queued() == []


def test_a_create_delivered_again_after_its_rollback_delete_creates_nothing(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[A] = LONG
    create = life.event("Create", props(A))
    life.submit(create)
    life.run_all(until=life.clock.now() + 30.0)
    life.cloudformation.cancel("Resource")
    assert life.run_until_answered(life.event("Delete", props(A), physical_id="TestStack-Resource-XYZ")).status == (
        "SUCCESS"
    )
    life.run_all()
    assert A not in life.sagemaker.jobs

    life.submit(create)  # the original Create, delivered a second time, late
    life.run_all()

    assert A not in life.sagemaker.jobs
    assert len(life.sagemaker.called("create_compilation_job")) == 1


# --- defects ------------------------------------------------------------------------------
def test_a_late_second_delivery_of_a_cleanup_delete_leaves_the_live_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    assert life.run_until_answered(life.event("Create", props(A))).status == "SUCCESS"
    assert life.run_until_answered(life.event("Update", props(B), physical_id=A, old_properties=props(A))).status == (
        "SUCCESS"
    )
    first_cleanup = life.event("Delete", props(A), physical_id=A)
    cleanup_delete(life, first_cleanup, current_physical_id=B)
    assert A not in life.sagemaker.jobs
    # The rename is reverted in the next deploy: A is made again, B cleaned up.
    assert life.run_until_answered(life.event("Update", props(A), physical_id=B, old_properties=props(B))).status == (
        "SUCCESS"
    )
    cleanup_delete(life, life.event("Delete", props(B), physical_id=B), current_physical_id=A)
    assert A in life.sagemaker.jobs and B not in life.sagemaker.jobs

    life.invoke(first_cleanup)  # the first cleanup Delete, delivered again

    assert A in life.sagemaker.jobs, "the job the stack's resource points at was deleted"
