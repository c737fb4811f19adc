"""The wire contract between the constructs and their handlers.

One place names the custom-resource properties (PascalCase, shaped like the
SageMaker API request), the extra options that are not API fields, and the
attributes the handlers return. The constructs render with these names; the
handlers read with them. This module imports nothing outside the standard
library: the bundler copies it into each handler asset as ``_wire.py``.

CloudFormation passes every custom-resource property as a string, numbers and
booleans included. :func:`parse_properties` is the one place that turns them
back into the types the SageMaker API expects.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# --- resource types -------------------------------------------------------
COMPILATION_JOB_RESOURCE_TYPE = "Custom::SageMakerCompilationJob"
FLOW_DEFINITION_RESOURCE_TYPE = "Custom::SageMakerFlowDefinition"

# --- properties common to both resources ---------------------------------
ROLE_ARN = "RoleArn"
TAGS = "Tags"
SERVICE_TIMEOUT = "ServiceTimeout"
SERVICE_TOKEN = "ServiceToken"
# Options that are not API fields live under one key, so the API-shaped
# properties can be passed to SageMaker without picking them apart.
OPTIONS = "Options"
OPT_EXPLICIT_NAME = "ExplicitName"  # "true" when the user chose the name
OPT_STAGE_MODEL_FROM = "StageModelFrom"  # s3:// URI of a CDK asset to copy to InputConfig.S3Uri
OPT_MODEL_SOURCE = "ModelSource"  # training-job / search source resolved at deploy time

# --- CompilationJob ---------------------------------------------------------
COMPILATION_JOB_NAME = "CompilationJobName"
INPUT_CONFIG = "InputConfig"
OUTPUT_CONFIG = "OutputConfig"
STOPPING_CONDITION = "StoppingCondition"
VPC_CONFIG = "VpcConfig"
MODEL_PACKAGE_VERSION_ARN = "ModelPackageVersionArn"
COMPILATION_JOB_API_FIELDS = (
    COMPILATION_JOB_NAME,
    ROLE_ARN,
    MODEL_PACKAGE_VERSION_ARN,
    INPUT_CONFIG,
    OUTPUT_CONFIG,
    VPC_CONFIG,
    STOPPING_CONDITION,
    TAGS,
)

ATTR_COMPILATION_JOB_ARN = "CompilationJobArn"
ATTR_COMPILATION_JOB_NAME = "CompilationJobName"
ATTR_S3_MODEL_ARTIFACTS = "S3ModelArtifacts"
ATTR_COMPILATION_JOB_STATUS = "CompilationJobStatus"
ATTR_INFERENCE_IMAGE = "InferenceImage"
ATTR_SOURCE_TRAINING_JOB_NAME = "SourceTrainingJobName"
ATTR_SOURCE_MODEL_S3_URI = "SourceModelS3Uri"

# --- FlowDefinition ---------------------------------------------------------
FLOW_DEFINITION_NAME = "FlowDefinitionName"
HUMAN_LOOP_REQUEST_SOURCE = "HumanLoopRequestSource"
HUMAN_LOOP_ACTIVATION_CONFIG = "HumanLoopActivationConfig"
HUMAN_LOOP_CONFIG = "HumanLoopConfig"
FLOW_OUTPUT_CONFIG = "OutputConfig"
FLOW_DEFINITION_API_FIELDS = (
    FLOW_DEFINITION_NAME,
    HUMAN_LOOP_REQUEST_SOURCE,
    HUMAN_LOOP_ACTIVATION_CONFIG,
    HUMAN_LOOP_CONFIG,
    FLOW_OUTPUT_CONFIG,
    ROLE_ARN,
    TAGS,
)

ATTR_FLOW_DEFINITION_ARN = "FlowDefinitionArn"
ATTR_FLOW_DEFINITION_NAME = "FlowDefinitionName"
ATTR_FLOW_DEFINITION_STATUS = "FlowDefinitionStatus"

# Paths (dotted) of the properties that are integers in the API.
INTEGER_FIELDS = frozenset(
    {
        "StoppingCondition.MaxRuntimeInSeconds",
        "StoppingCondition.MaxWaitTimeInSeconds",
        "HumanLoopConfig.TaskCount",
        "HumanLoopConfig.TaskAvailabilityLifetimeInSeconds",
        "HumanLoopConfig.TaskTimeLimitInSeconds",
        "HumanLoopConfig.PublicWorkforceTaskPrice.AmountInUsd.Dollars",
        "HumanLoopConfig.PublicWorkforceTaskPrice.AmountInUsd.Cents",
        "HumanLoopConfig.PublicWorkforceTaskPrice.AmountInUsd.TenthFractionsOfACent",
        SERVICE_TIMEOUT,
    }
)
BOOLEAN_FIELDS = frozenset({f"{OPTIONS}.{OPT_EXPLICIT_NAME}"})


class PropertyError(ValueError):
    """A property that cannot be parsed; the message names it and its value."""


def _convert(path: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _convert(f"{path}.{k}" if path else k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(path, v) for v in value]
    if path in INTEGER_FIELDS:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise PropertyError(f"{path} must be an integer (got {value!r})") from None
    if path in BOOLEAN_FIELDS:
        if str(value).lower() not in ("true", "false"):
            raise PropertyError(f"{path} must be true or false (got {value!r})")
        return str(value).lower() == "true"
    return value


def parse_properties(resource_properties: dict[str, Any]) -> dict[str, Any]:
    """Turn CloudFormation's all-string properties back into API types.

    ``ServiceToken`` is dropped; everything else keeps its place. The input is
    not changed.
    """
    props = copy.deepcopy(resource_properties)
    props.pop(SERVICE_TOKEN, None)
    parsed: dict[str, Any] = _convert("", props)
    return parsed


def split_options(props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (API request fields, options) from parsed properties."""
    request = {k: v for k, v in props.items() if k not in (OPTIONS, SERVICE_TIMEOUT)}
    return request, dict(props.get(OPTIONS) or {})


def encode_model_source(source: dict[str, Any]) -> str:
    """Model sources resolved at deploy time travel as one JSON string."""
    return json.dumps(source, sort_keys=True, separators=(",", ":"))


def decode_model_source(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise PropertyError(f"{OPTIONS}.{OPT_MODEL_SOURCE} must be a JSON object (got {text!r})")
    return value
