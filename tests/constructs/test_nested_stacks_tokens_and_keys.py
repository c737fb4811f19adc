"""Edge cases found in review: nested stacks, token names, KMS on artifacts,
removal policies a custom resource cannot have."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, NestedStack, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_constructs import CompilationJob, FlowDefinition, Framework, ModelSource, TargetDevice
from sagemaker_constructs._naming import stack_prefix
from tests.constructs.flow_definition.test_construct import required


def _job(scope: Any, construct_id: str, bucket: s3.IBucket, **kwargs: Any) -> CompilationJob:
    return CompilationJob(
        scope,
        construct_id,
        model=ModelSource.from_bucket(bucket, "models/m.tar.gz"),
        framework=Framework.PYTORCH,
        data_input_config={"input0": [1, 3, 224, 224]},
        target_device=TargetDevice.SITARA_AM57X,
        output_bucket=bucket,
        **kwargs,
    )


def _nested_names(extra_constructs: int) -> tuple[str, str]:
    app = App()
    parent = Stack(app, "Parent")
    for index in range(extra_constructs):
        CfnParameter(parent, f"Unrelated{index}")  # allocates tokens before the nested stacks
    names = []
    for nested_id in ("Vision", "Speech"):
        nested = NestedStack(parent, nested_id)
        names.append(_job(nested, "Job", s3.Bucket(nested, "Models")).compilation_job_name)
    return names[0], names[1]


def test_names_in_nested_stacks_derive_from_parent_and_nested_id_not_a_token() -> None:
    vision, speech = _nested_names(0)
    # Changed (issue 15, defect 8): the identity is Parent/Vision (was Parent-Vision, a top-level name).
    assert vision.startswith(stack_prefix("Parent/Vision"))
    assert speech.startswith(stack_prefix("Parent/Speech"))
    assert "token" not in vision and vision != speech
    assert _nested_names(3) == (vision, speech)  # stable whatever else the app holds


def test_token_flow_definition_name_is_granted_as_given_not_lowercased() -> None:
    stack = Stack(App(), "Tokens")
    name = CfnParameter(stack, "FlowName").value_as_string
    FlowDefinition(stack, "Flow", flow_definition_name=name, **required())
    policies = json.dumps(Template.from_stack(stack).find_resources("AWS::IAM::Policy"))
    assert "${token[" not in policies  # a lowercased token would stay in the template as text
    assert '"Ref": "FlowName"' in policies


def test_imported_job_with_a_token_name_keeps_the_token_in_its_arn() -> None:
    stack = Stack(App(), "Imported")
    name = CfnParameter(stack, "JobName").value_as_string
    imported = CompilationJob.from_compilation_job_name(stack, "Existing", name)
    assert '"Ref": "JobName"' in json.dumps(stack.resolve(imported.compilation_job_arn))


def test_grant_read_artifacts_decrypts_with_the_jobs_kms_key() -> None:
    stack = Stack(App(), "Kms")
    bucket = s3.Bucket(stack, "Models")  # S3-managed encryption: the job's own key encrypts the artifacts
    key = kms.Key(stack, "ArtifactsKey")
    job = _job(stack, "Job", bucket, kms_key=key)
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    job.grant_read_artifacts(reader)
    template = Template.from_stack(stack)
    (policy,) = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": stack.get_logical_id(reader.node.default_child)}]
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    key_arn = {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]}
    assert any("kms:Decrypt" in s["Action"] and s["Resource"] == key_arn for s in statements)


def test_flow_definition_rejects_snapshot_removal_policy() -> None:
    stack = Stack(App(), "Snap")
    with pytest.raises(ValueError, match=r"removal_policy must be DESTROY or RETAIN"):
        FlowDefinition(stack, "Flow", removal_policy=RemovalPolicy.SNAPSHOT, **required())


def test_handler_lambda_is_not_retried_by_lambda_itself() -> None:
    """A timed-out invocation has already answered; an async retry could start a job after the rollback."""
    stack = Stack(App(), "Retries")
    _job(stack, "Job", s3.Bucket(stack, "Models"))
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::EventInvokeConfig", {"MaximumRetryAttempts": 0})


def test_model_package_warns_that_input_configuration_is_not_sent() -> None:
    from aws_cdk.assertions import Annotations, Match

    stack = Stack(App(), "Package")
    CompilationJob(
        stack,
        "Job",
        model=ModelSource.from_model_package("arn:aws:sagemaker:us-east-1:123456789012:model-package/resnet/3"),
        framework=Framework.PYTORCH,
        data_input_config={"input0": [1, 3, 224, 224]},
        target_device=TargetDevice.SITARA_AM57X,
        output_bucket=s3.Bucket(stack, "Out"),
    )
    Annotations.from_stack(stack).has_warning("/Package/Job", Match.string_like_regexp("not sent with a model package"))


def test_a_nested_stack_and_a_top_level_stack_of_the_joined_name_do_not_share_names() -> None:
    """Issue 15, defect 8: nested Vision in Parent, and a top-level Parent-Vision."""
    app = App()
    nested = NestedStack(Stack(app, "Parent"), "Vision")
    top = Stack(app, "Parent-Vision")
    in_nested = _job(nested, "Job", s3.Bucket(nested, "Models")).compilation_job_name
    in_top = _job(top, "Job", s3.Bucket(top, "Models")).compilation_job_name
    assert in_nested != in_top
    nested_prefix = nested.node.find_child("SmcCompilationJobHandler").name_prefix  # type: ignore[attr-defined]
    top_prefix = top.node.find_child("SmcCompilationJobHandler").name_prefix  # type: ignore[attr-defined]
    assert in_nested.startswith(nested_prefix) and in_top.startswith(top_prefix)
    assert not in_nested.startswith(top_prefix) and not in_top.startswith(nested_prefix)
