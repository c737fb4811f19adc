"""crhelper, adapted to the lifecycle engine: the Lambda side of every handler.

crhelper (pinned at 2.0.12) stays the framework: this module registers one
function with its public decorators (``create``, ``update``, ``delete`` and
the three ``poll_*``), answers through its ``Status``, ``Reason``, ``Data``
and ``PhysicalResourceId``, and sets its constructor options
(``sleep_on_delete=0``: no fixed sleep before a Delete's answer). The engine
(:mod:`engine`) makes every decision.

Where stock crhelper is wrong for a deploy, :class:`Adapter` overrides
exactly two of its members, and no others:

``_polling_init`` - the waiting mechanism.
    *Why.* crhelper 2.0.12 arms an EventBridge rule per waiting resource and
    adds one statement per rule to the function's resource-based policy,
    which Lambda caps at 20 KB: about 55 waiting resources per stack. Its
    rules fire at most once a minute, and it removes the rule before it
    knows the answer was delivered. Here a resource that outlives its
    invocation is handed over by the function invoking *itself*
    asynchronously with a small continuation (the engine's
    :class:`continuation.Continuation`, under :data:`_wire.CONTINUATION_KEY`):
    no rule, no policy statement, no shared rule namespace; the role may
    invoke only its own function. The next invocation starts within about a
    second, so waiting goes on without a gap. The function has no
    asynchronous retries and a six-hour maximum event age (see
    ``_handler.py``): every path answers before the invocation ends, and
    cleanup never depends on a continuation arriving.

    *What would let it go.* A crhelper release whose polling is pluggable
    (a hook called with the poll event, in place of ``_setup_polling`` and
    ``_remove_polling``), or that re-invokes its own function
    asynchronously instead of scheduling an EventBridge rule, and that keeps
    its poll state until the answer is delivered.

``_send`` - the answer.
    *Why.* crhelper 2.0.12 binds its sender as a default argument (it cannot
    be replaced), retries a dead URL forever (``while True``), cuts a long
    reason to 240 characters after its own prefix, keeps ``Data`` on FAILED,
    and its timer answers with whatever physical id is set (a random one
    before the handler returns). Here the sender is bounded
    (:data:`SEND_WORST_CASE_SECONDS`), the reason keeps its tail within 256
    characters, a body over 4096 bytes becomes FAILED, and every answer, the
    timer's included, carries the identity the engine published as soon as
    the properties parsed (the resource's name). An answer that is not
    delivered is retried in this invocation and then handed over, so the
    waiting state ends only when CloudFormation has the answer.

    *What would let it go.* A crhelper release whose sender is looked up at
    call time (or injectable) and bounded in attempts, that drops ``Data``
    from a FAILED answer and fits a body to CloudFormation's limits, and
    whose timer asks the handler for the physical id to answer with
    (or reads a public attribute the handler may set at any time).

Private crhelper state touched: ``_send_response`` (set by ``_polling_init``,
as crhelper's own does) and ``_response_url`` (read by ``_send``, as
crhelper's own does). ``tests/lambda/adapter`` fingerprints the source of
every crhelper member this module overrides or relies on (:data:`RELIED_ON`).

Nothing here imports aws_cdk.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import _wire
import aws_calls
import clients
import engine
import properties
from continuation import PHASE_ANSWER, Continuation
from crhelper.resource_helper import FAILED, SUCCESS, CfnResource

logger = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 4096
# Worst case for a dead URL: 4 attempts x 4 s + 1 + 2 + 4 s of backoff = 23 s.
SEND_ATTEMPTS = 4
SEND_TIMEOUT_SECONDS = 4.0
SEND_BACKOFF_CAP_SECONDS = 4.0
SEND_WORST_CASE_SECONDS = SEND_ATTEMPTS * SEND_TIMEOUT_SECONDS + sum(
    min(2.0 ** (attempt - 1), SEND_BACKOFF_CAP_SECONDS) for attempt in range(1, SEND_ATTEMPTS)
)
# Between rounds of delivering an answer that did not get through.
RESEND_PAUSE_SECONDS = 10.0
# crhelper members this adapter overrides or relies on (fingerprinted by a test).
OVERRIDES = ("_polling_init", "_send")
RELIED_ON = (
    "__init__",
    "__call__",
    "_crhelper_init",
    "_cfn_response",
    "_get_func",
    "_poll_enabled",
    "_set_timeout",
    "_timeout",
    "_wait_for_cwlogs",
    "generate_physical_id",
    "create",
    "update",
    "delete",
    "poll_create",
    "poll_update",
    "poll_delete",
    *OVERRIDES,
)


class Clock:
    """Wall-clock time and sleep; tests and the benchmark swap in a simulated one."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))


