"""crhelper's CfnResource, adapted to what these handlers need.

Stock crhelper (2.0.x) does not do what a deploy needs here, so this module
subclasses it and changes exactly these things:

* It arms EventBridge polling after every Create once a poll function is
  registered, even when the resource is already finished. Here a handler
  function returns a :class:`Result`; only ``pending=True`` arms polling, so a
  job that ends inside the first invocation is answered at once, with no rule.
* It names the rule after the logical id (EventBridge allows 64 characters)
  and the Lambda permission after it too (100). Both are named here with the
  short fixed prefix :data:`RULE_PREFIX`, which the handler's IAM is scoped to.
* It copies the whole event into the rule target's ``Input`` (8192 bytes at
  most). Here the poll event carries no resource properties, only what the
  poll path needs, and its size is checked before any rule is created.
* Its ``_send`` binds ``_send_response`` as a default argument (patching the
  module does not reach it), retries a dead URL forever, and truncates a long
  reason to 259 characters. Here :func:`send_response` is looked up at call
  time, gives up after a bounded time, the reason is cut to 256 characters
  keeping its tail, and a body over 4096 bytes becomes a FAILED answer.
* A failed answer can carry a physical id (the resource's name), so that the
  rollback Delete finds and removes what was created.
* ``sleep_on_delete`` is 0: no fixed sleep.
* Its ``__init__`` creates three boto3 clients (lambda, events, logs), about
  half of a cold import; only polling uses them. Here they are created on
  first use.
* A poll invocation that fails answers with the polled resource's physical id,
  not an id made up for the occasion.

Nothing here imports aws_cdk.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import ssl
import string
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from crhelper.resource_helper import FAILED, SUCCESS, CfnResource

logger = logging.getLogger(__name__)

RULE_PREFIX = "smc-poll-"
MAX_REASON = 256
MAX_RESPONSE_BYTES = 4096
MAX_TARGET_INPUT_BYTES = 8192
# Room the poll event needs for the rule ARN and permission id added later.
_POLL_KEYS_ALLOWANCE = 400
# Event keys the poll path reads; everything else stays out of the rule Input.
_POLL_EVENT_KEYS = (
    "RequestType",
    "ResponseURL",
    "StackId",
    "RequestId",
    "LogicalResourceId",
    "PhysicalResourceId",
    "ResourceType",
    "CrHelperData",
    "CrHelperPoll",
    "CrHelperRule",
    "CrHelperPermission",
)

# Worst case for a dead URL: 4 attempts x 4 s + 1 + 2 + 4 s of backoff = 23 s, inside the
# 30 s the handlers keep free at the end of an invocation (LAMBDA_MARGIN_SECONDS), so
# crhelper's own timeout timer never answers over a response still being sent.
SEND_ATTEMPTS = 4
SEND_TIMEOUT_SECONDS = 4.0
SEND_BACKOFF_CAP_SECONDS = 4.0
SEND_WORST_CASE_SECONDS = SEND_ATTEMPTS * SEND_TIMEOUT_SECONDS + sum(
    min(2.0 ** (attempt - 1), SEND_BACKOFF_CAP_SECONDS) for attempt in range(1, SEND_ATTEMPTS)
)


class Clock:
    """Wall-clock time and sleep; the benchmark swaps in a simulated one."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


clock = Clock()


def set_clock(new_clock: Clock) -> Clock:
    """Replace the clock every handler uses; returns the previous one."""
    global clock
    previous, clock = clock, new_clock
    return previous


def jitter(base: float, spread: float) -> float:
    """``base`` plus up to ``spread`` seconds, so many resources don't poll in step."""
    return base + random.uniform(0.0, spread)


@dataclass
class Result:
    """What a handler function decided.

    ``pending`` means "not finished": on the first invocation this arms
    polling, on a poll invocation it waits for the next one. ``state`` is the
    small dict the next poll invocation receives in ``event["CrHelperData"]``.
    """

    physical_id: str
    data: dict[str, Any] = field(default_factory=dict)
    pending: bool = False
    state: dict[str, Any] = field(default_factory=dict)


