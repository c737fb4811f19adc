"""FlowDefinition's props, and their validation: a function of the props alone.

This module deliberately has no ``from __future__ import annotations``: the
``Required[...]`` markers of the TypedDict are read at run time.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.interfaces import aws_sagemaker as sagemaker_refs

from .. import _environment, _s3, _wire
from .._service_model import check_string, integer_bounds, key_and_role_problems
from .._validation import Problem, Problems, is_token, output_prefix_warning, seconds_of
from . import conditions
from .types import HumanLoopRequestSource, TaskPrice, price_list_for

S3_URI_PATTERN = r"(https|s3)://([^/]+)/?(.*)"
# Where the service model has each member (patterns and lengths are read from botocore).
API = _wire.FLOW_DEFINITION.create_operation
HUMAN_LOOP = f"{API}.HumanLoopConfig"
# The service model gives no maximum for the two task times; the API's documented maxima
# (10 days; 8 hours) are used unless a newer model gives its own.
TASK_AVAILABILITY_LIFETIME_MAX_SECONDS = 864_000
TASK_TIME_LIMIT_MAX_SECONDS = 28_800
# OutputConfig.S3OutputPath is at most 1024 characters: s3://, a bucket name (63) and '/'.
OUTPUT_PREFIX_MAX = 1024 - len("s3://") - 63 - 1


class FlowDefinitionProps(TypedDict, total=False):
    """The props of a :class:`~sagemaker_constructs.FlowDefinition`, for
    ``FlowDefinition(scope, id, **props)``. Build them in one place and reuse
    them: ``other: FlowDefinitionProps = {**common, "task_title": ...}``; mypy checks
    them like keyword arguments.

    :param workteam: ``HumanLoopConfig.WorkteamArn``: the reviewers, as a ``sagemaker.CfnWorkteam``
        or anything with ``workteam_ref``. Required: exactly one of this and ``workteam_arn``.
    :param workteam_arn: ``HumanLoopConfig.WorkteamArn`` as an ARN string. Required: exactly one of
        this and ``workteam``.
    :param human_task_ui: ``HumanLoopConfig.HumanTaskUiArn``: the worker task template, as a
        ``sagemaker.CfnHumanTaskUi`` or anything with ``human_task_ui_ref``. Required: exactly one
        of this and ``human_task_ui_arn``.
    :param human_task_ui_arn: ``HumanLoopConfig.HumanTaskUiArn`` as an ARN string. Required: exactly
        one of this and ``human_task_ui``.
    :param task_title: ``HumanLoopConfig.TaskTitle``, 1 to 128 characters. Required.
    :param task_description: ``HumanLoopConfig.TaskDescription``, 1 to 255 characters. Required.
    :param output_bucket: bucket for the review results (``OutputConfig.S3OutputPath`` is
        ``s3://<bucket>/<output_prefix>``). Exactly one of this and ``output_s3_uri``. Default: none.
    :param output_prefix: key prefix of the results in ``output_bucket`` (in
        ``OutputConfig.S3OutputPath``): no leading ``/``; end it with ``/`` (a warning says so
        otherwise). Default: "".
    :param output_s3_uri: ``OutputConfig.S3OutputPath`` as an ``s3://`` URI or an S3 ``https://``
        URL (virtual-hosted or path style), instead of ``output_bucket``. Another https URL needs
        ``role``. Default: none.
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
    :param role: the role A2I assumes (``RoleArn``). Default: a new one with least privilege (write on
        the output prefix, read on ``input_buckets``, the KMS key).
    :param input_buckets: buckets holding what reviewers see (not an API field); a created role
        may read their objects. They need ``INPUT_BUCKET_CORS_RULE``. Default: none.
    :param flow_definition_name: ``FlowDefinitionName``, lowercase, unique per account and region.
        Default: generated.
    :param removal_policy: what deleting the resource does (not an API field): DESTROY deletes the
        flow definition; RETAIN leaves it. Default: DESTROY.
    :param stack_outputs: add a CfnOutput for the ARN (not an API field). Default: True.
    """

    workteam: sagemaker_refs.IWorkteamRef | None
    workteam_arn: str | None
    human_task_ui: sagemaker_refs.IHumanTaskUiRef | None
    human_task_ui_arn: str | None
    task_title: Required[str]
    task_description: Required[str]
    output_bucket: s3.IBucket | None
    output_prefix: str
    output_s3_uri: str | None
    human_loop_request_source: HumanLoopRequestSource | str | None
    activation_conditions: Mapping[str, Any] | str | None
    task_count: int
    task_availability_lifetime: Duration | None
    task_time_limit: Duration | None
    task_keywords: Sequence[str] | None
    public_workforce_task_price: TaskPrice | None
    kms_key: kms.IKey | None
    role: iam.IRole | None
    input_buckets: Sequence[s3.IBucket] | None
    flow_definition_name: str | None
    removal_policy: RemovalPolicy
    stack_outputs: bool


TYPE_HINTS: dict[Any, str] = {TaskPrice: 'TaskPrice.usd("0.036")'}


# --- values the validation and the rendering share ---------------------------------
def source_of(props: FlowDefinitionProps) -> HumanLoopRequestSource | None:
    """The request source as a member; None if not given, a token or outside the enum."""
    source = props.get("human_loop_request_source")
    if source is None or source not in HumanLoopRequestSource._value2member_map_:
        return None
    return HumanLoopRequestSource(source)


def workteam_arn_of(props: FlowDefinitionProps) -> str | None:
    """``HumanLoopConfig.WorkteamArn``: the ARN given, or the reference's (a token)."""
    workteam = props.get("workteam")
    return workteam.workteam_ref.workteam_arn if workteam is not None else props.get("workteam_arn")


def human_task_ui_arn_of(props: FlowDefinitionProps) -> str | None:
    """``HumanLoopConfig.HumanTaskUiArn``: the ARN given, or the reference's (a token)."""
    ui = props.get("human_task_ui")
    return ui.human_task_ui_ref.human_task_ui_arn if ui is not None else props.get("human_task_ui_arn")


def source_is_token(props: FlowDefinitionProps) -> bool:
    return is_token(props.get("human_loop_request_source"))


def split_output_uri(uri: str) -> tuple[str, str] | None:
    """(bucket, key prefix) of an s3:// URI, or of a virtual-hosted or path-style S3 https URL."""
    parts = _s3.split_uri(uri)
    return parts if parts is not None and parts[0] else None


# --- validation ---------------------------------------------------------------------
def validate(props: FlowDefinitionProps) -> list[Problem]:
    """Every problem of ``props``; tokens are skipped."""
    found = Problems()
    found.extend(_source_problems(props))
    declared = _wire.FLOW_DEFINITION
    check_string(found, declared.name_prop, props.get("flow_definition_name"), f"{API}.{declared.name_property}")
    found.extend(_one_of("workteam", props.get("workteam"), "workteam_arn", props.get("workteam_arn")))
    found.extend(
        _one_of("human_task_ui", props.get("human_task_ui"), "human_task_ui_arn", props.get("human_task_ui_arn"))
    )
    check_string(found, "workteam_arn", props.get("workteam_arn"), f"{HUMAN_LOOP}.WorkteamArn")
    check_string(found, "human_task_ui_arn", props.get("human_task_ui_arn"), f"{HUMAN_LOOP}.HumanTaskUiArn")
    check_string(found, "task_title", props["task_title"], f"{HUMAN_LOOP}.TaskTitle")
    check_string(found, "task_description", props["task_description"], f"{HUMAN_LOOP}.TaskDescription")
    found.check_range("task_count", props.get("task_count", 1), 1, 3)
    found.extend(_keyword_problems(props.get("task_keywords")))
    found.extend(_task_time_problems(props))
    found.extend(_output_problems(props))
    found.extend(key_and_role_problems(API, props.get("kms_key"), props.get("role")))
    found.extend(_price_problems(props))
    if props.get("removal_policy") is RemovalPolicy.SNAPSHOT:
        found.add("removal_policy", "SNAPSHOT", "must be DESTROY or RETAIN (a flow definition has no snapshot)")
    return found


def _source_problems(props: FlowDefinitionProps) -> list[Problem]:
    found = Problems()
    source, raw = props.get("human_loop_request_source"), props.get("activation_conditions")
    if source is not None and source_of(props) is None and not source_is_token(props):
        found.add(
            "human_loop_request_source", source, f"must be one of {', '.join(s.value for s in HumanLoopRequestSource)}"
        )
    if (source is None) != (raw is None):
        found.add(
            "human_loop_request_source/activation_conditions",
            {"human_loop_request_source": source, "activation_conditions": "<given>" if raw is not None else None},
            "must be given together: activation conditions need a request source, and a request "
            "source needs activation conditions",
        )
    if raw is not None:
        found.extend(conditions.problems(raw, source_of(props)))
    return found


def _one_of(native: str, reference: object, arn_prop: str, arn: str | None) -> list[Problem]:
    """Exactly one of a native reference (``workteam``) and its ARN string (``workteam_arn``)."""
    if (reference is None) == (arn is None):
        given = {native: "<given>" if reference is not None else None, arn_prop: arn}
        return [Problem(f"{native}/{arn_prop}", given, "exactly one of the two must be given")]
    return []


def _keyword_problems(keywords: Sequence[str] | None) -> list[Problem]:
    found = Problems()
    if keywords is None:
        return found
    if not 1 <= len(keywords) <= 5:
        found.add("task_keywords", list(keywords), f"must hold 1 to 5 keywords ({len(keywords)} given)")
    for i, keyword in enumerate(keywords):
        check_string(found, f"task_keywords[{i}]", keyword, f"{HUMAN_LOOP}.TaskKeywords")
    return found


def _task_time_problems(props: FlowDefinitionProps) -> list[Problem]:
    """Each time's bounds, and a worker's time limit within the task's availability."""
    found = Problems()
    lifetime, limit = props.get("task_availability_lifetime"), props.get("task_time_limit")
    for prop, duration, member, documented in (
        (
            "task_availability_lifetime",
            lifetime,
            "TaskAvailabilityLifetimeInSeconds",
            TASK_AVAILABILITY_LIFETIME_MAX_SECONDS,
        ),
        ("task_time_limit", limit, "TaskTimeLimitInSeconds", TASK_TIME_LIMIT_MAX_SECONDS),
    ):
        if duration is None:
            continue
        low, high = integer_bounds(f"{HUMAN_LOOP}.{member}")
        maximum = high if high is not None else documented
        before = len(found)
        found.check_seconds(prop, duration, low or 0)
        seconds = seconds_of(duration) if len(found) == before else None
        if isinstance(seconds, int) and seconds > maximum:
            found.add(prop, f"{seconds} s", f"must be at most {maximum} seconds ({maximum / 3600:g} hours; {member})")
    if lifetime is not None and limit is not None:
        available, allowed = seconds_of(lifetime), seconds_of(limit)
        if isinstance(available, int) and isinstance(allowed, int) and allowed > available:
            found.add(
                "task_time_limit",
                f"{allowed} s",
                f"must not be longer than task_availability_lifetime ({available} s): a worker could not use "
                "the time before the task expires",
            )
    return found


def environment_problems(scope: Any, props: FlowDefinitionProps) -> list[Problem]:
    """Region and account of the ARNs and resources given, against the stack's (where both are known)."""
    stack, account, region = _environment.stack_environment(scope)
    found = _environment.arn_problems(
        region, {"workteam_arn": props.get("workteam_arn"), "human_task_ui_arn": props.get("human_task_ui_arn")}
    )
    found.extend(_environment.key_problems(region, "kms_key", props.get("kms_key")))
    found.extend(_environment.bucket_problems(stack, account, region, "output_bucket", props.get("output_bucket")))
    for i, bucket in enumerate(props.get("input_buckets") or ()):
        found.extend(_environment.bucket_problems(stack, account, region, f"input_buckets[{i}]", bucket))
    return found


def _output_problems(props: FlowDefinitionProps) -> list[Problem]:
    found = Problems()
    bucket, uri, prefix = props.get("output_bucket"), props.get("output_s3_uri"), props.get("output_prefix", "")
    if (bucket is None) == (uri is None):
        found.add(
            "output_bucket/output_s3_uri",
            {"output_bucket": bucket, "output_s3_uri": uri},
            "exactly one of the two must be given",
        )
    if uri is not None and prefix:
        found.add("output_prefix", prefix, "applies to output_bucket only: put the prefix in output_s3_uri")
    if bucket is not None:
        found.check_output_prefix("output_prefix", prefix, OUTPUT_PREFIX_MAX)
        found.extend(_s3.bucket_name_problems("output_bucket", _s3.given_bucket_name(bucket)))
    for i, input_bucket in enumerate(props.get("input_buckets") or ()):
        found.extend(_s3.bucket_name_problems(f"input_buckets[{i}]", _s3.given_bucket_name(input_bucket)))
    if uri is None:
        return found
    if not is_token(uri):
        if not re.fullmatch(S3_URI_PATTERN, uri):
            found.add("output_s3_uri", uri, "must be an s3:// or https:// URI")
            return found
        check_string(found, "output_s3_uri", uri, f"{API}.OutputConfig.S3OutputPath")
        found.extend(_s3.uri_problems("output_s3_uri", uri))
    if props.get("role") is None and split_output_uri(uri) is None:
        found.add(
            "output_s3_uri",
            uri,
            "must name its bucket in a form the construct understands (s3://bucket/key, "
            "https://bucket.s3.<region>.amazonaws.com/key or https://s3.<region>.amazonaws.com/bucket/key), "
            "or pass a role that can write there",
        )
    return found


def _price_problems(props: FlowDefinitionProps) -> list[Problem]:
    price = props.get("public_workforce_task_price")
    if price is None or source_is_token(props):
        return []  # a token source: its price list is known only at deploy time
    task_type, allowed = price_list_for(source_of(props))
    if price.amount in allowed:
        return []
    listing = ", ".join(TaskPrice.format(p) for p in allowed)
    return [
        Problem(
            "public_workforce_task_price",
            TaskPrice.format(price.amount),
            f"is not a price for {task_type}; use one of {listing}",
        )
    ]


def warnings(props: FlowDefinitionProps) -> list[tuple[str, str]]:
    """(id, message) of every warning ``props`` deserve; each can be acknowledged by its id."""
    if props.get("output_bucket") is None:
        return []
    separator = output_prefix_warning("output_prefix", props.get("output_prefix", ""))
    return [separator] if separator else []