clock: Any = Clock()


def set_clock(new_clock: Any) -> Any:
    """Replace the clock every handler uses; returns the previous one."""
    global clock
    previous, clock = clock, new_clock
    return previous


def send_response(url: str, body: dict[str, Any]) -> bool:
    """PUT the response to CloudFormation's pre-signed URL a bounded number of
    times. Returns whether it was delivered; never raises."""
    payload = json.dumps(body).encode("utf-8")
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            connection = http.client.HTTPSConnection(parts.netloc, context=context, timeout=SEND_TIMEOUT_SECONDS)
            connection.request(
                "PUT", path, body=payload, headers={"content-type": "", "content-length": str(len(payload))}
            )
            status = connection.getresponse().status
            connection.close()
            if status < 500:
                logger.info("CloudFormation answered HTTP %s", status)
                return True
            logger.warning("CloudFormation answered HTTP %s (attempt %d)", status, attempt)
        except (OSError, http.client.HTTPException) as error:
            logger.warning("sending the response failed (attempt %d): %s", attempt, error)
        if attempt < SEND_ATTEMPTS:
            clock.sleep(min(2.0 ** (attempt - 1), SEND_BACKOFF_CAP_SECONDS))
    logger.error("gave up sending the response after %d attempts", SEND_ATTEMPTS)
    return False


def _environment_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


