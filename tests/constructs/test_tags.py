"""User tags, from Tags.of(...): keys under the handler's ownership prefix or
AWS's ``aws:`` are rejected at synth time, and so are more than
``_wire.MAX_USER_TAGS`` on one resource (sagemaker_constructs._resource)."""

from __future__ import annotations

import re

import pytest
from aws_cdk import App, CfnParameter, Stack, Tags
from aws_cdk.assertions import Template

from sagemaker_constructs import FlowDefinition, _wire
from sagemaker_constructs._resource import user_tag_problems
from tests.constructs.builders import small_job
from tests.constructs.flow_definition.inputs import required


def stack_with_resources() -> Stack:
    stack = Stack(App(), "Tagged")
    small_job(stack, "Job")
    FlowDefinition(stack, "Flow", **required())
    return stack


def synth_error(stack: Stack) -> str:
    with pytest.raises(RuntimeError, match="Validation failed") as raised:
        Template.from_stack(stack)
    return str(raised.value)


def test_a_tag_under_the_ownership_prefix_is_rejected_naming_key_value_and_rule() -> None:
    stack = stack_with_resources()
    Tags.of(stack).add(_wire.OWNER_STACK_TAG, "mine")
    message = synth_error(stack)
    rule = rf"tag '{re.escape(_wire.OWNER_STACK_TAG)}'='mine': keys starting with '{_wire.TAG_PREFIX}' are reserved"
    assert re.search(rf"CompilationJob Tagged/Job: {rule}", message)
    assert re.search(rf"FlowDefinition Tagged/Flow: {rule}", message)


def test_an_aws_tag_is_rejected() -> None:
    stack = stack_with_resources()
    Tags.of(stack).add("aws:team", "vision")
    assert "tag 'aws:team'='vision': keys starting with 'aws:' are reserved by AWS" in synth_error(stack)


def test_more_tags_than_the_handler_leaves_room_for_are_rejected() -> None:
    stack = stack_with_resources()
    for index in range(_wire.MAX_USER_TAGS + 1):
        Tags.of(stack).add(f"tag{index:02d}", "x")
    message = synth_error(stack)
    assert f"tags: at most {_wire.MAX_USER_TAGS} per resource" in message
    assert f"got {_wire.MAX_USER_TAGS + 1}: tag00, tag01" in message


def test_as_many_tags_as_the_handler_leaves_room_for_are_fine() -> None:
    stack = stack_with_resources()
    for index in range(_wire.MAX_USER_TAGS):
        Tags.of(stack).add(f"tag{index:02d}", "x")
    (job,) = Template.from_stack(stack).find_resources(_wire.COMPILATION_JOB.resource_type).values()
    assert len(job["Properties"]["Tags"]) == _wire.MAX_USER_TAGS


def test_a_token_tag_value_is_fine() -> None:
    stack = stack_with_resources()
    Tags.of(stack).add("team", CfnParameter(stack, "Team").value_as_string)
    (job,) = Template.from_stack(stack).find_resources(_wire.COMPILATION_JOB.resource_type).values()
    assert job["Properties"]["Tags"] == [{"Key": "team", "Value": {"Ref": "Team"}}]


def test_the_rules_are_a_function_of_the_tags() -> None:
    assert user_tag_problems({"team": "vision"}) == []
    assert len(user_tag_problems({"AWS:x": "1", f"{_wire.TAG_PREFIX}y": "2"})) == 2
