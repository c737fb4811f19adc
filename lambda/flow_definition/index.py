"""Custom::SageMakerFlowDefinition: crhelper wiring for :mod:`logic`.

One function per stack serves every FlowDefinition in it. Flow definitions
become Active in seconds, so each request is answered from its own invocation:
no poll functions are registered and no EventBridge rule is ever created.
"""

from __future__ import annotations

from typing import Any

import cfn_resource
import common
import logic
from cfn_resource import Result

helper = cfn_resource.ManagedResource()


clients = common.Clients("sagemaker")


def _session(context: Any, service_timeout: int) -> logic.Session:
    lambda_left = context.get_remaining_time_in_millis() / 1000.0
    deadline = logic.deadline_for(service_timeout, cfn_resource.clock.now(), lambda_left)
    return logic.Session(sagemaker=clients.sagemaker, deadline=deadline)


@helper.create
def create(event: dict[str, Any], context: Any) -> Result:
    desired = logic.desired_from(event["ResourceProperties"])
    return logic.create(_session(context, desired.service_timeout), desired)


@helper.update
def update(event: dict[str, Any], context: Any) -> Result:
    desired = logic.desired_from(event["ResourceProperties"])
    previous = logic.desired_from(event["OldResourceProperties"])
    session = _session(context, desired.service_timeout)
    return logic.update(session, desired, previous, event["PhysicalResourceId"])


@helper.delete
def delete(event: dict[str, Any], context: Any) -> Result:
    # Properties that no longer parse must not block the stack's deletion.
    session = _session(context, logic.service_timeout_of(event["ResourceProperties"]))
    return logic.delete(session, event["ResourceProperties"], event["PhysicalResourceId"])


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
