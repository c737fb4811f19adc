"""The lifecycle engine every resource kind runs on.

One engine makes, waits for, stops and deletes a SageMaker resource for a
custom resource; each kind (:mod:`spec` in each handler folder) is a small
declarative :class:`Kind`: its API operations, its status sets, its
attributes, how to compare configurations, and its own steps.

The decisions are pure: functions over plain dicts, an injected SageMaker
client, an injected CloudFormation client and an injected clock
(:class:`Env`). Nothing here imports crhelper or boto3; :mod:`adapter` wires
the engine to crhelper and to real clients.

What the engine guarantees (each is tested in ``tests/lambda/engine``):

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
import random
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import _wire
import aws_calls
import properties
from aws_calls import Clock
from properties import Desired, PropertyProblems

logger = logging.getLogger(__name__)

SUCCESS = "SUCCESS"
FAILED = "FAILED"
MAX_REASON = 256
# botocore is configured (clients.py) so that one call, retries included, ends within this.
CALL_WORST_SECONDS = 27.0
# An invocation stops starting new calls this long before Lambda would stop it: room
# for one last call, then the answer (adapter.SEND_WORST_CASE_SECONDS) or the hand-over.
INVOCATION_MARGIN_SECONDS = 60.0
# How often a waiting request asks CloudFormation whether it is still wanted (besides
# before and after it creates and at each hand-over).
WANTED_CHECK_SECONDS = 120.0
# Bound of the calls that only inform a decision (the still-wanted check).
ADVISORY_CALL_SECONDS = 20.0
# Describe interval after throttling: doubled each time, up to this.
MAX_DESCRIBE_INTERVAL_SECONDS = 60.0
# Each pause is drawn from [interval, interval × (1 + DESCRIBE_JITTER)]: resources
# drift apart, and the describe rate stays at or below resources ÷ interval.
DESCRIBE_JITTER = 0.2

# CloudFormation's pre-signed ResponseURL is valid this long (older, SigV2 URLs carry only Expires).
PRESIGNED_URL_SECONDS = 7200.0

# Resource states of the stack's own resource in which a request is no longer wanted.
_GONE_STATUSES = ("DELETE_", "IMPORT_ROLLBACK")
_GIVEN_UP_STATUSES = frozenset({"CREATE_FAILED", "UPDATE_FAILED"})


# --- outcomes -------------------------------------------------------------------
@dataclass
class Answer:
    """What CloudFormation is told."""

    status: str
    physical_id: str
    reason: str = ""
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class HandOver:
    """Not finished: the next invocation continues from ``state``."""

    state: dict[str, Any]


Outcome = Answer | HandOver


class Failure(Exception):
    """Answer FAILED with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OutOfTime(Exception):
    """This invocation must stop starting calls: hand over or answer."""


# --- reasons --------------------------------------------------------------------------
def fit_reason(reason: str, limit: int = MAX_REASON) -> str:
    """Cut to ``limit`` characters, keeping the tail (name, status, SageMaker's reason)."""
    if len(reason) <= limit:
        return reason
    return "..." + reason[len(reason) - (limit - 3) :]


def fit_head(reason: str, limit: int = MAX_REASON) -> str:
    """Cut to ``limit`` characters, keeping the head (a list of property problems)."""
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


def compose_reason(lead: str, key: str, detail: str, limit: int = MAX_REASON) -> str:
    """``<lead> <key>: <detail>`` in at most ``limit`` characters; ``key`` (name and
    status) always survives whole, a long ``detail`` keeps its tail, ``lead`` goes first."""
    full = f"{lead} {key}: {detail}"
    if len(full) <= limit:
        return full
    room = limit - len(key) - 2
    if room < 16:
        return fit_reason(full, limit)
    if len(detail) > room:
        return f"{key}: ...{detail[len(detail) - (room - 3) :]}"
    return fit_reason(full, limit)


# --- kinds ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Statuses:
    """The status field of a Describe* answer and what its values mean."""

    field: str
    succeeded: frozenset[str]
    waiting: frozenset[str]  # on its way: wait
    failed: frozenset[str]  # ended badly
    stopping: frozenset[str] = frozenset()  # leaving a running state after a Stop
    deleting: frozenset[str] = frozenset()  # on its way out after a Delete