class Adapter(CfnResource):
    """One resource kind's handler: crhelper's lifecycle, the engine's decisions."""

    # crhelper's own state that the two overrides use, as its own versions do (its stubs leave it out).
    _response_url: str
    _send_response: bool

    def __init__(self, kind: engine.Kind, aws: clients.Clients, rng: random.Random | None = None) -> None:
        super().__init__(json_logging=False, log_level="INFO", boto_level="ERROR", sleep_on_delete=0)
        self.kind = kind
        self.aws = aws
        self.rng = rng or random.Random()
        self._event_in: dict[str, Any] = {}
        self._context_in: Any = None
        self._outcome: engine.Outcome | None = None
        self._identity = ""
        self._invocation_start = 0.0
        self._invocation_end = 0.0
        self._lock = threading.Lock()
        for register in (self.create, self.update, self.delete, self.poll_create, self.poll_update, self.poll_delete):
            register(self._run)

    # -- the Lambda entry point --------------------------------------------------------
    def handle(self, event: Any, context: Any) -> None:
        """Run one invocation (crhelper mutates nothing here; it gets the event as is).

        An event without the fields every CloudFormation request has is dropped
        unanswered: crhelper would fail on it before it forgets the previous
        request, and answer that request's URL (in a warm container)."""
        malformed = well_formed_problem(event)
        if malformed:
            logger.error("dropped an event that is not a CloudFormation request: %s", malformed)
            return
        self._event_in = event
        self._context_in = context
        self._outcome = None
        self._invocation_start = float(clock.now())
        self._invocation_end = self._invocation_start + context.get_remaining_time_in_millis() / 1000.0
        # Until the engine names the resource, the timer answers with the id CloudFormation gave.
        self._identity = str(event.get("PhysicalResourceId") or "")
        self(event, context)

    def _set_identity(self, physical_id: str) -> None:
        with self._lock:
            self._identity = physical_id

    def environment(self, context: Any) -> engine.Env:
        """What the engine gets for this invocation."""
        kind = self.kind
        budget = _environment_number(_wire.ENV_DESCRIBE_BUDGET, _wire.DEFAULT_DESCRIBE_BUDGET)
        resources = int(_environment_number(_wire.ENV_RESOURCE_COUNT, 1.0))
        return engine.Env(
            sagemaker=self.aws.sagemaker,
            cloudformation=self.aws.cloudformation if self.aws.has("cloudformation") else None,
            clock=clock,
            stack_id=os.environ.get(_wire.ENV_STACK_ID, ""),
            invocation_end=self._invocation_end,
            describe_interval=engine.describe_interval(kind.min_describe_interval, resources, budget),
            validate=clients.request_problems,
            rng=self.rng,
            extra={"s3": self.aws.s3} if self.aws.has("s3") else {},
        )

    # -- registered with crhelper's decorators ------------------------------------------------
    def _run(self, event: Any, context: Any) -> str:
        """Every request type and every continuation: the engine decides."""
        outcome = engine.handle(self.kind, self.environment(context), event, on_identity=self._set_identity)
        self._outcome = outcome
        if isinstance(outcome, engine.Answer):
            self.Status = outcome.status
            self.Reason = outcome.reason
            self.Data = dict(outcome.data) if outcome.status == SUCCESS else {}
            if outcome.physical_id:
                self._set_identity(outcome.physical_id)
        return self._identity

    # -- override 1: the waiting mechanism --------------------------------------------------
    def _polling_init(self, event: dict[str, Any]) -> None:
        outcome = self._outcome
        if isinstance(outcome, engine.HandOver):
            try:
                self.hand_over(outcome.state)
                self._send_response = False
                return
            except Exception as error:
                logger.exception("could not hand over")
                self.Status = FAILED
                self.Reason = f"could not hand over to the next invocation ({aws_calls.describe_error(error)})"
                self.Data = {}
        self._send_response = True

    def hand_over(self, state: dict[str, Any]) -> None:
        """Invoke this very function (from the context, never from the event)
        asynchronously with the continuation."""
        event = {
            k: v
            for k, v in self._event_in.items()
            if k not in ("ResourceProperties", "OldResourceProperties", _wire.CONTINUATION_KEY)
        }
        event[_wire.CRHELPER_POLL_KEY] = True
        event[_wire.CONTINUATION_KEY] = state
        payload = json.dumps(event)
        if len(payload.encode("utf-8")) > _wire.MAX_CONTINUATION_BYTES:
            raise ValueError(f"the continuation would be {len(payload)} bytes (at most {_wire.MAX_CONTINUATION_BYTES})")
        function_arn = str(self._context_in.invoked_function_arn)
        until = self._invocation_end - SEND_WORST_CASE_SECONDS
        aws_calls.call_with_retry(
            lambda: self.aws.lambda_.invoke(FunctionName=function_arn, InvocationType="Event", Payload=payload),
            what="handing over (Invoke)",
            clock=clock,
            until=until,
            rng=self.rng,
        )
        logger.info("handed over %s", state)

    # -- override 2: the answer -----------------------------------------------------------------
    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        body = self.response_body(status, reason)
        delivered = _deliver(self._response_url, body)
        deadline = self._answer_deadline()
        room = RESEND_PAUSE_SECONDS + SEND_WORST_CASE_SECONDS + engine.CALL_WORST_SECONDS
        while not delivered and self._time_left() > room and float(clock.now()) + RESEND_PAUSE_SECONDS < deadline:
            clock.sleep(RESEND_PAUSE_SECONDS)
            delivered = _deliver(self._response_url, body)
        if delivered or self._time_left() < engine.CALL_WORST_SECONDS + 1.0 or not self._context_in:
            return
        if float(clock.now()) + RESEND_PAUSE_SECONDS >= deadline:
            logger.error("the answer was not delivered before CloudFormation's deadline")
            return
        try:
            undelivered = Continuation(PHASE_ANSWER, answer=body, deadline=deadline, started=self._answer_started())
            self.hand_over(undelivered.dump())
        except Exception:
            logger.exception("could not hand over the undelivered answer")

    def response_body(self, status: str | None, reason: str) -> dict[str, Any]:
        with self._lock:
            identity = self._identity
        body: dict[str, Any] = {
            "Status": status or self.Status or SUCCESS,
            "PhysicalResourceId": str(identity or self.PhysicalResourceId or ""),
            "StackId": self.StackId,
            "RequestId": self.RequestId,
            "LogicalResourceId": self.LogicalResourceId,
            "Reason": str(reason if status else self.Reason),
            "Data": {},
            "NoEcho": self.NoEcho,
        }
        if not body["PhysicalResourceId"]:
            body["PhysicalResourceId"] = self.generate_physical_id(self._event_in)
        if body["Status"] == SUCCESS:
            body["Data"] = dict(self.Data or {})
        elif not body["Reason"]:
            body["Reason"] = "failed without a reason; see the handler's log"
        body["Reason"] = engine.fit_reason(body["Reason"])
        return _within_limit(body)

    def _time_left(self) -> float:
        return self._invocation_end - float(clock.now())

    def _answer_started(self) -> float:
        return engine.request_started(self._event_in, self._invocation_start)

    def _answer_deadline(self) -> float:
        """CloudFormation's own deadline (ServiceTimeout after the request), never more
        than the longest ServiceTimeout after it, whatever a continuation says."""
        started = self._answer_started()
        latest = started + _wire.SERVICE_TIMEOUT_MAX_SECONDS
        continuation = Continuation.parse(self._event_in.get(_wire.CONTINUATION_KEY))
        if continuation is not None:
            if continuation.deadline is None:
                return started
            margin = 0.0 if continuation.phase == PHASE_ANSWER else self.kind.deadline_margin
            return min(continuation.deadline + margin, latest)  # the engine's deadline keeps the margin
        timeout = properties.lenient_service_timeout(
            self._event_in.get("ResourceProperties"), self.kind.default_service_timeout
        )
        return min(started + timeout, latest)


