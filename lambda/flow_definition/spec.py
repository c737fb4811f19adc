"""Custom::SageMakerFlowDefinition as a kind of the lifecycle engine.

Flow definitions become Active within seconds and cannot be stopped. This
kind's own steps: a role created in the same deploy may not be assumable by
SageMaker yet (IAM propagation), and HumanLoopConfig members SageMaker fills
with defaults are compared only when asked for.
"""

from __future__ import annotations

import re
from typing import Any

import _wire
import aws_calls
import properties
from engine import Kind, Statuses

# CreateFlowDefinition answers a ValidationException about assuming the role while a
# new role propagates: retry that for this long.
ROLE_PROPAGATION_SECONDS = 120.0
ASSUME_ROLE_MESSAGE = re.compile(r"assume", re.IGNORECASE)
# HumanLoopConfig members SageMaker may fill with defaults when not asked for:
# compared only when a request sets them.
OPTIONAL_LOOP_FIELDS = (
    "TaskAvailabilityLifetimeInSeconds",
    "TaskTimeLimitInSeconds",
    "TaskKeywords",
    "PublicWorkforceTaskPrice",
)
# How long a Delete waits for a flow definition that stays Deleting before it answers SUCCESS.
DELETING_ACCEPTED_SECONDS = 60.0
LOOP_FIELDS = ("WorkteamArn", "HumanTaskUiArn", "TaskTitle", "TaskDescription", "TaskCount")


def _conditions(request: dict[str, Any]) -> Any:
    config = properties.member(
        properties.member(request, _wire.HUMAN_LOOP_ACTIVATION_CONFIG), "HumanLoopActivationConditionsConfig"
    )
    return properties.json_or_text(config.get("HumanLoopActivationConditions"))


def _normalized(request: dict[str, Any], optional_fields: tuple[str, ...]) -> dict[str, Any]:
    loop = properties.member(request, _wire.HUMAN_LOOP_CONFIG)
    output = properties.member(request, _wire.FLOW_OUTPUT_CONFIG)
    source = properties.member(request, _wire.HUMAN_LOOP_REQUEST_SOURCE)
    normalized: dict[str, Any] = {
        "RoleArn": request.get(_wire.ROLE_ARN),
        "HumanLoopRequestSource": source.get("AwsManagedHumanLoopRequestSource"),
        "HumanLoopActivationConditions": _conditions(request),
        "OutputConfig.S3OutputPath": str(output.get("S3OutputPath", "")).rstrip("/"),
        "OutputConfig.KmsKeyId": output.get("KmsKeyId") or None,
    }
    for key in LOOP_FIELDS + optional_fields:
        normalized[f"HumanLoopConfig.{key}"] = loop.get(key)
    return normalized


def is_role_not_assumable(error: BaseException) -> bool:
    return aws_calls.error_code(error) == "ValidationException" and bool(
        ASSUME_ROLE_MESSAGE.search(aws_calls.error_message(error))
    )


DECLARED = _wire.FLOW_DEFINITION


class FlowDefinition(Kind):
    # The declarative attributes, from the kind's one declaration (sagemaker_constructs/_wire.py).
    noun, resource_type, name_property, name_pattern, arn_field = DECLARED.identity()
    create_operation, default_service_timeout = DECLARED.create_operation, DECLARED.default_service_timeout
    create_method, describe_method, delete_method, stop_method = DECLARED.operations()
    statuses = Statuses(
        field=DECLARED.status_field,
        succeeded=frozenset({"Active"}),
        waiting=frozenset({"Initializing"}),
        failed=frozenset({"Failed"}),
        deleting=frozenset({"Deleting"}),
    )
    min_describe_interval = 1.0
    deadline_margin = 60.0
    failure_lead = "Flow definition did not become Active; details in the handler's CloudWatch log."
    # A2I keeps a deleted flow definition Deleting while workers hold its tasks (up to
    # TaskTimeLimitInSeconds, one hour by default): the accepted delete is the end.
    deleting_is_gone_after = DELETING_ACCEPTED_SECONDS

    def differences(
        self, request: dict[str, Any], described: dict[str, Any], also: dict[str, Any] | None = None
    ) -> list[str]:
        """Optional HumanLoopConfig members the request leaves out are not compared
        (SageMaker fills in its defaults); those ``also`` (another request) sets are,
        so that a field one side removed still counts."""
        loop = request.get(_wire.HUMAN_LOOP_CONFIG) or {}
        other = (also or {}).get(_wire.HUMAN_LOOP_CONFIG) or {}
        optional = tuple(key for key in OPTIONAL_LOOP_FIELDS if key in loop or key in other)
        want, have = _normalized(request, optional), _normalized(described, optional)
        return [key for key in want if want[key] != have[key]]

    def create_retry_seconds(self, error: BaseException) -> float:
        return ROLE_PROPAGATION_SECONDS if is_role_not_assumable(error) else 0.0

    def attributes(self, described: dict[str, Any], extra: dict[str, str]) -> dict[str, str]:
        return {
            _wire.ATTR_FLOW_DEFINITION_ARN: str(described.get("FlowDefinitionArn", "")),
            _wire.ATTR_FLOW_DEFINITION_NAME: str(described.get("FlowDefinitionName", "")),
            _wire.ATTR_FLOW_DEFINITION_STATUS: str(described.get("FlowDefinitionStatus", "")),
        }


KIND = FlowDefinition()
