"""Region and account (issue 16, sections 1 and 2): a KMS key, a work team or human task
UI of another region is rejected at construction where the stack's region is known; a key
of another account is fine; an environment-agnostic stack cannot be checked. A bucket of a
stack in another region (CDK's CannotUseCrossEnvironment before) is one ValueError naming
the property and the fix."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from sagemaker_constructs import CompilationJob, FlowDefinition
from tests.constructs.builders import small_job
from tests.constructs.flow_definition.inputs import UI, WORKTEAM, required

EAST = Environment(account="123456789012", region="us-east-1")
WEST_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_ACCOUNT_KEY = "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def job(stack: Stack, bucket: s3.IBucket | None = None, **overrides: Any) -> CompilationJob:
    return small_job(stack, "Job", bucket, **overrides)


# --- KMS keys -------------------------------------------------------------------------------------
def test_a_job_key_of_another_region_is_rejected() -> None:
    stack = Stack(App(), "Env", env=EAST)
    key = kms.Key.from_key_arn(stack, "Key", WEST_KEY)
    with pytest.raises(
        ValueError,
        match=r"CompilationJob Env/Job: 1 invalid property:\n  - kms_key must be a key in this stack's region "
        rf"us-east-1, not eu-west-1: .*\(got '{WEST_KEY}'\)",
    ):
        job(stack, kms_key=key)


def test_a_job_key_of_another_account_is_allowed() -> None:
    stack = Stack(App(), "Env", env=EAST)
    assert job(stack, kms_key=kms.Key.from_key_arn(stack, "Key", OTHER_ACCOUNT_KEY)).compilation_job_name


def test_a_flow_output_key_of_another_region_is_rejected() -> None:
    stack = Stack(App(), "Env", env=EAST)
    key = kms.Key.from_key_arn(stack, "Key", WEST_KEY)
    with pytest.raises(
        ValueError, match=r"FlowDefinition Env/Flow: 1 invalid property:\n  - kms_key must be a key in this stack's"
    ):
        FlowDefinition(stack, "Flow", **required(kms_key=key))


def test_a_key_of_a_stack_in_another_region_is_rejected() -> None:
    app = App()
    west = Stack(app, "West", env=Environment(account="123456789012", region="eu-west-1"))
    key = kms.Key(west, "Key")
    stack = Stack(app, "Env", env=EAST)
    with pytest.raises(ValueError, match=r"kms_key must be a key in this stack's region us-east-1, not eu-west-1"):
        job(stack, kms_key=key)


# --- work team and human task UI ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prop", "arn"),
    [
        ("workteam_arn", WORKTEAM.replace("us-east-1", "us-west-2")),
        ("human_task_ui_arn", UI.replace("us-east-1", "eu-central-1")),
    ],
)
def test_a_workteam_or_ui_of_another_region_is_rejected(prop: str, arn: str) -> None:
    stack = Stack(App(), "Env", env=EAST)
    region = arn.split(":")[3]
    with pytest.raises(
        ValueError,
        match=rf"FlowDefinition Env/Flow: 1 invalid property:\n  - {prop} must be in this stack's region "
        rf"us-east-1, not {region}: .*\(got '{arn}'\)",
    ):
        FlowDefinition(stack, "Flow", **required(**{prop: arn}))


def test_the_public_workforce_of_another_account_is_allowed() -> None:
    stack = Stack(App(), "Env", env=EAST)
    public = "arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default"
    assert FlowDefinition(stack, "Flow", **required(workteam_arn=public)).flow_definition_name


def test_an_environment_agnostic_stack_checks_no_region() -> None:
    stack = Stack(App(), "Agnostic")
    key = kms.Key.from_key_arn(stack, "Key", WEST_KEY)
    FlowDefinition(stack, "Flow", **required(kms_key=key, workteam_arn=WORKTEAM.replace("us-east-1", "us-west-2")))


# --- buckets of another stack's environment (section 2) ------------------------------------------
def test_an_output_bucket_of_a_stack_in_another_region_names_the_property_and_the_fix() -> None:
    app = App()
    west = Stack(app, "West", env=Environment(account="123456789012", region="eu-west-1"))
    bucket = s3.Bucket(west, "Models")
    stack = Stack(app, "Env", env=EAST)
    with pytest.raises(
        ValueError,
        match=r"CompilationJob Env/Job: 1 invalid property:\n  - output_bucket is a bucket of stack West "
        r"\(account 123456789012, region eu-west-1\), which this stack \(account 123456789012, region us-east-1\) "
        r"cannot reference \(CDK: CannotUseCrossEnvironment\); SageMaker needs the bucket in the stack's region",
    ):
        job(stack, bucket=bucket)


def test_a_flow_output_bucket_of_a_stack_in_another_account_names_the_property() -> None:
    app = App()
    other = Stack(app, "Other", env=Environment(account="210987654321", region="us-east-1"))
    bucket = s3.Bucket(other, "Reviews")
    stack = Stack(app, "Env", env=EAST)
    with pytest.raises(ValueError, match=r"output_bucket is a bucket of stack Other .*CannotUseCrossEnvironment"):
        FlowDefinition(stack, "Flow", **required(output_s3_uri=None, output_bucket=bucket))


def test_a_bucket_of_a_stack_in_the_same_environment_is_fine() -> None:
    app = App()
    storage = Stack(app, "Storage", env=EAST)
    bucket = s3.Bucket(storage, "Models")
    assert job(Stack(app, "Env", env=EAST), bucket=bucket).compilation_job_name
