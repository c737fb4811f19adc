"""The CreateCompilationJob request, rendered as the custom resource's
properties (names from :mod:`sagemaker_constructs._wire`): one function per
API block, each a function of the validated props."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration

from .. import _wire
from .._validation import is_token, seconds_of
from ..model_source import ModelBinding
from . import data_input
from .props import DEFAULT_MAX_RUNTIME_SECONDS, CompilationJobProps, compiler_options_of, device_of, framework_of

S3_OUTPUT_LOCATION = "S3OutputLocation"


def render_properties(props: CompilationJobProps, binding: ModelBinding, role_arn: str) -> dict[str, Any]:
    """Every property except the name and the tags. ``S3OutputLocation`` ends at
    the output prefix: :func:`with_name` appends the job's name."""
    properties: dict[str, Any] = {_wire.ROLE_ARN: role_arn}
    if binding.model_package_arn is not None:
        properties[_wire.MODEL_PACKAGE_VERSION_ARN] = binding.model_package_arn
    else:
        properties[_wire.INPUT_CONFIG] = render_input_config(props, binding)
    properties[_wire.OUTPUT_CONFIG] = render_output_config(props)
    properties[_wire.STOPPING_CONDITION] = render_stopping_condition(props)
    vpc = render_vpc_config(props)
    if vpc:
        properties[_wire.VPC_CONFIG] = vpc
    options = render_options(binding)
    if options:
        properties[_wire.OPTIONS] = options
    return properties


def render_input_config(props: CompilationJobProps, binding: ModelBinding) -> dict[str, Any]:
    framework = framework_of(props)
    config: dict[str, Any] = {"Framework": framework.value if framework is not None else props["framework"]}
    if binding.s3_uri is not None:  # None: resolved by the handler at deploy time
        config["S3Uri"] = binding.s3_uri
    raw = props.get("data_input_config")
    if raw is not None:
        config["DataInputConfig"] = data_input.render(raw)
    version = props.get("framework_version")
    if version is not None:
        config["FrameworkVersion"] = version
    return config


def render_output_config(props: CompilationJobProps) -> dict[str, Any]:
    config: dict[str, Any] = {}
    device, platform = device_of(props), props.get("target_platform")
    if device is not None:
        config["TargetDevice"] = device.name
    if platform is not None:
        config["TargetPlatform"] = platform.to_api()
    options = compiler_options_of(props)
    if options is not None:
        config["CompilerOptions"] = options
    key = props.get("kms_key")
    if key is not None:
        config["KmsKeyId"] = key.key_arn
    config[S3_OUTPUT_LOCATION] = f"s3://{props['output_bucket'].bucket_name}/{props.get('output_prefix', '')}"
    return config


def render_stopping_condition(props: CompilationJobProps) -> dict[str, Any]:
    runtime = props.get("max_runtime")
    return {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME_SECONDS if runtime is None else seconds_of(runtime)}


def render_vpc_config(props: CompilationJobProps) -> dict[str, Any] | None:
    subnets, groups = props.get("vpc_subnets"), props.get("security_groups")
    if not subnets:
        return None
    return {
        "Subnets": [subnet.subnet_id for subnet in subnets],
        "SecurityGroupIds": [group.security_group_id for group in groups or []],
    }


def render_options(binding: ModelBinding) -> dict[str, Any]:
    """The options that are not API fields (``_wire.OPTIONS``)."""
    options: dict[str, Any] = {}
    if binding.stage_from is not None:
        options[_wire.OPT_STAGE_MODEL_FROM] = binding.stage_from
    if binding.deploy_time_source is not None:
        options[_wire.OPT_MODEL_SOURCE] = _wire.encode_model_source(binding.deploy_time_source)
    return options


def render_service_timeout(properties: dict[str, Any]) -> Duration:
    """``MaxRuntimeInSeconds`` plus the handler's margin, at most CloudFormation's hour. A
    token gets the hour: the handler rejects a deploy-time value above what fits."""
    seconds = properties[_wire.STOPPING_CONDITION]["MaxRuntimeInSeconds"]
    if is_token(seconds):
        return Duration.seconds(_wire.SERVICE_TIMEOUT_MAX_SECONDS)
    return Duration.seconds(min(_wire.SERVICE_TIMEOUT_MAX_SECONDS, seconds + _wire.SERVICE_TIMEOUT_MARGIN_SECONDS))


def name_identity(properties: dict[str, Any], binding: ModelBinding) -> dict[str, Any]:
    """What a generated name hashes: every property except tags, the model's
    version and identity. (The same shape as in 0.1.0, so names do not change.)"""
    api = {key: value for key, value in properties.items() if key != _wire.OPTIONS}
    return {"p": api, "o": properties.get(_wire.OPTIONS, {}), "v": binding.version, "i": binding.identity}


def with_name(properties: dict[str, Any], name: str, explicit: bool) -> dict[str, Any]:
    """The properties with ``CompilationJobName``, and the name appended to ``S3OutputLocation``."""
    output = dict(properties[_wire.OUTPUT_CONFIG])
    output[S3_OUTPUT_LOCATION] = f"{output[S3_OUTPUT_LOCATION]}{name}/"
    named = {_wire.COMPILATION_JOB_NAME: name, **properties, _wire.OUTPUT_CONFIG: output}
    if explicit:
        named[_wire.OPTIONS] = {**properties.get(_wire.OPTIONS, {}), _wire.OPT_EXPLICIT_NAME: "true"}
    return named
