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
from collections.abc import Callable
from typing import Any

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
# In a stack status: the stack rolls back (UPDATE_ROLLBACK_IN_PROGRESS, ROLLBACK_IN_PROGRESS ...).
_ROLLBACK = "ROLLBACK"


def _ask(run: Run, what: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any] | Exception:
    """One advisory CloudFormation call, retried for at most ADVISORY_CALL_SECONDS; the error when it failed."""
    until = min(run.now() + ADVISORY_CALL_SECONDS, run.bound())
    try:
        return aws_calls.call_with_retry(call, what=what, clock=run.clock, until=until, rng=run.env.rng)
    except Exception as error:  # noqa: BLE001 - unknown: the caller decides what that means
        return error


def _can_ask(run: Run) -> bool:
    return run.env.cloudformation is not None and bool(run.env.stack_id) and bool(run.logical_id)


def stack_resource(run: Run) -> tuple[str, str] | None:
    """(status, physical id) of this request's resource in the stack; ("", "")
    when the stack has no such resource; None when CloudFormation could not be asked."""
    if not _can_ask(run):
        return None
    cloudformation = run.env.cloudformation
    detail = _ask(
        run,
        "DescribeStackResource",
        lambda: cloudformation.describe_stack_resource(StackName=run.env.stack_id, LogicalResourceId=run.logical_id),
    )
    if isinstance(detail, Exception):
        if aws_calls.error_code(detail) == "ValidationError" and "does not exist" in aws_calls.error_message(detail):
            return "", ""
        logger.warning("could not ask CloudFormation about %s (%s)", run.logical_id, detail)
        return None
    resource = detail.get("StackResourceDetail") or {}
    return str(resource.get("ResourceStatus", "")), str(resource.get("PhysicalResourceId") or "")


def stack_status(run: Run) -> str | None:
    """The stack's own status (DescribeStacks); None when CloudFormation could not be asked."""
    if not _can_ask(run):
        return None
    cloudformation = run.env.cloudformation
    found = _ask(run, "DescribeStacks", lambda: cloudformation.describe_stacks(StackName=run.env.stack_id))
    stacks = [] if isinstance(found, Exception) else found.get("Stacks") or []
    if not stacks:
        logger.warning("could not ask CloudFormation for the stack's status (%s)", found)
        return None
    return str(stacks[0].get("StackStatus", ""))


def note_direction(run: Run) -> None:
    """An Update request notes whether its stack goes forward or rolls back as it
    begins: a forward request is no longer wanted once the stack rolls back, and a
    rollback knows the resource there was made from the version it returns to."""
    if run.request_type != "Update":
        return
    status = stack_status(run)
    run.forward = status is not None and _ROLLBACK not in status
    run.rolling_back = status is not None and _ROLLBACK in status


def _rolled_back_since(run: Run) -> bool:
    """A request that began going forward, in a stack that now rolls back."""
    if not run.forward:
        return False
    status = stack_status(run)
    if status is None or _ROLLBACK not in status:
        return False
    logger.info("the stack is %s: the forward request for %s is no longer wanted", status, run.logical_id)
    return True


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
    status, physical_id = found
    if not wanted(status, physical_id, run.physical_id):
        return False
    # A request under way that began going forward, in a stack that now rolls back, is the
    # rollback's; a settled resource is not (a crafted continuation cannot remove it so).
    return not (status.endswith("_IN_PROGRESS") and _rolled_back_since(run))


def live_in_stack(run: Run, name: str) -> bool:
    """Whether ``name`` is this resource's settled physical id in the stack: no
    request is under way for it, so a Delete or an Update of it is a duplicate
    delivered late, or crafted. Unknown counts as not live."""
    found = stack_resource(run)
    if not found:
        return False
    status, physical_id = found
    return status.endswith("_COMPLETE") and not status.startswith("DELETE_") and physical_id == name