class Kind:
    """A resource kind: the declarative part, and hooks for its own steps.

    Subclasses set the class attributes and override the hooks they need;
    every hook has a default that fits a resource with no special steps.
    """

    noun: str  # "compilation job"
    resource_type: str
    name_property: str
    name_pattern: re.Pattern[str]
    arn_field: str
    statuses: Statuses
    create_operation: str  # the API name, for the service-model check: "CreateCompilationJob"
    create_method: str  # the client method: "create_compilation_job"
    describe_method: str
    delete_method: str
    stop_method: str | None = None
    min_describe_interval: float = 5.0
    deadline_margin: float = 180.0  # answer this long before ServiceTimeout
    default_service_timeout: int = 3600
    # A resource still deleting this long after it was first seen deleting counts as
    # removed (its delete was accepted and cannot be undone); None: wait until it is gone.
    deleting_is_gone_after: float | None = None
    failure_lead = "The resource ended badly; details in the handler's CloudWatch log."

    # -- reading properties ------------------------------------------------------
    def parse(self, resource_properties: Any, validate: properties.Validator | None) -> Desired:
        return properties.parse(
            resource_properties,
            name_property=self.name_property,
            name_pattern=self.name_pattern,
            operation=self.create_operation,
            default_service_timeout=self.default_service_timeout,
            validate=validate,
            extra_checks=self.check,
        )

    def check(self, desired: Desired) -> list[str]:
        """Kind-specific problems of properties that parsed."""
        return []

    # -- comparing -----------------------------------------------------------------
    def differences(
        self, request: dict[str, Any], described: dict[str, Any], also: dict[str, Any] | None = None
    ) -> list[str]:
        """The fields in which ``described`` differs from ``request``."""
        raise NotImplementedError

    def comparable(self, desired: Desired, existing: dict[str, Any]) -> dict[str, Any]:
        """The request to compare with ``existing``."""
        return desired.request

    def changed_besides_tags(self, desired: Desired, previous: Desired) -> bool:
        """Whether anything but tags and the name changed (a new name is a replacement, not a change),
        by the same normalizing comparison as :meth:`differences` (subnet order, JSON spacing ...)."""
        return bool(self.differences(desired.request, previous.request, previous.request)) or _options(
            desired
        ) != _options(previous)

    def is_rollback(self, run: Run, desired: Desired, previous: Desired, existing: dict[str, Any]) -> bool:
        """An update rollback: the resource there was made from ``desired`` (the
        version being returned to), not from ``previous`` (the failed one)."""
        return bool(self.differences(self.comparable(previous, existing), existing, desired.request))

    # -- the kind's own steps ---------------------------------------------------------
    def resolve(self, run: Run, desired: Desired, existing: dict[str, Any] | None) -> dict[str, str]:
        """Fill in what is known only at deploy time; returns extra attributes.
        ``existing`` is a resource of this name being compared or adopted."""
        return {}

    def recall(self, run: Run, desired: Desired, existing: dict[str, Any]) -> dict[str, str]:
        """The extra attributes of ``existing``, adopted as it is (a tags-only
        update): what it was made from, without choosing again."""
        return self.resolve(run, desired, existing)

    def before_create(self, run: Run, desired: Desired) -> None:
        """A step just before the Create* call."""

    def create_retry_seconds(self, error: BaseException) -> float:
        """How long a Create* that failed with ``error`` may be retried (0: not at all)."""
        return 0.0

    # -- answers -------------------------------------------------------------------
    def attributes(self, described: dict[str, Any], extra: dict[str, str]) -> dict[str, str]:
        raise NotImplementedError

    def reason_key(self, name: str, status: str) -> str:
        """The part of a reason that a cut never removes."""
        return f"{self.noun.capitalize()} {name} status {status}"

    def failure_reason(self, name: str, described: dict[str, Any]) -> str:
        """Lead, then name and status, then SageMaker's FailureReason: a 256-character cut keeps the last two."""
        status = str(described.get(self.statuses.field, ""))
        detail = described.get("FailureReason") or "no reason given"
        return compose_reason(self.failure_lead, self.reason_key(name, status), str(detail))

    def name_kwargs(self, name: str) -> dict[str, str]:
        return {self.name_property: name}


def _options(desired: Desired) -> dict[str, Any]:
    """The options, JSON strings read as their values (``ModelSource`` is one)."""
    return {key: properties.json_or_text(value) for key, value in desired.options.items()}


# --- the environment of one invocation -----------------------------------------------
@dataclass
class Env:
    """What the engine is given for one invocation; tests build it by hand."""

    sagemaker: Any
    clock: Clock
    stack_id: str  # the owner: AWS::StackId from the function's environment
    invocation_end: float  # when Lambda stops this invocation
    describe_interval: float  # mean seconds between describes of one resource
    cloudformation: Any = None  # None: no still-wanted checks
    validate: properties.Validator | None = None
    rng: random.Random = field(default_factory=random.Random)
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific clients (s3)


def describe_interval(min_interval: float, resources: int, budget: float) -> float:
    """The mean describe interval that keeps ``resources`` waiters within ``budget``
    describes per second: max(min_interval, resources / budget)."""
    if budget <= 0:
        return min_interval
    return max(min_interval, max(resources, 1) / budget)


