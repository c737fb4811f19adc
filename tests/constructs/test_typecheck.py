"""A wrong type is a TypeError at construction that names the property, the
value and what to use instead (sagemaker_constructs._typecheck). The cases are
the ones issue 10 lists, each once for every construct that has the property."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from sagemaker_constructs import (
    CompilationJob,
    FlowDefinition,
    Framework,
    ModelSource,
    SearchFilter,
    TargetDevice,
)
from tests.constructs.flow_definition.inputs import required

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_ARN = "arn:aws:iam::123456789012:role/neo"


@pytest.fixture
def stack() -> Stack:
    return Stack(App(), "Types")


def job(stack: Stack, **overrides: Any) -> CompilationJob:
    bucket = s3.Bucket(stack, "Bucket")
    props: dict[str, Any] = {
        "model": ModelSource.from_bucket(bucket, "models/m.tar.gz"),
        "framework": Framework.PYTORCH,
        "data_input_config": {"input0": [1, 3, 224, 224]},
        "target_device": TargetDevice.ML_C5,
        "output_bucket": bucket,
        **overrides,
    }
    return CompilationJob(stack, "Job", **props)


def flow(stack: Stack, **overrides: Any) -> FlowDefinition:
    return FlowDefinition(stack, "Flow", **required(**overrides))


# --- issue 10, table 1: internal errors before ---------------------------------------
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_runtime": 900}, r"max_runtime must be a Duration or None \(got int 900\); use Duration\.seconds"),
        (
            {"model": "s3://models/model.tar.gz"},
            r"model must be a ModelSource \(got str 's3://models/model\.tar\.gz'\); use a ModelSource\.from_\* factory",
        ),
        (
            {"output_bucket": "my-bucket"},
            r"output_bucket must be s3\.IBucket \(got str 'my-bucket'\); .*s3\.Bucket\.from_bucket_name\(",
        ),
        ({"kms_key": KEY_ARN}, r"kms_key must be kms\.IKey or None \(got str 'arn:aws:kms:.*kms\.Key\.from_key_arn\("),
        ({"role": ROLE_ARN}, r"role must be iam\.IRole or None \(got str 'arn:aws:iam::.*iam\.Role\.from_role_arn\("),
        ({"compilation_job_name": 123}, r"compilation_job_name must be a str or None \(got int 123\)"),
    ],
    ids=["max_runtime", "model", "output_bucket", "kms_key", "role", "compilation_job_name"],
)
def test_compilation_job_wrong_type_is_a_type_error_naming_the_property(
    stack: Stack, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        job(stack, **overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"task_count": "1"}, r"task_count must be an int \(not a bool\) or a number token \(got str '1'\)"),
        ({"output_bucket": "my-bucket", "output_s3_uri": None}, r"output_bucket must be s3\.IBucket or None"),
        ({"kms_key": KEY_ARN}, r"kms_key must be kms\.IKey or None .*kms\.Key\.from_key_arn\("),
        ({"role": ROLE_ARN}, r"role must be iam\.IRole or None .*iam\.Role\.from_role_arn\("),
    ],
    ids=["task_count", "output_bucket", "kms_key", "role"],
)
def test_flow_definition_wrong_type_is_a_type_error_naming_the_property(
    stack: Stack, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        flow(stack, **overrides)


# --- issue 10, table 2: silent passes before -------------------------------------------
def test_task_keywords_as_a_bare_string_is_a_type_error(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"task_keywords must be a sequence of str or None \(got str 'image'\)"):
        flow(stack, task_keywords="image")


def test_task_count_with_a_fraction_is_a_type_error(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"task_count must be an int .*\(got float 1\.5\)"):
        flow(stack, task_count=1.5)


@pytest.mark.parametrize("construct", ["job", "flow"])
def test_output_prefix_that_is_not_a_string_is_a_type_error(stack: Stack, construct: str) -> None:
    with pytest.raises(TypeError, match=r"output_prefix must be a str \(got int 5\)"):
        if construct == "job":
            job(stack, output_prefix=5)
        else:
            flow(stack, output_bucket=s3.Bucket(stack, "Out"), output_s3_uri=None, output_prefix=5)


# --- the rules of the one helper ----------------------------------------------------------
def test_a_bool_is_not_an_int(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"task_count must be an int \(not a bool\) .*\(got bool True\)"):
        flow(stack, task_count=True)


def test_a_number_token_is_an_int(stack: Stack) -> None:
    count = CfnParameter(stack, "Count", type="Number").value_as_number
    assert flow(stack, task_count=count).flow_definition_name


def test_an_interface_rejects_a_number(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"output_bucket must be s3\.IBucket \(got int 42\)"):
        job(stack, output_bucket=42)


def test_an_interface_rejects_an_object_of_another_interface(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"role must be iam\.IRole or None \(got Bucket "):
        job(stack, role=s3.Bucket(stack, "NotARole"))


def test_an_imported_resource_fits_its_interface(stack: Stack) -> None:
    role = iam.Role.from_role_arn(stack, "Imported", ROLE_ARN)
    assert job(stack, role=role).role is role


def test_a_sequence_rejects_a_bare_string(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"vpc_subnets must be a sequence of ec2\.ISubnet or None \(got str .*list"):
        job(stack, vpc_subnets="subnet-0123456789abcdef0")


def test_each_item_of_a_sequence_is_checked(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"task_keywords\[1\] must be a str \(got int 7\)"):
        flow(stack, task_keywords=["forms", 7])


def test_an_unknown_property_is_a_type_error_with_a_suggestion(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"unexpected property 'max_runtme' \(did you mean 'max_runtime'\?\)"):
        job(stack, max_runtme=Duration.minutes(5))


def test_a_missing_required_property_is_a_type_error(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"missing required property 'task_title'"):
        FlowDefinition(stack, "Flow", **{k: v for k, v in required().items() if k != "task_title"})


def test_every_wrong_type_is_listed_in_one_error(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"CompilationJob Types/Job: 3 properties of the wrong type") as raised:
        job(stack, max_runtime=900, output_prefix=5, compilation_job_name=123)
    assert [line.split()[1] for line in str(raised.value).splitlines()[1:]] == [
        "max_runtime",
        "output_prefix",
        "compilation_job_name",
    ]


def test_a_failed_construction_leaves_nothing_in_the_tree(stack: Stack) -> None:
    bucket = s3.Bucket(stack, "Models")
    props: dict[str, Any] = {
        "model": ModelSource.from_bucket(bucket, "models/m.tar.gz"),
        "framework": Framework.XGBOOST,
        "target_device": TargetDevice.ML_C5,
        "output_bucket": bucket,
    }
    with pytest.raises(TypeError):
        CompilationJob(stack, "Job", **props, max_runtime=900)
    assert stack.node.try_find_child("Job") is None
    assert CompilationJob(stack, "Job", **props).compilation_job_name  # the id is free for the next try


# --- model source factories -----------------------------------------------------------------
def test_model_source_factory_rejects_a_bucket_name(stack: Stack) -> None:
    with pytest.raises(
        TypeError, match=r"(?s)ModelSource\.from_bucket: .*bucket must be s3\.IBucket \(got str 'models'\)"
    ):
        ModelSource.from_bucket("models", "m.tar.gz")  # type: ignore[arg-type]


def test_best_training_job_filters_must_be_search_filters(stack: Stack) -> None:
    bucket = s3.Bucket(stack, "Training")
    with pytest.raises(TypeError, match=r"filters\[1\] must be a SearchFilter \(got dict "):
        ModelSource.from_best_training_job(
            filters=[SearchFilter("TrainingJobStatus", "Equals", "Completed"), {"Name": "x"}],  # type: ignore[list-item]
            training_output_bucket=bucket,
        )
