"""The lifecycle harness: real crhelper, real handler code, fake AWS, real HTTPS.

Pieces (see tests/conftest.py for the pytest fixtures built from them):

* :class:`ResponseServer` - an HTTPS endpoint on 127.0.0.1 that plays
  CloudFormation's pre-signed response URL. crhelper only speaks HTTPS; the
  server's CA goes into ``SSL_CERT_FILE`` so the default SSL context trusts it.
* :func:`load_handler` - bundles a handler exactly as the construct does and
  imports it from the bundle, so the tests run what ships.
* :class:`SimClock` - simulated time, installed into the handler's
  ``cfn_resource.clock``: minutes of waiting take microseconds.
* :class:`FakeContext`, :class:`FakeEvents`, :class:`FakeLambda` - the
  Lambda context and the clients crhelper polls with.
* :func:`cfn_event` - CloudFormation-shaped events, properties stringified the
  way CloudFormation sends them.
* :class:`Lifecycle` - one handler + fakes + server: ``invoke`` an event,
  get the answer CloudFormation would get; ``fire_polls`` runs armed rules.

The strict fake SageMaker is in :mod:`tests.harness.fake_sagemaker`.
"""

from __future__ import annotations

import copy
import http.server
import importlib
import itertools
import json
import os
import ssl
import sys
import tempfile
import threading
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

REPO = Path(__file__).resolve().parents[2]
HANDLER_MODULES = ("index", "logic", "cfn_resource", "aws_calls", "common", "_wire", "model_sources", "crhelper")
REGION = "us-east-1"
ACCOUNT = "123456789012"


# --- HTTPS response endpoint ---------------------------------------------------
class ResponseServer:
    """Records every PUT, by path. ``dead_paths`` answer by closing the connection."""

    def __init__(self) -> None:
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.raw_sizes: dict[str, list[int]] = {}
        self.attempts: dict[str, int] = {}
        self.dead_paths: set[str] = set()
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
                if path in server.dead_paths:
                    self.close_connection = True
                    self.connection.close()
                    return
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                server.raw_sizes.setdefault(path, []).append(len(body))
                server.responses.setdefault(path, []).append(json.loads(body))
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


# --- handler bundles ------------------------------------------------------------
_LOADED: dict[str, types.SimpleNamespace] = {}


def load_handler(kind: str) -> types.SimpleNamespace:
    """Bundle ``kind`` as the construct does and import it from the bundle.

    Each kind gets its own copies of the shared modules (both handlers have an
    ``index``), so the modules are taken out of ``sys.modules`` again after
    import. Returns a namespace with the modules (``index``, ``logic``,
    ``cfn_resource`` ...) and the bundle path.
    """
    if kind in _LOADED:
        return _LOADED[kind]
    os.environ.setdefault("AWS_REGION", REGION)
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    from sagemaker_constructs._handler import bundle_handler  # no aws_cdk app needed

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


# --- time, context, crhelper's clients ---------------------------------------------
class SimClock:
    """Simulated wall clock: ``sleep`` advances it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        self.t += seconds


class FakeContext:
    """A Lambda context whose remaining time follows the (simulated) clock."""

    def __init__(self, clock: SimClock, timeout_seconds: float = 900.0, function_name: str = "handler-fn") -> None:
        self._clock = clock
        self._deadline = clock.now() + timeout_seconds
        self.function_name = function_name
        self.aws_request_id = "req-" + str(int(clock.now()))
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - self._clock.now()) * 1000), 0)


class StrictFake:
    """Any method not defined on the fake fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected AWS call: {type(self).__name__}.{name}")


class FakeEvents(StrictFake):
    """EventBridge as crhelper uses it. Enforces the 64-character rule name and
    the 8192-byte target Input limits."""

    def __init__(self) -> None:
        self.rules: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.created_rule_names: list[str] = []

    def put_rule(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("put_rule", kw))
        name = kw["Name"]
        if len(name) > 64:
            raise AssertionError(f"EventBridge rule name longer than 64 characters: {name}")
        self.rules[name] = {"targets": {}, **kw}
        self.created_rule_names.append(name)
        return {"RuleArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"}

    def put_targets(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("put_targets", kw))
        for target in kw["Targets"]:
            if len(target["Input"].encode()) > 8192:
                raise AssertionError(f"target Input of {len(target['Input'].encode())} bytes exceeds 8192")
            self.rules[kw["Rule"]]["targets"][target["Id"]] = target
        return {"FailedEntryCount": 0}

    def remove_targets(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("remove_targets", kw))
        for target_id in kw["Ids"]:
            self.rules.get(kw["Rule"], {"targets": {}})["targets"].pop(target_id, None)
        return {"FailedEntryCount": 0}

    def delete_rule(self, **kw: Any) -> None:
        self.calls.append(("delete_rule", kw))
        self.rules.pop(kw["Name"], None)