class Run:
    """One request (or its continuation) of one resource, in one invocation."""

    def __init__(self, kind: Kind, env: Env, event: dict[str, Any], deadline: float) -> None:
        self.kind = kind
        self.env = env
        self.clock = env.clock
        self.logical_id = str(event.get("LogicalResourceId", ""))
        self.request_type = str(event.get("RequestType", ""))
        self.physical_id = str(event.get("PhysicalResourceId", "") or "")
        self.deadline = deadline
        self.invocation_until = env.invocation_end - INVOCATION_MARGIN_SECONDS
        self.work_until = min(deadline, self.invocation_until)
        self.interval = env.describe_interval
        self.started = env.clock.now()  # when CloudFormation sent the request (handle() sets it)
        self._owned: dict[str, bool] = {}
        self.on_identity: Callable[[str], None] = lambda _name: None

    # -- identity --------------------------------------------------------------------
    def identify(self, physical_id: str) -> None:
        """From now on every answer, the timer's included, carries ``physical_id``."""
        self.physical_id = physical_id
        self.on_identity(physical_id)

    # -- time ----------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def bound(self) -> float:
        return min(self.work_until, self.deadline)

    def call(self, call: Callable[[], Any], what: str, codes: frozenset[str] = aws_calls.READ_RETRY_CODES) -> Any:
        """One AWS call, retried within this invocation's bound; never starts after it."""
        if self.now() >= self.bound():
            raise OutOfTime(what)
        try:
            return aws_calls.call_with_retry(
                call, what=what, clock=self.clock, until=self.bound(), rng=self.env.rng, codes=codes
            )
        except aws_calls.GaveUp as gave_up:
            raise Failure(str(gave_up)) from gave_up

    def pause(self) -> float:
        """Sleep one describe interval (jittered); returns the time slept."""
        seconds = self.interval * self.env.rng.uniform(1.0, 1.0 + DESCRIBE_JITTER)
        self.clock.sleep(seconds)
        return seconds

    def pause_fits(self) -> bool:
        """Whether one more pause and describe fit before this invocation must hand over."""
        return self.now() + self.interval * (1.0 + DESCRIBE_JITTER) < self.work_until

    def pause_or_stop(self) -> bool:
        """Pause before the next describe; False when this invocation must hand
        over instead. When the deadline comes before the invocation's end, wait
        for it here rather than handing over again and again."""
        if self.pause_fits():
            self.pause()
            return True
        if self.deadline <= self.invocation_until and self.now() < self.deadline:
            self.clock.sleep(self.deadline - self.now())
            return True
        return False

    # -- SageMaker -----------------------------------------------------------------------
    def sagemaker(self, method: str, **kwargs: Any) -> Any:
        return getattr(self.env.sagemaker, method)(**kwargs)

    def describe(self, name: str) -> dict[str, Any] | None:
        """Describe ``name``; None when it does not exist. Throttling widens this
        resource's describe interval (up to a minute); a success narrows it again."""
        kind = self.kind
        if self.now() >= self.bound():
            raise OutOfTime(f"{kind.describe_method} {name}")
        attempt = 0
        while True:
            try:
                described: dict[str, Any] = self.sagemaker(kind.describe_method, **kind.name_kwargs(name))
            except Exception as error:
                if aws_calls.is_not_found(error):
                    return None
                if not aws_calls.is_retryable(error, aws_calls.READ_RETRY_CODES):
                    raise Failure(
                        f"SageMaker rejected describing {kind.noun} {name}: {aws_calls.describe_error(error)}"
                    ) from error
                if aws_calls.is_throttling(error):
                    self.interval = min(self.interval * 2.0, MAX_DESCRIBE_INTERVAL_SECONDS)
                attempt += 1
                delay = max(
                    aws_calls.backoff(attempt, self.env.rng), self.interval if aws_calls.is_throttling(error) else 0.0
                )
                if self.now() + delay >= self.bound():
                    raise OutOfTime(f"describing {name}: {aws_calls.describe_error(error)}") from error
                self.clock.sleep(delay)
                continue
            self.interval = max(self.env.describe_interval, self.interval / 2.0)
            return described

    def status_of(self, described: dict[str, Any]) -> str:
        return str(described.get(self.kind.statuses.field, ""))

    def owner_tags(self) -> list[dict[str, str]]:
        if not self.env.stack_id:
            raise Failure(
                f"The handler function has no {_wire.ENV_STACK_ID} in its environment, so it cannot record "
                "who owns what it creates; nothing was created"
            )
        return [
            {"Key": _wire.OWNER_STACK_TAG, "Value": self.env.stack_id},
            {"Key": _wire.OWNER_LOGICAL_ID_TAG, "Value": self.logical_id},
        ]

    def tags_of(self, arn: str) -> dict[str, str]:
        items = self.call(
            lambda: aws_calls.paged(self.env.sagemaker.list_tags, "Tags", ResourceArn=arn), f"ListTags {arn}"
        )
        return {str(t["Key"]): str(t.get("Value", "")) for t in items}

    def owner_of(self, name: str, described: dict[str, Any]) -> tuple[str, str]:
        """(stack id, logical id) recorded on the resource; empty when untagged."""
        tags = self.tags_of(str(described.get(self.kind.arn_field, "")))
        return tags.get(_wire.OWNER_STACK_TAG, ""), tags.get(_wire.OWNER_LOGICAL_ID_TAG, "")

    def is_owner(self, stack: str, logical: str) -> bool:
        """The ownership rule: the stack from the environment and this request's logical id."""
        return bool(self.env.stack_id) and stack == self.env.stack_id and logical == self.logical_id

    def owns(self, name: str, described: dict[str, Any]) -> bool:
        """Whether this stack's resource ``logical_id`` created ``name`` (checked once per invocation)."""
        if name not in self._owned:
            self._owned[name] = self.is_owner(*self.owner_of(name, described))
        return self._owned[name]

    def not_ours(self, name: str, described: dict[str, Any]) -> str:
        stack, logical = self.owner_of(name, described)
        if not stack:
            whose = "it carries no sagemaker-constructs ownership tags"
        elif stack == self.env.stack_id:
            whose = f"it belongs to resource {logical} of this stack"
        else:
            whose = "it belongs to another stack"
        return (
            f"A {self.kind.noun} named {name} already exists and this resource did not create it ({whose}); "
            "it was left alone. Choose another name, or delete it first."
        )

    # -- CloudFormation: is this request still wanted? ------------------------------------------
    def stack_resource(self) -> tuple[str, str] | None:
        """(status, physical id) of this request's resource in the stack; ("", "")
        when the stack has no such resource; None when CloudFormation could not be asked."""
        cloudformation = self.env.cloudformation
        if cloudformation is None or not self.env.stack_id or not self.logical_id:
            return None
        until = min(self.now() + ADVISORY_CALL_SECONDS, self.bound())
        try:
            detail = aws_calls.call_with_retry(
                lambda: cloudformation.describe_stack_resource(
                    StackName=self.env.stack_id, LogicalResourceId=self.logical_id
                ),
                what="DescribeStackResource",
                clock=self.clock,
                until=until,
                rng=self.env.rng,
            )
        except Exception as error:  # noqa: BLE001 - unknown: the caller decides what that means
            if aws_calls.error_code(error) == "ValidationError" and "does not exist" in aws_calls.error_message(error):
                return "", ""
            logger.warning("could not ask CloudFormation about %s (%s)", self.logical_id, error)
            return None
        resource = detail.get("StackResourceDetail") or {}
        return str(resource.get("ResourceStatus", "")), str(resource.get("PhysicalResourceId") or "")

    def still_wanted(self) -> bool:
        """False once CloudFormation no longer waits for this request (a cancelled
        Create, a resource being deleted). Unknown counts as wanted."""
        found = self.stack_resource()
        if found is None:
            return True
        if found == ("", ""):
            logger.info("resource %s is not in the stack: no longer wanted", self.logical_id)
            return False
        return wanted(found[0], found[1], self.physical_id)

    def live_in_stack(self, name: str) -> bool:
        """Whether ``name`` is this resource's settled physical id in the stack: no
        request is under way for it, so a Delete or an Update of it is a duplicate
        delivered late, or crafted. Unknown counts as not live."""
        found = self.stack_resource()
        if not found:
            return False
        status, physical_id = found
        return status.endswith("_COMPLETE") and not status.startswith("DELETE_") and physical_id == name


