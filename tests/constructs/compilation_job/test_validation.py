"""One test per synth-time validation rule of CompilationJob.

Validation raises before anything is synthesized, so each test builds its job
in a fresh stack and never synthesizes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import Annotations as CoreAnnotations
from aws_cdk import App, CfnParameter, Duration, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_constructs import (
    CompilationJob,
    Framework,
    ModelSource,
    TargetDevice,
    TargetPlatform,
    TargetPlatformArch,
    TargetPlatformOs,
)
from sagemaker_constructs._naming import stack_prefix

NCHW = {"input0": [1, 3, 224, 224]}


def new_stack() -> Stack:
    return Stack(App(), "ValidationStack")


def make_job(stack: Stack | None = None, **overrides: Any) -> CompilationJob:
    stack = stack or new_stack()
    bucket = s3.Bucket(stack, "Bucket")
    props: dict[str, Any] = {
        "model": ModelSource.from_bucket(bucket, "models/resnet18.tar.gz"),
        "framework": Framework.PYTORCH,
        "data_input_config": NCHW,
        "target_device": TargetDevice.SITARA_AM57X,
        "output_bucket": bucket,
    }
    props.update(overrides)
    return CompilationJob(stack, "Job", **props)


def problem_lines(error: pytest.ExceptionInfo[ValueError]) -> list[str]:
    return [line for line in str(error.value).splitlines() if line.startswith("  - ")]


# --- name -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["-starts-with-hyphen", "has_underscore", "ends-with-", "x" * 64, ""])
def test_name_breaking_the_pattern_is_rejected(name: str) -> None:
    with pytest.raises(ValueError, match=r"compilation_job_name must match \[a-zA-Z0-9\]") as error:
        make_job(compilation_job_name=name)
    assert repr(name) in str(error.value)


# --- model URI --------------------------------------------------------------------
@pytest.mark.parametrize("uri", ["ftp://models/x.tar.gz", "models/x.tar.gz", "s3://bucket-only.tar.gz"])
def test_model_uri_that_is_not_s3_or_https_is_rejected(uri: str) -> None:
    with pytest.raises(ValueError, match=r"model must be an s3:// or https:// URI of an object"):
        make_job(model=ModelSource.from_s3_uri(uri))


@pytest.mark.parametrize("uri", ["s3://models/resnet18.zip", "s3://models/resnet18.tar", "https://h/m.tgz"])
def test_model_uri_not_ending_in_tar_gz_is_rejected(uri: str) -> None:
    with pytest.raises(ValueError, match=r"model must end in \.tar\.gz") as error:
        make_job(model=ModelSource.from_s3_uri(uri))
    assert "s3:// or https://" not in str(error.value)


def test_bucket_key_not_ending_in_tar_gz_is_rejected() -> None:
    stack = new_stack()
    models = s3.Bucket(stack, "Models")
    with pytest.raises(ValueError, match=r"model must end in \.tar\.gz .*'models/resnet18\.pt'"):
        make_job(stack, model=ModelSource.from_bucket(models, "models/resnet18.pt"))


def test_asset_that_is_not_a_tar_gz_is_rejected(tmp_path: Any) -> None:
    path = tmp_path / "model.zip"
    path.write_bytes(b"PK")
    with pytest.raises(ValueError, match=r"model must be a \.tar\.gz file"):
        make_job(model=ModelSource.from_asset(path))


def test_https_model_uri_is_accepted() -> None:
    job = make_job(model=ModelSource.from_s3_uri("https://models.s3.amazonaws.com/resnet18.tar.gz"))
    assert job.compilation_job_name


# --- data_input_config required -------------------------------------------------
@pytest.mark.parametrize(
    "framework", [Framework.TENSORFLOW, Framework.KERAS, Framework.MXNET, Framework.ONNX, Framework.DARKNET]
)
def test_missing_data_input_config_is_rejected(framework: Framework) -> None:
    with pytest.raises(ValueError, match=rf"data_input_config is required for {framework.value} \(got None\)"):
        make_job(framework=framework, data_input_config=None)


@pytest.mark.parametrize("version", [None, "1.13", "1.8.1"])
def test_missing_data_input_config_for_pytorch_before_2_is_rejected(version: str | None) -> None:
    with pytest.raises(ValueError, match=r"data_input_config is required for PYTORCH unless framework_version is 2\.0"):
        make_job(data_input_config=None, framework_version=version)


def test_missing_data_input_config_for_pytorch_2_is_accepted() -> None:
    job = make_job(data_input_config=None, framework_version="2.0")
    assert job.compilation_job_name.startswith(f"{stack_prefix('ValidationStack')}job-")


@pytest.mark.parametrize("framework", [Framework.XGBOOST, Framework.TFLITE, Framework.SKLEARN])
def test_missing_data_input_config_is_accepted_where_not_required(framework: Framework) -> None:
    assert make_job(framework=framework, data_input_config=None).compilation_job_name


# --- data_input_config shape ------------------------------------------------------
@pytest.mark.parametrize("config", [{}, "not json", '"a string"', {"": [1, 3]}])
def test_data_input_config_that_is_not_a_mapping_is_rejected(config: Any) -> None:
    with pytest.raises(ValueError, match=r"data_input_config (must|input names)"):
        make_job(data_input_config=config)


@pytest.mark.parametrize(
    "shape", [[1, 3, 0, 224], [1, -3, 224, 224], [], [1.5, 3], ["1", 3], [True, 3], 224, {"shape": [1, 3]}]
)
def test_bad_shape_is_rejected(shape: Any) -> None:
    with pytest.raises(ValueError, match=r"data_input_config\[input0\] must be a shape: a list of positive integers"):
        make_job(data_input_config={"input0": shape})


def test_bad_shape_in_json_string_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"data_input_config\[data\] must be a shape"):
        make_job(framework=Framework.MXNET, data_input_config='{"data": [1, 3, "224"]}')


@pytest.mark.parametrize("framework", [Framework.TENSORFLOW, Framework.ONNX])
def test_list_of_shapes_for_non_pytorch_is_rejected(framework: Framework) -> None:
    with pytest.raises(ValueError, match=r"data_input_config may be a list of shapes only for PYTORCH"):
        make_job(framework=framework, data_input_config=[[1, 3, 224, 224]])


def test_list_of_shapes_for_pytorch_is_accepted() -> None:
    assert make_job(data_input_config=[[1, 3, 224, 224], [1, 3, 64, 64]]).compilation_job_name


def test_bad_shape_in_pytorch_list_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"data_input_config\[\[1\]\] must be a shape"):
        make_job(data_input_config=[[1, 3, 224, 224], [1, 0]])


@pytest.mark.parametrize(
    "config",
    [
        {"input_1": {"shape": ["1..10", 224, 224, 3], "default_shape": [1, 224, 224, 3]}},
        {"input_1": {"shape": [[1, 224, 224, 3], [1, 160, 160, 3]], "default_shape": [1, 224, 224, 3]}},
        {"input_1": {"shape": [1, "1..-1", 3], "type": "Image", "bias": [-1, -1, -1], "scale": 0.007843}},
        {"input_1": [1, 224, 224, 3]},
    ],
)
def test_coreml_object_form_is_accepted(config: Any) -> None:
    job = make_job(framework=Framework.TENSORFLOW, target_device=TargetDevice.COREML, data_input_config=config)
    assert job.compilation_job_name


@pytest.mark.parametrize(
    ("config", "rule"),
    [
        ({"input_1": {"default_shape": [1, 3]}}, r'must be a shape or a \{"shape"'),
        ({"input_1": {"shape": ["0..10", 224]}}, r"shape must be a list of positive integers or ranges"),
        ({"input_1": {"shape": [1, "a..b"]}}, r"shape must be a list of positive integers or ranges"),
        ({"input_1": {"shape": [1, 224], "default_shape": ["1..2"]}}, r"default_shape must be a list of positive"),
        ({"input_1": {"shape": [1, 224], "type": "Audio"}}, r"type must be Image or Tensor"),
        ({"input_1": {"shape": [1, 224], "colour": "red"}}, r"has unknown keys \['colour'\]"),
    ],
)
def test_coreml_object_form_that_is_invalid_is_rejected(config: Any, rule: str) -> None:
    with pytest.raises(ValueError, match=rf"data_input_config\[input_1\] {rule}"):
        make_job(framework=Framework.TENSORFLOW, target_device=TargetDevice.COREML, data_input_config=config)


def test_coreml_object_form_for_another_target_is_rejected() -> None:
    config = {"input_1": {"shape": ["1..10", 224, 224, 3]}}
    with pytest.raises(ValueError, match=r"data_input_config\[input_1\] must be a shape"):
        make_job(framework=Framework.TENSORFLOW, target_device=TargetDevice.ML_C5, data_input_config=config)


def test_data_input_config_longer_than_16384_serialized_is_rejected() -> None:
    config = {f"input_{i:04d}": [1, 3, 224, 224] for i in range(700)}
    assert len(json.dumps(config, separators=(",", ":"))) > 16384
    with pytest.raises(ValueError, match=r"data_input_config must be at most 16384 characters when serialized"):
        make_job(data_input_config=config)


def test_data_input_config_string_is_measured_as_given() -> None:
    compact = json.dumps({"input0": [1, 3, 224, 224]})
    padded = compact[:-1] + " " * 16400 + "}"  # valid JSON, too long as sent
    with pytest.raises(ValueError, match=r"data_input_config must be at most 16384 characters"):
        make_job(data_input_config=padded)


# --- target -----------------------------------------------------------------------
def test_both_target_device_and_platform_are_rejected() -> None:
    platform = TargetPlatform(os=TargetPlatformOs.LINUX, arch=TargetPlatformArch.ARM64)
    with pytest.raises(ValueError, match=r"target_device/target_platform exactly one of the two must be given"):
        make_job(target_platform=platform)


def test_neither_target_device_nor_platform_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"target_device/target_platform exactly one of the two must be given"):
        make_job(target_device=None)


@pytest.mark.parametrize(
    ("platform", "prop"),
    [
        (TargetPlatform(os="WINDOWS", arch="ARM64"), "os"),
        (TargetPlatform(os="linux", arch="ARM64"), "os"),
        (TargetPlatform(os="LINUX", arch="ARM32"), "arch"),
        (TargetPlatform(os="LINUX", arch=TargetPlatformOs.LINUX), "arch"),
        (TargetPlatform(os="LINUX", arch="ARM64", accelerator="TPU"), "accelerator"),
    ],
)
def test_platform_value_outside_the_enum_is_rejected(platform: TargetPlatform, prop: str) -> None:
    with pytest.raises(ValueError, match=rf"target_platform\.{prop} must be one of "):
        make_job(target_device=None, target_platform=platform)


def test_platform_plain_strings_are_accepted() -> None:
    platform = TargetPlatform(os="ANDROID", arch="ARM64", accelerator="MALI")
    assert make_job(target_device=None, target_platform=platform).compilation_job_name


def test_unknown_target_device_string_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"target_device must be a known device; use TargetDevice\.of"):
        make_job(target_device="sitara_am58x")


def test_framework_outside_the_enum_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"framework must be one of TENSORFLOW, .*SKLEARN \(got 'CAFFE'\)"):
        make_job(framework="CAFFE")


# --- max_runtime ----------------------------------------------------------------------
@pytest.mark.parametrize("runtime", [Duration.millis(500), Duration.seconds(0)])
def test_max_runtime_under_one_second_is_rejected(runtime: Duration) -> None:
    with pytest.raises(ValueError, match=r"max_runtime must be at least 1 second"):
        make_job(max_runtime=runtime)


@pytest.mark.parametrize("runtime", [Duration.minutes(56), Duration.hours(1), Duration.seconds(55 * 60 + 1)])
def test_max_runtime_over_55_minutes_is_rejected_mentioning_the_one_hour_wait(runtime: Duration) -> None:
    with pytest.raises(ValueError, match=r"max_runtime must be at most 55 minutes") as error:
        make_job(max_runtime=runtime)
    assert re.search(r"CloudFormation waits at most one hour .*ServiceTimeout", str(error.value))


def test_max_runtime_of_exactly_55_minutes_is_accepted() -> None:
    assert make_job(max_runtime=Duration.minutes(55)).compilation_job_name


# --- other properties -------------------------------------------------------------
def test_compiler_options_too_long_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"compiler_options must be 3 to 1024 characters long \(1030 given\)") as error:
        make_job(compiler_options={"x": "y" * 1022})
    assert re.search(r"\(got '\{\"x\":\"y+\.\.\. \(1032 characters\)\)$", str(error.value))


def test_framework_version_breaking_the_pattern_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"framework_version must match \[0-9\]\\\.\[A-Za-z0-9\.\]\+"):
        make_job(framework_version="v2")


def test_vpc_subnets_without_security_groups_is_rejected() -> None:
    from aws_cdk import aws_ec2 as ec2

    stack = new_stack()
    subnet = ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123456789abcdef0")
    with pytest.raises(ValueError, match=r"vpc_subnets/security_groups must be given together"):
        make_job(stack, vpc_subnets=[subnet])


# --- collecting ---------------------------------------------------------------------
def test_several_problems_raise_one_error_listing_all() -> None:
    with pytest.raises(ValueError, match=r"CompilationJob ValidationStack/Job: 5 invalid properties:") as error:
        make_job(
            compilation_job_name="bad_name",
            model=ModelSource.from_s3_uri("ftp://x/model.zip"),
            framework=Framework.ONNX,
            data_input_config=None,
            max_runtime=Duration.hours(2),
        )
    lines = problem_lines(error)
    assert len(lines) == 5
    joined = "\n".join(lines)
    for expected in (
        "compilation_job_name must match",
        "model must be an s3:// or https:// URI",
        "model must end in .tar.gz",
        "data_input_config is required for ONNX",
        "max_runtime must be at most 55 minutes",
    ):
        assert expected in joined


def test_every_problem_line_names_property_rule_and_value() -> None:
    with pytest.raises(ValueError) as error:
        make_job(compilation_job_name="a_b", target_device="nope", max_runtime=Duration.seconds(0))
    lines = problem_lines(error)
    assert len(lines) == 3
    assert all(re.fullmatch(r"  - [a-z_./]+ .+ \(got .+\)", line) for line in lines), lines


# --- tokens are skipped -----------------------------------------------------------------
def test_token_model_key_and_name_are_not_validated() -> None:
    stack = new_stack()
    key = CfnParameter(stack, "ModelKey").value_as_string
    name = CfnParameter(stack, "JobName").value_as_string
    models = s3.Bucket(stack, "Models")
    job = make_job(stack, model=ModelSource.from_bucket(models, key), compilation_job_name=name)
    assert job.compilation_job_name == name


def test_token_model_uri_is_not_validated() -> None:
    stack = new_stack()
    uri = CfnParameter(stack, "ModelUri").value_as_string
    job = make_job(stack, model=ModelSource.from_s3_uri(uri))
    assert job.compilation_job_name.startswith(f"{stack_prefix('ValidationStack')}job-")


def test_token_data_input_config_and_platform_are_not_validated() -> None:
    stack = new_stack()
    shape = CfnParameter(stack, "Shape").value_as_string
    arch = CfnParameter(stack, "Arch").value_as_string
    job = make_job(
        stack,
        framework=Framework.TENSORFLOW,
        data_input_config=shape,
        target_device=None,
        target_platform=TargetPlatform(os="LINUX", arch=arch),
    )
    assert job.compilation_job_name


def test_max_runtime_with_a_fraction_of_a_second_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"max_runtime must be a whole number of seconds \(got '90.5 s'\)"):
        make_job(max_runtime=Duration.millis(90_500))


def test_snapshot_removal_policy_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"removal_policy must be DESTROY or RETAIN"):
        make_job(removal_policy=RemovalPolicy.SNAPSHOT)


def test_token_max_runtime_is_not_validated_and_gets_the_hour_as_service_timeout() -> None:
    stack = new_stack()
    runtime = CfnParameter(stack, "MaxRuntime", type="Number").value_as_number
    make_job(stack, max_runtime=Duration.seconds(runtime))
    (resource,) = Template.from_stack(stack).find_resources("Custom::SageMakerCompilationJob").values()
    properties = resource["Properties"]
    assert properties["StoppingCondition"] == {"MaxRuntimeInSeconds": {"Ref": "MaxRuntime"}}
    assert properties["ServiceTimeout"] == "3600"


def test_token_max_runtime_in_minutes_is_rejected_as_it_cannot_be_converted() -> None:
    stack = new_stack()
    runtime = CfnParameter(stack, "MaxRuntime", type="Number").value_as_number
    with pytest.raises(ValueError, match=r"max_runtime must be Duration\.seconds\(\.\.\.\) when it comes from a token"):
        make_job(stack, max_runtime=Duration.minutes(runtime))


def test_token_output_prefix_is_used_as_given_without_a_warning() -> None:
    stack = new_stack()
    prefix = CfnParameter(stack, "Prefix").value_as_string
    job = make_job(stack, output_prefix=prefix)
    assert job.artifacts_prefix == f"{prefix}{job.compilation_job_name}/"
    Annotations.from_stack(stack).has_no_warning("/ValidationStack/Job", Match.any_value())


# --- output_prefix ------------------------------------------------------------------------
def test_output_prefix_with_a_leading_slash_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"output_prefix must not start with '/'.* \(got '/compiled/'\)"):
        make_job(output_prefix="/compiled/")


def test_output_prefix_without_a_trailing_slash_warns() -> None:
    stack = new_stack()
    make_job(stack, output_prefix="compiled")
    Annotations.from_stack(stack).has_warning(
        "/ValidationStack/Job",
        Match.string_like_regexp(r"output_prefix 'compiled' does not end in '/'.*\[ack: sagemaker-constructs:output"),
    )


def test_output_prefix_warning_can_be_acknowledged() -> None:
    stack = new_stack()
    job = make_job(stack, output_prefix="compiled-")
    CoreAnnotations.of(job).acknowledge_warning("sagemaker-constructs:outputPrefixSeparator", "flat key layout")
    Annotations.from_stack(stack).has_no_warning("/ValidationStack/Job", Match.any_value())


def test_output_prefix_ending_in_a_slash_does_not_warn() -> None:
    stack = new_stack()
    make_job(stack, output_prefix="compiled/")
    Annotations.from_stack(stack).has_no_warning("/ValidationStack/Job", Match.any_value())


# --- compiler_options ------------------------------------------------------------------------
def test_compiler_options_that_are_not_json_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"compiler_options must be valid JSON \(.*\) \(got '\{nope'\)"):
        make_job(compiler_options="{nope")


def test_a_warning_is_acknowledged_with_annotations_of_job() -> None:
    stack = new_stack()
    job = make_job(stack, framework=Framework.XGBOOST, data_input_config={"data": [1, 10]})
    Annotations.from_stack(stack).has_warning("/ValidationStack/Job", Match.string_like_regexp("XGBOOST"))
    CoreAnnotations.of(job).acknowledge_warning("sagemaker-constructs:xgboostDataInput", "kept for the record")
    Annotations.from_stack(stack).has_no_warning("/ValidationStack/Job", Match.any_value())
