"""FlowDefinition: an Amazon Augmented AI (A2I) human review workflow, created during ``cdk deploy``.

Input buckets and CORS
----------------------
Reviewers see the documents and images of a human loop in the worker task UI,
which fetches them from S3 with pre-signed GET requests from the browser. A2I
requires a CORS rule on every bucket that holds such input; without it, the
human review tasks for those objects fail. The rule the A2I documentation
gives (Permissions and Security in Amazon Augmented AI, "CORS Permission
Requirement") is :data:`INPUT_BUCKET_CORS_RULE`::

    [{"AllowedHeaders": [], "AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "ExposeHeaders": []}]

In CDK: ``bucket.add_cors_rule(allowed_methods=[s3.HttpMethods.GET], allowed_origins=["*"])``.
The construct does not change buckets it is given; pass them as
``input_buckets`` so the flow role can read them, and add the rule yourself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Protocol

import jsii
from aws_cdk import (
    Aws,
    CfnOutput,
    CustomResource,
    Duration,
    ITaggableV2,
    RemovalPolicy,
    Stack,
    TagManager,
    TagType,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from . import _nag, _naming, _resource, _wire
from ._handler import handler_for
from ._validation import Problems, contains_token, is_token

INPUT_BUCKET_CORS_RULE = (
    '[{"AllowedHeaders": [], "AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "ExposeHeaders": []}]'
)
"""The CORS configuration A2I requires on buckets holding what reviewers see (S3 console JSON format)."""

# Flow definitions become Active in seconds; the handler waits inline and
# stops ahead of this (ServiceTimeout).
SERVICE_TIMEOUT = Duration.minutes(10)
ACTIVATION_CONDITIONS_MAX = 10240
WORKTEAM_ARN_PATTERN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:workteam/.*"
HUMAN_TASK_UI_ARN_PATTERN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:human-task-ui/.*"
S3_URI_PATTERN = r"(https|s3)://([^/]+)/?(.*)"
TASK_KEYWORD_PATTERN = r"[A-Za-z0-9]+( [A-Za-z0-9]+)*"


class HumanLoopRequestSource(str, Enum):
    """``HumanLoopRequestSource.AwsManagedHumanLoopRequestSource``: the AWS service
    whose results are reviewed. Omit it for a custom task type (``StartHumanLoop``)."""

    REKOGNITION_DETECT_MODERATION_LABELS_IMAGE_V3 = "AWS/Rekognition/DetectModerationLabels/Image/V3"
    TEXTRACT_ANALYZE_DOCUMENT_FORMS_V1 = "AWS/Textract/AnalyzeDocument/Forms/V1"


# The activation-condition types each request source allows (A2I's JSON schema
# for human loop activation conditions); And/Or may nest them.
CONDITION_TYPES: dict[HumanLoopRequestSource, frozenset[str]] = {
    HumanLoopRequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE_V3: frozenset(
        {"ModerationLabelConfidenceCheck", "Sampling"}
    ),
    HumanLoopRequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS_V1: frozenset(
        {"ImportantFormKeyConfidenceCheck", "MissingImportantFormKey", "Sampling"}
    ),
}
LOGICAL_OPERATORS = ("And", "Or")


# --- task prices --------------------------------------------------------------------
def _prices(*values: str) -> tuple[Decimal, ...]:
    return tuple(sorted(Decimal(v) for v in values))


_SMALL = ("0.012", "0.024", "0.036", "0.048", "0.060", "0.072")
_STEPS_TO_1_20 = ("0.120", "0.240", "0.360", "0.480", "0.600", "0.720", "0.840", "0.960", "1.080", "1.200")


class TaskPrice:
    """``HumanLoopConfig.PublicWorkforceTaskPrice``: what a public (Mechanical Turk)
    worker is paid per task, in US dollars.

    The lists are the reference's (``PublicWorkforceTaskPrice``): a price must be
    on one of them, and the construct checks it against the list for its task type.
    """

    BOUNDING_BOX = _prices(*_SMALL[2:], *_STEPS_TO_1_20)
    CLASSIFICATION = _prices(*_SMALL, *_STEPS_TO_1_20)  # image/text classification and custom labeling tasks
    SEMANTIC_SEGMENTATION = _prices("0.840", "0.960", "1.080", "1.200")
    TEXTRACT_FORMS = _prices(
        *_SMALL,
        *_STEPS_TO_1_20,
        "1.320",
        "1.440",
        "1.560",
        "1.680",
        "1.800",
        "1.920",
        "2.040",
        "2.160",
        "2.280",
        "2.400",
    )
    REKOGNITION_MODERATION = _prices(*_SMALL, *_STEPS_TO_1_20)
    A2I_CUSTOM = _prices(*_SMALL, *_STEPS_TO_1_20)
    ALL = tuple(
        sorted(
            set(
                BOUNDING_BOX
                + CLASSIFICATION
                + SEMANTIC_SEGMENTATION
                + TEXTRACT_FORMS
                + REKOGNITION_MODERATION
                + A2I_CUSTOM
            )
        )
    )

    def __init__(self, amount: Decimal) -> None:
        self.amount = amount
        thousandths = int(amount * 1000)
        self.dollars = thousandths // 1000
        self.cents = (thousandths // 10) % 100
        self.tenth_fractions_of_a_cent = thousandths % 10

    @staticmethod
    def usd(amount: str) -> TaskPrice:
        """A price in US dollars as a decimal string, e.g. ``TaskPrice.usd("0.036")``.

        Raises ValueError at once for an amount on none of the reference's price lists."""
        try:
            value = Decimal(str(amount).strip())
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value not in TaskPrice.ALL:
            raise ValueError(
                f"TaskPrice.usd: {amount!r} is not a price SageMaker accepts; valid prices (USD): "
                + ", ".join(TaskPrice.format(p) for p in TaskPrice.ALL)
            )
        return TaskPrice(value)

    @staticmethod
    def format(amount: Decimal) -> str:
        return f"{amount:.3f}"

    def __repr__(self) -> str:
        return f"TaskPrice.usd({self.format(self.amount)!r})"

    def to_api(self) -> dict[str, Any]:
        return {
            "AmountInUsd": {
                "Dollars": self.dollars,
                "Cents": self.cents,
                "TenthFractionsOfACent": self.tenth_fractions_of_a_cent,
            }
        }


