"""The decisions of the FlowDefinition handler, on plain dicts and injected clients.

``index.py`` wires these to crhelper. Every function either returns a
:class:`cfn_resource.Result` or raises :class:`cfn_resource.Failure`.

Flow definitions become Active within seconds, so everything waits inline
(describe every ~1 s) with no EventBridge polling. The wait is bounded by the
earlier of the Lambda's remaining time and a deadline derived from the
resource's ServiceTimeout.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import _wire
import aws_calls
import cfn_resource
import common
from cfn_resource import Failure, Result

logger = logging.getLogger(__name__)

ADOPTABLE = frozenset({"Initializing", "Active"})
DESCRIBE_EVERY_SECONDS = 1.0
DESCRIBE_JITTER_SECONDS = 0.5
# A role created in the same deploy may not be assumable by SageMaker yet (IAM
# propagation): CreateFlowDefinition then answers a ValidationException about
# assuming the role. Retry that for this long, every ~5 s.
ROLE_PROPAGATION_SECONDS = 120.0
ROLE_RETRY_EVERY_SECONDS = 5.0
ROLE_RETRY_JITTER_SECONDS = 2.0
ASSUME_ROLE_MESSAGE = re.compile(r"assume", re.IGNORECASE)
# CloudFormation gives up at ServiceTimeout; stop waiting this much earlier.
DEADLINE_MARGIN_SECONDS = 60.0
DEFAULT_SERVICE_TIMEOUT = 600
# Leave this much of the Lambda's own time for answering.
LAMBDA_MARGIN_SECONDS = 30.0  # room to answer: cfn_resource.SEND_WORST_CASE_SECONDS
NAME_PATTERN = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")
# HumanLoopConfig members SageMaker may fill with defaults when not asked for:
# compared only when the request sets them.
_OPTIONAL_LOOP_FIELDS = (
    "TaskAvailabilityLifetimeInSeconds",
    "TaskTimeLimitInSeconds",
    "TaskKeywords",
    "PublicWorkforceTaskPrice",
)
_LOOP_FIELDS = ("WorkteamArn", "HumanTaskUiArn", "TaskTitle", "TaskDescription", "TaskCount")


@dataclass
class Desired:
    """The flow definition the properties ask for."""

    request: dict[str, Any]  # CreateFlowDefinition arguments, without Tags
    tags: list[dict[str, str]]
    explicit_name: bool
    service_timeout: int

    @property
    def name(self) -> str:
        return str(self.request[_wire.FLOW_DEFINITION_NAME])


def desired_from(resource_properties: dict[str, Any]) -> Desired:
    props = _wire.parse_properties(resource_properties)
    request, options = _wire.split_options(props)
    tags = request.pop(_wire.TAGS, None) or []
    return Desired(
        request=request,
        tags=common.tag_list(tags),
        explicit_name=bool(options.get(_wire.OPT_EXPLICIT_NAME, False)),
        service_timeout=int(props.get(_wire.SERVICE_TIMEOUT, DEFAULT_SERVICE_TIMEOUT)),
    )


# --- comparing a described flow definition with the desired one ----------------
def _conditions(request: dict[str, Any]) -> Any:
    config = (request.get(_wire.HUMAN_LOOP_ACTIVATION_CONFIG) or {}).get("HumanLoopActivationConditionsConfig") or {}
    return common.json_or_text(config.get("HumanLoopActivationConditions"))


def _normalized(request: dict[str, Any], optional_fields: tuple[str, ...]) -> dict[str, Any]:
    loop = dict(request.get(_wire.HUMAN_LOOP_CONFIG) or {})
    output = dict(request.get(_wire.FLOW_OUTPUT_CONFIG) or {})
    source = request.get(_wire.HUMAN_LOOP_REQUEST_SOURCE) or {}
    normalized: dict[str, Any] = {
        "RoleArn": request.get(_wire.ROLE_ARN),
        "HumanLoopRequestSource": source.get("AwsManagedHumanLoopRequestSource"),
        "HumanLoopActivationConditions": _conditions(request),
        "OutputConfig.S3OutputPath": str(output.get("S3OutputPath", "")).rstrip("/"),
        "OutputConfig.KmsKeyId": output.get("KmsKeyId") or None,
    }
    for key in _LOOP_FIELDS + optional_fields:
        normalized[f"HumanLoopConfig.{key}"] = loop.get(key)
    return normalized


def config_differences(
    request: dict[str, Any], described: dict[str, Any], also: dict[str, Any] | None = None
) -> list[str]:
    """The fields in which an existing flow definition differs from the request.

    Optional HumanLoopConfig members the request leaves out are not compared:
    SageMaker fills in its defaults. Those that ``also`` (another request) sets
    are compared too, so that a field one side removed still counts."""
    loop = request.get(_wire.HUMAN_LOOP_CONFIG) or {}
    other = (also or {}).get(_wire.HUMAN_LOOP_CONFIG) or {}
    optional = tuple(key for key in _OPTIONAL_LOOP_FIELDS if key in loop or key in other)
    want, have = _normalized(request, optional), _normalized(described, optional)
    return [key for key in want if want[key] != have[key]]


# --- answers ----------------------------------------------------------------
def attributes(described: dict[str, Any]) -> dict[str, str]:
    return {
        _wire.ATTR_FLOW_DEFINITION_ARN: str(described.get("FlowDefinitionArn", "")),
        _wire.ATTR_FLOW_DEFINITION_NAME: str(described.get("FlowDefinitionName", "")),
        _wire.ATTR_FLOW_DEFINITION_STATUS: str(described.get("FlowDefinitionStatus", "")),
    }


def ended_badly(name: str, described: dict[str, Any]) -> Failure:
    """The reason ends with name, status and FailureReason: a 256-character cut keeps them.
    The physical id is the name, so the rollback Delete removes it and frees the name."""
    status = described.get("FlowDefinitionStatus", "")
    failure = described.get("FailureReason") or "no reason given"
    return Failure(
        cfn_resource.compose_reason(
            "Flow definition did not become Active; details in the handler's CloudWatch log.",
            f"Flow definition {name} status {status}",
            str(failure),
        ),
        physical_id=name,
    )


# --- the session of one invocation ------------------------------------------
@dataclass
class Session:
    """Client and time budget of one invocation."""

    sagemaker: Any
    deadline: float  # the earlier of CloudFormation's deadline (less a margin) and the Lambda's

    def describe(self, name: str) -> dict[str, Any] | None:
        return aws_calls.describe_or_none(
            self.sagemaker.describe_flow_definition, deadline=self.deadline, FlowDefinitionName=name
        )

    def sleep_between_describes(self) -> None:
        cfn_resource.clock.sleep(cfn_resource.jitter(DESCRIBE_EVERY_SECONDS, DESCRIBE_JITTER_SECONDS))


def deadline_for(service_timeout: int, started: float, lambda_seconds_left: float) -> float:
    """When this invocation must stop waiting and answer."""
    cloudformation = started + max(service_timeout - DEADLINE_MARGIN_SECONDS, 30.0)
    own = started + max(lambda_seconds_left - LAMBDA_MARGIN_SECONDS, 0.0)
    return min(cloudformation, own)


def wait_until_active(session: Session, name: str) -> Result:
    """Describe every ~1 s until Active (SUCCESS) or Failed (FAILED), or the deadline."""
    while True:
        described = session.describe(name)
        if described is None:
            raise Failure(f"flow definition {name} disappeared while being waited for", physical_id=name)
        status = described.get("FlowDefinitionStatus", "")
        if status == "Active":
            return Result(name, data=attributes(described))
        if status not in ADOPTABLE:
            raise ended_badly(name, described)
        if cfn_resource.clock.now() >= session.deadline:
            raise Failure(
                f"flow definition {name} was still {status} at the deadline that keeps CloudFormation's "
                "ServiceTimeout; the rollback Delete removes it",
                physical_id=name,
            )
        session.sleep_between_describes()


def _wait_until_gone(session: Session, name: str) -> None:
    while session.describe(name) is not None:
        if cfn_resource.clock.now() >= session.deadline:
            raise Failure(f"flow definition {name} was still there at the deadline after DeleteFlowDefinition")
        session.sleep_between_describes()


def _delete_and_wait_gone(session: Session, name: str) -> None:
    try:
        aws_calls.call_with_retry(
            lambda: session.sagemaker.delete_flow_definition(FlowDefinitionName=name),
            what=f"DeleteFlowDefinition {name}",
            deadline=session.deadline,
        )
    except Failure:
        raise
    except Exception as error:
        if not aws_calls.is_not_found(error):
            raise Failure(
                f"SageMaker rejected DeleteFlowDefinition {name}: "
                f"{aws_calls.error_code(error)}: {aws_calls.error_message(error)}"
            ) from error
        return
    _wait_until_gone(session, name)


def is_role_not_assumable(error: BaseException) -> bool:
    return aws_calls.error_code(error) == "ValidationException" and bool(
        ASSUME_ROLE_MESSAGE.search(aws_calls.error_message(error))
    )


def _start(session: Session, desired: Desired) -> None:
    """CreateFlowDefinition; retries throttling, and a role SageMaker cannot assume
    yet for up to ROLE_PROPAGATION_SECONDS."""
    request = dict(desired.request)
    if desired.tags:
        request[_wire.TAGS] = desired.tags
    give_up = min(cfn_resource.clock.now() + ROLE_PROPAGATION_SECONDS, session.deadline)
    attempts = 0
    while True:
        attempts += 1
        try:
            aws_calls.call_with_retry(
                lambda: session.sagemaker.create_flow_definition(**request),
                what=f"CreateFlowDefinition {desired.name}",
                deadline=session.deadline,
                codes=aws_calls.CREATE_RETRY_CODES,
            )
            return
        except Failure:
            raise
        except Exception as error:
            if not is_role_not_assumable(error):
                raise
            delay = cfn_resource.jitter(ROLE_RETRY_EVERY_SECONDS, ROLE_RETRY_JITTER_SECONDS)
            if cfn_resource.clock.now() + delay > give_up:
                raise Failure(
                    f"SageMaker could not assume the role of flow definition {desired.name} after "
                    f"{attempts} attempts: ValidationException: {aws_calls.error_message(error)}"
                ) from error
            logger.warning("role not assumable yet (%s); retrying in %.1f s", aws_calls.error_message(error), delay)
            cfn_resource.clock.sleep(delay)


def _adopt_or_clear(session: Session, desired: Desired, existing: dict[str, Any]) -> bool:
    """Decide about a flow definition already under the name. True: adopted."""
    name = desired.name
    differences = config_differences(desired.request, existing)
    if differences:
        raise Failure(
            f"a flow definition named {name} already exists with a different configuration "
            f"({', '.join(differences)}); it was left alone. Remove it or choose another name."
        )
    status = existing.get("FlowDefinitionStatus")
    if status in ADOPTABLE:
        logger.info("adopting the existing flow definition %s (%s)", name, status)
        return True
    logger.info("%s exists but is %s: deleting it and creating it again", name, status)
    _delete_and_wait_gone(session, name)
    return False


def create(session: Session, desired: Desired) -> Result:
    """Create the flow definition (or adopt the same one already there) and wait for Active."""
    name = desired.name
    if not NAME_PATTERN.match(name):
        raise Failure(f"FlowDefinitionName {name!r} does not match {NAME_PATTERN.pattern}")
    existing = session.describe(name)
    if existing is not None and existing.get("FlowDefinitionStatus") == "Deleting":
        _wait_until_gone(session, name)
        existing = None
    if existing is not None and _adopt_or_clear(session, desired, existing):
        return wait_until_active(session, name)
    try:
        _start(session, desired)
    except Failure:
        raise
    except Exception as error:
        if aws_calls.error_code(error) not in ("ResourceInUse", "ConflictException"):
            raise Failure(
                f"SageMaker rejected CreateFlowDefinition {name}: "
                f"{aws_calls.error_code(error)}: {aws_calls.error_message(error)}"
            ) from error
        logger.info("%s was created by a concurrent invocation", name)
        raced = session.describe(name)
        if raced is not None:
            differences = config_differences(desired.request, raced)
            if differences:
                raise Failure(
                    f"a flow definition named {name} appeared with a different configuration "
                    f"({', '.join(differences)}); it was left alone"
                ) from error
    return wait_until_active(session, name)


# --- tags ---------------------------------------------------------------------
# --- update and delete ----------------------------------------------------------
def update(session: Session, desired: Desired, previous: Desired, physical_id: str) -> Result:
    """New name: a new flow definition (CloudFormation then deletes the old one).
    Same name: tags only, in place; any other change cannot happen under the same name."""
    if desired.name != physical_id:
        return create(session, desired)
    existing = session.describe(physical_id)
    if existing is None:
        return create(session, desired)
    differences = config_differences(desired.request, existing)
    # A change only in fields SageMaker defaults (not compared) still shows as a
    # difference from the previous properties. An update rollback (the old
    # properties sent again under the old name) matches the definition there
    # and not the failed "previous" properties: it is adopted.
    if (
        not differences
        and desired.request != previous.request
        and not config_differences(previous.request, existing, also=desired.request)
    ):
        differences = ["properties"]
    if differences:
        fields = ", ".join(differences)
        raise Failure(
            f"flow definition {physical_id} cannot change in place ({fields} changed) and cannot be "
            "replaced under the same name; give it a new flow_definition_name",
            physical_id=physical_id,
        )
    status = existing.get("FlowDefinitionStatus")
    if status not in ADOPTABLE:
        raise ended_badly(physical_id, existing)
    common.sync_tags(session, str(existing["FlowDefinitionArn"]), desired.tags, previous.tags)
    return wait_until_active(session, physical_id)


def delete(session: Session, resource_properties: dict[str, Any], physical_id: str) -> Result:
    """Delete the flow definition and wait until it is gone.

    Only a flow definition whose name is the one these properties name is
    touched: the physical id of a Create that failed before it made anything is
    an id crhelper made up, and deletes as success with no call at all. A flow
    definition that is already gone deletes as success too.
    """
    named = str(resource_properties.get(_wire.FLOW_DEFINITION_NAME, ""))
    if not NAME_PATTERN.match(physical_id) or physical_id != named:
        logger.info("physical id %s is not a flow definition this resource created: nothing to delete", physical_id)
        return Result(physical_id)
    described = session.describe(physical_id)
    if described is None:
        return Result(physical_id)
    if described.get("FlowDefinitionStatus") == "Deleting":
        _wait_until_gone(session, physical_id)
    else:
        _delete_and_wait_gone(session, physical_id)
    return Result(physical_id)


def service_timeout_of(resource_properties: dict[str, Any]) -> int:
    return common.service_timeout_of(resource_properties, DEFAULT_SERVICE_TIMEOUT)
