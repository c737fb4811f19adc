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


# --- issue 16, section 2: on the construct whose tags they are -----------------------------------
def test_a_reserved_tag_added_before_construction_is_reported_with_the_other_problems() -> None:
    stack = Stack(App(), "Tagged")
    Tags.of(stack).add("aws:team", "vision")
    with pytest.raises(ValueError) as raised:
        small_job(stack, "Job", compilation_job_name="bad_name")
    message = str(raised.value)
    assert message.startswith("CompilationJob Tagged/Job: 2 invalid properties:")
    assert "  - compilation_job_name must match" in message
    assert (
        "  - tags tag 'aws:team'='vision': keys starting with 'aws:' are reserved by AWS "
        "(added with Tags.of(Tagged).add) (got 'aws:team')"
    ) in message


def test_an_ownership_tag_on_the_app_is_reported_on_the_flow_definition() -> None:
    app = App()
    stack = Stack(app, "Tagged")
    Tags.of(app).add(_wire.OWNER_STACK_TAG, "mine")
    with pytest.raises(
        ValueError,
        match=rf"FlowDefinition Tagged/Flow: 1 invalid property:\n  - tags tag '{re.escape(_wire.OWNER_STACK_TAG)}'="
        r"'mine': keys starting with .* are reserved .*\(added with Tags.of\(app\).add\)",
    ):
        FlowDefinition(stack, "Flow", **required())


def test_more_than_48_tags_added_before_construction_are_reported_at_construction() -> None:
    stack = Stack(App(), "Tagged")
    for index in range(_wire.MAX_USER_TAGS + 1):
        Tags.of(stack).add(f"tag{index:02d}", "x")
    with pytest.raises(
        ValueError, match=rf"FlowDefinition Tagged/Flow: .*\n  - tags tags: at most {_wire.MAX_USER_TAGS}"
    ):
        FlowDefinition(stack, "Flow", **required())


def test_a_reserved_tag_kept_off_the_resource_type_is_fine() -> None:
    stack = Stack(App(), "Tagged")
    Tags.of(stack).add("aws:team", "vision", exclude_resource_types=[_wire.COMPILATION_JOB.resource_type])
    small_job(stack, "Job")
    Template.from_stack(stack)


def test_a_tag_added_after_construction_names_the_construct_the_tag_and_the_fix_at_synth() -> None:
    stack = stack_with_resources()
    Tags.of(stack).add("aws:team", "vision", include_resource_types=[_wire.COMPILATION_JOB.resource_type])
    message = synth_error(stack)
    assert (
        "CompilationJob Tagged/Job: tag 'aws:team'='vision': keys starting with 'aws:' are reserved by AWS (tags from "
        "Tags.of(...).add are applied at synth: remove the tag there, or keep it off this construct with "
        "Tags.of(...).add(key, value, exclude_resource_types=['Custom::SageMakerCompilationJob']))"
    ) in message
    assert "FlowDefinition" not in message
