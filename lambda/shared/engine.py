"""The lifecycle engine every resource kind runs on: one invocation's entry point.

One engine makes, waits for, stops and deletes a SageMaker resource for a
custom resource; each kind (:mod:`spec` in each handler folder) is a small
declarative :class:`kinds.Kind`. The engine is a small state machine, split
the way aws-cdk's provider framework splits onEvent / isComplete / onTimeout:

* :mod:`decide` - from the request and one look at the world, a plan:
  create, adopt, change tags, replace, remove, or nothing;
* :mod:`steps` - *poll*: one describe, then done, not yet, or another step
  (a waiting request that was cancelled becomes a removal);
* :mod:`runner` - the pauses, the deadline and the hand-overs (the creation
  wait and the removal wait are the same loop); the adapter re-sends answers;
* :mod:`continuation` - the one typed value one invocation hands the next;
* :mod:`invocation` - time, AWS calls and the ownership rule;
  :mod:`stack` - whether CloudFormation still wants the request.

The decisions are pure: functions over plain dicts, an injected SageMaker
client, an injected CloudFormation client and an injected clock
(:class:`Env`). Nothing here imports crhelper or boto3; :mod:`adapter` wires
the engine to crhelper and to real clients.

What the engine guarantees (each is tested in ``tests/lambda``):

* **Every path has an answer.** :func:`handle` returns an :class:`Answer`
  or a :class:`HandOver` (the next invocation goes on); it never raises.
* **The name is the physical id** of every answer to a Create or Update
  once the properties parse, so the rollback Delete finds what was made.
* **Ownership.** Everything the engine creates carries the stack's ARN (from
  the function's environment, never from the event) and the logical id as
  tags. Only a resource with both is adopted, stopped or deleted.
* **Cancelled requests are cleaned up.** Before it creates, after it creates
  and at every hand-over, a request asks CloudFormation whether its
  resource is still wanted; one that was cancelled removes what it made.
* **Time.** Every loop ends before its invocation must hand over
  (``work_until``) and before CloudFormation's ServiceTimeout (``deadline``).
* **A bad old version never fails a rollback**: ``OldResourceProperties``
  are read only leniently (:mod:`properties`).
"""

from __future__ import annotations

import datetime
import logging
import urllib.parse
from collections.abc import Callable
from typing import Any

import _wire
import decide
import properties
import stack
from continuation import PHASE_ANSWER, PHASE_REMOVE, PHASE_WAIT, Continuation
from invocation import (
    CALL_WORST_SECONDS,
    DESCRIBE_JITTER,
    INVOCATION_MARGIN_SECONDS,
    MAX_DESCRIBE_INTERVAL_SECONDS,
    Env,
    Run,
    describe_interval,
)
from kinds import Kind, Statuses
from outcomes import (
    FAILED,
    MAX_REASON,
    SUCCESS,
    Answer,
    Failure,
    HandOver,
    Outcome,
    OutOfTime,
    compose_reason,
    fit_head,
    fit_reason,
)
from properties import PropertyProblems
from stack import WANTED_CHECK_SECONDS, wanted

__all__ = [
    "CALL_WORST_SECONDS",
    "DESCRIBE_JITTER",
    "FAILED",
    "INVOCATION_MARGIN_SECONDS",
    "MAX_DESCRIBE_INTERVAL_SECONDS",
    "MAX_REASON",
    "PHASE_ANSWER",
    "PHASE_REMOVE",
    "PHASE_WAIT",
    "SUCCESS",
    "WANTED_CHECK_SECONDS",
    "Answer",
    "Continuation",
    "Env",
    "Failure",
    "HandOver",
    "Kind",
    "OutOfTime",
    "Outcome",
    "Run",
    "Statuses",
    "compose_reason",
    "describe_interval",
    "fit_head",
    "fit_reason",
    "handle",
    "request_started",
    "requested_at",
    "wanted",
]

logger = logging.getLogger(__name__)

# CloudFormation's pre-signed ResponseURL is valid this long (older, SigV2 URLs carry only Expires).
PRESIGNED_URL_SECONDS = 7200.0


def _signed_at(query: dict[str, list[str]]) -> float | None:
    try:
        if "X-Amz-Date" in query:
            stamp = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
            return stamp.replace(tzinfo=datetime.UTC).timestamp()
        if "Expires" in query:
            return float(query["Expires"][0]) - PRESIGNED_URL_SECONDS
    except (ValueError, IndexError):
        return None
    return None