def wanted(resource_status: str, stack_physical_id: str, our_physical_id: str) -> bool:
    """Whether CloudFormation still waits for a request whose answer would carry
    ``our_physical_id``, given the stack resource's status and physical id."""
    if resource_status.startswith(_GONE_STATUSES):
        return False
    if resource_status in _GIVEN_UP_STATUSES:
        return False
    # A completed request whose answer named another physical id: that answer took effect.
    return not (resource_status.endswith("_COMPLETE") and stack_physical_id and stack_physical_id != our_physical_id)


# --- continuation state -------------------------------------------------------------------
PHASE_WAIT = "wait"  # wait for the resource to reach a final status
PHASE_REMOVE = "remove"  # stop and delete, then answer
PHASE_ANSWER = "answer"  # deliver an answer that did not get through


def state(phase: str, run: Run, name: str, **extra: Any) -> dict[str, Any]:
    return {"Phase": phase, "Name": name, "Deadline": run.deadline, "Started": run.started, **extra}


# --- waiting ---------------------------------------------------------------------------------
def wait(
    run: Run,
    name: str,
    extra: dict[str, str],
    created: bool,
    *,
    first: dict[str, Any] | None = None,
    start_at: float | None = None,
    check_owner: bool = False,
) -> Outcome:
    """Describe until the resource reaches a final status; hand over when this
    invocation runs out; at the deadline stop it and answer FAILED.

    ``first`` is a describe just made (nothing is described again before using
    it); otherwise the first describe waits until ``start_at``: a random point
    of the first interval after a create (so resources created together do not
    describe together), or where the previous invocation's cadence left off. A
    continuation (``check_owner``) first makes sure the resource is this one's:
    its event could have been crafted."""
    kind = run.kind
    next_check = run.now() + WANTED_CHECK_SECONDS
    carry = {"Extra": extra, "Created": created}
    if first is None and start_at is not None and run.now() < start_at < run.work_until:
        run.clock.sleep(start_at - run.now())
    while True:
        try:
            described, first = (first, None) if first is not None else (run.describe(name), None)
            if described is not None and check_owner:
                if not run.owns(name, described):
                    return Answer(FAILED, run.physical_id, run.not_ours(name, described))
                check_owner = False
        except OutOfTime:
            if run.now() >= run.deadline:
                return at_deadline(run, name, "unknown", extra=extra)
            return HandOver(state(PHASE_WAIT, run, name, NextDescribe=run.now(), **carry))
        if described is None:
            raise Failure(f"The {kind.noun} {name} disappeared while being waited for (deleted outside this stack?)")
        described_at = run.now()
        status = run.status_of(described)
        if status in kind.statuses.succeeded:
            if created and not run.still_wanted():  # nobody waits for this answer: remove, don't leave it
                return cancelled(run, name, created)
            return Answer(SUCCESS, name, data=kind.attributes(described, extra))
        if status in kind.statuses.failed or status in kind.statuses.stopping or status in kind.statuses.deleting:
            raise Failure(kind.failure_reason(name, described))
        if run.now() >= run.deadline:
            return at_deadline(run, name, status, described, extra)
        if run.now() >= next_check:
            next_check = run.now() + WANTED_CHECK_SECONDS
            if not run.still_wanted():
                return cancelled(run, name, created)
        if not run.pause_or_stop():
            return HandOver(state(PHASE_WAIT, run, name, NextDescribe=described_at + run.interval, **carry))


