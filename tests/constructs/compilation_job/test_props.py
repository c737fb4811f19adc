"""CompilationJobProps: one typed place for the props, validated by a function
of the props alone (no stack needed), and reusable across targets and stacks."""

from __future__ import annotations

from typing import cast

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_s3 as s3

from sagemaker_constructs import CompilationJob, CompilationJobProps, Framework, ModelSource, TargetDevice
from sagemaker_constructs.compilation_job.props import validate, warnings
from sagemaker_constructs.model_source import ModelSource as ModelSourceClass


def props_without_a_stack(**overrides: object) -> CompilationJobProps:
    # validate() reads no construct: the output bucket is not needed to find the problems.
    props = {
        "model": ModelSource.from_s3_uri("s3://models/resnet18.tar.gz"),
        "framework": Framework.PYTORCH,
        "data_input_config": {"input0": [1, 3, 224, 224]},
        "target_device": TargetDevice.ML_C5,
        **overrides,
    }
    return cast(CompilationJobProps, props)


def test_valid_props_have_no_problems() -> None:
    assert validate(props_without_a_stack()) == []


def test_validate_returns_every_problem_with_property_value_and_rule() -> None:
    problems = validate(
        props_without_a_stack(
            framework="CAFFE",
            compilation_job_name="bad_name",
            max_runtime=Duration.hours(2),
            output_prefix="/x/",
        )
    )
    assert [(p.prop, p.value) for p in problems] == [
        ("framework", "CAFFE"),
        ("compilation_job_name", "bad_name"),
        ("output_prefix", "/x/"),
        ("max_runtime", "7200 s"),
    ]
    assert str(problems[0]).startswith("framework must be one of TENSORFLOW, ")
    assert str(problems[0]).endswith("(got 'CAFFE')")


def test_warnings_are_a_function_of_the_props_too() -> None:
    found = warnings(props_without_a_stack(framework=Framework.XGBOOST, output_prefix="compiled"))
    assert [warning_id for warning_id, _ in found] == [
        "sagemaker-constructs:xgboostDataInput",
        "sagemaker-constructs:outputPrefixSeparator",
    ]


def test_props_are_built_once_and_reused_across_targets() -> None:
    stack = Stack(App(), "Reuse")
    bucket = s3.Bucket(stack, "Models")
    common: CompilationJobProps = {
        "model": ModelSource.from_bucket(bucket, "models/resnet18.tar.gz"),
        "framework": Framework.PYTORCH,
        "data_input_config": {"input0": [1, 3, 224, 224]},
        "output_bucket": bucket,
        "output_prefix": "compiled/",
    }
    edge_props: CompilationJobProps = {**common, "target_device": TargetDevice.SITARA_AM57X}
    cloud_props: CompilationJobProps = {**common, "target_device": TargetDevice.ML_C5}
    edge = CompilationJob(stack, "Edge", **edge_props)
    cloud = CompilationJob(stack, "Cloud", **cloud_props)
    assert edge.compilation_job_name != cloud.compilation_job_name
    assert edge.output_prefix == cloud.output_prefix == "compiled/"
    assert isinstance(common["model"], ModelSourceClass)  # the props are not copied or changed