def _price_list_for(source: HumanLoopRequestSource | None) -> tuple[str, tuple[Decimal, ...]]:
    if source is HumanLoopRequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS_V1:
        return "Textract AnalyzeDocument forms review tasks", TaskPrice.TEXTRACT_FORMS
    if source is HumanLoopRequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE_V3:
        return "Rekognition DetectModerationLabels review tasks", TaskPrice.REKOGNITION_MODERATION
    return "Amazon Augmented AI custom human review tasks", TaskPrice.A2I_CUSTOM


# --- activation conditions ----------------------------------------------------------
def _condition_problems(node: Any, allowed: frozenset[str] | None, path: str) -> list[str]:
    """Walk a condition (and nested And/Or lists); return what is wrong, with its path."""
    if not isinstance(node, dict):
        return [f"{path} must be an object"]
    operators = [key for key in LOGICAL_OPERATORS if key in node]
    if operators:
        if len(node) != 1:
            return [f"{path} must hold only one of And/Or, with nothing beside it"]
        operator = operators[0]
        children = node[operator]
        if not isinstance(children, list) or not children:
            return [f"{path}.{operator} must be a non-empty array of conditions"]
        found: list[str] = []
        for i, child in enumerate(children):
            found.extend(_condition_problems(child, allowed, f"{path}.{operator}[{i}]"))
        return found
    condition_type = node.get("ConditionType")
    if not isinstance(condition_type, str):
        return [f"{path} must have a ConditionType (or be an And/Or of conditions)"]
    if allowed is not None and condition_type not in allowed:
        return [f"{path}.ConditionType {condition_type!r} is not allowed here; use one of {', '.join(sorted(allowed))}"]
    return []


