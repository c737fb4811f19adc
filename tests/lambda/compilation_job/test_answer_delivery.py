"""An answer that does not get through is tried again until it does, or until
CloudFormation's own deadline: the waiting ends only once the answer is in."""

from __future__ import annotations

from typing import Any

from tests.harness.fake_sagemaker import Script
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props

NAME = JOB_NAME


def test_an_answer_refused_for_30_seconds_is_delivered_afterwards(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (100, "COMPLETED")])
    create = life.event("Create", props())
    start = life.clock.now()
    life.server.dead_until[life.answer(create).path] = start + 130.0  # the job ends at 100 s

    life.submit(create)
    life.run_all()

    answer = life.answer(create)
    assert answer.status == "SUCCESS" and answer.physical_id == NAME
    assert answer.attempts > 4  # more than one round of sending
    assert life.queued() == []


def test_an_answer_refused_past_the_end_of_the_invocation_is_handed_over_and_delivered(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (600, "COMPLETED")])
    create = life.event("Create", props(StoppingCondition={"MaxRuntimeInSeconds": 3300}, ServiceTimeout=3600))
    start = life.clock.now()
    life.server.dead_until[life.answer(create).path] = start + 1500.0

    life.submit(create)
    life.run_all()

    answer = life.answer(create)
    assert answer.status == "SUCCESS" and answer.data["CompilationJobStatus"] == "COMPLETED"
    assert life.continuations() >= 1
    assert life.queued() == []
    assert [inv.label for inv in life.world.invocations if inv.timed_out] == []


def test_an_answer_that_never_gets_through_stops_being_tried_at_the_deadline(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    create = life.event("Create", props())  # ServiceTimeout 1200 s
    life.server.dead_paths.add(life.answer(create).path)
    start = life.clock.now()

    life.submit(create)
    life.run_all()

    assert life.answer(create).body is None
    assert life.queued() == []
    assert max(inv.ended_at or 0.0 for inv in life.world.invocations) - start < 1200.0 + 900.0