def at_deadline(
    run: Run, name: str, status: str, described: dict[str, Any] | None = None, extra: dict[str, str] | None = None
) -> Answer:
    """CloudFormation gives up soon: answer from one last look, and stop what
    still runs. At most three single calls past the usual bound (describe when
    not given, ownership, stop): each ends within CALL_WORST_SECONDS, and the
    invocation keeps INVOCATION_MARGIN_SECONDS."""
    kind = run.kind
    stopped = False
    try:
        if described is None:
            described = run.sagemaker(kind.describe_method, **kind.name_kwargs(name))
        status = run.status_of(described)
        if status in kind.statuses.succeeded:
            return Answer(SUCCESS, name, data=kind.attributes(described, extra or {}))
        if status in kind.statuses.failed:
            return Answer(FAILED, name, kind.failure_reason(name, described))
        if kind.stop_method is not None and status in kind.statuses.waiting:
            arn = str(described.get(kind.arn_field, ""))
            tags = {t["Key"]: t.get("Value") for t in run.env.sagemaker.list_tags(ResourceArn=arn).get("Tags", [])}
            if run.is_owner(str(tags.get(_wire.OWNER_STACK_TAG, "")), str(tags.get(_wire.OWNER_LOGICAL_ID_TAG, ""))):
                run.sagemaker(kind.stop_method, **kind.name_kwargs(name))
                stopped = True
    except Exception as error:  # noqa: BLE001 - the answer matters more; the rollback Delete stops it
        logger.warning("the last look at %s at the deadline: %s", name, error)
    return Answer(
        FAILED,
        name,
        compose_reason(
            f"The {kind.noun} did not end before the deadline that keeps CloudFormation's ServiceTimeout."
            + (
                " The handler stopped it (raise max_runtime if it needs longer)."
                if stopped
                else " The rollback Delete removes it."
            ),
            kind.reason_key(name, status),
            f"still {status} at the deadline",
        ),
    )


def cancelled(run: Run, name: str, created: bool) -> Outcome:
    """CloudFormation no longer waits for this request: remove what it created.
    A cancelled Create removes this resource's own resource of that name whoever
    made it (a lost response, a duplicate): the stack never got it."""
    logger.info("the request for %s was cancelled", name)
    if not created and run.request_type != "Create":
        return Answer(FAILED, name, f"The request for {name} was cancelled by CloudFormation; {name} was left alone.")
    final = {
        "Status": FAILED,
        "Reason": f"The request for {name} was cancelled by CloudFormation; the handler removed {name}.",
    }
    return remove(run, name, final)


# --- removing --------------------------------------------------------------------------------
def remove(run: Run, name: str, final: dict[str, str] | None = None, sent: dict[str, bool] | None = None) -> Outcome:
    """Stop the resource if it runs, wait until it can be deleted, delete it and
    wait until it is gone; then answer ``final`` (SUCCESS by default). Only a
    resource this stack's resource created is touched. ``sent`` records the
    Stop and Delete calls already accepted, across hand-overs."""
    kind = run.kind
    statuses = kind.statuses
    sent = {"Stop": False, "Delete": False, **(sent or {})}
    answer = Answer(
        str((final or {}).get("Status", SUCCESS)), run.physical_id or name, str((final or {}).get("Reason", ""))
    )
    status = "unknown"
    deleting_since = 0.0

    def handing_over() -> HandOver:
        return HandOver(state(PHASE_REMOVE, run, name, Final=final or {}, Sent=sent))

    while True:
        try:
            described = run.describe(name)
            if described is None:
                return answer
            if not run.owns(name, described):
                logger.info("%s was not created by this resource: left alone", name)
                return answer
            status = run.status_of(described)
            if status in statuses.deleting and kind.deleting_is_gone_after is not None:
                deleting_since = deleting_since or run.now()
                if run.now() - deleting_since >= kind.deleting_is_gone_after:
                    logger.info("%s is still %s; SageMaker accepted its delete: answering", name, status)
                    return answer
            if status in statuses.waiting and kind.stop_method is not None:
                if not sent["Stop"]:
                    sent["Stop"] = _tolerant(run, kind.stop_method, name)
            elif status not in statuses.stopping and status not in statuses.deleting and not sent["Delete"]:
                sent["Delete"] = _tolerant(run, kind.delete_method, name)
                if sent["Delete"]:
                    continue  # look again at once: most deletes are done by then
        except OutOfTime:
            if run.now() < run.deadline:
                return handing_over()
        if run.now() >= run.deadline:
            return Answer(
                FAILED,
                answer.physical_id,
                f"The {kind.noun} {name} was still {status} at the deadline; deploy again to remove it",
            )
        if not run.pause_or_stop():
            return handing_over()