def _render_conditions(
    scope: Construct, problems: Problems, raw: Mapping[str, Any] | str, source: HumanLoopRequestSource | None
) -> str:
    """Validate the activation conditions; return them as the JSON string the API takes."""
    prop = "activation_conditions"
    if isinstance(raw, str):
        if is_token(raw):
            return raw
        text = raw
        try:
            value: Any = json.loads(raw)
        except ValueError as error:
            problems.add(prop, raw, f"must be valid JSON ({error})")
            return raw
    else:
        value = dict(raw)
        if contains_token(value):
            return Stack.of(scope).to_json_string(value)
        text = json.dumps(value, separators=(",", ":"))
    if len(text) > ACTIVATION_CONDITIONS_MAX:
        problems.add(
            prop, f"<{len(text)} characters>", f"must be at most {ACTIVATION_CONDITIONS_MAX} characters when serialized"
        )
    conditions = value.get("Conditions") if isinstance(value, dict) else None
    if not isinstance(conditions, list) or not conditions:
        problems.add(prop, value, "must be an object with a top-level Conditions array of at least one condition")
        return text
    allowed = CONDITION_TYPES.get(source) if source is not None else None
    for i, condition in enumerate(conditions):
        for problem in _condition_problems(condition, allowed, f"Conditions[{i}]"):
            problems.add(prop, condition, problem)
    return text


# --- the construct --------------------------------------------------------------------
class IFlowDefinition(Protocol):
    """A flow definition: created by this app, or imported by name."""

    @property
    def flow_definition_name(self) -> str: ...

    @property
    def flow_definition_arn(self) -> str: ...

    def grant_start_human_loop(self, grantee: iam.IGrantable) -> iam.Grant: ...


def _grant_start_human_loop(grantee: iam.IGrantable, arn: str) -> iam.Grant:
    return iam.Grant.add_to_principal(grantee=grantee, actions=["sagemaker:StartHumanLoop"], resource_arns=[arn])