class Failure(Exception):
    """Answer FAILED with this reason and, when given, this physical id."""

    def __init__(self, reason: str, physical_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.physical_id = physical_id


def fit_reason(reason: str, limit: int = MAX_REASON) -> str:
    """Cut a reason to ``limit`` characters, keeping the tail (where the name,
    status and SageMaker's failure reason are)."""
    if len(reason) <= limit:
        return reason
    marker = "..."
    return marker + reason[len(reason) - (limit - len(marker)) :]


def compose_reason(lead: str, key: str, detail: str, limit: int = MAX_REASON) -> str:
    """``<lead> <key>: <detail>`` in at most ``limit`` characters.

    ``key`` (the resource name and status) always survives whole; a long
    ``detail`` (SageMaker's FailureReason) keeps its tail, and ``lead`` goes
    first."""
    full = f"{lead} {key}: {detail}"
    if len(full) <= limit:
        return full
    room = limit - len(key) - 2
    if room < 16:  # a key too long to keep whole: keep the tail of everything
        return fit_reason(full, limit)
    if len(detail) > room:
        return f"{key}: ...{detail[len(detail) - (room - 3) :]}"
    return fit_reason(full, limit)


def send_response(url: str, body: dict[str, Any]) -> bool:
    """PUT the response to CloudFormation's pre-signed URL, a bounded number of times.

    Returns whether it was delivered. Never raises and never loops forever: a
    dead URL costs at most SEND_ATTEMPTS attempts with short backoff.
    """
    payload = json.dumps(body).encode("utf-8")
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            connection = http.client.HTTPSConnection(parts.netloc, context=context, timeout=SEND_TIMEOUT_SECONDS)
            connection.request(
                "PUT",
                path,
                body=payload,
                headers={"content-type": "", "content-length": str(len(payload))},
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


def poll_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event a poll invocation receives: no resource properties."""
    return {k: event[k] for k in _POLL_EVENT_KEYS if k in event}


def _rand(length: int) -> str:
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(length))


HandlerFunc = Callable[[dict[str, Any], Any], Result]


class ManagedResource(CfnResource):
    """CfnResource whose handler functions return :class:`Result`."""

    # CfnResource's private state, set by crhelper at run time; its stubs leave it out.
    _event: dict[str, Any]
    _context: Any
    _response_url: str
    _region: str | None
    _ssl_verify: bool | None
    _create_func: HandlerFunc | None
    _update_func: HandlerFunc | None
    _delete_func: HandlerFunc | None
    _poll_create_func: HandlerFunc | None
    _poll_update_func: HandlerFunc | None
    _poll_delete_func: HandlerFunc | None

    def __init__(self) -> None:
        # crhelper skips creating its clients under AWS_SAM_LOCAL; borrow that
        # switch for the duration of __init__ only, so they come on first use.
        self._clients: dict[str, Any] = {}
        sam_local = os.environ.get("AWS_SAM_LOCAL")
        os.environ["AWS_SAM_LOCAL"] = "lazy-clients"
        try:
            super().__init__(
                json_logging=False,
                log_level="INFO",
                boto_level="ERROR",
                polling_interval=1,
                sleep_on_delete=0,
            )
        finally:
            if sam_local is None:
                del os.environ["AWS_SAM_LOCAL"]
            else:
                os.environ["AWS_SAM_LOCAL"] = sam_local
        self._sam_local = sam_local
        self._pending = False
        # The rule this invocation is arming, named before any call: a call
        # whose response is lost may still have created it.
        self._arming_rule: str | None = None

    # -- crhelper's clients, created on first use -------------------------
    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self._region, verify=self._ssl_verify)
        return self._clients[service]

    @property
    def _lambda_client(self) -> Any:
        return self._client("lambda")

    @_lambda_client.setter
    def _lambda_client(self, client: Any) -> None:
        self._clients["lambda"] = client

    @property
    def _events_client(self) -> Any:
        return self._client("events")

    @_events_client.setter
    def _events_client(self, client: Any) -> None:
        self._clients["events"] = client

    @property
    def _logs_client(self) -> Any:
        return self._client("logs")

    @_logs_client.setter
    def _logs_client(self, client: Any) -> None:
        self._clients["logs"] = client

    # -- registering handler functions -----------------------------------
    # crhelper types these decorators for functions returning bool | str | None;
    # here they take functions returning Result (run by _wrap_function below).
    def create(self, func: HandlerFunc) -> HandlerFunc:  # type: ignore[override]
        self._create_func = func
        return func

    def update(self, func: HandlerFunc) -> HandlerFunc:  # type: ignore[override]
        self._update_func = func
        return func

    def delete(self, func: HandlerFunc) -> HandlerFunc:  # type: ignore[override]
        self._delete_func = func
        return func

    def poll_create(self, func: HandlerFunc) -> HandlerFunc:  # type: ignore[override]
        self._poll_create_func = func
        return func

    def poll_update(self, func: HandlerFunc) -> HandlerFunc:  # type: ignore[override]
        self._poll_update_func = func
        return func

    def poll_delete(self, func: HandlerFunc) -> HandlerFunc:  # type: ignore[override]
        self._poll_delete_func = func
        return func

    # -- running the handler function ------------------------------------
    def _wrap_function(self, func: HandlerFunc | None) -> None:
        self._pending = False
        self._arming_rule = None
        if func is None:
            self.PhysicalResourceId = ""
            return
        # A poll invocation carries the physical id its first invocation chose.
        polled_id = str((self._event.get("CrHelperData") or {}).get("PhysicalResourceId") or "")
        try:
            result = func(self._event, self._context)
        except Failure as failure:
            logger.error("FAILED: %s", failure.reason)
            self.Status = FAILED
            self.Reason = failure.reason
            self.PhysicalResourceId = failure.physical_id or polled_id
            self.Data = {}
            return
        except Exception as error:  # every path answers CloudFormation
            logger.exception("handler error")
            self.Status = FAILED
            self.Reason = f"{type(error).__name__}: {error}"
            self.PhysicalResourceId = polled_id
            self.Data = {}
            return
        self.PhysicalResourceId = result.physical_id
        self._pending = result.pending
        if result.pending:
            self.Data = {"PhysicalResourceId": result.physical_id, "State": result.state}
        else:
            self.Data = dict(result.data)

    def _polling_init(self, event: dict[str, Any]) -> None:
        first = "CrHelperPoll" not in event
        if self.Status == FAILED or not self._pending:
            if not first:
                self._remove_polling_quietly()
            self._send_response = True
            return
        if not first:
            logger.info("still waiting; the next poll will look again")
            return
        physical_id = self.PhysicalResourceId
        try:
            self._setup_polling()
        except Exception as error:
            logger.exception("could not arm polling")
            self._remove_polling_quietly()
            self.Status = FAILED
            self.Reason = (
                f"could not schedule polling ({type(error).__name__}: {error}); "
                f"{physical_id} is left for the rollback Delete"
            )
            self.PhysicalResourceId = physical_id
            self.Data = {}
            self._send_response = True
            return
        # None tells crhelper's __call__ that polling is armed: no answer yet (its stub says str).
        self.PhysicalResourceId = None  # type: ignore[assignment]

    # -- polling -------------------------------------------------------------
    def _setup_polling(self) -> None:
        self._event["CrHelperData"] = self.Data
        self._event["CrHelperPoll"] = True
        size = len(json.dumps(poll_event(self._event)).encode("utf-8")) + _POLL_KEYS_ALLOWANCE
        if size > MAX_TARGET_INPUT_BYTES:
            raise Failure(
                f"the poll event would be {size} bytes; EventBridge allows {MAX_TARGET_INPUT_BYTES} in a target Input"
            )
        self._event["CrHelperRule"] = self._put_rule()
        self._event["CrHelperPermission"] = self._add_permission(self._event["CrHelperRule"])
        self._put_targets(self._context.function_name)

    def _put_rule(self) -> str:
        self._arming_rule = RULE_PREFIX + _rand(16)
        response = self._events_client.put_rule(
            Name=self._arming_rule,
            ScheduleExpression="rate(1 minute)",
            State="ENABLED",
            Description=f"sagemaker-constructs poll for {self._event['LogicalResourceId']}"[:512],
        )
        return str(response["RuleArn"])

    def _add_permission(self, rule_arn: str) -> str:
        statement_id = rule_arn.split("/")[-1]
        self._lambda_client.add_permission(
            FunctionName=self._context.function_name,
            StatementId=statement_id,
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn,
        )
        return statement_id

    def _put_targets(self, func_name: str) -> None:
        rule_arn = self._event["CrHelperRule"]
        partition, region, account = rule_arn.split(":")[1], rule_arn.split(":")[3], rule_arn.split(":")[4]
        target_input = json.dumps(poll_event(self._event))
        if len(target_input.encode("utf-8")) > MAX_TARGET_INPUT_BYTES:
            raise Failure(f"the poll event is {len(target_input)} bytes; EventBridge allows {MAX_TARGET_INPUT_BYTES}")
        self._events_client.put_targets(
            Rule=rule_arn.split("/")[-1],
            Targets=[
                {
                    "Id": "1",
                    "Arn": f"arn:{partition}:lambda:{region}:{account}:function:{func_name}",
                    "Input": target_input,
                }
            ],
        )

    def _remove_polling_quietly(self) -> None:
        """Remove rule, target and permission; a part already gone is fine."""
        self._event.pop("CrHelperData", None)
        rule_arn = self._event.get("CrHelperRule")
        rule_name = rule_arn.split("/")[-1] if rule_arn else self._arming_rule
        # The statement id is the rule name (see _add_permission).
        statement_id = self._event.get("CrHelperPermission") or self._arming_rule
        steps: list[Callable[[], Any]] = []
        if rule_name:
            steps.append(lambda: self._events_client.remove_targets(Rule=rule_name, Ids=["1"]))
        if statement_id:
            steps.append(
                lambda: self._lambda_client.remove_permission(
                    FunctionName=self._context.function_name, StatementId=statement_id
                )
            )
        if rule_name:
            steps.append(lambda: self._events_client.delete_rule(Name=rule_name))
        for step in steps:
            try:
                step()
            except Exception as error:  # noqa: BLE001 - already gone, or a second poller got there first
                logger.warning("removing polling: %s", error)

    # -- answering -------------------------------------------------------------
    def _send(
        self,
        status: str | None = None,
        reason: str = "",
        _send_response: Any = None,  # crhelper's default-bound sender; not used
    ) -> None:
        body: dict[str, Any] = {
            "Status": self.Status or SUCCESS,
            "PhysicalResourceId": str(self.PhysicalResourceId or ""),
            "StackId": self.StackId,
            "RequestId": self.RequestId,
            "LogicalResourceId": self.LogicalResourceId,
            "Reason": str(self.Reason),
            "Data": self.Data if self.Status != FAILED else {},
            "NoEcho": self.NoEcho,
        }
        if status:
            body.update({"Status": status, "Reason": reason})
        if body["Status"] == FAILED:
            body["Data"] = {}
        if not body["PhysicalResourceId"]:
            body["PhysicalResourceId"] = self._event.get("PhysicalResourceId") or self.generate_physical_id(self._event)
        if body["Status"] == FAILED and not body["Reason"]:
            body["Reason"] = "failed without a reason; see the handler's log"
        body["Reason"] = fit_reason(body["Reason"])
        size = len(json.dumps(body).encode("utf-8"))
        if size > MAX_RESPONSE_BYTES:
            body["Status"] = FAILED
            body["Data"] = {}
            body["Reason"] = fit_reason(
                f"the response would be {size} bytes; CloudFormation accepts {MAX_RESPONSE_BYTES}"
            )
        logger.info("answering %s for %s", body["Status"], body["PhysicalResourceId"])
        # A module global, looked up at call time: tests and the benchmark can replace it.
        send_response(self._response_url, body)
