"""Custom::SageMakerCompilationJob: crhelper wiring for :mod:`logic`.

One function per stack serves every CompilationJob in it. The first
invocation waits inline while it has time; after that, crhelper's EventBridge
polling (rule ``smc-poll-*``, every minute) takes over until the deadline
derived from the resource's ServiceTimeout.
"""

from __future__ import annotations

from typing import Any

import _wire
import cfn_resource
import common
import logic
import model_sources
from cfn_resource import Failure, Result

helper = cfn_resource.ManagedResource()


clients = common.Clients("sagemaker", "s3")


def _session(context: Any, deadline: float, inline_seconds: float | None = None) -> logic.Session:
    now = cfn_resource.clock.now()
    lambda_left = max(context.get_remaining_time_in_millis() / 1000.0 - logic.LAMBDA_MARGIN_SECONDS, 0.0)
    budget = lambda_left if inline_seconds is None else min(lambda_left, inline_seconds)
    return logic.Session(
        sagemaker=clients.sagemaker,
        s3=clients.s3,
        deadline=deadline,
        inline_until=min(deadline, now + budget),
        invocation_until=now + lambda_left,
    )


def _desired(properties: dict[str, Any]) -> logic.Desired:
    """The properties, parsed; one that does not parse fails before any AWS call."""
    try:
        return logic.desired_from(properties)
    except (_wire.PropertyError, KeyError, TypeError, ValueError) as error:
        detail = str(error) if isinstance(error, _wire.PropertyError) else f"{type(error).__name__}: {error}"
        raise Failure(f"invalid resource property: {detail}") from error


def _first_session(event: dict[str, Any], context: Any, desired: logic.Desired) -> logic.Session:
    return _session(context, logic.deadline_for(desired.service_timeout, cfn_resource.clock.now()))


def _poll_session(event: dict[str, Any], context: Any) -> tuple[logic.Session, dict[str, Any]]:
    state = dict(event["CrHelperData"]["State"])
    return _session(context, float(state["Deadline"]), logic.POLL_INLINE_SECONDS), state


@helper.create
def create(event: dict[str, Any], context: Any) -> Result:
    desired = _desired(event["ResourceProperties"])
    return logic.create(_first_session(event, context, desired), desired, model_sources.resolve)


@helper.update
def update(event: dict[str, Any], context: Any) -> Result:
    desired = _desired(event["ResourceProperties"])
    previous = _desired(event["OldResourceProperties"])
    session = _first_session(event, context, desired)
    return logic.update(session, desired, previous, event["PhysicalResourceId"], model_sources.resolve)


@helper.delete
def delete(event: dict[str, Any], context: Any) -> Result:
    # Properties that no longer parse must not block the stack's deletion.
    properties = event["ResourceProperties"]
    deadline = logic.deadline_for(logic.service_timeout_of(properties), cfn_resource.clock.now())
    return logic.delete(_session(context, deadline), properties, event["PhysicalResourceId"])


def _poll(event: dict[str, Any], context: Any) -> Result:
    session, state = _poll_session(event, context)
    if state.get("Phase") == "delete":
        return logic.continue_delete(session, state["Name"])
    return logic.wait_for_end(session, state["Name"], dict(state.get("Source") or {}))


helper.poll_create(_poll)
helper.poll_update(_poll)
helper.poll_delete(_poll)


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
