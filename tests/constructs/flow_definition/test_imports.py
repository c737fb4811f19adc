"""Imported flow definitions (from_flow_definition_name / _arn): validated, and
usable through IFlowDefinition like created ones."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from sagemaker_constructs import FlowDefinition, IFlowDefinition
from tests.constructs.flow_definition.inputs import required

ENV = Environment(account="123456789012", region="us-east-1")
ARN = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/existing-review"


def test_import_by_arn_keeps_the_arn_and_takes_the_name_from_it() -> None:
    imported = FlowDefinition.from_flow_definition_arn(Stack(App(), "Importing", env=ENV), "Imported", ARN)
    assert imported.flow_definition_arn == ARN
    assert imported.flow_definition_name == "existing-review"


@pytest.mark.parametrize(
    "arn",
    ["existing-review", "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/x"],
)
def test_import_by_something_that_is_not_a_flow_definition_arn_raises(arn: str) -> None:
    with pytest.raises(ValueError, match=r"arn must be arn:<partition>:sagemaker:<region>:<account>:flow-definition/"):
        FlowDefinition.from_flow_definition_arn(Stack(App(), "Importing"), "Imported", arn)


def test_import_by_an_arn_with_an_invalid_name_raises() -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/Upper_Case"
    with pytest.raises(ValueError, match=r"flow_definition_name must match .*\(got 'Upper_Case'\)"):
        FlowDefinition.from_flow_definition_arn(Stack(App(), "Importing"), "Imported", arn)


def allow_start(scope: Stack, flow: IFlowDefinition) -> iam.Role:
    """A consumer that takes any flow definition, created or imported."""
    role = iam.Role(scope, "Starter", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    flow.grant_start_human_loop(role)
    return role


@pytest.mark.parametrize("source", ["created", "name", "arn"])
def test_a_consumer_takes_any_flow_definition_through_iflowdefinition(source: str) -> None:
    app = App()
    producer = Stack(app, "Producer", env=ENV)
    flow: IFlowDefinition
    if source == "created":
        flow = FlowDefinition(producer, "Flow", **required())
    elif source == "name":
        flow = FlowDefinition.from_flow_definition_name(producer, "Flow", "existing-review")
    else:
        flow = FlowDefinition.from_flow_definition_arn(producer, "Flow", ARN)
    consumer = Stack(app, "Consumer", env=ENV)
    allow_start(consumer, flow)
    (policy,) = Template.from_stack(consumer).find_resources("AWS::IAM::Policy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sagemaker:StartHumanLoop"
