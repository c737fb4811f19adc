"""A Create that CloudFormation cancels (another resource failed) is followed by a
Delete whose physical id CloudFormation made up. Whenever that Delete arrives,
no job is left running outside the stack (cloudformation-coverage-roadmap#1814)."""

from __future__ import annotations

from typing import Any

from tests.harness import owner_tags
from tests.harness.existing import job_made_elsewhere
from tests.harness.fake_sagemaker import Script
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props

NAME = JOB_NAME
MADE_UP_ID = "TestStack-Resource-1A2B3C4D5E6F"  # CloudFormation's own; its format is not relied on
LONG = Script([(0, "STARTING"), (20, "INPROGRESS"), (3000, "COMPLETED")])


def test_delete_before_the_create_call_leaves_no_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = LONG
    life.sagemaker.latency["describe_compilation_job"] = 5.0  # the Create is slow to look first
    create = life.event("Create", props())
    start = life.clock.now()
    life.submit(create)
    delete = life.event("Delete", props(), physical_id=MADE_UP_ID)
    life.submit(delete, at=start + 1.0)  # arrives while the Create is still describing
    life.run_all()

    assert life.first_answer(delete).status == "SUCCESS"
    assert life.sagemaker.called("create_compilation_job")  # the Create did go on to create ...
    assert NAME not in life.sagemaker.jobs  # ... and removed the job once it saw it was no longer wanted
    assert "cancelled" in life.answer(create).reason
    assert life.queued() == []


def test_delete_between_the_create_and_the_answer_stops_and_deletes_the_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = LONG
    create = life.event("Create", props())
    life.submit(create)
    life.run_all(until=life.clock.now() + 60.0)  # the job is running; no answer yet
    assert life.sagemaker.jobs[NAME] and life.answer(create).body is None
    life.cloudformation.cancel("Resource")

    delete = life.invoke(life.event("Delete", props(), physical_id=MADE_UP_ID))

    assert delete.status == "SUCCESS"
    assert delete.physical_id == MADE_UP_ID  # a Delete answers with the id it was sent
    assert NAME not in life.sagemaker.jobs  # the Delete itself stopped and deleted it
    assert [c["CompilationJobName"] for c in life.sagemaker.called("stop_compilation_job")] == [NAME]
    life.run_all()
    assert life.queued() == []  # and nothing goes on waiting for it


def test_delete_during_a_hand_over_ends_the_waiting(make_lifecycle: Any) -> None:
    life = make_lifecycle(handover_delay=30.0)
    life.sagemaker.job_scripts[NAME] = LONG
    create = life.event("Create", props())
    start = life.clock.now()
    first = life.invoke(create)
    assert first.body is None and len(life.lambda_.calls) == 1  # handed over
    handed_over_at = life.clock.now()
    assert handed_over_at - start < 900.0
    delete = life.event("Delete", props(), physical_id=MADE_UP_ID)
    life.submit(delete, at=handed_over_at + 5.0)  # before the continuation starts
    life.cloudformation.cancel("Resource")
    life.run_all()

    assert life.first_answer(delete).status == "SUCCESS"
    assert NAME not in life.sagemaker.jobs
    assert life.continuations() == 1  # the continuation saw it was no longer wanted and ended
    assert life.queued() == []


def test_continuation_that_finds_its_request_cancelled_removes_the_job_it_created(make_lifecycle: Any) -> None:
    life = make_lifecycle(handover_delay=30.0)
    life.sagemaker.job_scripts[NAME] = LONG
    create = life.event("Create", props())
    life.invoke(create)
    life.cloudformation.cancel("Resource")  # cancelled, and the Delete is lost or late
    life.run_all()

    assert NAME not in life.sagemaker.jobs
    assert life.answer(create).status == "FAILED" and "removed" in life.answer(create).reason
    assert life.queued() == []


def test_delete_with_a_made_up_id_leaves_a_job_of_that_name_from_elsewhere(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = LONG
    job_made_elsewhere(
        life.sagemaker, props(), tags=owner_tags(stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/Other/1")
    )
    answer = life.invoke(life.event("Delete", props(), physical_id=MADE_UP_ID))

    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("stop_compilation_job") == []
    assert life.sagemaker.called("delete_compilation_job") == []
    assert NAME in life.sagemaker.jobs
