"""Fault matrix of Custom::SageMakerCompilationJob: duplicate invocations, the
deadline, the hand-over and the response at their limits, throttling, rollback
paths and bad properties. Each case drives CloudFormation-shaped events through the real
crhelper and the bundled handler, against the strict fake SageMaker and the
HTTPS response endpoint, on the simulated clock."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from sagemaker_constructs import _wire
from tests.harness import (
    OTHER_STACK_ID,
    Lifecycle,
    as_made_by_handler,
    assert_hand_overs_invoke_only_this_function,
    assert_nothing_left_running,
    follow_hand_overs,
    hand_over_payloads,
    owner_tags,
)
from tests.harness.fake_sagemaker import FakeSageMaker, Script, client_error
from tests.harness.properties import JOB_NAME, JOB_ROLE, SERVICE_TIMEOUT, api_request
from tests.harness.properties import compilation_job_properties as job_properties

NAME = JOB_NAME
NEW_NAME = "teststack--compile-abcdef0123"
ROLE = JOB_ROLE
MUTATING = ("create_compilation_job", "stop_compilation_job", "delete_compilation_job", "add_tags", "delete_tags")


def start_job(life: Lifecycle, props: dict[str, Any], script: Script | None = None) -> None:
    """A job this resource made earlier (changed: tagged with the ownership tags, as the handler makes it)."""
    if script is not None:
        life.sagemaker.job_scripts[props["CompilationJobName"]] = script
    life.sagemaker.create_compilation_job(**as_made_by_handler(api_request(props)))
    life.sagemaker.calls.clear()


def ops(life: Lifecycle) -> list[str]:
    return [op for op, _ in life.sagemaker.calls]


def mutations(life: Lifecycle) -> list[str]:
    return [op for op in ops(life) if op in MUTATING]


def assert_done(life: Lifecycle) -> None:
    """Was assert_no_polling_left (no rule, no permission, no poll fires): every hand-over
    invoked only this function, and nothing runs on after the answer."""
    assert_hand_overs_invoke_only_this_function(life)
    assert_nothing_left_running(life)


# --- duplicate invocations --------------------------------------------------------
def test_create_retried_after_the_job_started_adopts_it_with_one_create(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.job_scripts[NAME] = Script([(0, "STARTING"), (30, "INPROGRESS"), (400, "COMPLETED")])
    event = life.event("Create", job_properties())
    first = life.invoke(event)
    assert first.body is None and len(life.lambda_.calls) == 1  # handed over (was: one armed rule)
    retried = life.run_until_answered(event)  # Lambda retries with the same event
    assert retried.status == "SUCCESS"
    assert retried.physical_id == NAME
    assert len(life.sagemaker.called("create_compilation_job")) == 1
    assert list(life.sagemaker.jobs) == [NAME]
    assert_done(life)
    assert {body["Status"] for body in life.server.responses[retried.path]} == {"SUCCESS"}  # both chains agree


def test_create_racing_a_concurrent_create_adopts_on_resource_in_use(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    fake = life.sagemaker
    real_create = fake.create_compilation_job

    def concurrent_invocation_wins(**params: Any) -> dict[str, Any]:
        real_create(**params)  # the other invocation's create lands first...
        raise client_error("ResourceInUse", f"Compilation job {params['CompilationJobName']} already exists")

    fake.create_compilation_job = concurrent_invocation_wins
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert list(fake.jobs) == [NAME]
    assert len(fake.called("create_compilation_job")) == 1


def test_create_racing_someone_elses_job_of_the_same_name_fails_and_leaves_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    fake = life.sagemaker
    real_create = fake.create_compilation_job

    def other_job_wins(**params: Any) -> dict[str, Any]:
        other_role = "arn:aws:iam::123456789012:role/someone-else"
        real_create(**{**params, "RoleArn": other_role, "Tags": owner_tags(stack_id=OTHER_STACK_ID)})
        raise client_error("ResourceInUse", "already exists")

    fake.create_compilation_job = other_job_wins
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    # Changed: someone else's job is refused for not being ours (was: for its different configuration).
    assert "did not create it (it belongs to another stack)" in answer.reason
    assert answer.physical_id == NAME  # changed (was a generated id): ownership keeps the rollback off the job
    rollback = life.invoke(life.event("Delete", job_properties(), physical_id=answer.physical_id))
    assert rollback.status == "SUCCESS"
    assert NAME in fake.jobs
    assert mutations(life) == ["create_compilation_job"]  # only the racing create


def test_create_racing_its_own_job_with_a_different_configuration_fails_and_leaves_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    fake = life.sagemaker
    real_create = fake.create_compilation_job

    def own_other_job_wins(**params: Any) -> dict[str, Any]:
        real_create(**{**params, "RoleArn": "arn:aws:iam::123456789012:role/someone-else"})  # the handler's tags
        raise client_error("ResourceInUse", "already exists")

    fake.create_compilation_job = own_other_job_wins
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert "different configuration (RoleArn)" in answer.reason
    assert answer.physical_id == NAME
    assert mutations(life) == ["create_compilation_job"]
    assert NAME in fake.jobs


def test_delete_retried_after_the_job_is_gone_succeeds(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    start_job(life, job_properties())
    event = life.event("Delete", job_properties(), physical_id=NAME)
    assert life.invoke(event).status == "SUCCESS"
    life.sagemaker.calls.clear()
    retried = life.invoke(event)
    assert retried.status == "SUCCESS"
    assert retried.physical_id == NAME
    assert ops(life) == ["describe_compilation_job"]


# --- the deadline ----------------------------------------------------------------------
def test_job_that_never_ends_is_stopped_and_answered_before_cloudformation_gives_up(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS")])
    sent = life.clock.now()
    answer = life.run_until_answered(life.event("Create", job_properties()))
    answered = life.clock.now()
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME
    assert "did not end before the deadline" in answer.reason
    assert f"Job {NAME} status INPROGRESS" in answer.reason
    assert len(answer.reason) <= 256
    assert life.sagemaker.called("stop_compilation_job") == [{"CompilationJobName": NAME}]
    assert life.continuations() >= 1  # waiting carried on after the first invocation (was: polling)
    assert answered - sent < SERVICE_TIMEOUT
    assert answered - sent >= SERVICE_TIMEOUT - 180  # not before the deadline
    assert_done(life)


def test_continuation_arriving_after_the_deadline_stops_cleans_up_and_answers(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS")])
    # Lambda's asynchronous queue holds the continuation past the deadline (was: a poll fired late).
    life.handover_delay = SERVICE_TIMEOUT
    event = life.event("Create", job_properties())
    first = life.invoke(event)
    assert first.body is None
    answer = follow_hand_overs(life, event)
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME
    assert "did not end before the deadline" in answer.reason
    assert life.sagemaker.called("stop_compilation_job") == [{"CompilationJobName": NAME}]
    assert_done(life)


def test_continuation_after_the_deadline_with_describe_throttled_still_answers(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS")])
    life.handover_delay = SERVICE_TIMEOUT
    event = life.event("Create", job_properties())
    assert life.invoke(event).body is None
    life.sagemaker.fail("describe_compilation_job", client_error("ThrottlingException", status=400), times=1000)
    answer = follow_hand_overs(life, event)
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME
    assert "did not end before the deadline" in answer.reason
    # Changed: no StopCompilationJob (was: one): without a Describe the job's ownership cannot be checked;
    # the rollback Delete, with the name as physical id, stops it.
    assert life.sagemaker.called("stop_compilation_job") == []
    assert_done(life)
    life.sagemaker._faults.clear()
    rollback = life.run_until_answered(life.event("Delete", job_properties(), physical_id=answer.physical_id))
    assert rollback.status == "SUCCESS"
    assert life.sagemaker.called("stop_compilation_job") == [{"CompilationJobName": NAME}]
    assert NAME not in life.sagemaker.jobs


# --- the hand-over and the response at their limits ---------------------------------------
def test_hundred_character_logical_id_is_handed_over_tagged_and_answered(make_lifecycle: Any) -> None:
    """Replaces the rule and statement name limits (64 and 100 characters): the hand-over
    carries the logical id whole, and it is the ownership tag's value."""
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (300, "COMPLETED")])
    logical_id = "CompileFor" + "X" * 90
    assert len(logical_id) == 100
    event = life.event("Create", job_properties(), logical_id=logical_id)
    first = life.invoke(event)
    assert first.body is None
    (payload,) = hand_over_payloads(life)
    assert payload["LogicalResourceId"] == logical_id
    answer = follow_hand_overs(life, event)
    assert answer.status == "SUCCESS"
    assert answer.body is not None and answer.body["LogicalResourceId"] == logical_id
    assert life.sagemaker.jobs[NAME].tags[_wire.OWNER_LOGICAL_ID_TAG] == logical_id
    assert_done(life)