class FakeLambda(StrictFake):
    def __init__(self) -> None:
        self.permissions: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def add_permission(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("add_permission", kw))
        if len(kw["StatementId"]) > 100:
            raise AssertionError(f"StatementId longer than 100 characters: {kw['StatementId']}")
        self.permissions[kw["StatementId"]] = kw
        return {"Statement": "{}"}

    def remove_permission(self, **kw: Any) -> None:
        self.calls.append(("remove_permission", kw))
        self.permissions.pop(kw["StatementId"], None)


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
        "ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:handler-fn",
        "ResponseURL": response_url,
        "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/TestStack/0c2b4f40-0000-11ef-0000-0a0b0c0d0e0f",
        "RequestId": f"request-{request_type.lower()}",
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": cfn_stringify(
            {"ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:handler-fn", **properties}
        ),
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = cfn_stringify(old_properties)
    return event


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
    """A handler wired to fakes, a simulated clock and the HTTPS server."""

    handler: types.SimpleNamespace
    server: ResponseServer
    sagemaker: Any
    clock: SimClock = field(default_factory=SimClock)
    events: FakeEvents = field(default_factory=FakeEvents)
    lambda_: FakeLambda = field(default_factory=FakeLambda)
    resource_type: str = "Custom::SageMakerCompilationJob"
    lambda_timeout: float = 900.0
    s3: Any = None
    # (RequestType, is a poll) of every invocation, in order.
    invocations: list[tuple[str, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        index = self.handler.index
        self._previous_clock = self.handler.cfn_resource.set_clock(self.clock)
        index.clients.sagemaker = self.sagemaker
        if self.s3 is not None and hasattr(index.clients, "s3"):
            index.clients.s3 = self.s3
        index.helper._events_client = self.events
        index.helper._lambda_client = self.lambda_
        if hasattr(self.sagemaker, "clock"):
            self.sagemaker.clock = self.clock

    def close(self) -> None:
        self.handler.cfn_resource.set_clock(self._previous_clock)

    def event(self, request_type: str, properties: dict[str, Any], **kw: Any) -> dict[str, Any]:
        url, _ = self.server.new_url()
        kw.setdefault("resource_type", self.resource_type)
        return cfn_event(request_type, properties, response_url=url, **kw)

    def invoke(self, event: dict[str, Any]) -> Answer:
        """Invoke the handler (crhelper mutates events: it gets a deep copy)."""
        path = event["ResponseURL"].split("//", 1)[1].split("/", 1)[1].split("?")[0]
        path = "/" + path
        before = len(self.server.responses.get(path, []))
        context = FakeContext(self.clock, self.lambda_timeout)
        self.invocations.append((event["RequestType"], "CrHelperPoll" in event))
        self.handler.index.handler(copy.deepcopy(event), context)
        answers = self.server.responses.get(path, [])
        body = answers[-1] if len(answers) > before else None
        return Answer(body, path, self.server.attempts.get(path, 0))

    def poll_invocations(self) -> int:
        return sum(1 for _, is_poll in self.invocations if is_poll)

    def armed_rules(self) -> list[str]:
        return [name for name, rule in self.events.rules.items() if rule["targets"]]

    def fire_polls(self, minutes: float = 1.0) -> list[Answer]:
        """Advance the clock as EventBridge would, then run each armed rule's target once."""
        self.clock.advance(60.0 * minutes)
        answers = []
        for name in list(self.armed_rules()):
            target = self.events.rules[name]["targets"]["1"]
            answers.append(self.invoke(json.loads(target["Input"])))
        return answers

    def run_until_answered(self, event: dict[str, Any], max_polls: int = 120) -> Answer:
        """Invoke, then fire polls until CloudFormation has an answer."""
        answer = self.invoke(event)
        polls = 0
        while answer.body is None and polls < max_polls:
            polls += 1
            fired = self.fire_polls()
            if not fired:
                break
            answer = fired[-1]
        return answer
