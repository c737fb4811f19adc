"""One request (or its continuation) of one resource, in one invocation: its
clock and bounds, its AWS calls, and the ownership rule.

:class:`Env` is what the adapter (or a test) gives the engine; :class:`Run`
wraps it for one request. Every AWS call goes through :meth:`Run.call` or
:meth:`Run.describe`, which never start a call past the invocation's bound.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import _wire
import aws_calls
import properties
from aws_calls import Clock
from kinds import Kind
from outcomes import Failure, OutOfTime

logger = logging.getLogger(__name__)

# botocore is configured (clients.py) so that one call, retries included, ends within this.
CALL_WORST_SECONDS = 27.0
# An invocation stops starting new calls this long before Lambda would stop it: room
# for one last call, then the answer (adapter.SEND_WORST_CASE_SECONDS) or the hand-over.
INVOCATION_MARGIN_SECONDS = 60.0
# Describe interval after throttling: doubled each time, up to this.
MAX_DESCRIBE_INTERVAL_SECONDS = 60.0
# Each pause is drawn from [interval, interval × (1 + DESCRIBE_JITTER)]: resources
# drift apart, and the describe rate stays at or below resources ÷ interval.
DESCRIBE_JITTER = 0.2


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
        self.invocation_until = env.invocation_end - INVOCATION_MARGIN_SECONDS
        self.deadline = deadline
        self.work_until = min(deadline, self.invocation_until)
        self.interval = env.describe_interval
        self.started = env.clock.now()  # when CloudFormation sent the request (handle() sets it)
        self.forward = False  # the request began while its stack went forward (stack.py sets it)
        self.rolling_back = False  # the request began while its stack rolled back (stack.py sets it)
        self.last_calls = False  # at the deadline: single calls past the usual bound
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

    def set_deadline(self, deadline: float) -> None:
        self.deadline = deadline
        self.work_until = min(deadline, self.invocation_until)

    def extend_for_cleanup(self) -> None:
        """Nobody waits for this request's answer any more (cancelled, or past its
        deadline): what it made still gets ``CLEANUP_SECONDS`` to be stopped and deleted,
        within the longest removal chain."""
        latest = self.started + _wire.REMOVAL_CHAIN_MAX_SECONDS
        self.set_deadline(max(self.deadline, min(self.now() + _wire.CLEANUP_SECONDS, latest)))

    def call(self, call: Callable[[], Any], what: str, codes: frozenset[str] = aws_calls.READ_RETRY_CODES) -> Any:
        """One AWS call, retried within this invocation's bound; never starts after it.
        At the deadline (``last_calls``) one attempt, past the bound."""
        if self.last_calls:
            return call()
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
        if self.last_calls:
            return self._describe_once(name)
        if self.now() >= self.bound():
            raise OutOfTime(f"{kind.describe_method} {name}")
        attempt = 0
        while True:
            try:
                described = self._describe_once(name)
            except Exception as error:  # noqa: BLE001 - _retry_delay raises what may not be retried
                attempt += 1
                self.clock.sleep(self._retry_delay(name, error, attempt))
                continue
            self.interval = max(self.env.describe_interval, self.interval / 2.0)
            return described

    def _describe_once(self, name: str) -> dict[str, Any] | None:
        try:
            described: dict[str, Any] = self.sagemaker(self.kind.describe_method, **self.kind.name_kwargs(name))
        except Exception as error:
            if aws_calls.is_not_found(error):
                return None
            raise
        return described

    def _retry_delay(self, name: str, error: Exception, attempt: int) -> float:
        """How long to wait before describing again after ``error``; raises when not to."""
        if not aws_calls.is_retryable(error, aws_calls.READ_RETRY_CODES):
            raise Failure(
                f"SageMaker rejected describing {self.kind.noun} {name}: {aws_calls.describe_error(error)}"
            ) from error
        throttled = aws_calls.is_throttling(error)
        if throttled:
            self.interval = min(self.interval * 2.0, MAX_DESCRIBE_INTERVAL_SECONDS)
        delay = max(aws_calls.backoff(attempt, self.env.rng), self.interval if throttled else 0.0)
        if self.now() + delay >= self.bound():
            raise OutOfTime(f"describing {name}: {aws_calls.describe_error(error)}") from error
        return delay

    def status_of(self, described: dict[str, Any]) -> str:
        return str(described.get(self.kind.statuses.field, ""))

    # -- ownership: decided here, for every step ----------------------------------------------
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

    def owner_of(self, described: dict[str, Any]) -> tuple[str, str]:
        """(stack id, logical id) recorded on the resource; empty when untagged."""
        tags = self.tags_of(str(described.get(self.kind.arn_field, "")))
        return tags.get(_wire.OWNER_STACK_TAG, ""), tags.get(_wire.OWNER_LOGICAL_ID_TAG, "")

    def owns(self, name: str, described: dict[str, Any]) -> bool:
        """Whether this stack's resource ``logical_id`` created ``name``: the stack from the
        function's environment and this request's logical id (checked once per invocation)."""
        if name not in self._owned:
            stack, logical = self.owner_of(described)
            self._owned[name] = bool(self.env.stack_id) and stack == self.env.stack_id and logical == self.logical_id
        return self._owned[name]

    def not_ours(self, name: str, described: dict[str, Any]) -> str:
        stack, logical = self.owner_of(described)
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
