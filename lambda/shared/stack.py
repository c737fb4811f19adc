"""CloudFormation's view of a request: is it still wanted, is a name the stack's
live resource? Decided here, for every step that asks.

A request is no longer wanted once CloudFormation stopped waiting for it: a
cancelled Create or Update, a resource being deleted, an answer for another
physical id that took effect, or a stack that began rolling back after the
request began going forward. Unknown (CloudFormation could not be asked)
counts as wanted: the rollback's own removal is the safety net.
"""

from __future__ import annotations

import logging

import aws_calls
from invocation import Run

logger = logging.getLogger(__name__)

# How often a waiting request asks CloudFormation whether it is still wanted (besides
# before and after it creates and at each hand-over).
WANTED_CHECK_SECONDS = 120.0
# Bound of the calls that only inform a decision (the still-wanted check).
ADVISORY_CALL_SECONDS = 20.0

# Resource states of the stack's own resource in which a request is no longer wanted.
_GONE_STATUSES = ("DELETE_", "IMPORT_ROLLBACK")
_GIVEN_UP_STATUSES = frozenset({"CREATE_FAILED", "UPDATE_FAILED"})


def stack_resource(run: Run) -> tuple[str, str] | None:
    """(status, physical id) of this request's resource in the stack; ("", "")
    when the stack has no such resource; None when CloudFormation could not be asked."""
    cloudformation = run.env.cloudformation
    if cloudformation is None or not run.env.stack_id or not run.logical_id:
        return None
    until = min(run.now() + ADVISORY_CALL_SECONDS, run.bound())
    try:
        detail = aws_calls.call_with_retry(
            lambda: cloudformation.describe_stack_resource(
                StackName=run.env.stack_id, LogicalResourceId=run.logical_id
            ),
            what="DescribeStackResource",
            clock=run.clock,
            until=until,
            rng=run.env.rng,
        )
    except Exception as error:  # noqa: BLE001 - unknown: the caller decides what that means
        if aws_calls.error_code(error) == "ValidationError" and "does not exist" in aws_calls.error_message(error):
            return "", ""
        logger.warning("could not ask CloudFormation about %s (%s)", run.logical_id, error)
        return None
    resource = detail.get("StackResourceDetail") or {}
    return str(resource.get("ResourceStatus", "")), str(resource.get("PhysicalResourceId") or "")


def wanted(resource_status: str, stack_physical_id: str, our_physical_id: str) -> bool:
    """Whether CloudFormation still waits for a request whose answer would carry
    ``our_physical_id``, given the stack resource's status and physical id."""
    if resource_status.startswith(_GONE_STATUSES):
        return False
    if resource_status in _GIVEN_UP_STATUSES:
        return False
    # A completed request whose answer named another physical id: that answer took effect.
    return not (resource_status.endswith("_COMPLETE") and stack_physical_id and stack_physical_id != our_physical_id)


def still_wanted(run: Run) -> bool:
    """False once CloudFormation no longer waits for this request. Unknown counts as wanted."""
    found = stack_resource(run)
    if found is None:
        return True
    if found == ("", ""):
        logger.info("resource %s is not in the stack: no longer wanted", run.logical_id)
        return False
    return wanted(found[0], found[1], run.physical_id)


def live_in_stack(run: Run, name: str) -> bool:
    """Whether ``name`` is this resource's settled physical id in the stack: no
    request is under way for it, so a Delete or an Update of it is a duplicate
    delivered late, or crafted. Unknown counts as not live."""
    found = stack_resource(run)
    if not found:
        return False
    status, physical_id = found
    return status.endswith("_COMPLETE") and not status.startswith("DELETE_") and physical_id == name