def _tolerant(run: Run, method: str, name: str) -> bool:
    """Stop or Delete; a resource that changed state or vanished meanwhile is
    fine (the next describe decides). True when the call was accepted."""
    try:
        run.call(lambda: run.sagemaker(method, **run.kind.name_kwargs(name)), f"{method} {name}")
        return True
    except (Failure, OutOfTime):
        raise
    except Exception as error:
        if aws_calls.error_code(error) in ("ValidationException", "ConflictException") or aws_calls.is_not_found(error):
            logger.info("%s %s: %s; looking again", method, name, aws_calls.error_message(error))
            return False
        raise Failure(f"SageMaker rejected {method} {name}: {aws_calls.describe_error(error)}") from error


# --- creating ------------------------------------------------------------------------------
def settle(run: Run, name: str, described: dict[str, Any] | None) -> dict[str, Any] | None:
    """Wait, within this invocation, while a resource of this name is stopping or
    being deleted; then return it as it is (None when gone)."""
    statuses = run.kind.statuses
    while described is not None and (
        run.status_of(described) in statuses.stopping or run.status_of(described) in statuses.deleting
    ):
        if not run.pause_fits():
            raise Failure(
                f"A {run.kind.noun} named {name} was still {run.status_of(described)}; deploy again once it is gone"
            )
        run.pause()
        described = run.describe(name)
    return described


def start(run: Run, desired: Desired) -> bool:
    """The Create* call, with the user's tags and the ownership tags. True: this
    request created it; False: a concurrent invocation of this resource did."""
    kind = run.kind
    request = {**desired.request, _wire.TAGS: desired.tags + run.owner_tags()}
    give_up = run.now()
    first_error: BaseException | None = None
    attempts = [0]

    def attempt() -> Any:
        attempts[0] += 1
        return run.sagemaker(kind.create_method, **request)

    while True:
        try:
            run.call(
                attempt,
                f"{kind.create_operation} {desired.name}",
                aws_calls.CREATE_RETRY_CODES,
            )
            return True
        except (Failure, OutOfTime):
            raise
        except Exception as error:
            if aws_calls.error_code(error) in ("ResourceInUse", "ConflictException"):
                raced = run.describe(desired.name)
                if raced is None:
                    raise Failure(
                        f"SageMaker said {desired.name} is in use, but it cannot be described: {aws_calls.describe_error(error)}"
                    ) from error
                if not run.owns(desired.name, raced):
                    raise Failure(run.not_ours(desired.name, raced)) from error
                differences = kind.differences(desired.request, raced)
                if differences:
                    raise Failure(
                        f"A {kind.noun} named {desired.name} appeared with a different configuration "
                        f"({', '.join(differences)}); it was left alone"
                    ) from error
                if attempts[0] > 1:  # an earlier attempt's response was lost: it was this one
                    logger.info("%s was created by an attempt whose response was lost", desired.name)
                    return True
                logger.info("%s was created by a concurrent invocation of this resource", desired.name)
                return False
            window = kind.create_retry_seconds(error)
            if first_error is None:
                first_error, give_up = error, run.now() + window
            delay = run.env.rng.uniform(4.0, 6.0)
            if window <= 0 or run.now() + delay >= min(give_up, run.bound()):
                raise Failure(
                    f"SageMaker rejected {kind.create_operation} {desired.name}: {aws_calls.describe_error(error)}"
                ) from error
            logger.warning("%s: %s; retrying in %.1f s", kind.create_operation, aws_calls.error_message(error), delay)
            run.clock.sleep(delay)


def create(run: Run, desired: Desired) -> Outcome:
    """Make the resource (or adopt this resource's own one of that name) and wait for it."""
    kind = run.kind
    name = desired.name
    run.identify(name)
    if not run.still_wanted():
        return Answer(
            FAILED, name, f"The request for {name} was cancelled by CloudFormation before anything was created."
        )
    existing = settle(run, name, run.describe(name))
    if existing is not None:
        if not run.owns(name, existing):
            raise Failure(run.not_ours(name, existing))
        extra = kind.resolve(run, desired, existing)
        differences = kind.differences(desired.request, existing)
        if differences:
            raise Failure(
                f"A {kind.noun} named {name} already exists with a different configuration "
                f"({', '.join(differences)}); it was left alone. Remove it or choose another name."
            )
        if run.status_of(existing) not in kind.statuses.failed:
            logger.info("adopting this resource's own %s %s (%s)", kind.noun, name, run.status_of(existing))
            return wait(run, name, extra, created=False, first=existing)
        logger.info("%s ended %s: deleting it and making it again", name, run.status_of(existing))
        if isinstance(remove(run, name), HandOver) or run.describe(name) is not None:
            raise Failure(f"The {kind.noun} {name} ended badly and could not be deleted in time to make it again")
    extra = kind.resolve(run, desired, None)
    kind.before_create(run, desired)
    created = start(run, desired)
    if not run.still_wanted():
        return cancelled(run, name, created)
    return wait(run, name, extra, created, start_at=run.now() + run.env.rng.uniform(0.0, run.interval))