def requested_at(event: dict[str, Any], now: float) -> float:
    """When CloudFormation sent the request: the signing time of its pre-signed
    ResponseURL (``X-Amz-Date``; ``Expires`` minus two hours for an older URL).
    An event can wait in Lambda's queue, and CloudFormation's ServiceTimeout
    counts from here. Unknown or implausible: ``now``."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(str(event.get("ResponseURL", ""))).query)
    signed = _signed_at(query)
    if signed is None or not now - _wire.SERVICE_TIMEOUT_MAX_SECONDS <= signed <= now:
        return now
    return signed


def request_started(event: dict[str, Any], now: float) -> float:
    """When CloudFormation sent the request an invocation serves: a continuation's
    ``Started`` (``now`` when it has none; one in the future or more than the
    longest ServiceTimeout ago is crafted, and leaves no time), else :func:`requested_at`."""
    continuation = Continuation.parse(event.get(_wire.CONTINUATION_KEY))
    if continuation is None:
        return requested_at(event, now)
    longest = _chain_max(continuation)
    started = now if continuation.started is None else continuation.started
    if not now - longest <= started <= now:
        return now - longest
    return started


def _chain_max(continuation: Continuation) -> float:
    """How long after its request a chain may go on: a removal (cleanup) longer than an answer."""
    if continuation.phase == PHASE_REMOVE:
        return _wire.REMOVAL_CHAIN_MAX_SECONDS
    return _wire.SERVICE_TIMEOUT_MAX_SECONDS


def request_deadline(kind: Kind, event: dict[str, Any], started: float, now: float) -> float:
    """When this request must be answered: a continuation's own deadline, never more than
    the longest ServiceTimeout after the request (a removal: :data:`_wire.REMOVAL_CHAIN_MAX_SECONDS`);
    else ServiceTimeout less the kind's margin."""
    continuation = Continuation.parse(event.get(_wire.CONTINUATION_KEY))
    if continuation is not None:
        deadline = now if continuation.deadline is None else continuation.deadline
        return min(deadline, started + _chain_max(continuation))
    timeout = properties.lenient_service_timeout(event.get("ResourceProperties"), kind.default_service_timeout)
    return started + max(timeout - kind.deadline_margin, 60.0)


def handle(kind: Kind, env: Env, event: dict[str, Any], on_identity: Callable[[str], None] | None = None) -> Outcome:
    """Decide one invocation: a CloudFormation request, or the continuation of one."""
    now = env.clock.now()
    started = request_started(event, now)
    run = Run(kind, env, event, request_deadline(kind, event, started, now))
    run.started = started
    if on_identity is not None:
        run.on_identity = on_identity
    try:
        return _dispatch(run, event)
    except Failure as failure:
        return Answer(FAILED, run.physical_id, fit_reason(failure.reason))
    except OutOfTime as out:
        return Answer(
            FAILED,
            run.physical_id,
            fit_reason(f"Ran out of time in this invocation while {out}; the rollback removes what was made"),
        )
    except Exception as error:  # every path answers CloudFormation
        logger.exception("unexpected error")
        return Answer(FAILED, run.physical_id, fit_reason(f"Unexpected {type(error).__name__} in the handler: {error}"))


def _dispatch(run: Run, event: dict[str, Any]) -> Outcome:
    continuation = Continuation.parse(event.get(_wire.CONTINUATION_KEY))
    if continuation is not None:
        run.forward = continuation.forward
        return decide.resume(run, continuation)
    props = event.get("ResourceProperties")
    if run.request_type == "Delete":
        return decide.delete(run, props)
    try:
        desired = run.kind.parse(props, run.env.validate)
    except PropertyProblems as problems:
        return _invalid(run, props, problems)
    if run.request_type == "Create":
        return decide.create(run, desired)
    if run.request_type == "Update":
        stack.note_direction(run)
        return decide.update(run, desired, event.get("OldResourceProperties"))
    return Answer(FAILED, run.physical_id, f"Unknown RequestType {run.request_type!r}")


def _invalid(run: Run, props: Any, problems: PropertyProblems) -> Answer:
    kind = run.kind
    name = properties.lenient_name(props, kind.name_property, kind.name_pattern)
    if run.request_type == "Create" and name:
        run.identify(name)
    reason = fit_head("Invalid resource properties: " + "; ".join(problems.problems))
    return Answer(FAILED, run.physical_id or name or "", reason)
