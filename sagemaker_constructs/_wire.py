"""The wire contract between the constructs and their handlers.

One place names the custom-resource properties (PascalCase, shaped like the
SageMaker API request), the extra options that are not API fields, and the
attributes the handlers return. The constructs render with these names; the
handlers read with them. This module imports nothing outside the standard
library: the bundler copies it into each handler asset as ``_wire.py``.

Each resource kind is declared once, here (:class:`Declaration`, :data:`KINDS`):
its resource type, handler folder, API noun and operations, name rule, ARN
resource, handler IAM actions and default timeout. The construct layer, the
handler's kind (``lambda/<kind>/spec.py``) and the tests read that declaration.

CloudFormation passes every custom-resource property as a string, numbers and
booleans included. The handler turns them back into API types by the create
operation's input shape in botocore's service model (``lambda/shared/properties.py``);
:data:`TYPED_OPTIONS` gives the types of the few properties that are not API fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

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
# DescribeStacks: whether the stack rolls back, which tells a forward request that
# it is no longer wanted, and a rollback what the resource there was made from.
STACK_CHECK_ACTIONS = ("cloudformation:DescribeStackResource", "cloudformation:DescribeStacks")
# Keys of the continuation payload. CRHELPER_POLL_KEY routes it to crhelper's
# poll functions; CONTINUATION_KEY holds the engine's state.
CRHELPER_POLL_KEY = "CrHelperPoll"
CONTINUATION_KEY = "SmcContinuation"
# Lambda accepts 256 KB for an asynchronous payload; the continuation carries
# no resource properties and stays far below this.
MAX_CONTINUATION_BYTES = 64 * 1024

# Lambda's asynchronous queue keeps a continuation this long at most (throttling, a
# full queue) before it drops it: the longest Lambda allows, so that a delayed
# continuation still arrives and cleans up. Cleanup never depends on it arriving
# (the rollback removes what a failed version made), but a late one still helps.
HANDLER_MAX_EVENT_AGE_SECONDS = 6 * 3600
# A request that is no longer wanted (cancelled, or past its deadline) still gets
# this long to stop and delete what it made, from when it finds out.
CLEANUP_SECONDS = 600

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
# No removal chain goes on longer than this after its request was sent: the request's
# longest life, the longest wait in Lambda's queue, and the cleanup time.
REMOVAL_CHAIN_MAX_SECONDS = SERVICE_TIMEOUT_MAX_SECONDS + HANDLER_MAX_EVENT_AGE_SECONDS + CLEANUP_SECONDS


# --- names ---------------------------------------------------------------------
@dataclass(frozen=True)
class NameRule:
    """A SageMaker name's pattern (from the service model) and what it allows, in words."""

    pattern: re.Pattern[str]
    allows: str  # "1 to 63 letters, digits and hyphens"

    @property
    def text(self) -> str:
        """``<pattern> (<allows>)``, the pattern without its anchors."""
        return f"{self.pattern.pattern[1:-1]} ({self.allows})"

    @property
    def rule(self) -> str:
        """How a message states the rule: ``must match <pattern> (<allows>)``."""
        return f"must match {self.text}"


LETTERS_DIGITS_HYPHENS = NameRule(
    re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"), "1 to 63 letters, digits and hyphens"
)
LOWERCASE_LETTERS_DIGITS_HYPHENS = NameRule(
    re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$"), "1 to 63 lowercase letters, digits and hyphens"
)
TRAINING_JOB_NAME_RULE = LETTERS_DIGITS_HYPHENS

# --- properties common to every resource ---------------------------------
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