def _within_limit(body: dict[str, Any]) -> dict[str, Any]:
    """A body CloudFormation accepts: one over 4096 bytes becomes FAILED, saying so."""
    size = len(json.dumps(body).encode("utf-8"))
    if size > MAX_RESPONSE_BYTES:
        body.update(
            Status=FAILED,
            Data={},
            Reason=engine.fit_reason(
                f"the response would be {size} bytes; CloudFormation accepts {MAX_RESPONSE_BYTES}"
            ),
        )
    return body


REQUIRED_EVENT_FIELDS = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId")


def well_formed_problem(event: Any) -> str:
    """What keeps ``event`` from being a CloudFormation request (empty: nothing)."""
    if not isinstance(event, dict):
        return f"an event of type {type(event).__name__}"
    missing = [key for key in REQUIRED_EVENT_FIELDS if not isinstance(event.get(key), str) or not event.get(key)]
    if missing:
        return "no " + ", ".join(missing)
    if event["RequestType"] not in ("Create", "Update", "Delete"):
        return f"RequestType {event['RequestType']!r}"
    if not str(event["ResponseURL"]).startswith("https://"):
        return "a ResponseURL that is not https"
    return ""


def _deliver(url: str, body: dict[str, Any]) -> bool:
    logger.info("answering %s for %s", body["Status"], body["PhysicalResourceId"])
    # A module global, looked up at call time: tests and the benchmark can replace it.
    return bool(send_response(url, body))


def lambda_handler(kind: engine.Kind, make_clients: Callable[[], clients.Clients]) -> Callable[[Any, Any], None]:
    """The function Lambda calls. The adapter (and crhelper's own clients) is made
    on the first invocation, not at import."""
    made: list[Adapter] = []

    def handler(event: Any, context: Any) -> None:
        if not made:
            made.append(Adapter(kind, make_clients()))
        made[0].handle(event, context)

    return handler
