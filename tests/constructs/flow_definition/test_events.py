"""flow.on_human_loop_status_change: an EventBridge rule for this flow definition's
human-loop events only."""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from sagemaker_constructs import FlowDefinition
from tests.constructs.flow_definition.inputs import ENV, required


@pytest.fixture
def stack() -> Stack:
    return Stack(App(), "Events", env=ENV)


def function(stack: Stack) -> lambda_.Function:
    return lambda_.Function(
        stack,
        "OnReviewed",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        timeout=Duration.seconds(10),
    )


def test_the_rule_matches_this_flow_definitions_human_loop_status_changes(stack: Stack) -> None:
    flow = FlowDefinition(stack, "Review", **required())
    on_reviewed = function(stack)
    flow.on_human_loop_status_change("Reviewed", target=targets.LambdaFunction(on_reviewed))
    (rule,) = Template.from_stack(stack).find_resources("AWS::Events::Rule").values()
    flow_id = stack.get_logical_id(flow.resource.node.default_child)  # type: ignore[arg-type]
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker A2I HumanLoop Status Change"],
        "detail": {"flowDefinitionArn": [{"Fn::GetAtt": [flow_id, "FlowDefinitionArn"]}]},
    }
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [stack.get_logical_id(on_reviewed.node.default_child), "Arn"]}  # type: ignore[arg-type]


def test_the_rule_is_below_the_flow_definition_and_named_as_asked(stack: Stack) -> None:
    flow = FlowDefinition(stack, "Review", **required())
    rule = flow.on_human_loop_status_change("Reviewed", rule_name="review-done", description="Reviews done")
    assert rule.node.scope is flow
    properties = Template.from_stack(stack).find_resources("AWS::Events::Rule")
    ((_, resource),) = properties.items()
    assert resource["Properties"]["Name"] == "review-done"
    assert resource["Properties"]["Description"] == "Reviews done"
    assert "Targets" not in resource["Properties"]


def test_an_imported_flow_definition_has_the_rule_too(stack: Stack) -> None:
    imported = FlowDefinition.from_flow_definition_name(stack, "Existing", "existing-review")
    imported.on_human_loop_status_change("Reviewed")
    (rule,) = Template.from_stack(stack).find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"]["detail"] == {
        "flowDefinitionArn": [
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":sagemaker:us-east-1:123456789012:flow-definition/existing-review",
                    ],
                ]
            }
        ]
    }


def test_a_bad_rule_name_is_a_value_error(stack: Stack) -> None:
    flow = FlowDefinition(stack, "Review", **required())
    with pytest.raises(ValueError, match=r"on_human_loop_status_change: 1 invalid property:\n  - rule_name must match"):
        flow.on_human_loop_status_change("Reviewed", rule_name="no spaces")


def test_a_function_is_not_a_target(stack: Stack) -> None:
    flow = FlowDefinition(stack, "Review", **required())
    with pytest.raises(TypeError, match=r"target must be events\.IRuleTarget or None .*aws_events_targets"):
        flow.on_human_loop_status_change("Reviewed", target="arn:aws:lambda:us-east-1:123456789012:function:f")  # type: ignore[arg-type]