def _data_input_config(size: int) -> str:
    shapes: dict[str, list[int]] = {}
    index = 0
    while len(json.dumps(shapes, separators=(",", ":"))) < size:
        shapes[f"input_{index:04d}"] = [1, 3, 224, 224]
        index += 1
    return json.dumps(shapes, separators=(",", ":"))


def test_ten_kilobyte_data_input_config_keeps_the_continuation_payload_small(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (300, "COMPLETED")])
    config = _data_input_config(10 * 1024)
    assert 10 * 1024 <= len(config) <= 16384
    props = job_properties(InputConfig={**job_properties()["InputConfig"], "DataInputConfig": config})
    event = life.event("Create", props)
    assert len(json.dumps(event)) > 8192  # crhelper would copy all of this into the payload
    first = life.invoke(event)
    assert first.body is None
    # Was: the EventBridge target Input <= 8192 bytes; now the continuation carries no resource properties.
    payloads = [call["Payload"] for call in life.lambda_.calls]
    assert payloads and all(len(payload.encode()) <= 2048 for payload in payloads)
    assert all(config not in payload for payload in payloads)
    answer = follow_hand_overs(life, event)
    assert answer.status == "SUCCESS"
    (request,) = life.sagemaker.called("create_compilation_job")
    assert request["InputConfig"]["DataInputConfig"] == config


