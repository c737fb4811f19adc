"""Adversarial: time. CloudFormation waits at most ServiceTimeout from when it
sent the request; an event can sit in Lambda's queue before it runs."""

from __future__ import annotations

import time
from typing import Any

from tests.harness import url_path
from tests.harness.fake_sagemaker import Script, client_error
from tests.harness.properties import JOB_NAME, SERVICE_TIMEOUT
from tests.harness.properties import compilation_job_properties as props

NAME = JOB_NAME
NEVER_ENDS = Script([(0, "INPROGRESS")])


def _signed_at(event: dict[str, Any], at: float) -> dict[str, Any]:
    """A ResponseURL shaped like CloudFormation's: a pre-signed S3 PUT, signed when the request was sent."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(at))
    event["ResponseURL"] += f"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={stamp}&X-Amz-Expires=7200"
    return event


# --- the handler resists ---------------------------------------------------------------
def test_a_job_still_running_at_the_deadline_is_stopped_and_answered_before_service_timeout(
    make_lifecycle: Any,
) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = NEVER_ENDS
    create = life.event("Create", props())
    start = life.clock.now()
    life.submit(create)
    life.run_all()

    answer = life.answer(create)
    assert answer.status == "FAILED" and answer.physical_id == NAME
    assert life.answered_at[answer.path] < start + SERVICE_TIMEOUT
    assert [c["CompilationJobName"] for c in life.sagemaker.called("stop_compilation_job")] == [NAME]
    assert life.queued() == []


def test_a_hand_over_that_lambda_refuses_answers_failed_with_the_name(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = NEVER_ENDS
    life.lambda_.failures.append(client_error("AccessDeniedException", "not allowed", 403))
    create = life.event("Create", props())
    answer = life.run_until_answered(create)

    assert answer.status == "FAILED" and answer.physical_id == NAME
    delete = life.run_until_answered(life.event("Delete", props(), physical_id=NAME))
    assert delete.status == "SUCCESS" and NAME not in life.sagemaker.jobs


def test_cloudformation_throttling_the_still_wanted_check_does_not_stop_a_wanted_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (400, "COMPLETED")])
    life.cloudformation.failures.extend([client_error("Throttling", "Rate exceeded")] * 40)
    answer = life.run_until_answered(life.event("Create", props()))

    assert answer.status == "SUCCESS" and answer.physical_id == NAME


# --- defects ------------------------------------------------------------------------------
def test_the_answer_at_the_deadline_is_re_sent_while_cloudformation_still_waits(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = NEVER_ENDS
    create = life.event("Create", props())  # ServiceTimeout 1200 s: the engine answers at 1020 s
    start = life.clock.now()
    path = url_path(create["ResponseURL"])
    life.server.dead_until[path] = start + 1060.0  # the response URL refuses for 40 s around then
    life.submit(create)
    life.run_all()

    assert life.continuations() >= 1  # the deadline falls in the continuation
    assert life.sagemaker.called("stop_compilation_job")
    assert path in life.answered_at, "CloudFormation never gets an answer and waits out its ServiceTimeout"
    assert life.answered_at[path] < start + SERVICE_TIMEOUT


def test_a_create_that_waited_in_the_queue_is_answered_before_cloudformation_gives_up(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = NEVER_ENDS
    sent = life.clock.now()
    create = _signed_at(life.event("Create", props()), sent)  # ServiceTimeout 1200 s from here
    life.submit(create, at=sent + 240.0)  # throttled in Lambda's asynchronous queue for 4 minutes
    life.run_all()

    path = url_path(create["ResponseURL"])
    assert life.answer(create).status == "FAILED" and life.answer(create).physical_id == NAME
    assert life.answered_at[path] < sent + SERVICE_TIMEOUT, (
        f"answered {life.answered_at[path] - sent:.0f} s after CloudFormation sent the request"
    )