@jsii.implements(ITaggableV2)
class FlowDefinition(Construct):
    """An Amazon Augmented AI flow definition (human review workflow).

    Backed by ``Custom::SageMakerFlowDefinition`` and one handler Lambda per
    stack. The name is generated (``<stack prefix><path>-<hash>``, lowercase)
    unless ``flow_definition_name`` is given. Every property is immutable in
    the API, so any change except tags replaces the flow definition under a new
    name; tags are updated in place.

    Buckets holding what reviewers see need the CORS rule
    :data:`INPUT_BUCKET_CORS_RULE` (see the module documentation).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workteam_arn: str,
        human_task_ui_arn: str,
        task_title: str,
        task_description: str,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str = "",
        output_s3_uri: str | None = None,
        human_loop_request_source: HumanLoopRequestSource | str | None = None,
        activation_conditions: Mapping[str, Any] | str | None = None,
        task_count: int = 1,
        task_availability_lifetime: Duration | None = None,
        task_time_limit: Duration | None = None,
        task_keywords: Sequence[str] | None = None,
        public_workforce_task_price: TaskPrice | None = None,
        kms_key: kms.IKey | None = None,
        role: iam.IRole | None = None,
        input_buckets: Sequence[s3.IBucket] | None = None,
        flow_definition_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        stack_outputs: bool = True,
    ) -> None:
        """
        :param workteam_arn: ``HumanLoopConfig.WorkteamArn``: the reviewers.
        :param human_task_ui_arn: ``HumanLoopConfig.HumanTaskUiArn``: the worker task template.
        :param task_title: ``HumanLoopConfig.TaskTitle``, 1 to 128 characters.
        :param task_description: ``HumanLoopConfig.TaskDescription``, 1 to 255 characters.
        :param output_bucket: bucket for the review results (``OutputConfig.S3OutputPath`` is
            ``s3://<bucket>/<output_prefix>``). Exactly one of this and ``output_s3_uri``.
        :param output_prefix: key prefix of the results in ``output_bucket``. Default: "".
        :param output_s3_uri: ``OutputConfig.S3OutputPath`` as an ``s3://`` or ``https://`` URI,
            instead of ``output_bucket``. Default: none.
        :param human_loop_request_source: ``HumanLoopRequestSource.AwsManagedHumanLoopRequestSource``.
            Default: none (a custom task type, started with ``StartHumanLoop``).
        :param activation_conditions: ``HumanLoopActivationConfig.HumanLoopActivationConditionsConfig.
            HumanLoopActivationConditions``: a mapping or JSON string with a top-level ``Conditions``
            array. Required with, and only with, ``human_loop_request_source``. Default: none.
        :param task_count: ``HumanLoopConfig.TaskCount``: reviewers per object, 1 to 3. Default: 1.
        :param task_availability_lifetime: ``HumanLoopConfig.TaskAvailabilityLifetimeInSeconds``,
            at least 1 second. Default: SageMaker's.
        :param task_time_limit: ``HumanLoopConfig.TaskTimeLimitInSeconds``, at least 30 seconds.
            Default: SageMaker's.
        :param task_keywords: ``HumanLoopConfig.TaskKeywords``: 1 to 5 keywords of 1 to 30 letters,
            digits and single spaces. Default: none.
        :param public_workforce_task_price: ``HumanLoopConfig.PublicWorkforceTaskPrice``
            (``TaskPrice.usd("0.036")``), for the public workforce. Default: none.
        :param kms_key: ``OutputConfig.KmsKeyId`` for the results. Default: the bucket's encryption.
        :param role: the role A2I assumes (``RoleArn``). Default: one with least privilege (write on
            the output prefix, read on ``input_buckets``, the KMS key).
        :param input_buckets: buckets holding what reviewers see; a created role may read their
            objects. They need :data:`INPUT_BUCKET_CORS_RULE`. Default: none.
        :param flow_definition_name: ``FlowDefinitionName``. Default: generated.
        :param removal_policy: DESTROY deletes the flow definition on delete; RETAIN leaves it.
            Default: DESTROY.
        :param stack_outputs: add a CfnOutput for the ARN. Default: True.
        """
        super().__init__(scope, construct_id)
        problems = Problems(f"FlowDefinition {self.node.path}")

        source = self._source(problems, human_loop_request_source)
        if (human_loop_request_source is None) != (activation_conditions is None):
            problems.add(
                "human_loop_request_source/activation_conditions",
                {
                    "human_loop_request_source": human_loop_request_source,
                    "activation_conditions": "<given>" if activation_conditions is not None else None,
                },
                "must be given together: activation conditions need a request source, and a request "
                "source needs activation conditions",
            )
        conditions = None
        if activation_conditions is not None:
            conditions = _render_conditions(self, problems, activation_conditions, source)
        if flow_definition_name is not None:
            problems.check_pattern(
                "flow_definition_name",
                flow_definition_name,
                _naming.FLOW_DEFINITION_NAME_PATTERN.pattern[1:-1],
                "[a-z0-9](-*[a-z0-9]){0,62} (1 to 63 lowercase letters, digits and hyphens)",
            )
        problems.check_pattern("workteam_arn", workteam_arn, WORKTEAM_ARN_PATTERN)
        problems.check_length("workteam_arn", workteam_arn, 1, 256)
        problems.check_pattern("human_task_ui_arn", human_task_ui_arn, HUMAN_TASK_UI_ARN_PATTERN)
        problems.check_length("human_task_ui_arn", human_task_ui_arn, 1, 1024)
        problems.check_length("task_title", task_title, 1, 128)
        problems.check_length("task_description", task_description, 1, 255)
        problems.check_range("task_count", task_count, 1, 3)
        self._check_keywords(problems, task_keywords)
        lifetime = self._seconds(problems, "task_availability_lifetime", task_availability_lifetime, 1)
        time_limit = self._seconds(problems, "task_time_limit", task_time_limit, 30)
        output_path = self._output_path(problems, output_bucket, output_prefix, output_s3_uri, role)
        self._check_price(problems, public_workforce_task_price, source)
        if removal_policy is RemovalPolicy.SNAPSHOT:
            problems.add("removal_policy", "SNAPSHOT", "must be DESTROY or RETAIN (a flow definition has no snapshot)")
        problems.raise_if_any()

        self.output_bucket = output_bucket
        self.output_prefix = output_prefix
        self._handler = handler_for(self, "flow_definition", "sagemaker-constructs: Augmented AI flow definitions")
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Augmented AI flow definition role (sagemaker-constructs)",
        )

        loop: dict[str, Any] = {
            "WorkteamArn": workteam_arn,
            "HumanTaskUiArn": human_task_ui_arn,
            "TaskTitle": task_title,
            "TaskDescription": task_description,
            "TaskCount": task_count,
        }
        if lifetime is not None:
            loop["TaskAvailabilityLifetimeInSeconds"] = lifetime
        if time_limit is not None:
            loop["TaskTimeLimitInSeconds"] = time_limit
        if task_keywords is not None:
            loop["TaskKeywords"] = list(task_keywords)
        if public_workforce_task_price is not None:
            loop["PublicWorkforceTaskPrice"] = public_workforce_task_price.to_api()
        output: dict[str, Any] = {"S3OutputPath": output_path}
        if kms_key is not None:
            output["KmsKeyId"] = kms_key.key_arn

        properties: dict[str, Any] = {}
        if source is not None:
            properties[_wire.HUMAN_LOOP_REQUEST_SOURCE] = {"AwsManagedHumanLoopRequestSource": source.value}
        if conditions is not None:
            properties[_wire.HUMAN_LOOP_ACTIVATION_CONFIG] = {
                "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": conditions}
            }
        properties[_wire.HUMAN_LOOP_CONFIG] = loop
        properties[_wire.FLOW_OUTPUT_CONFIG] = output
        properties[_wire.ROLE_ARN] = self.role.role_arn

        options: dict[str, Any] = {}
        if flow_definition_name is not None:
            name = flow_definition_name
            options[_wire.OPT_EXPLICIT_NAME] = "true"
        else:
            name = _resource.generated_name(self, {"p": properties, "o": options})
        self.flow_definition_name = name
        properties = {_wire.FLOW_DEFINITION_NAME: name, **properties}
        if options:
            properties[_wire.OPTIONS] = options

        self._grant_flow_role(role is None, output_bucket, output_prefix, output_s3_uri, input_buckets, kms_key)
        self._grant_handler(name, flow_definition_name is not None)

        self.tags = TagManager(TagType.KEY_VALUE, _wire.FLOW_DEFINITION_RESOURCE_TYPE, None, tag_property_name="Tags")
        properties[_wire.TAGS] = self.tags.rendered_tags
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self._handler.function.function_arn,
            resource_type=_wire.FLOW_DEFINITION_RESOURCE_TYPE,
            properties=properties,
            removal_policy=removal_policy,
            service_timeout=SERVICE_TIMEOUT,
        )
        # The role's policies must exist before SageMaker checks the role.
        self.resource.node.add_dependency(self.role)

        self.flow_definition_arn = self.resource.get_att_string(_wire.ATTR_FLOW_DEFINITION_ARN)
        self.flow_definition_status = self.resource.get_att_string(_wire.ATTR_FLOW_DEFINITION_STATUS)
        if stack_outputs:
            CfnOutput(
                self,
                "FlowDefinitionArnOutput",
                value=self.flow_definition_arn,
                description=f"ARN of flow definition {name}",
            )

    # --- ITaggableV2 -------------------------------------------------------------
    @property
    def cdk_tag_manager(self) -> TagManager:
        return self.tags

    # --- grants and imports ---------------------------------------------------------
    def grant_start_human_loop(self, grantee: iam.IGrantable) -> iam.Grant:
        """``sagemaker:StartHumanLoop`` on this flow definition (custom task types)."""
        return _grant_start_human_loop(grantee, self.flow_definition_arn)

    @staticmethod
    def from_flow_definition_name(scope: Construct, construct_id: str, name: str) -> IFlowDefinition:
        """An existing flow definition of this account and region."""
        if not is_token(name) and not _naming.FLOW_DEFINITION_NAME_PATTERN.match(name):
            raise ValueError(
                f"FlowDefinition.from_flow_definition_name: {name!r} must match "
                f"{_naming.FLOW_DEFINITION_NAME_PATTERN.pattern[1:-1]}"
            )
        return _ImportedFlowDefinition(scope, construct_id, name)

    # --- validation -------------------------------------------------------------------
    @staticmethod
    def _source(problems: Problems, source: HumanLoopRequestSource | str | None) -> HumanLoopRequestSource | None:
        if source is None:
            return None
        try:
            return HumanLoopRequestSource(source)
        except ValueError:
            problems.add(
                "human_loop_request_source",
                source,
                f"must be one of {', '.join(s.value for s in HumanLoopRequestSource)}",
            )
            return None

    @staticmethod
    def _check_keywords(problems: Problems, keywords: Sequence[str] | None) -> None:
        if keywords is None:
            return
        if not 1 <= len(keywords) <= 5:
            problems.add("task_keywords", list(keywords), f"must hold 1 to 5 keywords ({len(keywords)} given)")
        for i, keyword in enumerate(keywords):
            problems.check_length(f"task_keywords[{i}]", keyword, 1, 30)
            problems.check_pattern(
                f"task_keywords[{i}]",
                keyword,
                TASK_KEYWORD_PATTERN,
                "[A-Za-z0-9]+( [A-Za-z0-9]+)* (letters and digits, single spaces between words)",
            )

    @staticmethod
    def _seconds(problems: Problems, prop: str, duration: Duration | None, minimum: int) -> int | None:
        if duration is None:
            return None
        seconds = duration.to_seconds(integral=False)
        if seconds != int(seconds):
            problems.add(prop, f"{seconds} s", "must be a whole number of seconds")
        elif seconds < minimum:
            problems.add(prop, f"{seconds:g} s", f"must be at least {minimum} second{'s' if minimum > 1 else ''}")
        return int(seconds)

    @staticmethod
    def _output_path(
        problems: Problems, bucket: s3.IBucket | None, prefix: str, uri: str | None, role: iam.IRole | None
    ) -> str:
        if (bucket is None) == (uri is None):
            problems.add(
                "output_bucket/output_s3_uri",
                {"output_bucket": bucket, "output_s3_uri": uri},
                "exactly one of the two must be given",
            )
        if bucket is not None:
            path = f"s3://{bucket.bucket_name}/{prefix}"
            problems.check_length("output_prefix", prefix, 0, 1024 - len("s3://") - 63 - 1)
            return path
        if uri is None:
            return ""
        if not is_token(uri):
            if not re.fullmatch(S3_URI_PATTERN, uri):
                problems.add("output_s3_uri", uri, "must be an s3:// or https:// URI")
                return uri
            problems.check_length("output_s3_uri", uri, 1, 1024)
        if role is None and _split_output_uri(uri) is None:
            problems.add(
                "output_s3_uri",
                uri,
                "must name its bucket in a form the construct understands "
                "(s3://bucket/key or an S3 https URL), or pass a role that can write there",
            )
        return uri

    @staticmethod
    def _check_price(problems: Problems, price: TaskPrice | None, source: HumanLoopRequestSource | None) -> None:
        if price is None:
            return
        task_type, allowed = _price_list_for(source)
        if price.amount not in allowed:
            problems.add(
                "public_workforce_task_price",
                TaskPrice.format(price.amount),
                f"is not a price for {task_type}; use one of {', '.join(TaskPrice.format(p) for p in allowed)}",
            )

    # --- IAM ------------------------------------------------------------------------------
    def _grant_flow_role(
        self,
        created: bool,
        bucket: s3.IBucket | None,
        prefix: str,
        uri: str | None,
        input_buckets: Sequence[s3.IBucket] | None,
        key: kms.IKey | None,
    ) -> None:
        """The A2I documentation's sample policy: GetObject on the input, PutObject on the
        output, and the output KMS key. Nothing managed."""
        if key is not None:
            # The data-key actions S3 uses for the results, not kms:ReEncrypt* or kms:GenerateDataKey*.
            key.grant(self.role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
        if not created:
            return
        if bucket is not None:
            output_objects = bucket.arn_for_objects(f"{prefix}*")
        else:
            assert uri is not None
            split = _split_output_uri(uri)
            assert split is not None
            output_objects = f"arn:{Aws.PARTITION}:s3:::{split[0]}/{split[1]}*"
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[output_objects]))
        _nag.acknowledge_wildcard_resource(
            self.role,
            output_objects,
            "Augmented AI writes each human loop's results below the flow definition's output path, under "
            "object names it chooses (<flow>/<date>/<loop>/output.json); PutObject covers that prefix only.",
        )
        if bucket is not None and bucket.encryption_key is not None and key is None:
            bucket.encryption_key.grant(self.role, "kms:Encrypt", "kms:GenerateDataKey")
        readable = [b.arn_for_objects("*") for b in input_buckets or []]
        if readable:
            self.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=readable))
        for input_bucket in input_buckets or []:
            if input_bucket.encryption_key is not None:
                input_bucket.encryption_key.grant_decrypt(self.role)

    def _grant_handler(self, name: str, explicit: bool) -> None:
        actions = [
            "sagemaker:CreateFlowDefinition",
            "sagemaker:DescribeFlowDefinition",
            "sagemaker:DeleteFlowDefinition",
            "sagemaker:AddTags",
            "sagemaker:DeleteTags",
            "sagemaker:ListTags",
        ]
        self._handler.allow_on_names(
            "flow-definition",
            actions,
            name if explicit else None,
            "The handler acts only on flow definitions whose names it generates; every such name starts "
            "with this stack's prefix and ends in a per-definition hash, so the pattern names this stack's "
            "flow definitions and none of another stack (see the naming scheme in the README).",
        )
        self._handler.allow_pass_role(self.role)


def _split_output_uri(uri: str) -> tuple[str, str] | None:
    """(bucket, key prefix) of an s3:// URI, or of a virtual-hosted or path-style S3 https URL."""
    match = re.fullmatch(r"s3://([^/]+)/?(.*)", uri)
    if match:
        return match.group(1), match.group(2)
    match = re.fullmatch(r"https://([^/]+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/?(.*)", uri)
    if match:
        return match.group(1), match.group(2)
    match = re.fullmatch(r"https://s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/([^/]+)/?(.*)", uri)
    if match:
        return match.group(1), match.group(2)
    return None


class _ImportedFlowDefinition(Construct):
    def __init__(self, scope: Construct, construct_id: str, name: str) -> None:
        super().__init__(scope, construct_id)
        self.flow_definition_name = name
        self.flow_definition_arn = Stack.of(self).format_arn(
            service="sagemaker", resource="flow-definition", resource_name=name if is_token(name) else name.lower()
        )

    def grant_start_human_loop(self, grantee: iam.IGrantable) -> iam.Grant:
        """``sagemaker:StartHumanLoop`` on this flow definition."""
        return _grant_start_human_loop(grantee, self.flow_definition_arn)