class LongImageSageMaker(FakeSageMaker):
    """Answers an InferenceImage of a chosen length, to size the response body."""

    def __init__(self, image_length: int) -> None:
        super().__init__()
        self.image_length = image_length

    def describe_compilation_job(self, **params: Any) -> dict[str, Any]:
        described = super().describe_compilation_job(**params)
        if described["CompilationJobStatus"] == "COMPLETED":
            described["InferenceImage"] = "i" * self.image_length
        return described


def _answer_with_image(make_lifecycle: Any, image_length: int) -> Any:
    life = make_lifecycle(sagemaker=LongImageSageMaker(image_length))
    answer = life.invoke(life.event("Create", job_properties()))
    return answer, life.server.raw_sizes[answer.path][-1]


def test_response_body_of_exactly_4096_bytes_is_sent_and_4097_becomes_failed(make_lifecycle: Any) -> None:
    _, probe_size = _answer_with_image(make_lifecycle, 1000)
    fitting = 1000 + (4096 - probe_size)
    at_limit, size = _answer_with_image(make_lifecycle, fitting)
    assert size == 4096
    assert at_limit.status == "SUCCESS"
    assert len(at_limit.data["InferenceImage"]) == fitting
    over, size = _answer_with_image(make_lifecycle, fitting + 1)
    assert over.status == "FAILED"
    assert size <= 4096
    assert over.data == {}
    assert "4096" in over.reason
    assert over.physical_id == NAME


def _failed_reason(make_lifecycle: Any, failure_reason: str) -> str:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "FAILED")], failure_reason=failure_reason)
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME
    return answer.reason


def test_reason_of_exactly_256_characters_is_kept_whole_and_257_keeps_the_tail(make_lifecycle: Any) -> None:
    probe = _failed_reason(make_lifecycle, "x")
    pad = 256 - len(probe)
    exact_failure = "ClientError: " + "a" * (pad - len("ClientError: ")) + "x"
    exact = _failed_reason(make_lifecycle, exact_failure)
    assert len(exact) == 256
    assert exact == probe[:-1] + exact_failure  # nothing cut
    longer = _failed_reason(make_lifecycle, "b" + exact_failure)
    assert len(longer) == 256
    assert longer.endswith(f"Job {NAME} status FAILED: b{exact_failure}")
    assert longer != probe[:-1] + "b" + exact_failure


