"""CompilationJob's props, and their validation: a function of the props alone.

This module deliberately has no ``from __future__ import annotations``: the
``Required[...]`` markers of the TypedDict are read at run time.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Required, TypedDict

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from .. import _environment, _s3, _wire
from .._service_model import check_string, key_and_role_problems
from .._validation import Problem, Problems, contains_token, is_token, output_prefix_warning
from ..model_source import ModelSource
from ..targets import (
    RETIRED_DEVICES,
    SINGLE_REGION_DEVICES,
    Framework,
    TargetDevice,
    TargetPlatform,
    TargetPlatformAccelerator,
    TargetPlatformArch,
    TargetPlatformOs,
)
from . import data_input

DEFAULT_MAX_RUNTIME_SECONDS = 15 * 60
# CloudFormation waits at most SERVICE_TIMEOUT_MAX_SECONDS for a custom resource;
# the handler keeps the margin beyond max_runtime to stop the job and answer.
MAX_RUNTIME_LIMIT_SECONDS = _wire.SERVICE_TIMEOUT_MAX_SECONDS - _wire.SERVICE_TIMEOUT_MARGIN_SECONDS
# S3OutputLocation is at most 1024 characters: s3://, a bucket name (63), '/', the job name (63) and '/'.
OUTPUT_PREFIX_MAX = 1024 - len("s3://") - 63 - 1 - 63 - 1

API = _wire.COMPILATION_JOB.create_operation  # where the service model has each member
# OutputConfig.CompilerOptions' documentation in the service model: "required for NVIDIA
# accelerators", with these options (gpu-code is also spelled gpu_code there).
# test_service_rules checks the names against the installed model's documentation.
NVIDIA_COMPILER_OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    # option: (accepted spellings, what it is)
    "gpu-code": (("gpu-code", "gpu_code"), "the targeted GPU architecture, e.g. sm_72"),
    "trt-ver": (("trt-ver",), "the TensorRT version, x.y.z"),
    "cuda-ver": (("cuda-ver",), "the CUDA version, x.y"),
}

XGBOOST_WARNING = "sagemaker-constructs:xgboostDataInput"
MODEL_PACKAGE_WARNING = "sagemaker-constructs:modelPackageInputIgnored"
RETIRED_TARGET_WARNING = "sagemaker-constructs:retiredTarget"
TARGET_REGION_WARNING = "sagemaker-constructs:targetRegion"


class CompilationJobProps(TypedDict, total=False):
    """The props of a :class:`~sagemaker_constructs.CompilationJob`, for
    ``CompilationJob(scope, id, **props)``. Build them in one place and reuse
    them across targets and stacks: ``cloud: CompilationJobProps = {**common,
    "target_device": TargetDevice.ML_C5}``; mypy checks them like keyword arguments.

    :param model: where the trained model is (``ModelSource.from_*``): ``InputConfig.S3Uri`` or
        ``ModelPackageVersionArn``. Required.
    :param framework: ``InputConfig.Framework``: a :class:`Framework` member or its string. Required.
    :param output_bucket: bucket for the compiled artifacts (``OutputConfig.S3OutputLocation``). Required.
    :param data_input_config: ``InputConfig.DataInputConfig``: a mapping of input name to shape,
        a list of shapes (PyTorch only) or a JSON string. Required for TENSORFLOW, KERAS, MXNET,
        ONNX, DARKNET, and PYTORCH before 2.0. Default: none.
    :param target_device: ``OutputConfig.TargetDevice``. Exactly one of this and ``target_platform``.
        Default: none.
    :param target_platform: ``OutputConfig.TargetPlatform``. Default: none.
    :param output_prefix: key prefix in ``OutputConfig.S3OutputLocation``; each job writes below
        ``<output_prefix><job name>/``. No leading ``/``; end it with ``/`` (a warning says so
        otherwise). Default: "".
    :param role: the role SageMaker assumes (``RoleArn``). Default: a new one with least privilege.
    :param max_runtime: ``StoppingCondition.MaxRuntimeInSeconds``, 1 second to 55 minutes
        (``Duration.seconds(token)`` is checked at deploy time). Default: 15 minutes.
    :param compilation_job_name: ``CompilationJobName``, unique per account and region.
        Default: generated (``<stack prefix><path>-<hash>``).
    :param framework_version: ``InputConfig.FrameworkVersion``. Default: none.
    :param compiler_options: ``OutputConfig.CompilerOptions``: a mapping or a JSON string. Default: none.
    :param vpc_subnets: ``VpcConfig.Subnets`` (1 to 16, with ``security_groups``). Default: no VPC.
    :param security_groups: ``VpcConfig.SecurityGroupIds`` (1 to 5). Default: no VPC.
    :param kms_key: ``OutputConfig.KmsKeyId`` for the artifacts. Default: the bucket's encryption.
    :param removal_policy: what deleting the resource does (not an API field): DESTROY stops and
        deletes the job; RETAIN leaves it (SNAPSHOT is rejected). Default: DESTROY.
    :param stack_outputs: add CfnOutputs for the ARN and the artifact URI (not an API field).
        Default: True.
    """

    model: Required[ModelSource]
    framework: Required[Framework | str]
    output_bucket: Required[s3.IBucket]
    data_input_config: Mapping[str, Any] | Sequence[Any] | str | None
    target_device: TargetDevice | str | None
    target_platform: TargetPlatform | None
    output_prefix: str
    role: iam.IRole | None
    max_runtime: Duration | None
    compilation_job_name: str | None
    framework_version: str | None
    compiler_options: Mapping[str, Any] | str | None
    vpc_subnets: Sequence[ec2.ISubnet] | None
    security_groups: Sequence[ec2.ISecurityGroup] | None
    kms_key: kms.IKey | None
    removal_policy: RemovalPolicy
    stack_outputs: bool


TYPE_HINTS: dict[Any, str] = {
    ModelSource: "a ModelSource.from_* factory, e.g. ModelSource.from_s3_uri('s3://bucket/model.tar.gz')",
    TargetPlatform: "TargetPlatform(os=..., arch=...)",
}


# --- values the validation and the rendering share --------------------------------
def framework_of(props: CompilationJobProps) -> Framework | None:
    """The framework as a member; None for a token or a value outside the enum."""
    framework = props["framework"]
    if is_token(framework) or framework not in Framework._value2member_map_:
        return None
    return Framework(framework)


def device_of(props: CompilationJobProps) -> TargetDevice | None:
    device = props.get("target_device")
    if isinstance(device, str):
        return TargetDevice(device)
    return device


def compiler_options_of(props: CompilationJobProps) -> str | None:
    options = props.get("compiler_options")
    if options is None or isinstance(options, str):
        return options
    return json.dumps(dict(options), separators=(",", ":"))


# --- validation -------------------------------------------------------------------
def validate(props: CompilationJobProps) -> list[Problem]:
    """Every problem of ``props``; tokens are skipped."""
    found = Problems()
    found.extend(_framework_problems(props))
    found.extend(_target_problems(props))
    found.extend(_data_input_problems(props))
    declared = _wire.COMPILATION_JOB
    check_string(found, declared.name_prop, props.get("compilation_job_name"), f"{API}.{declared.name_property}")
    check_string(found, "framework_version", props.get("framework_version"), f"{API}.InputConfig.FrameworkVersion")
    found.extend(_compiler_options_problems(props))
    found.extend(_nvidia_problems(props))
    found.check_output_prefix("output_prefix", props.get("output_prefix", ""), OUTPUT_PREFIX_MAX)
    found.extend(_s3.bucket_name_problems("output_bucket", _s3.given_bucket_name(props.get("output_bucket"))))
    found.extend(_arn_problems(props))
    found.check_seconds(
        "max_runtime",
        props.get("max_runtime"),
        1,
        MAX_RUNTIME_LIMIT_SECONDS,
        ": CloudFormation waits at most one hour for a custom resource (ServiceTimeout), and the handler "
        "needs the rest to stop the job and answer",
    )
    found.extend(_vpc_problems(props))
    if props.get("removal_policy") is RemovalPolicy.SNAPSHOT:
        # CloudFormation supports DeletionPolicy Snapshot only for resources with snapshots.
        found.add("removal_policy", "SNAPSHOT", "must be DESTROY or RETAIN (a compilation job has no snapshot)")
    found.extend(props["model"].problems())
    return found


def _framework_problems(props: CompilationJobProps) -> list[Problem]:
    framework = props["framework"]
    if is_token(framework) or framework_of(props) is not None:
        return []  # a token is checked by SageMaker at deploy time
    return [Problem("framework", framework, f"must be one of {', '.join(f.value for f in Framework)}")]


def _target_problems(props: CompilationJobProps) -> list[Problem]:
    found = Problems()
    device, platform = props.get("target_device"), props.get("target_platform")
    if (device is None) == (platform is None):
        found.add(
            "target_device/target_platform",
            {"target_device": str(device) if device else None, "target_platform": platform},
            "exactly one of the two must be given",
        )
    if isinstance(device, str) and not is_token(device) and device not in TargetDevice.KNOWN:
        found.add("target_device", device, "must be a known device; use TargetDevice.of(name) for a newer one")
    if platform is not None:
        enums: list[tuple[str, Any, type[Any]]] = [
            ("target_platform.os", platform.os, TargetPlatformOs),
            ("target_platform.arch", platform.arch, TargetPlatformArch),
        ]
        if platform.accelerator is not None:
            enums.append(("target_platform.accelerator", platform.accelerator, TargetPlatformAccelerator))
        for prop, value, enum in enums:
            if not is_token(value) and value not in enum._value2member_map_:
                found.add(prop, value, f"must be one of {', '.join(m.value for m in enum)}")
    return found


def _data_input_problems(props: CompilationJobProps) -> list[Problem]:
    raw, framework = props.get("data_input_config"), framework_of(props)
    if raw is None:
        if framework is None or not props["model"].sends_input_config:
            return []
        missing = data_input.required_problem(framework, props.get("framework_version"))
        return [missing] if missing else []
    if contains_token(raw):
        return []
    device = device_of(props)
    return data_input.problems(raw, framework, coreml=device is not None and device.name == "coreml")


def _compiler_options_problems(props: CompilationJobProps) -> list[Problem]:
    options = props.get("compiler_options")
    if options is None or contains_token(options):
        return []
    if isinstance(options, str):
        try:
            json.loads(options)
        except ValueError as error:
            return [Problem("compiler_options", options, f"must be valid JSON ({error})")]
    found = Problems()
    found.check_length("compiler_options", compiler_options_of(props), 3, 1024)
    return found


def _nvidia_problems(props: CompilationJobProps) -> list[Problem]:
    """A target platform with an NVIDIA accelerator needs gpu-code, trt-ver and cuda-ver."""
    platform = props.get("target_platform")
    if platform is None or platform.accelerator is None:
        return []
    accelerator = platform.accelerator
    if getattr(accelerator, "value", accelerator) != TargetPlatformAccelerator.NVIDIA.value:
        return []
    raw = props.get("compiler_options")
    if raw is not None and contains_token(raw):
        return []
    try:
        options = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    except ValueError:
        return []  # reported as invalid JSON
    if not isinstance(options, dict):
        options = {}
    found = Problems()
    missing = [name for name, (spellings, _) in NVIDIA_COMPILER_OPTIONS.items() if not set(spellings) & set(options)]
    if missing:
        wanted = "; ".join(f"{name}: {NVIDIA_COMPILER_OPTIONS[name][1]}" for name in missing)
        example = '{"gpu-code": "sm_72", "trt-ver": "6.0.1", "cuda-ver": "10.1"}'
        found.add(
            "compiler_options",
            raw,
            f"must give {', '.join(missing)} for an NVIDIA target platform ({wanted}), e.g. {example}: "
            "the service model's OutputConfig.CompilerOptions says they are required for NVIDIA accelerators",
        )
    return found


def _arn_problems(props: CompilationJobProps) -> list[Problem]:
    """ARNs and ids that are literal (imported resources), by the service model."""
    found = Problems(key_and_role_problems(API, props.get("kms_key"), props.get("role")))
    for i, subnet in enumerate(props.get("vpc_subnets") or ()):
        check_string(found, f"vpc_subnets[{i}]", subnet.subnet_id, f"{API}.VpcConfig.Subnets")
    for i, group in enumerate(props.get("security_groups") or ()):
        check_string(found, f"security_groups[{i}]", group.security_group_id, f"{API}.VpcConfig.SecurityGroupIds")
    return found


def environment_problems(scope: Any, props: CompilationJobProps) -> list[Problem]:
    """Region and account of the key and the buckets given, against the stack's (where both are known)."""
    stack, account, region = _environment.stack_environment(scope)
    found = _environment.key_problems(region, "kms_key", props.get("kms_key"))
    found.extend(_environment.bucket_problems(stack, account, region, "output_bucket", props["output_bucket"]))
    model_bucket = getattr(props["model"], "bucket", None)  # from_bucket's, or the training output bucket
    if model_bucket is not props["output_bucket"]:
        found.extend(_environment.bucket_problems(stack, account, region, "model", model_bucket))
    return found


