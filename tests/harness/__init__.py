"""The lifecycle harness: real crhelper, real handler code, fake AWS, real HTTPS.

Pieces (the pytest fixtures in tests/conftest.py are built from them):

* :class:`ResponseServer` - an HTTPS endpoint on 127.0.0.1 that plays
  CloudFormation's pre-signed response URL. crhelper only speaks HTTPS; the
  server's CA goes into ``SSL_CERT_FILE`` so the default SSL context trusts it.
* :func:`load_handler` - bundles a handler exactly as the construct does and
  imports it from the bundle, so the tests run what ships.
* :class:`tests.harness.world.World` - simulated time for many invocations
  at once; it stops an invocation at its Lambda timeout and runs crhelper's
  timer path, as Lambda would.
* :class:`FakeLambda` (the handler's self-invocation), :class:`FakeCloudFormation`
  (the stack's resource statuses, which follow the requests and answers the
  harness sees, as CloudFormation's do), :class:`FakeContext`.
* :func:`cfn_event` - CloudFormation-shaped events, properties stringified the
  way CloudFormation sends them.
* :class:`Lifecycle` - one handler + fakes + server + world: ``invoke`` an
  event and get the answer CloudFormation would get; ``run_until_answered``
  follows the hand-overs.

The strict fake SageMaker is in :mod:`tests.harness.fake_sagemaker`.
"""

from __future__ import annotations

import copy
import datetime
import http.server
import importlib
import itertools
import json
import os
import random
import ssl
import sys
import tempfile
import threading
import types
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

from sagemaker_constructs import _wire
from tests.harness.world import Invocation, World

REPO = Path(__file__).resolve().parents[2]
HANDLER_MODULES = (
    "index",
    "spec",
    "engine",
    "adapter",
    "aws_calls",
    "clients",
    "properties",
    "_wire",
    "model_sources",
    "outcomes",
    "continuation",
    "kinds",
    "invocation",
    "stack",
    "steps",
    "runner",
    "decide",
    "crhelper",
)
REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/TestStack/0c2b4f40-0000-11ef-0000-0a0b0c0d0e0f"
FUNCTION_NAME = "handler-fn"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_NAME}"
# Lambda's asynchronous queue: a hand-over starts this long after the Invoke.
HANDOVER_DELAY_SECONDS = 0.5
ASYNC_PAYLOAD_LIMIT = 256 * 1024


def owner_tags(logical_id: str = "Resource", stack_id: str = STACK_ID) -> list[dict[str, str]]:
    """The ownership tags the handler puts on what it creates (for resources a test
    makes beforehand as if the handler had made them)."""
    return [
        {"Key": _wire.OWNER_STACK_TAG, "Value": stack_id},
        {"Key": _wire.OWNER_LOGICAL_ID_TAG, "Value": logical_id},
    ]


# --- HTTPS response endpoint ---------------------------------------------------
class ResponseServer:
    """Records every PUT, by path. ``dead_paths`` answer by closing the
    connection; ``dead_until[path]`` does so until the listener's clock reaches it."""

    def __init__(self) -> None:
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.raw_sizes: dict[str, list[int]] = {}
        self.attempts: dict[str, int] = {}
        self.dead_paths: set[str] = set()
        self.dead_until: dict[str, float] = {}
        self.clock: Callable[[], float] = lambda: 0.0
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self._counter = itertools.count(1)
        authority = trustme.CA()
        cert = authority.issue_cert("127.0.0.1", "localhost")
        self._dir = tempfile.TemporaryDirectory()
        self.ca_file = str(Path(self._dir.name) / "ca.pem")
        authority.cert_pem.write_to_path(self.ca_file)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                path = self.path.split("?")[0]
                server.attempts[path] = server.attempts.get(path, 0) + 1
                if path in server.dead_paths or server.clock() < server.dead_until.get(path, float("-inf")):
                    self.close_connection = True
                    self.connection.close()
                    return
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                body = json.loads(raw)
                server.raw_sizes.setdefault(path, []).append(len(raw))
                server.responses.setdefault(path, []).append(body)
                for listener in list(server.listeners):
                    listener(path, body)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def new_url(self) -> tuple[str, str]:
        """A fresh pre-signed-looking URL and its path."""
        path = f"/cfn-response/{next(self._counter)}"
        return f"https://127.0.0.1:{self.port}{path}?X-Amz-Signature=test", path

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._dir.cleanup()


def signed_at(url: str) -> float | None:
    """The X-Amz-Date a pre-signed ResponseURL carries (epoch seconds); None without one."""
    stamp = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("X-Amz-Date", [""])[0]
    if not stamp:
        return None
    return datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC).timestamp()


