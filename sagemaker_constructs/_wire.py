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
import re
from typing import Any

# --- resource types -------------------------------------------------------
COMPILATION_JOB_RESOURCE_TYPE = "Custom::SageMakerCompilationJob"
FLOW_DEFINITION_RESOURCE_TYPE = "Custom::SageMakerFlowDefinition"

# --- the waiting mechanism (the handler IAM is scoped to these) -----------
# A resource that outlives one invocation is handed over to the next by the
# handler invoking *its own function* asynchronously (InvocationType=Event)
# with a small continuation payload. There is no EventBridge rule and no
# per-resource statement in the function's resource-based policy: the handler
# role's identity policy allows exactly these actions on exactly these ARNs.
HANDOVER_ACTIONS = ("lambda:InvokeFunction",)  # on the handler function's own ARN (and its qualifiers)
# Whether the request is still wanted (a cancelled Create is followed by a
# Delete the handler may not see first): DescribeStackResource on the stack's
# own ARN (AWS::StackId).
STACK_CHECK_ACTIONS = ("cloudformation:DescribeStackResource",)
# Keys of the continuation payload. CRHELPER_POLL_KEY routes it to crhelper's
# poll functions; CONTINUATION_KEY holds the engine's state.
CRHELPER_POLL_KEY = "CrHelperPoll"
CONTINUATION_KEY = "SmcContinuation"
# Lambda accepts 256 KB for an asynchronous payload; the continuation carries
# no resource properties and stays far below this.
MAX_CONTINUATION_BYTES = 64 * 1024

# --- the handler function's environment ------------------------------------
ENV_STACK_ID = "SMC_STACK_ID"  # AWS::StackId: the owner recorded on everything the handler creates
ENV_RESOURCE_COUNT = "SMC_RESOURCE_COUNT"  # resources of this kind sharing the handler (sizes the describe interval)
ENV_DESCRIBE_BUDGET = "SMC_DESCRIBE_BUDGET"  # Describe calls per second for all of them together
# CDK context key that sets the budget for a whole app (a number, calls per second).
CONTEXT_DESCRIBE_BUDGET = "sagemaker-constructs:describeBudget"
DEFAULT_DESCRIBE_BUDGET = 10.0

# --- ownership tags -----------------------------------------------------------
# Everything the handler creates carries these, set in the Create call (tag
# sync never removes them). Only a resource that carries this stack's ARN and
# the request's logical id is adopted, stopped or deleted. ``aws:`` is reserved
# by AWS, so the keys use this library's own prefix; user tags may not.
TAG_PREFIX = "sagemaker-constructs:"
OWNER_STACK_TAG = TAG_PREFIX + "stack-id"
OWNER_LOGICAL_ID_TAG = TAG_PREFIX + "logical-id"
OWNER_TAG_KEYS = (OWNER_STACK_TAG, OWNER_LOGICAL_ID_TAG)
MAX_TAGS_PER_RESOURCE = 50  # SageMaker's limit
MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - len(OWNER_TAG_KEYS)

# --- time ----------------------------------------------------------------------
# CloudFormation waits at most one hour for a custom resource (ServiceTimeout).
SERVICE_TIMEOUT_MAX_SECONDS = 3600
# ServiceTimeout = MaxRuntimeInSeconds + this: room to stop the job and answer.
SERVICE_TIMEOUT_MARGIN_SECONDS = 300

# --- names ---------------------------------------------------------------------
COMPILATION_JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
FLOW_DEFINITION_NAME_PATTERN = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")
TRAINING_JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

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

# Options.ModelSource (a JSON string): a model resolved at deploy time.
# {"Type": "TrainingJob", "TrainingJobName": ...} or
# {"Type": "BestTrainingJob", "SearchExpression": {...}, "SortBy"?: ..., "SortOrder"?: ...}
MODEL_SOURCE_TYPE = "Type"
MODEL_SOURCE_TRAINING_JOB = "TrainingJob"
MODEL_SOURCE_BEST_TRAINING_JOB = "BestTrainingJob"
MODEL_SOURCE_TRAINING_JOB_NAME = "TrainingJobName"
MODEL_SOURCE_SEARCH_EXPRESSION = "SearchExpression"
MODEL_SOURCE_SORT_BY = "SortBy"
MODEL_SOURCE_SORT_ORDER = "SortOrder"

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


def _convert(path: str, value: Any, problems: list[str] | None) -> Any:
    if isinstance(value, dict):
        return {k: _convert(f"{path}.{k}" if path else k, v, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(path, v, problems) for v in value]
    problem = None
    if path in INTEGER_FIELDS:
        try:
            return int(value)
        except (TypeError, ValueError):
            problem = f"{path} must be an integer (got {value!r})"
    elif path in BOOLEAN_FIELDS:
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        problem = f"{path} must be true or false (got {value!r})"
    if problem is None:
        return value
    if problems is None:
        raise PropertyError(problem)
    problems.append(problem)
    return value


def parse_properties(resource_properties: dict[str, Any], problems: list[str] | None = None) -> dict[str, Any]:
    """Turn CloudFormation's all-string properties back into API types.

    ``ServiceToken`` is dropped; everything else keeps its place. The input is
    not changed. A value that does not convert raises :class:`PropertyError`,
    or, when ``problems`` is given, is described there and left as it was.
    """
    props = copy.deepcopy(resource_properties)
    props.pop(SERVICE_TOKEN, None)
    parsed: dict[str, Any] = _convert("", props, problems)
    return parsed


def encode_model_source(source: dict[str, Any]) -> str:
    """Model sources resolved at deploy time travel as one JSON string."""
    return json.dumps(source, sort_keys=True, separators=(",", ":"))