def _snake(pascal: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", pascal).lower()


# --- the resource kinds -----------------------------------------------------------
@dataclass(frozen=True)
class Declaration:
    """One resource kind, as everything else reads it.

    The API noun gives the rest: ``CompilationJob`` is the construct
    ``CompilationJob`` (``sagemaker_constructs/compilation_job/``), the handler
    folder ``lambda/compilation_job/``, the resource type
    ``Custom::SageMakerCompilationJob``, the operations ``CreateCompilationJob``,
    ``DescribeCompilationJob``, ``DeleteCompilationJob`` (and ``Stop...`` if
    ``stoppable``), the name property ``CompilationJobName`` (the construct's
    ``compilation_job_name``), and the response fields ``CompilationJobArn`` and
    ``CompilationJobStatus``."""

    api_noun: str  # "CompilationJob"
    noun: str  # "compilation job": how the handler's messages name one
    name_rule: NameRule
    arn_resource: str  # "compilation-job": arn:<partition>:sagemaker:<region>:<account>:<arn_resource>/<name>
    stoppable: bool  # the API has Stop<noun>
    default_service_timeout: int  # seconds: ServiceTimeout when the resource renders none of its own
    handler_description: str  # the handler Lambda's description

    @property
    def folder(self) -> str:
        """The handler folder (``lambda/<folder>/``) and the construct package."""
        return _snake(self.api_noun)

    @property
    def resource_type(self) -> str:
        return f"Custom::SageMaker{self.api_noun}"

    @property
    def name_property(self) -> str:
        return f"{self.api_noun}Name"

    @property
    def name_prop(self) -> str:
        """The construct's prop for an explicit name: ``compilation_job_name``."""
        return _snake(self.name_property)

    @property
    def arn_field(self) -> str:
        return f"{self.api_noun}Arn"

    @property
    def status_field(self) -> str:
        return f"{self.api_noun}Status"

    @property
    def create_operation(self) -> str:
        return f"Create{self.api_noun}"

    def identity(self) -> tuple[str, str, str, re.Pattern[str], str]:
        """The handler kind's noun, resource type, name property, name pattern and ARN field."""
        return self.noun, self.resource_type, self.name_property, self.name_rule.pattern, self.arn_field

    def operations(self) -> tuple[str, str, str, str | None]:
        """The client methods: create, describe, delete and stop (None: not stoppable)."""
        noun = _snake(self.api_noun)
        stop = f"stop_{noun}" if self.stoppable else None
        return f"create_{noun}", f"describe_{noun}", f"delete_{noun}", stop

    def handler_actions(self) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        """What the handler may do to a resource of this kind, grouped by how IAM scopes it:
        the ARN resource type, Create (on its own names, with its ownership tags), the
        read-only actions (on every resource of the type) and the destructive and tagging
        ones (only on what carries its stack's tag); ``_handler.HandlerActions`` holds them."""
        verbs = ("Stop", "Delete") if self.stoppable else ("Delete",)
        owned = (*(f"sagemaker:{verb}{self.api_noun}" for verb in verbs), "sagemaker:AddTags", "sagemaker:DeleteTags")
        read = (f"sagemaker:Describe{self.api_noun}", "sagemaker:ListTags")
        return self.arn_resource, f"sagemaker:{self.create_operation}", read, owned


COMPILATION_JOB = Declaration(
    api_noun="CompilationJob",
    noun="compilation job",
    name_rule=LETTERS_DIGITS_HYPHENS,
    arn_resource="compilation-job",
    stoppable=True,
    # A job renders MaxRuntimeInSeconds plus SERVICE_TIMEOUT_MARGIN_SECONDS.
    default_service_timeout=SERVICE_TIMEOUT_MAX_SECONDS,
    handler_description="sagemaker-constructs: SageMaker Neo compilation jobs",
)
# Flow definitions become Active in seconds; the handler waits inline and stops ahead of this.
FLOW_DEFINITION = Declaration(
    api_noun="FlowDefinition",
    noun="flow definition",
    name_rule=LOWERCASE_LETTERS_DIGITS_HYPHENS,
    arn_resource="flow-definition",
    stoppable=False,
    default_service_timeout=600,
    handler_description="sagemaker-constructs: Augmented AI flow definitions",
)
KINDS = (COMPILATION_JOB, FLOW_DEFINITION)

# --- CompilationJob ---------------------------------------------------------
COMPILATION_JOB_NAME = COMPILATION_JOB.name_property
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
ATTR_COMPILATION_JOB_NAME = COMPILATION_JOB.name_property
ATTR_S3_MODEL_ARTIFACTS = "S3ModelArtifacts"
ATTR_COMPILATION_JOB_STATUS = "CompilationJobStatus"
ATTR_INFERENCE_IMAGE = "InferenceImage"
ATTR_SOURCE_TRAINING_JOB_NAME = "SourceTrainingJobName"
ATTR_SOURCE_MODEL_S3_URI = "SourceModelS3Uri"

# --- FlowDefinition ---------------------------------------------------------
FLOW_DEFINITION_NAME = FLOW_DEFINITION.name_property
HUMAN_LOOP_REQUEST_SOURCE = "HumanLoopRequestSource"
HUMAN_LOOP_ACTIVATION_CONFIG = "HumanLoopActivationConfig"
HUMAN_LOOP_CONFIG = "HumanLoopConfig"
FLOW_OUTPUT_CONFIG = "OutputConfig"

ATTR_FLOW_DEFINITION_ARN = "FlowDefinitionArn"
ATTR_FLOW_DEFINITION_NAME = FLOW_DEFINITION.name_property
ATTR_FLOW_DEFINITION_STATUS = "FlowDefinitionStatus"

# The types of the properties that are not API fields (dotted paths); the API
# fields' types come from the create operation's input shape in botocore's model.
TYPED_OPTIONS = {SERVICE_TIMEOUT: "integer", f"{OPTIONS}.{OPT_EXPLICIT_NAME}": "boolean"}


def encode_model_source(source: dict[str, Any]) -> str:
    """Model sources resolved at deploy time travel as one JSON string."""
    return json.dumps(source, sort_keys=True, separators=(",", ":"))
