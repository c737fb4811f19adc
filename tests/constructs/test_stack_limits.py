"""CloudFormation's stack limits (issue 16, section 1): 101 jobs with the default
stack_outputs=True give 202 outputs, and about 165 jobs with their own roles pass 500
resources. Both are reported at synth (the tree's validation), naming the stack, the
constructs and the fix (before: nothing from the library)."""

from __future__ import annotations

import re

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_constructs import FlowDefinition
from tests.constructs.builders import small_job
from tests.constructs.flow_definition.inputs import required


def synth_error(stack: Stack) -> str:
    with pytest.raises(RuntimeError, match="Validation failed") as raised:
        Template.from_stack(stack)
    return str(raised.value)


def test_more_than_200_outputs_name_the_constructs_and_stack_outputs_false() -> None:
    stack = Stack(App(), "Outputs")
    bucket = s3.Bucket(stack, "Bucket")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    for index in range(100):
        small_job(stack, f"Job{index}", bucket, role=role)
    FlowDefinition(stack, "Flow", **required())
    FlowDefinition(stack, "Quiet", **required(stack_outputs=False))
    message = synth_error(stack)
    assert re.search(
        r"101 constructs of sagemaker-constructs with stack_outputs=True add 201 outputs to stack Outputs; "
        r"CloudFormation allows 200 per stack, .*Pass stack_outputs=False .* to 1 or more of: "
        r"Outputs/Job0, Outputs/Job1, .* and 91 more",
        message,
    )
    assert "Quiet" not in message


def test_200_outputs_are_fine() -> None:
    stack = Stack(App(), "Outputs")
    bucket = s3.Bucket(stack, "Bucket")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    for index in range(100):
        small_job(stack, f"Job{index}", bucket, role=role)
    assert len(Template.from_stack(stack).find_outputs("*")) == 200


def test_more_than_500_resources_of_per_job_roles_suggest_a_shared_role() -> None:
    stack = Stack(App(), "Resources")
    bucket = s3.Bucket(stack, "Bucket")
    for index in range(165):
        small_job(stack, f"Job{index}", bucket, stack_outputs=False)
    message = synth_error(stack)
    assert re.search(
        r"sagemaker-constructs adds 501 resources to stack Resources \(165 constructs\); CloudFormation allows "
        r"500 per stack .*: pass one shared role \(role=iam.Role\(...\), granted by each construct\) to these, "
        r"which each create their own .*: Resources/Job0, .* and 155 more",
        message,
    )


def test_the_library_count_matches_the_template() -> None:
    """The counts the check uses are those of a synthesized template (6 per handler, 3 per job
    with its own role, 1 with a shared role plus one barrier per shared role)."""
    from sagemaker_constructs import _limits

    stack = Stack(App(), "Count")
    bucket = s3.Bucket(stack, "Bucket")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    for index in range(3):
        small_job(stack, f"Own{index}", bucket)
        small_job(stack, f"Shared{index}", bucket, role=role)
    FlowDefinition(stack, "Flow", **required())
    resources = Template.from_stack(stack).to_json()["Resources"]
    theirs = 3  # the bucket, the shared role and its policy
    assert stack.__dict__[_limits._ATTRIBUTE].resources() == len(resources) - theirs
