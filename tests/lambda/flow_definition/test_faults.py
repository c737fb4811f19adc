"""Fault matrix of Custom::SageMakerFlowDefinition: the faults of the
CompilationJob matrix that apply to a resource that is answered from its own
invocation (no hand-over to a next invocation). Real crhelper, the bundled handler, the
strict fake SageMaker and the HTTPS endpoint, on the simulated clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import Lifecycle, as_made_by_handler, hand_over_payloads
from tests.harness.fake_sagemaker import Script, client_error
from tests.harness.properties import api_request

NAME = "teststack--review-0123456789"
ROLE = "arn:aws:iam::123456789012:role/a2i-flow-role"
SERVICE_TIMEOUT = 600  # what the construct renders


def flow_properties(name: str = NAME, **overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "FlowDefinitionName": name,
        "HumanLoopConfig": {
            "WorkteamArn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers",
            "HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/review-ui",
            "TaskTitle": "Review the prediction",
            "TaskDescription": "Check the model's answer",
            "TaskCount": 1,
        },
        "OutputConfig": {"S3OutputPath": "s3://out/reviews/"},
        "RoleArn": ROLE,
        "ServiceTimeout": SERVICE_TIMEOUT,
    }
    props.update(overrides)
    return props


def make(make_lifecycle: Any, **kw: Any) -> Lifecycle:
    life: Lifecycle = make_lifecycle("flow_definition", **kw)
    return life


def assert_never_handed_over(life: Lifecycle) -> None:
    assert life.lambda_.calls == []  # was: no EventBridge and no Lambda permission call


# --- duplicate invocations --------------------------------------------------------
def test_create_retried_after_the_definition_was_created_adopts_it_with_one_create(make_lifecycle: Any) -> None:
    life = make(make_lifecycle)
    event = life.event("Create", flow_properties())
    first = life.invoke(event)
    retried = life.invoke(event)  # Lambda retries with the same event
    assert first.status == retried.status == "SUCCESS"
    assert retried.physical_id == NAME
    assert len(life.sagemaker.called("create_flow_definition")) == 1
    assert list(life.sagemaker.flows) == [NAME]


def test_create_racing_a_concurrent_create_adopts_on_resource_in_use(make_lifecycle: Any) -> None:
    life = make(make_lifecycle)
    fake = life.sagemaker
    real_create = fake.create_flow_definition

    def concurrent_invocation_wins(**params: Any) -> dict[str, Any]:
        real_create(**params)
        raise client_error("ResourceInUse", f"Flow definition {params['FlowDefinitionName']} already exists")

    fake.create_flow_definition = concurrent_invocation_wins
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert list(fake.flows) == [NAME]
    assert len(fake.called("create_flow_definition")) == 1


def test_delete_retried_after_the_definition_is_gone_succeeds(make_lifecycle: Any) -> None:
    life = make(make_lifecycle)
    life.sagemaker.create_flow_definition(**as_made_by_handler(api_request(flow_properties())))  # changed: tagged
    event = life.event("Delete", flow_properties(), physical_id=NAME)
    assert life.invoke(event).status == "SUCCESS"
    assert NAME not in life.sagemaker.flows
    life.sagemaker.calls.clear()
    retried = life.invoke(event)
    assert retried.status == "SUCCESS"
    assert retried.physical_id == NAME
    assert [op for op, _ in life.sagemaker.calls] == ["describe_flow_definition"]


# --- throttling and transient errors ---------------------------------------------------
@pytest.mark.parametrize(
    "error",
    [
        client_error("ThrottlingException", "Rate exceeded"),
        client_error("InternalFailure", "We encountered an internal error", status=500),
        client_error("ResourceLimitExceeded", "The account-level service limit for flow definitions"),
    ],
    ids=["throttling", "http-500", "resource-limit"],
)
def test_create_retries_transient_errors_and_creates_one_definition(make_lifecycle: Any, error: Any) -> None:
    life = make(make_lifecycle)
    life.sagemaker.fail("create_flow_definition", error, times=3)
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "SUCCESS"
    assert len(life.sagemaker.called("create_flow_definition")) == 4
    assert list(life.sagemaker.flows) == [NAME]
    assert_never_handed_over(life)


def test_create_throttled_forever_fails_clearly_before_cloudformation_gives_up(make_lifecycle: Any) -> None:
    life = make(make_lifecycle)
    life.sagemaker.fail("create_flow_definition", client_error("ThrottlingException", "Rate exceeded"), times=10_000)
    sent = life.clock.now()
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "FAILED"
    assert life.clock.now() - sent < SERVICE_TIMEOUT
    assert "CreateFlowDefinition" in answer.reason and "ThrottlingException: Rate exceeded" in answer.reason
    assert life.sagemaker.flows == {}
    assert answer.physical_id == NAME  # changed: the name, once the properties parse (was: a generated id)
    assert_never_handed_over(life)


def test_describe_throttled_while_waiting_keeps_waiting(make_lifecycle: Any) -> None:
    life = make(make_lifecycle)
    fake = life.sagemaker
    fake.flow_scripts[NAME] = Script([(0, "Initializing"), (8, "Active")])
    real_create = fake.create_flow_definition

    def create_then_throttle(**params: Any) -> dict[str, Any]:
        response = real_create(**params)
        fake.fail("describe_flow_definition", client_error("ThrottlingException", "Rate exceeded"), times=3)
        return response

    fake.create_flow_definition = create_then_throttle
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "SUCCESS"
    assert answer.data["FlowDefinitionStatus"] == "Active"


# --- reason and physical id on Failed ---------------------------------------------------
def _failed(make_lifecycle: Any, failure_reason: str) -> Any:
    life = make(make_lifecycle)
    life.sagemaker.flow_scripts[NAME] = Script([(0, "Initializing"), (2, "Failed")], failure_reason=failure_reason)
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME  # the rollback Delete removes it and frees the name
    return answer


def test_failed_definition_reason_of_exactly_256_is_whole_and_longer_keeps_the_tail(make_lifecycle: Any) -> None:
    probe = _failed(make_lifecycle, "x").reason
    exact_failure = "y" * (256 - len(probe)) + "x"
    exact = _failed(make_lifecycle, exact_failure).reason
    assert len(exact) == 256 and exact == probe[:-1] + exact_failure
    longer = _failed(make_lifecycle, "z" * 400 + " END").reason
    assert len(longer) == 256
    assert f"Flow definition {NAME} status Failed" in longer
    assert longer.endswith(" END")


# --- the deadline ----------------------------------------------------------------------
def test_definition_never_active_fails_before_cloudformation_gives_up(make_lifecycle: Any) -> None:
    life = make(make_lifecycle)
    life.sagemaker.flow_scripts[NAME] = Script([(0, "Initializing")])
    sent = life.clock.now()
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME
    assert "deadline" in answer.reason and "Initializing" in answer.reason
    assert len(answer.reason) <= 256
    assert life.clock.now() - sent < SERVICE_TIMEOUT
    assert_never_handed_over(life)
    rollback = life.invoke(life.event("Delete", flow_properties(), physical_id=NAME))
    assert rollback.status == "SUCCESS"
    assert NAME not in life.sagemaker.flows


def test_dead_response_url_costs_bounded_rounds_and_hands_the_answer_over(make_lifecycle: Any) -> None:
    life = make(make_lifecycle)
    event = life.event("Create", flow_properties())
    path = "/" + event["ResponseURL"].split("//", 1)[1].split("/", 1)[1].split("?")[0]
    life.server.dead_paths.add(path)
    answer = life.invoke(event)
    assert answer.body is None
    # Changed: rounds of SEND_ATTEMPTS (was: one round) until CloudFormation's deadline (ServiceTimeout 600 s,
    # inside this invocation), and then no more: nothing is handed over past the deadline.
    attempts = life.handler.adapter.SEND_ATTEMPTS
    assert answer.attempts > attempts and answer.attempts % attempts == 0
    assert not life.world.invocations[-1].timed_out
    assert hand_over_payloads(life) == []
    last = life.world.invocations[-1]
    assert last.ended_at - last.start <= SERVICE_TIMEOUT + life.handler.adapter.SEND_WORST_CASE_SECONDS


# --- rollback paths and bad properties ------------------------------------------------------
def test_rollback_delete_after_a_rejected_create_makes_no_mutating_call(make_lifecycle: Any) -> None:
    life = make(make_lifecycle)
    message = "1 validation error detected: Value at 'humanLoopConfig.taskCount' failed to satisfy constraint"
    life.sagemaker.fail("create_flow_definition", client_error("ValidationException", message))
    failed = life.invoke(life.event("Create", flow_properties()))
    assert failed.status == "FAILED"
    assert failed.reason.endswith(f"ValidationException: {message}")
    assert life.sagemaker.flows == {}
    assert failed.physical_id == NAME  # changed: the name, once the properties parse (was: a generated id)
    life.sagemaker.calls.clear()
    rollback = life.invoke(life.event("Delete", flow_properties(), physical_id=failed.physical_id))
    assert rollback.status == "SUCCESS"
    # Changed: the Delete looks the name up (was: no call); nothing there, so nothing else.
    assert [op for op, _ in life.sagemaker.calls] == ["describe_flow_definition"]


def test_non_integer_task_count_fails_naming_the_property_with_no_sagemaker_call(make_lifecycle: Any) -> None:
    life = make(make_lifecycle)
    props = flow_properties(HumanLoopConfig={**flow_properties()["HumanLoopConfig"], "TaskCount": "three"})
    answer = life.invoke(life.event("Create", props))
    assert answer.status == "FAILED"
    assert "HumanLoopConfig.TaskCount" in answer.reason and "three" in answer.reason
    assert life.sagemaker.calls == []
    assert answer.physical_id == NAME
    rollback = life.invoke(life.event("Delete", props, physical_id=answer.physical_id))
    assert rollback.status == "SUCCESS"
    # Changed: the Delete Describes the name (was: no call), but makes no mutating call.
    assert [op for op, _ in life.sagemaker.calls] == ["describe_flow_definition"]