# --- updating ------------------------------------------------------------------------------
def sync_tags(run: Run, arn: str, wanted_tags: list[dict[str, str]], previous_keys: list[str]) -> None:
    """DeleteTags for the user's tags the stack removed, then AddTags for new or
    changed ones: removing first keeps a rename within SageMaker's 50 tags. The
    ownership tags are never removed. A rejected call fails naming the tags."""
    want = {t["Key"]: t["Value"] for t in wanted_tags}
    current = run.tags_of(arn)
    to_add = [{"Key": k, "Value": v} for k, v in want.items() if current.get(k) != v]
    to_remove = [k for k in previous_keys if k not in want and k in current and not k.startswith(_wire.TAG_PREFIX)]
    if to_remove:
        _tag_call(
            run, "DeleteTags", to_remove, lambda: run.env.sagemaker.delete_tags(ResourceArn=arn, TagKeys=to_remove)
        )
    if to_add:
        keys = [t["Key"] for t in to_add]
        _tag_call(run, "AddTags", keys, lambda: run.env.sagemaker.add_tags(ResourceArn=arn, Tags=to_add))


def _tag_call(run: Run, operation: str, keys: list[str], call: Callable[[], Any]) -> None:
    try:
        run.call(call, f"{operation} {', '.join(keys)}")
    except (Failure, OutOfTime):
        raise
    except Exception as error:
        raise Failure(
            f"SageMaker rejected {operation} for the tags {', '.join(keys)}: {aws_calls.describe_error(error)}"
        ) from error


def update(run: Run, desired: Desired, old_properties: Any) -> Outcome:
    """A new name is a new resource (CloudFormation deletes the old one after).
    Under the same name only tags change in place. The old properties are read
    only as far as this decision needs them: a bad old version (an update
    rollback sends the failed one) never fails the update."""
    kind = run.kind
    physical_id = run.physical_id
    if desired.name != physical_id:
        return create(run, desired)
    name = desired.name
    run.identify(name)
    existing = run.describe(name)
    if existing is None:
        return create(run, desired)
    if not run.owns(name, existing):
        raise Failure(run.not_ours(name, existing))
    try:
        previous: Desired | None = kind.parse(old_properties, None)
    except PropertyProblems:
        previous = None  # the version being left did not parse: it made nothing here
    differences = kind.differences(kind.comparable(desired, existing), existing)
    if (
        not differences
        and previous is not None
        and kind.changed_besides_tags(desired, previous)
        and not kind.is_rollback(run, desired, previous, existing)
    ):
        differences = ["properties"]
    if differences:
        remedy = (
            f"give it a new {kind.name_property[0].lower()}{kind.name_property[1:]}"
            if desired.explicit_name
            else "a value known only at deploy time changed, which the generated name cannot see; "
            "change something the name is derived from (a model source's version, or the construct id)"
        )
        raise Failure(
            f"{kind.noun.capitalize()} {name} cannot change in place ({', '.join(differences)} changed) and "
            f"cannot be replaced under the same name; {remedy}"
        )
    if run.live_in_stack(name):
        logger.warning(
            "no Update of %s is under way (a late duplicate, or crafted): its tags are left as they are", name
        )
    else:
        sync_tags(run, str(existing[kind.arn_field]), desired.tags, properties.lenient_tag_keys(old_properties))
    if run.status_of(existing) in kind.statuses.failed:
        raise Failure(kind.failure_reason(name, existing))
    extra = kind.recall(run, desired, existing)
    return wait(run, name, extra, created=False, first=existing)


# --- deleting ------------------------------------------------------------------------------
def delete(run: Run, resource_properties: Any) -> Outcome:
    """Stop and delete the resource the properties name, if this resource made it.

    The name comes from the properties, not the physical id: after a cancelled
    Create, CloudFormation sends a Delete whose physical id it made up itself."""
    kind = run.kind
    name = properties.lenient_name(resource_properties, kind.name_property, kind.name_pattern)
    if not run.physical_id:
        run.physical_id = name or run.logical_id
    run.identify(run.physical_id)
    if name is None:
        logger.info("the properties name no valid %s: nothing to delete", kind.noun)
        return Answer(SUCCESS, run.physical_id)
    if name != run.physical_id:
        logger.info("physical id %s is not the name %s: looking for %s by name", run.physical_id, name, name)
    if run.live_in_stack(name):
        logger.warning("%s is the stack's live %s and no Delete is under way: left alone", name, kind.noun)
        return Answer(SUCCESS, run.physical_id)
    return remove(run, name)