def url_path(url: str) -> str:
    return "/" + url.split("//", 1)[1].split("/", 1)[1].split("?")[0]


# --- handler bundles ------------------------------------------------------------
_LOADED: dict[str, types.SimpleNamespace] = {}


def load_handler(kind: str) -> types.SimpleNamespace:
    """Bundle ``kind`` as the construct does and import it from the bundle.

    Each kind gets its own copies of the shared modules (both handlers have an
    ``index``), so the modules are taken out of ``sys.modules`` again after
    import. Returns a namespace with the modules (``index``, ``engine``,
    ``adapter`` ...) and the bundle path.
    """
    if kind in _LOADED:
        return _LOADED[kind]
    os.environ.setdefault("AWS_REGION", REGION)
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    from sagemaker_constructs._bundle import bundle_handler  # no aws_cdk: runs on the 3.14 root too

    target = Path(tempfile.mkdtemp(prefix=f"handler-{kind}-"))
    bundle_handler(kind, target)
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name.split(".")[0] in HANDLER_MODULES}
    sys.path.insert(0, str(target))
    try:
        importlib.import_module("index")
        modules = {
            name: sys.modules[name]
            for name in list(sys.modules)
            if name in HANDLER_MODULES and str(getattr(sys.modules[name], "__file__", "")).startswith(str(target))
        }
    finally:
        sys.path.remove(str(target))
        for name in list(sys.modules):
            if name.split(".")[0] in HANDLER_MODULES:
                del sys.modules[name]
        sys.modules.update(saved)
    namespace = types.SimpleNamespace(bundle=target, **{k.lstrip("_"): v for k, v in modules.items()})
    _LOADED[kind] = namespace
    return namespace


# --- fakes of what the handler calls besides SageMaker -----------------------------------
class StrictFake:
    """Any method not defined on the fake fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected AWS call: {type(self).__name__}.{name}")


class FakeContext:
    """A Lambda context whose remaining time follows the world's clock."""

    def __init__(self, world: World, invocation: Invocation) -> None:
        self._world = world
        self._invocation = invocation
        self.function_name = FUNCTION_NAME
        self.aws_request_id = f"req-{id(invocation):x}"
        self.invoked_function_arn = FUNCTION_ARN

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._invocation.deadline - self._world.now()) * 1000), 0)


