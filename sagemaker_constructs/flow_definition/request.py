"""The CreateFlowDefinition request, rendered as the custom resource's
properties (names from :mod:`sagemaker_constructs._wire`): one function per
API block, each a function of the validated props."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_sagemaker as sagemaker
from constructs import IConstruct

from .. import _wire
from .._validation import seconds_of
from . import conditions
from .props import FlowDefinitionProps, human_task_ui_arn_of, source_of, workteam_arn_of


def render_properties(scope: IConstruct, props: FlowDefinitionProps, role_arn: str) -> dict[str, Any]:
    """Every property except the name and the tags."""
    properties: dict[str, Any] = {}
    source = props.get("human_loop_request_source")
    if source is not None:
        member = source_of(props)
        value = member.value if member is not None else source  # a token is sent as given
        properties[_wire.HUMAN_LOOP_REQUEST_SOURCE] = {"AwsManagedHumanLoopRequestSource": value}
    raw = props.get("activation_conditions")
    if raw is not None:
        properties[_wire.HUMAN_LOOP_ACTIVATION_CONFIG] = {
            "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": conditions.render(scope, raw)}
        }
    properties[_wire.HUMAN_LOOP_CONFIG] = render_human_loop_config(props)
    properties[_wire.FLOW_OUTPUT_CONFIG] = render_output_config(props)
    properties[_wire.ROLE_ARN] = role_arn
    return properties


def render_human_loop_config(props: FlowDefinitionProps) -> dict[str, Any]:
    config: dict[str, Any] = {
        "WorkteamArn": workteam_arn_of(props),
        "HumanTaskUiArn": human_task_ui_arn_of(props),
        "TaskTitle": props["task_title"],
        "TaskDescription": props["task_description"],
        "TaskCount": props.get("task_count", 1),
    }
    lifetime, time_limit = props.get("task_availability_lifetime"), props.get("task_time_limit")
    if lifetime is not None:
        config["TaskAvailabilityLifetimeInSeconds"] = seconds_of(lifetime)
    if time_limit is not None:
        config["TaskTimeLimitInSeconds"] = seconds_of(time_limit)
    keywords, price = props.get("task_keywords"), props.get("public_workforce_task_price")
    if keywords is not None:
        config["TaskKeywords"] = list(keywords)
    if price is not None:
        config["PublicWorkforceTaskPrice"] = price.to_api()
    return config


def render_output_config(props: FlowDefinitionProps) -> dict[str, Any]:
    bucket, key = props.get("output_bucket"), props.get("kms_key")
    if bucket is not None:
        path = f"s3://{bucket.bucket_name}/{props.get('output_prefix', '')}"
    else:
        path = str(props.get("output_s3_uri"))
    config: dict[str, Any] = {"S3OutputPath": path}
    if key is not None:
        config["KmsKeyId"] = key.key_arn
    return config


def name_identity(properties: dict[str, Any], props: FlowDefinitionProps) -> dict[str, Any]:
    """What a generated name hashes: every property except tags (the shape of 0.1.0), and
    what replaces a native work team or UI it references (see :func:`replaced_with`)."""
    identity: dict[str, Any] = {"p": properties, "o": {}}
    referenced = replaced_with(props)
    if referenced:
        identity["r"] = referenced
    return identity


def replaced_with(props: FlowDefinitionProps) -> dict[str, Any]:
    """The properties whose change replaces a referenced ``CfnHumanTaskUi`` or ``CfnWorkteam``
    (their create-only properties). A replacement gives the UI or team a new ARN under the same
    ``Ref``, which the flow definition's template would not show; with these in its name, the
    flow definition is replaced too, under a new name, instead of failing the update."""
    found: dict[str, Any] = {}
    ui = props.get("human_task_ui")
    if isinstance(ui, sagemaker.CfnHumanTaskUi):
        found["ui"] = {"name": ui.human_task_ui_name, "template": ui.ui_template}
    workteam = props.get("workteam")
    if isinstance(workteam, sagemaker.CfnWorkteam):
        found["workteam"] = {"name": workteam.workteam_name, "workforce": workteam.workforce_name}
    return found


def with_name(properties: dict[str, Any], name: str, explicit: bool) -> dict[str, Any]:
    named = {_wire.FLOW_DEFINITION_NAME: name, **properties}
    if explicit:
        named[_wire.OPTIONS] = {_wire.OPT_EXPLICIT_NAME: "true"}
    return named