# --- one invocation ---------------------------------------------------------------------------
def requested_at(event: dict[str, Any], now: float) -> float:
    """When CloudFormation sent the request: the signing time of its pre-signed
    ResponseURL (``X-Amz-Date``; ``Expires`` minus two hours for an older URL).
    An event can wait in Lambda's queue, and CloudFormation's ServiceTimeout
    counts from here. Unknown or implausible: ``now``."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(str(event.get("ResponseURL", ""))).query)
    signed: float | None = None
    try:
        if "X-Amz-Date" in query:
            signed = (
                datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
                .replace(tzinfo=datetime.UTC)
                .timestamp()
            )
        elif "Expires" in query:
            signed = float(query["Expires"][0]) - PRESIGNED_URL_SECONDS
    except (ValueError, IndexError):
        signed = None
    if signed is None or not now - _wire.SERVICE_TIMEOUT_MAX_SECONDS <= signed <= now:
        return now
    return signed


def request_started(event: dict[str, Any], now: float) -> float:
    """When CloudFormation sent the request an invocation serves: a continuation's
    ``Started`` (``now`` when it has none; one in the future or more than the
    longest ServiceTimeout ago is crafted, and leaves no time), else :func:`requested_at`."""
    continuation = event.get(_wire.CONTINUATION_KEY)
    if not isinstance(continuation, dict):
        return requested_at(event, now)
    started = _number(continuation.get("Started"), now)
    if not now - _wire.SERVICE_TIMEOUT_MAX_SECONDS <= started <= now:
        return now - _wire.SERVICE_TIMEOUT_MAX_SECONDS
    return started


def handle(kind: Kind, env: Env, event: dict[str, Any], on_identity: Callable[[str], None] | None = None) -> Outcome:
    """Decide one invocation: a CloudFormation request, or the continuation of one."""
    continuation = event.get(_wire.CONTINUATION_KEY)
    request_type = str(event.get("RequestType", ""))
    props = event.get("ResourceProperties")
    now = env.clock.now()
    started = request_started(event, now)
    if isinstance(continuation, dict):
        # No chain outlives the longest ServiceTimeout, whatever its state says.
        deadline = min(_number(continuation.get("Deadline"), now), started + _wire.SERVICE_TIMEOUT_MAX_SECONDS)
    else:
        timeout = properties.lenient_service_timeout(props, kind.default_service_timeout)
        deadline = started + max(timeout - kind.deadline_margin, 60.0)
    run = Run(kind, env, event, deadline)
    run.started = started
    if on_identity is not None:
        run.on_identity = on_identity
    try:
        if isinstance(continuation, dict):
            return resume(run, continuation)
        if request_type == "Delete":
            return delete(run, props)
        try:
            desired = kind.parse(props, env.validate)
        except PropertyProblems as problems:
            name = properties.lenient_name(props, kind.name_property, kind.name_pattern)
            if request_type == "Create" and name:
                run.identify(name)
            return Answer(
                FAILED,
                run.physical_id or name or "",
                fit_head("Invalid resource properties: " + "; ".join(problems.problems)),
            )
        if request_type == "Create":
            return create(run, desired)
        if request_type == "Update":
            return update(run, desired, event.get("OldResourceProperties"))
        return Answer(FAILED, run.physical_id, f"Unknown RequestType {request_type!r}")
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


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def resume(run: Run, continuation: dict[str, Any]) -> Outcome:
    """Go on where the previous invocation handed over."""
    phase = continuation.get("Phase")
    name = str(continuation.get("Name", ""))
    if phase == PHASE_ANSWER:
        body = continuation.get("Answer") or {}
        return Answer(
            str(body.get("Status", FAILED)),
            str(body.get("PhysicalResourceId", run.physical_id)),
            str(body.get("Reason", "")),
            dict(body.get("Data") or {}),
        )
    if not run.kind.name_pattern.match(name):
        return Answer(FAILED, run.physical_id, f"The continuation names no valid {run.kind.noun} ({name!r})")
    if run.request_type != "Delete":
        run.identify(name)
    if phase == PHASE_REMOVE:
        if run.live_in_stack(name):  # no Delete or cancelled request is under way for it: crafted
            return Answer(SUCCESS, run.physical_id, f"{name} is the stack's live {run.kind.noun}; it was left alone")
        final = continuation.get("Final") or None
        sent = continuation.get("Sent") or {}
        return remove(
            run,
            name,
            dict(final) if isinstance(final, dict) else None,
            {str(k): v is True for k, v in sent.items()} if isinstance(sent, dict) else None,
        )
    if phase == PHASE_WAIT:
        created = continuation.get("Created") is True
        if not run.still_wanted():
            return cancelled(run, name, created)
        extra = {str(k): str(v) for k, v in (continuation.get("Extra") or {}).items()}
        next_describe = continuation.get("NextDescribe")
        start_at = float(next_describe) if isinstance(next_describe, (int, float)) else None
        return wait(run, name, extra, created, start_at=start_at, check_owner=True)
    return Answer(FAILED, run.physical_id, f"Unknown continuation phase {phase!r}")
