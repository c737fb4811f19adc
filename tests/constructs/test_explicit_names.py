"""Explicit names are unique per account and region: two resources with one
name in a stack, or in stacks with the same concrete account and region, are
an error at construction; where the environment is known only at deploy time,
an acknowledgeable warning (sagemaker_constructs._resource.check_explicit_name)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Annotations as CoreAnnotations
from aws_cdk import App, Environment, NestedStack, Stack
from aws_cdk.assertions import Annotations, Match

from sagemaker_constructs import CompilationJob, FlowDefinition
from tests.constructs.builders import small_job
from tests.constructs.flow_definition.inputs import required

PROD = Environment(account="123456789012", region="us-east-1")
WARNING = "sagemaker-constructs:duplicateName"


def job(scope: Any, construct_id: str, name: str) -> CompilationJob:
    return small_job(scope, construct_id, compilation_job_name=name)


def test_same_name_twice_in_one_stack_is_an_error() -> None:
    stack = Stack(App(), "One")
    job(stack, "First", "resnet-neo")
    with pytest.raises(ValueError, match=r"compilation_job_name must be unique in a stack: One/First has it too"):
        job(stack, "Second", "resnet-neo")


def test_names_are_compared_without_case() -> None:
    stack = Stack(App(), "Case")
    job(stack, "First", "ResNet-Neo")
    with pytest.raises(ValueError, match=r"\(got 'resnet-neo'\)"):
        job(stack, "Second", "resnet-neo")


def test_same_name_in_stacks_with_the_same_account_and_region_is_an_error() -> None:
    app = App()
    job(Stack(app, "Blue", env=PROD), "Job", "resnet-neo")
    with pytest.raises(ValueError, match=r"must be unique in account 123456789012 and region us-east-1: Blue/Job"):
        job(Stack(app, "Green", env=PROD), "Job", "resnet-neo")


def test_same_name_in_another_region_is_fine() -> None:
    app = App()
    job(Stack(app, "East", env=PROD), "Job", "resnet-neo")
    west = Stack(app, "West", env=Environment(account="123456789012", region="us-west-2"))
    job(west, "Job", "resnet-neo")
    Annotations.from_stack(west).has_no_warning("/West/Job", Match.any_value())


def test_same_name_in_environment_agnostic_stacks_is_a_warning() -> None:
    app = App()
    job(Stack(app, "Blue"), "Job", "resnet-neo")
    green = Stack(app, "Green")
    job(green, "Job", "resnet-neo")
    Annotations.from_stack(green).has_warning(
        "/Green/Job", Match.string_like_regexp(rf"also used by Blue/Job.*\[ack: {WARNING}\]")
    )


def test_the_warning_can_be_acknowledged() -> None:
    app = App()
    job(Stack(app, "Blue"), "Job", "resnet-neo")
    green = Stack(app, "Green")
    second = job(green, "Job", "resnet-neo")
    CoreAnnotations.of(second).acknowledge_warning(WARNING, "Blue and Green deploy to different accounts")
    Annotations.from_stack(green).has_no_warning("/Green/Job", Match.any_value())


def test_a_nested_stack_shares_its_parents_names() -> None:
    parent = Stack(App(), "Parent")
    job(parent, "Job", "resnet-neo")
    with pytest.raises(ValueError, match=r"must be unique in a stack: Parent/Job has it too"):
        job(NestedStack(parent, "Vision"), "Job", "resnet-neo")


def test_compilation_jobs_and_flow_definitions_have_separate_names() -> None:
    stack = Stack(App(), "Kinds")
    job(stack, "Job", "review")
    assert FlowDefinition(stack, "Flow", **required(flow_definition_name="review")).flow_definition_name == "review"


def test_same_flow_definition_name_twice_is_an_error() -> None:
    stack = Stack(App(), "Flows")
    FlowDefinition(stack, "First", **required(flow_definition_name="review"))
    with pytest.raises(ValueError, match=r"flow_definition_name must be unique in a stack: Flows/First"):
        FlowDefinition(stack, "Second", **required(flow_definition_name="review"))


def test_the_duplicate_is_listed_with_every_other_problem() -> None:
    stack = Stack(App(), "All")
    job(stack, "First", "resnet-neo")
    with pytest.raises(ValueError, match=r"All/Second: 2 invalid properties"):
        small_job(stack, "Second", compilation_job_name="resnet-neo", framework_version="v2.0")