def test_dead_response_url_costs_bounded_rounds_and_hands_the_answer_over(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    adapter = life.handler.adapter
    event = life.event("Create", job_properties())
    path = "/" + event["ResponseURL"].split("//", 1)[1].split("/", 1)[1].split("?")[0]
    life.server.dead_paths.add(path)
    real_start = time.monotonic()
    answer = life.invoke(event)
    assert time.monotonic() - real_start < 20  # no real backoff sleeping
    assert answer.body is None
    # Changed: an undelivered answer is retried in rounds of SEND_ATTEMPTS (was: one round, then given up) ...
    assert adapter.SEND_ATTEMPTS == 4
    assert answer.attempts > adapter.SEND_ATTEMPTS and answer.attempts % adapter.SEND_ATTEMPTS == 0
    assert life.clock.sleeps[-3:] == [1.0, 2.0, 4.0]  # backoff on the simulated clock
    assert not life.world.invocations[-1].timed_out  # ... within the invocation ...
    (payload,) = hand_over_payloads(life)  # ... and then handed over with the answer
    assert payload[_wire.CONTINUATION_KEY]["Phase"] == "answer"
    assert payload[_wire.CONTINUATION_KEY]["Answer"]["PhysicalResourceId"] == NAME


def test_response_url_back_after_a_while_gets_the_answer_once(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    event = life.event("Create", job_properties())
    path = "/" + event["ResponseURL"].split("//", 1)[1].split("/", 1)[1].split("?")[0]
    life.server.dead_until[path] = life.clock.now() + 100.0
    answer = life.invoke(event)
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert len(life.server.responses[path]) == 1
    assert answer.attempts > life.handler.adapter.SEND_ATTEMPTS
    assert life.lambda_.calls == []


@pytest.mark.parametrize(
    ("error", "takes_effect"),
    [
        (client_error("AccessDeniedException", "not authorized to perform lambda:InvokeFunction"), False),
        (client_error("AccessDeniedException", "not authorized to perform lambda:InvokeFunction"), True),
    ],
    ids=["invoke-refused", "invoke-response-lost"],
)
def test_hand_over_failure_answers_failed_with_the_job_name_and_leaks_nothing(
    make_lifecycle: Any, error: Exception, takes_effect: bool
) -> None:
    """Replaces the PutRule / PutTargets failures: the hand-over Invoke fails."""
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS")])
    real = life.lambda_.invoke

    def refuse(**kw: Any) -> Any:
        if takes_effect:  # the call did its work, but the caller sees an error
            real(**kw)
        else:
            life.lambda_.calls.append(kw)
        raise error

    life.lambda_.invoke = refuse  # type: ignore[method-assign]
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME  # the rollback Delete stops and removes the job
    assert "could not hand over" in answer.reason and "AccessDeniedException" in answer.reason
    rollback = life.run_until_answered(life.event("Delete", job_properties(), physical_id=NAME))
    assert rollback.status == "SUCCESS"
    life.run_all()  # a continuation that got through despite the error finds the request answered
    assert life.sagemaker.called("stop_compilation_job") == [{"CompilationJobName": NAME}]
    assert NAME not in life.sagemaker.jobs
    assert life.queued() == []


def test_throttled_hand_over_is_retried_and_the_job_is_answered(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (100, "COMPLETED")])
    life.lambda_.failures = [client_error("TooManyRequestsException", "Rate exceeded", status=429)] * 2
    answer = life.run_until_answered(life.event("Create", job_properties()))
    assert answer.status == "SUCCESS"
    assert len(life.lambda_.calls) >= 3  # two refused, then handed over
    assert_done(life)


# --- throttling and transient errors ---------------------------------------------------
@pytest.mark.parametrize(
    "error",
    [
        client_error("ThrottlingException", "Rate exceeded"),
        client_error("InternalFailure", "We encountered an internal error", status=500),
        client_error("ResourceLimitExceeded", "The account-level service limit for compilation jobs is 10"),
    ],
    ids=["throttling", "http-500", "resource-limit"],
)
def test_create_retries_transient_errors_with_backoff_and_starts_one_job(make_lifecycle: Any, error: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.fail("create_compilation_job", error, times=3)
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "SUCCESS"
    assert len(life.sagemaker.called("create_compilation_job")) == 4
    assert list(life.sagemaker.jobs) == [NAME]
    backoff = life.clock.sleeps[:3]
    assert [int(s) for s in backoff] == [1, 2, 4]  # 1, 2, 4 s plus up to 1 s of jitter


def test_create_throttled_forever_fails_clearly_within_the_deadline_and_leaves_no_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.fail("create_compilation_job", client_error("ThrottlingException", "Rate exceeded"), times=10_000)
    sent = life.clock.now()
    answer = life.run_until_answered(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert life.clock.now() - sent < min(SERVICE_TIMEOUT - 180, life.lambda_timeout)
    assert "CreateCompilationJob" in answer.reason and "ThrottlingException: Rate exceeded" in answer.reason
    assert "still failed after" in answer.reason  # changed wording (was: "before the deadline")
    assert life.sagemaker.jobs == {}
    assert answer.physical_id == NAME  # changed: the name, once the properties parse (was: a generated id)
    assert life.lambda_.calls == []  # nothing to wait for: no hand-over (was: no EventBridge call)


def test_describe_throttled_while_waiting_keeps_waiting(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    fake = life.sagemaker
    fake.job_scripts[NAME] = Script([(0, "INPROGRESS"), (120, "COMPLETED")])
    real_create = fake.create_compilation_job

    def create_then_throttle(**params: Any) -> dict[str, Any]:
        response = real_create(**params)
        fake.fail("describe_compilation_job", client_error("ThrottlingException", "Rate exceeded"), times=4)
        return response

    fake.create_compilation_job = create_then_throttle
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "SUCCESS"
    assert answer.data["CompilationJobStatus"] == "COMPLETED"
    assert len(fake.called("create_compilation_job")) == 1
    assert life.lambda_.calls == []  # was: no EventBridge call


def test_describe_throttled_for_the_whole_first_invocation_hands_over(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=120.0)
    fake = life.sagemaker
    fake.job_scripts[NAME] = Script([(0, "INPROGRESS"), (150, "COMPLETED")])
    real_create = fake.create_compilation_job

    def create_then_throttle(**params: Any) -> dict[str, Any]:
        response = real_create(**params)
        fake.fail("describe_compilation_job", client_error("ThrottlingException", "Rate exceeded"), times=1000)
        return response

    fake.create_compilation_job = create_then_throttle
    event = life.event("Create", job_properties())
    first = life.invoke(event)
    assert first.body is None  # not FAILED: the next invocation looks again
    fake._faults.clear()
    answer = follow_hand_overs(life, event)
    assert answer.status == "SUCCESS"
    assert_done(life)


# --- rollback paths -------------------------------------------------------------------------
def test_rollback_delete_after_a_failed_create_makes_no_mutating_call(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.fail("create_compilation_job", client_error("ValidationException", "Invalid InputConfig"))
    failed = life.invoke(life.event("Create", job_properties()))
    assert failed.status == "FAILED"
    assert failed.physical_id == NAME  # changed: the name, once the properties parse (was: a generated id)
    life.sagemaker.calls.clear()
    rollback = life.invoke(life.event("Delete", job_properties(), physical_id=failed.physical_id))
    assert rollback.status == "SUCCESS"
    assert rollback.physical_id == NAME
    assert ops(life) == ["describe_compilation_job"]  # changed: looks the name up (was: no call); nothing there


def test_update_rollback_adopts_the_old_job_untouched_and_cleanup_deletes_the_failed_new_one(
    make_lifecycle: Any,
) -> None:
    life = make_lifecycle()
    old = job_properties()
    start_job(life, old)
    new = job_properties(NEW_NAME, InputConfig={**old["InputConfig"], "S3Uri": "s3://models/v2.tar.gz"})
    life.sagemaker.job_scripts[NEW_NAME] = Script([(0, "INPROGRESS"), (60, "FAILED")], "ClientError: bad model")

    update = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))
    assert update.status == "FAILED"
    assert update.physical_id == NEW_NAME

    life.sagemaker.calls.clear()
    rollback = life.invoke(life.event("Update", old, physical_id=NEW_NAME, old_properties=new))
    assert rollback.status == "SUCCESS"
    assert rollback.physical_id == NAME  # differs from NEW_NAME: CloudFormation deletes the new one
    assert rollback.data["S3ModelArtifacts"].startswith(f"s3://out/compiled/{NAME}/")
    touched = [op for op, params in life.sagemaker.calls if params.get("CompilationJobName") == NAME]
    assert set(touched) == {"describe_compilation_job"}  # no create, stop or delete on the old job

    cleanup = life.invoke(life.event("Delete", new, physical_id=NEW_NAME))
    assert cleanup.status == "SUCCESS"
    assert life.sagemaker.called("delete_compilation_job") == [{"CompilationJobName": NEW_NAME}]
    assert set(life.sagemaker.jobs) == {NAME}


def test_update_rollback_sent_under_the_old_physical_id_adopts_the_old_job(make_lifecycle: Any) -> None:
    """CloudFormation may keep the old physical id after a FAILED update: the
    rollback then arrives as an update of the old job to its own properties."""
    life = make_lifecycle()
    old = job_properties()
    start_job(life, old)
    new = job_properties(NEW_NAME, InputConfig={**old["InputConfig"], "S3Uri": "s3://models/v2.tar.gz"})
    life.sagemaker.calls.clear()
    rollback = life.invoke(life.event("Update", old, physical_id=NAME, old_properties=new))
    assert rollback.status == "SUCCESS"
    assert rollback.physical_id == NAME
    touched = {op for op, params in life.sagemaker.calls if params.get("CompilationJobName") == NAME}
    assert touched == {"describe_compilation_job"}


def test_same_name_update_whose_change_the_job_already_has_still_fails(make_lifecycle: Any) -> None:
    """An explicit name whose properties changed fails, even in a field both sides agree on
    with the job (nothing to tell it from a rollback except the previous properties)."""
    life = make_lifecycle()
    old = job_properties(Options={"ExplicitName": "true"})
    start_job(life, old)
    new = job_properties(Options={"ExplicitName": "true"}, StoppingCondition={"MaxRuntimeInSeconds": 600})
    answer = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))
    assert answer.status == "FAILED"
    assert "cannot be replaced under the same name" in answer.reason


def test_delete_while_the_job_is_stopping_waits_for_stopped_then_deletes(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    start_job(life, job_properties(), Script([(0, "INPROGRESS")]))
    life.sagemaker.stop_compilation_job(CompilationJobName=NAME)
    life.sagemaker.calls.clear()
    started = life.clock.now()
    answer = life.invoke(life.event("Delete", job_properties(), physical_id=NAME))
    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("stop_compilation_job") == []
    assert life.sagemaker.called("delete_compilation_job") == [{"CompilationJobName": NAME}]
    assert life.clock.now() - started >= FakeSageMaker.STOP_SECONDS  # waited for STOPPED
    assert NAME not in life.sagemaker.jobs


# --- bad properties at deploy time --------------------------------------------------------
def test_validation_exception_message_reaches_the_reason_and_no_job_is_left(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    message = "1 validation error detected: Value 'arm64' at 'outputConfig.targetPlatform.arch' failed"
    life.sagemaker.fail("create_compilation_job", client_error("ValidationException", message))
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert answer.reason.endswith(f"ValidationException: {message}")
    assert life.sagemaker.jobs == {}
    assert len(life.sagemaker.called("create_compilation_job")) == 1  # not retried


def test_non_integer_max_runtime_fails_naming_the_property_with_no_sagemaker_call(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    props = job_properties(StoppingCondition={"MaxRuntimeInSeconds": "15 minutes"})
    answer = life.invoke(life.event("Create", props))
    assert answer.status == "FAILED"
    assert "StoppingCondition.MaxRuntimeInSeconds" in answer.reason and "15 minutes" in answer.reason
    assert life.sagemaker.calls == []
    assert answer.physical_id == NAME  # the name still reads leniently
    rollback = life.invoke(life.event("Delete", props, physical_id=answer.physical_id))
    assert rollback.status == "SUCCESS"  # properties that do not parse never block the rollback
    # Changed: the Delete Describes the name (was: no call), but makes no mutating call.
    assert ops(life) == ["describe_compilation_job"]


def test_delete_with_unparseable_properties_never_touches_a_job_it_does_not_own(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS")])
    life.sagemaker.create_compilation_job(**api_request(job_properties()), Tags=owner_tags(stack_id=OTHER_STACK_ID))
    life.sagemaker.calls.clear()
    props = job_properties(StoppingCondition={"MaxRuntimeInSeconds": "15 minutes"})
    rollback = life.invoke(life.event("Delete", props, physical_id=NAME))
    assert rollback.status == "SUCCESS"
    assert mutations(life) == []
    assert NAME in life.sagemaker.jobs
