"""The handler Lambda as the wire contract says it must be rendered
(sagemaker_constructs._handler and _wire): its environment, the hand-over by
self-invocation, the stack check, and nothing left of EventBridge polling."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, NestedStack, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_constructs import FlowDefinition, _wire
from sagemaker_constructs._handler import HandlerFunction
from tests.constructs.builders import small_job
from tests.constructs.flow_definition.inputs import required

ENV = Environment(account="123456789012", region="us-east-1")
JOB_HANDLER = "SmcCompilationJobHandler"
FLOW_HANDLER = "SmcFlowDefinitionHandler"


def add_jobs(scope: Any, count: int, prefix: str = "Job") -> None:
    bucket = s3.Bucket(scope, f"{prefix}Bucket")
    for index in range(count):
        small_job(scope, f"{prefix}{index}", bucket, stack_outputs=False)


def handler(stack: Stack, construct_id: str = JOB_HANDLER) -> HandlerFunction:
    found = stack.node.find_child(construct_id)
    assert isinstance(found, HandlerFunction)
    return found


def environment(stack: Stack, construct_id: str = JOB_HANDLER) -> dict[str, Any]:
    function = handler(stack, construct_id).function
    resource = Template.from_stack(stack).to_json()["Resources"][stack.get_logical_id(function.node.default_child)]  # type: ignore[arg-type]
    variables: dict[str, Any] = resource["Properties"]["Environment"]["Variables"]
    return variables


def handler_statements(stack: Stack, construct_id: str = JOB_HANDLER) -> list[dict[str, Any]]:
    role_ref = {"Ref": stack.get_logical_id(handler(stack, construct_id).role.node.default_child)}  # type: ignore[arg-type]
    return [
        statement
        for policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
        if role_ref in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


# --- environment ---------------------------------------------------------------------------
def test_environment_holds_the_stack_id_the_resource_count_and_the_default_budget() -> None:
    stack = Stack(App(), "Env", env=ENV)
    add_jobs(stack, 3)
    assert environment(stack) == {
        _wire.ENV_STACK_ID: {"Ref": "AWS::StackId"},
        _wire.ENV_RESOURCE_COUNT: "3",
        _wire.ENV_DESCRIBE_BUDGET: f"{_wire.DEFAULT_DESCRIBE_BUDGET:g}",
    }


def test_resource_count_includes_resources_added_after_the_handler_was_made() -> None:
    stack = Stack(App(), "Later")
    add_jobs(stack, 1, "First")
    add_jobs(stack, 4, "Second")
    assert environment(stack)[_wire.ENV_RESOURCE_COUNT] == "5"


def test_resource_count_is_per_kind() -> None:
    stack = Stack(App(), "Kinds")
    add_jobs(stack, 2)
    FlowDefinition(stack, "Flow", **required())
    assert environment(stack)[_wire.ENV_RESOURCE_COUNT] == "2"
    assert environment(stack, FLOW_HANDLER)[_wire.ENV_RESOURCE_COUNT] == "1"


@pytest.mark.parametrize(("value", "rendered"), [(25, "25"), ("2.5", "2.5"), (0.5, "0.5")])
def test_describe_budget_comes_from_context(value: Any, rendered: str) -> None:
    stack = Stack(App(context={_wire.CONTEXT_DESCRIBE_BUDGET: value}), "Budget")
    add_jobs(stack, 1)
    assert environment(stack)[_wire.ENV_DESCRIBE_BUDGET] == rendered


@pytest.mark.parametrize("value", [0, -3, "fast", "nan", "inf", True])
def test_describe_budget_that_is_not_a_positive_number_is_rejected(value: Any) -> None:
    stack = Stack(App(context={_wire.CONTEXT_DESCRIBE_BUDGET: value}), "BadBudget")
    with pytest.raises(
        ValueError, match=rf"context {_wire.CONTEXT_DESCRIBE_BUDGET} must be a positive number .*\(got "
    ):
        add_jobs(stack, 1)


def test_nested_stack_handler_names_its_own_stack_id() -> None:
    parent = Stack(App(), "Parent")
    nested = NestedStack(parent, "Vision")
    add_jobs(nested, 1)
    assert environment(nested)[_wire.ENV_STACK_ID] == {"Ref": "AWS::StackId"}  # in the nested template
    (check,) = [s for s in handler_statements(nested) if _wire.STACK_CHECK_ACTIONS[0] in actions(s)]
    assert check["Resource"] == {"Ref": "AWS::StackId"}


# --- IAM ------------------------------------------------------------------------------------
@pytest.mark.parametrize("construct_id", [JOB_HANDLER, FLOW_HANDLER])
def test_handover_is_invoke_function_on_its_own_arn_only_in_a_separate_policy(construct_id: str) -> None:
    stack = Stack(App(), "Handover")
    add_jobs(stack, 1)
    FlowDefinition(stack, "Flow", **required())
    own = handler(stack, construct_id)
    policy = own.handover_policy
    document = Template.from_stack(stack).to_json()["Resources"][stack.get_logical_id(policy.node.default_child)]  # type: ignore[arg-type]
    (statement,) = document["Properties"]["PolicyDocument"]["Statement"]
    arn = {"Fn::GetAtt": [stack.get_logical_id(own.function.node.default_child), "Arn"]}  # type: ignore[arg-type]
    assert actions(statement) == list(_wire.HANDOVER_ACTIONS)
    assert statement["Resource"] == [arn, {"Fn::Join": ["", [arn, ":*"]]}]


@pytest.mark.parametrize("construct_id", [JOB_HANDLER, FLOW_HANDLER])
def test_stack_check_is_on_this_stack_only(construct_id: str) -> None:
    stack = Stack(App(), "Check")
    add_jobs(stack, 1)
    FlowDefinition(stack, "Flow", **required())
    (check,) = [
        s for s in handler_statements(stack, construct_id) if "cloudformation:DescribeStackResource" in actions(s)
    ]
    assert actions(check) == list(_wire.STACK_CHECK_ACTIONS)
    assert check["Resource"] == {"Ref": "AWS::StackId"}


@pytest.mark.parametrize("construct_id", [JOB_HANDLER, FLOW_HANDLER])
def test_no_eventbridge_polling_permissions_are_left(construct_id: str) -> None:
    stack = Stack(App(), "NoPolling")
    add_jobs(stack, 1)
    FlowDefinition(stack, "Flow", **required())
    granted = {a for s in handler_statements(stack, construct_id) for a in actions(s)}
    assert not [a for a in granted if a.startswith("events:")]
    assert not granted & {"lambda:AddPermission", "lambda:RemovePermission"}


def test_flow_definition_waits_for_the_handover_policy() -> None:
    stack = Stack(App(), "FlowOrder")
    flow = FlowDefinition(stack, "Flow", **required())
    resource = Template.from_stack(stack).to_json()["Resources"][stack.get_logical_id(flow.resource.node.default_child)]  # type: ignore[arg-type]
    policy = handler(stack, FLOW_HANDLER).handover_policy
    assert stack.get_logical_id(policy.node.default_child) in resource["DependsOn"]  # type: ignore[arg-type]


def test_a_bad_budget_leaves_nothing_in_the_tree() -> None:
    stack = Stack(App(context={_wire.CONTEXT_DESCRIBE_BUDGET: "fast"}), "Nothing")
    bucket = s3.Bucket(stack, "Bucket")
    with pytest.raises(ValueError, match="describeBudget"):
        small_job(stack, "Job", bucket)
    assert stack.node.try_find_child("Job") is None
    assert stack.node.try_find_child(JOB_HANDLER) is None