def _vpc_problems(props: CompilationJobProps) -> list[Problem]:
    subnets, groups = props.get("vpc_subnets"), props.get("security_groups")
    if (subnets is None) != (groups is None):
        return [Problem("vpc_subnets/security_groups", None, "must be given together")]
    found = Problems()
    if subnets is not None and not 1 <= len(subnets) <= 16:
        found.add("vpc_subnets", len(subnets), "must hold 1 to 16 subnets")
    if groups is not None and not 1 <= len(groups) <= 5:
        found.add("security_groups", len(groups), "must hold 1 to 5 security groups")
    return found


# --- warnings (acknowledgeable) ---------------------------------------------------
def warnings(props: CompilationJobProps) -> list[tuple[str, str]]:
    """(id, message) of every warning ``props`` deserve; each can be acknowledged by its id."""
    found: list[tuple[str, str]] = []
    raw, framework = props.get("data_input_config"), framework_of(props)
    if framework is Framework.XGBOOST and raw is not None:
        found.append((XGBOOST_WARNING, "data_input_config is not used for XGBOOST models; SageMaker ignores it"))
    if framework is not None and raw is not None and not contains_token(raw):
        found.extend((data_input.LAYOUT_WARNING, message) for message in data_input.layout_warnings(raw, framework))
    if not props["model"].sends_input_config and (raw is not None or props.get("framework_version") is not None):
        message = (
            "data_input_config and framework_version are not sent with a model package: "
            "SageMaker takes the input configuration from the model package version"
        )
        found.append((MODEL_PACKAGE_WARNING, message))
    separator = output_prefix_warning("output_prefix", props.get("output_prefix", ""))
    if separator:
        found.append(separator)
    return found


def target_warnings(props: CompilationJobProps, region_of_stack: Callable[[], str]) -> list[tuple[str, str]]:
    """(id, message) for a target whose service has ended, and for a single-region target in a
    stack whose region is known (a token region is not warned about). The region is asked for
    only for a single-region target (it is a call into jsii)."""
    device = device_of(props)
    if device is None or is_token(device.name):
        return []
    found: list[tuple[str, str]] = []
    retired = RETIRED_DEVICES.get(device.name)
    if retired is not None:
        found.append((RETIRED_TARGET_WARNING, f"target_device {device.name!r}: {retired}"))
    only = SINGLE_REGION_DEVICES.get(device.name)
    region = region_of_stack() if only is not None else ""
    if only is not None and not is_token(region) and region != only[0]:
        message = (
            f"target_device {device.name!r} is available only in {only[0]} ({only[1]}), according to the "
            f"SageMaker API reference; this stack's region is {region}, where the job would fail"
        )
        found.append((TARGET_REGION_WARNING, message))
    return found
