"""The scope (issue 16, section 2): a None scope, and a construct directly under the App,
fail before anything is added with a message naming the construct, ``scope`` and the fix
(before: AttributeError 'NoneType' object has no attribute 'node', and jsii's "No stack
could be identified")."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_constructs import CompilationJob, FlowDefinition, Framework, ModelSource, TargetDevice
from tests.constructs.flow_definition.inputs import required


@pytest.mark.parametrize("kind", ["CompilationJob", "FlowDefinition"])
def test_a_none_scope_names_the_construct_and_the_fix(kind: str) -> None:
    construct: Any = CompilationJob if kind == "CompilationJob" else FlowDefinition
    with pytest.raises(
        TypeError,
        match=rf"{kind} Job: scope must be a construct in a Stack \(got None\); pass a Stack, or a construct "
        rf"inside one: {kind}\(stack, 'Job', \.\.\.\)",
    ):
        construct(None, "Job", **required())


def test_a_construct_directly_under_the_app_names_the_construct_and_the_fix() -> None:
    app = App()
    with pytest.raises(
        ValueError,
        match=r"FlowDefinition Flow: 1 invalid property:\n  - scope must be a construct in a Stack \(got the App, "
        r"which has no Stack above it\); pass a Stack, .*Stack\(app, 'MyStack'\)",
    ):
        FlowDefinition(app, "Flow", **required())
    assert app.node.try_find_child("Flow") is None


def test_a_construct_below_a_plain_construct_under_the_app_names_its_path() -> None:
    app = App()
    group = Construct(app, "Group")
    with pytest.raises(
        ValueError,
        match=r"CompilationJob Group/Job: 1 invalid property:\n  - scope must be a construct in a Stack \(got 'Group'",
    ):
        CompilationJob(
            group,
            "Job",
            model=ModelSource.from_s3_uri("s3://models/m.tar.gz"),
            framework=Framework.XGBOOST,
            target_device=TargetDevice.ML_C5,
            output_bucket=s3.Bucket(Stack(app, "Storage"), "Out"),
        )