class FakeLambda(StrictFake):
    """The handler's own function, as it invokes itself to hand over."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.on_invoke: Callable[[dict[str, Any]], None] = lambda _event: None
        self.failures: list[Exception] = []
        # (action, resource ARN, condition context) -> why IAM denies it, or None (the explorer sets it)
        self.authorize: Callable[[str, str, dict[str, Any]], str | None] | None = None

    def invoke(self, **kw: Any) -> dict[str, Any]:
        from tests.harness.fake_sagemaker import client_error

        self.calls.append(kw)
        denied = self.authorize and self.authorize("lambda:InvokeFunction", str(kw.get("FunctionName")), {})
        if denied:
            raise client_error("AccessDeniedException", f"not authorized to invoke: {denied}", status=403)
        if kw.get("FunctionName") != FUNCTION_ARN:
            raise AssertionError(f"the handler invoked another function: {kw.get('FunctionName')}")
        if kw.get("InvocationType") != "Event":
            raise AssertionError(f"a hand-over must be asynchronous (got {kw.get('InvocationType')})")
        payload = kw["Payload"]
        if len(payload.encode() if isinstance(payload, str) else payload) > ASYNC_PAYLOAD_LIMIT:
            raise AssertionError("payload over Lambda's 256 KB for asynchronous invocation")
        if self.failures:
            raise self.failures.pop(0)
        self.on_invoke(json.loads(payload))
        return {"StatusCode": 202}


@dataclass
class StackResource:
    status: str
    physical_id: str = ""
    updated: float | None = None  # LastUpdatedTimestamp (epoch seconds); None: not reported


class FakeCloudFormation(StrictFake):
    """DescribeStackResource over resource statuses that follow what the harness
    sends and what CloudFormation would receive back."""

    def __init__(self, stack_id: str = STACK_ID) -> None:
        self.stack_id = stack_id
        self.resources: dict[str, StackResource] = {}
        self.calls: list[dict[str, Any]] = []
        self.failures: list[Exception] = []
        # The stack's own status (DescribeStacks); a test sets it, e.g. "UPDATE_ROLLBACK_IN_PROGRESS".
        self.stack_status = "UPDATE_IN_PROGRESS"
        self.stack_checks: list[dict[str, Any]] = []
        # (action, resource ARN, condition context) -> why IAM denies it, or None (the explorer sets it)
        self.authorize: Callable[[str, str, dict[str, Any]], str | None] | None = None
        self.clock: Any = None  # the world (Lifecycle sets it): statuses it changes get a LastUpdatedTimestamp

    def _touch(self, resource: StackResource, at: float | None = None) -> None:
        if self.clock is not None:
            resource.updated = self.clock.now() if at is None else at

    def describe_stacks(self, **kw: Any) -> dict[str, Any]:
        from tests.harness.fake_sagemaker import client_error

        self.stack_checks.append(kw)
        denied = self.authorize and self.authorize("cloudformation:DescribeStacks", str(kw.get("StackName")), {})
        if denied:
            raise client_error("AccessDenied", f"not authorized to perform DescribeStacks: {denied}", status=403)
        if kw.get("StackName") != self.stack_id:
            raise client_error("ValidationError", f"Stack with id {kw.get('StackName')} does not exist")
        return {"Stacks": [{"StackId": self.stack_id, "StackName": "TestStack", "StackStatus": self.stack_status}]}

    def describe_stack_resource(self, **kw: Any) -> dict[str, Any]:
        from tests.harness.fake_sagemaker import client_error

        self.calls.append(kw)
        denied = self.authorize and self.authorize("cloudformation:DescribeStackResource", str(kw.get("StackName")), {})
        if denied:
            raise client_error("AccessDenied", f"not authorized to perform DescribeStackResource: {denied}", status=403)
        if self.failures:
            raise self.failures.pop(0)
        if kw.get("StackName") != self.stack_id:
            raise client_error("ValidationError", f"Stack with id {kw.get('StackName')} does not exist")
        resource = self.resources.get(kw["LogicalResourceId"])
        if resource is None:
            raise client_error(
                "ValidationError", f"Resource {kw['LogicalResourceId']} does not exist for stack {self.stack_id}"
            )
        detail = {
            "LogicalResourceId": kw["LogicalResourceId"],
            "ResourceStatus": resource.status,
            "StackId": self.stack_id,
        }
        if resource.physical_id:
            detail["PhysicalResourceId"] = resource.physical_id
        if resource.updated is not None:
            detail["LastUpdatedTimestamp"] = datetime.datetime.fromtimestamp(resource.updated, tz=datetime.UTC)
        return {"StackResourceDetail": detail}

    # -- CloudFormation's side --------------------------------------------------------
    def requested(self, request_type: str, logical_id: str, at: float | None = None) -> None:
        """CloudFormation sends a request (``at``: when it signed it; default now)."""
        resource = self.resources.setdefault(logical_id, StackResource(""))
        resource.status = f"{request_type.upper()}_IN_PROGRESS"
        self._touch(resource, at)

    def answered(self, request_type: str, logical_id: str, body: dict[str, Any]) -> None:
        resource = self.resources.setdefault(logical_id, StackResource(""))
        if body["Status"] == "SUCCESS":
            resource.status = f"{request_type.upper()}_COMPLETE"
            resource.physical_id = body["PhysicalResourceId"]
        else:
            resource.status = f"{request_type.upper()}_FAILED"
        self._touch(resource)

    def cancel(self, logical_id: str) -> None:
        """Another resource failed: CloudFormation cancels this one's Create."""
        resource = self.resources.setdefault(logical_id, StackResource(""))
        resource.status = "CREATE_FAILED"
        self._touch(resource)


