"""Every loop ends in time to answer inside its own invocation, or hands over.

The harness plays Lambda's time limit: an invocation still busy at its
timeout is stopped, after crhelper's timer has answered (see tests/harness/world.py).
So a loop bounded by the ServiceTimeout deadline instead of the invocation
shows up here as crhelper's "Execution timed out" answer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.existing import job_made_by_handler
from tests.harness.fake_sagemaker import FakeSageMaker, Script, client_error
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props

NAME = JOB_NAME


def assert_no_invocation_timed_out(life: Any) -> None:
    assert [inv.label for inv in life.world.invocations if inv.timed_out] == []


def test_every_client_has_explicit_timeouts_and_standard_retries(
    make_lifecycle: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = make_lifecycle().handler
    config = handler.clients.CONFIG
    assert (config.connect_timeout, config.read_timeout) == (3.0, 10.0)
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert handler.clients.CALL_WORST_SECONDS == handler.engine.CALL_WORST_SECONDS
    # one last call, then the answer or the hand-over, fit in what an invocation keeps free
    assert (
        handler.engine.CALL_WORST_SECONDS + handler.adapter.SEND_WORST_CASE_SECONDS
        <= handler.engine.INVOCATION_MARGIN_SECONDS
    )
    made: list[tuple[str, Any]] = []
    monkeypatch.setattr(handler.clients.boto3, "client", lambda service, config=None: made.append((service, config)))
    aws = handler.index.make_clients()
    for service in handler.index.SERVICES:
        getattr(aws, service)
    assert made == [(service.rstrip("_"), config) for service in handler.index.SERVICES]


def test_slow_describes_near_the_end_of_an_invocation_hand_over_in_time(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (1200, "COMPLETED")])
    # From t = 800 s to 1000 s every describe hangs past the read timeout.
    start = life.clock.now()
    life.sagemaker.latency["describe_compilation_job"] = lambda now: 45.0 if 800 <= now - start < 1000 else 0.0
    create = life.event("Create", props(StoppingCondition={"MaxRuntimeInSeconds": 3300}, ServiceTimeout=3600))

    answer = life.run_until_answered(create)
    life.run_all()

    assert answer.status == "SUCCESS" and answer.physical_id == NAME, answer.reason
    assert_no_invocation_timed_out(life)
    assert life.continuations() >= 1


def test_crhelpers_timer_answers_with_the_job_name_not_a_random_id(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.s3.copy_seconds = 2000.0  # staging a huge model asset outlives the invocation
    model_uri = f"s3://out/compiled/model-inputs/{'a' * 64}.tar.gz"
    event = life.event(
        "Create",
        props(
            InputConfig={**props()["InputConfig"], "S3Uri": model_uri},
            Options={"StageModelFrom": f"s3://cdk-assets/{'a' * 64}.gz"},
        ),
    )

    answer = life.invoke(event)

    assert answer.status == "FAILED" and answer.reason == "Execution timed out"
    assert answer.physical_id == NAME  # the rollback Delete finds whatever was started
    assert [inv.timed_out for inv in life.world.invocations] == [True]


def test_tag_retries_end_inside_the_invocation(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    job_made_by_handler(life.sagemaker, props())
    life.sagemaker.fail("add_tags", client_error("ThrottlingException", "Rate exceeded"), times=10_000)
    started = life.clock.now()

    answer = life.invoke(
        life.event("Update", props(Tags=[{"Key": "team", "Value": "b"}]), physical_id=NAME, old_properties=props())
    )

    assert answer.status == "FAILED" and "AddTags" in answer.reason and "ThrottlingException" in answer.reason
    assert life.clock.now() - started < life.lambda_timeout
    assert_no_invocation_timed_out(life)


def test_waiting_for_a_deleted_job_to_disappear_hands_over(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.delete_linger_seconds = 2000.0  # still describable long after DeleteCompilationJob
    long = props(StoppingCondition={"MaxRuntimeInSeconds": 3300}, ServiceTimeout=3600)
    job_made_by_handler(life.sagemaker, long)
    delete = life.event("Delete", long, physical_id=NAME)

    answer = life.run_until_answered(delete)

    assert answer.status == "SUCCESS"
    assert NAME not in life.sagemaker.jobs
    assert life.continuations() >= 2
    assert_no_invocation_timed_out(life)
    assert len(life.sagemaker.called("delete_compilation_job")) == 1


def test_a_continuation_that_arrives_after_the_deadline_stops_the_job_and_answers(make_lifecycle: Any) -> None:
    life = make_lifecycle(handover_delay=4000.0)  # held in Lambda's queue past the deadline
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (9000, "COMPLETED")])
    create = life.event("Create", props())
    life.run_until_answered(create)

    answer = life.answer(create)
    assert answer.status == "FAILED" and "at the deadline" in answer.reason and answer.physical_id == NAME
    assert [c["CompilationJobName"] for c in life.sagemaker.called("stop_compilation_job")] == [NAME]
    assert FakeSageMaker.STOP_SECONDS > 0