# --- events ---------------------------------------------------------------------------
def cfn_stringify(value: Any) -> Any:
    """CloudFormation sends every scalar property as a string."""
    if isinstance(value, dict):
        return {k: cfn_stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [cfn_stringify(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def cfn_event(
    request_type: str,
    properties: dict[str, Any],
    *,
    response_url: str,
    resource_type: str,
    logical_id: str = "Resource",
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": FUNCTION_ARN,
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": f"request-{request_type.lower()}-{next(_REQUESTS)}",
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": cfn_stringify({"ServiceToken": FUNCTION_ARN, **properties}),
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = cfn_stringify(old_properties)
    return event


_REQUESTS = itertools.count(1)


# --- one lifecycle -----------------------------------------------------------------------
@dataclass
class Answer:
    """What CloudFormation received for one request (None: nothing yet)."""

    body: dict[str, Any] | None
    path: str
    attempts: int

    @property
    def status(self) -> str | None:
        return None if self.body is None else self.body["Status"]

    @property
    def physical_id(self) -> str | None:
        return None if self.body is None else self.body["PhysicalResourceId"]

    @property
    def reason(self) -> str:
        return "" if self.body is None else self.body.get("Reason", "")

    @property
    def data(self) -> dict[str, Any]:
        return {} if self.body is None else self.body.get("Data", {})


@dataclass
class Lifecycle:
    """A handler wired to fakes, a world and the HTTPS server."""

    handler: types.SimpleNamespace
    server: ResponseServer
    sagemaker: Any
    world: World = field(default_factory=World)
    resource_type: str = _wire.COMPILATION_JOB.resource_type
    lambda_timeout: float = 900.0
    s3: Any = None
    handover_delay: float = HANDOVER_DELAY_SECONDS
    seed: int = 0  # of the adapters' random generators (jitter, backoff)
    cloudformation: FakeCloudFormation = field(default_factory=FakeCloudFormation)
    lambda_: FakeLambda = field(default_factory=FakeLambda)
    # (RequestType, is a continuation) of every invocation, in order.
    invocations: list[tuple[str, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        index = self.handler.index
        self._previous_clock = self.handler.adapter.set_clock(self.world)
        self.clients = index.make_clients()
        self.clients.sagemaker = self.sagemaker
        self.clients.cloudformation = self.cloudformation
        self.clients.lambda_ = self.lambda_
        self.cloudformation.clock = self.world
        if self.clients.has("s3"):
            self.clients.s3 = self.s3
        for fake in (self.sagemaker, self.s3):
            if hasattr(fake, "clock"):
                fake.clock = self.world
        self.lambda_.on_invoke = self._handed_over
        self._requests: dict[str, tuple[str, str]] = {}  # path -> (RequestType, logical id)
        self._answered: set[str] = set()
        self.answered_at: dict[str, float] = {}  # path -> when CloudFormation got its (first) answer
        self._pool: list[Any] = []
        self._made: list[Any] = []
        self.server.clock = self.world.now
        self.server.listeners.append(self._on_answer)

    @property
    def clock(self) -> World:
        return self.world

    def close(self) -> None:
        self.handler.adapter.set_clock(self._previous_clock)
        if self._on_answer in self.server.listeners:
            self.server.listeners.remove(self._on_answer)

    # -- CloudFormation's side ------------------------------------------------------------------
    def event(self, request_type: str, properties: dict[str, Any], **kw: Any) -> dict[str, Any]:
        url, _ = self.server.new_url()
        kw.setdefault("resource_type", self.resource_type)
        return cfn_event(request_type, properties, response_url=url, **kw)

    def _on_answer(self, path: str, body: dict[str, Any]) -> None:
        if path in self._requests and path not in self._answered:  # CloudFormation takes the first answer
            self._answered.add(path)
            self.answered_at[path] = self.world.now()
            request_type, logical_id = self._requests[path]
            self.cloudformation.answered(request_type, logical_id, body)

    # -- running the handler ---------------------------------------------------------------
    def _adapter(self) -> Any:
        if self._pool:
            return self._pool.pop()
        # Seeded: jittered pauses and backoffs are the same on every run.
        rng = random.Random(self.seed * 100_003 + len(self._made))
        adapter = self.handler.adapter.Adapter(self.handler.index.KIND, self.clients, rng=rng)
        self._made.append(adapter)
        return adapter

    def submit(self, event: dict[str, Any], at: float | None = None, crafted: bool = False) -> Invocation:
        """Queue an invocation with ``event`` (a deep copy: crhelper mutates events).
        ``crafted``: sent by someone who may invoke the function, not by CloudFormation,
        so the stack's resource statuses do not change."""
        is_continuation = _wire.CONTINUATION_KEY in event or crafted
        path = url_path(event["ResponseURL"])
        payload = copy.deepcopy(event)

        def body(invocation: Invocation) -> None:
            if not is_continuation and path not in self._requests:  # CloudFormation marks the request as it sends it
                self._requests[path] = (payload["RequestType"], payload["LogicalResourceId"])
                self.cloudformation.requested(
                    payload["RequestType"], payload["LogicalResourceId"], signed_at(payload["ResponseURL"])
                )
            self.invocations.append((payload["RequestType"], is_continuation))
            adapter = self._adapter()
            invocation.on_timer = adapter._timeout  # crhelper's timer path, as its threading.Timer would run it
            try:
                adapter.handle(payload, FakeContext(self.world, invocation))
            finally:
                self._pool.append(adapter)

        start = self.world.now() if at is None else at
        label = f"{payload['RequestType']}{'+' if is_continuation else ''} {payload['LogicalResourceId']}"
        return self.world.spawn(Invocation(body, start, self.lambda_timeout, label))

    def _handed_over(self, event: dict[str, Any]) -> None:
        self.submit(event, at=self.world.now() + self.handover_delay)

    def answer(self, event: dict[str, Any]) -> Answer:
        """The last answer CloudFormation received for ``event``'s request."""
        path = url_path(event["ResponseURL"])
        answers = self.server.responses.get(path, [])
        return Answer(answers[-1] if answers else None, path, self.server.attempts.get(path, 0))

    def first_answer(self, event: dict[str, Any]) -> Answer:
        """The answer CloudFormation took (the first one)."""
        path = url_path(event["ResponseURL"])
        answers = self.server.responses.get(path, [])
        return Answer(answers[0] if answers else None, path, self.server.attempts.get(path, 0))

    def invoke(self, event: dict[str, Any], crafted: bool = False) -> Answer:
        """Run one invocation to its end; the answer it gave (body None: handed over)."""
        path = url_path(event["ResponseURL"])
        before = len(self.server.responses.get(path, []))
        invocation = self.submit(event, crafted=crafted)
        self.world.run(stop=lambda: invocation.done)
        answers = self.server.responses.get(path, [])
        body = answers[-1] if len(answers) > before else None
        return Answer(body, path, self.server.attempts.get(path, 0))

    def run_until_answered(self, event: dict[str, Any], until: float | None = None) -> Answer:
        """Run the request and its hand-overs until CloudFormation has an answer."""
        path = url_path(event["ResponseURL"])
        self.submit(event)
        self.world.run(until=until, stop=lambda: bool(self.server.responses.get(path)))
        return self.answer(event)

    def run_all(self, until: float | None = None) -> None:
        """Run everything queued (hand-overs included) until nothing is left."""
        self.world.run(until=until)

    def continuations(self) -> int:
        return sum(1 for _, is_continuation in self.invocations if is_continuation)

    def queued(self) -> list[Invocation]:
        return self.world.queued()


# --- helpers for the handler tests (added with tests/lambda; nothing above depends on them) --------
OTHER_STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/OtherStack/9f8e7d60-0000-11ef-0000-0a0b0c0d0e0f"


def as_made_by_handler(
    request: dict[str, Any], logical_id: str = "Resource", stack_id: str = STACK_ID
) -> dict[str, Any]:
    """A Create* request as the handler sends it: the user's tags, then the ownership tags."""
    made = copy.deepcopy(request)
    made["Tags"] = list(made.get("Tags") or []) + owner_tags(logical_id, stack_id)
    return made


def owner_tag_dict(logical_id: str = "Resource", stack_id: str = STACK_ID) -> dict[str, str]:
    """The ownership tags as the fake stores a resource's tags (key -> value)."""
    return {tag["Key"]: tag["Value"] for tag in owner_tags(logical_id, stack_id)}


def hand_over_payloads(life: Lifecycle) -> list[dict[str, Any]]:
    """The events the handler's self-invocations carried, in order."""
    return [json.loads(call["Payload"]) for call in life.lambda_.calls]


def assert_hand_overs_invoke_only_this_function(life: Lifecycle) -> None:
    """Every hand-over is an asynchronous Invoke of the function's own ARN with a
    continuation and no resource properties."""
    for call, payload in zip(life.lambda_.calls, hand_over_payloads(life), strict=True):
        assert call["FunctionName"] == FUNCTION_ARN
        assert call["InvocationType"] == "Event"
        assert payload[_wire.CRHELPER_POLL_KEY] is True
        assert isinstance(payload[_wire.CONTINUATION_KEY], dict)
        assert "ResourceProperties" not in payload and "OldResourceProperties" not in payload


def follow_hand_overs(life: Lifecycle, event: dict[str, Any]) -> Answer:
    """After ``life.invoke(event)`` handed over: run the continuations until
    CloudFormation has an answer for ``event`` (without submitting it again)."""
    life.world.run(stop=lambda: life.answer(event).body is not None)
    return life.answer(event)


def assert_nothing_left_running(life: Lifecycle) -> None:
    """Once answered, no continuation is queued and running the world starts none."""
    assert life.queued() == []
    before = (life.continuations(), len(life.lambda_.calls))
    life.run_all()
    assert (life.continuations(), len(life.lambda_.calls)) == before
    assert not any(invocation.timed_out for invocation in life.world.invocations)
