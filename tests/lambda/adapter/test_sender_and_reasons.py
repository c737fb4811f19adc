"""Unit tests of lambda/shared/adapter.py (the crhelper subclass: the bounded
sender, the answer it builds, the hand-over) and of the reason fitting in
lambda/shared/engine.py, imported from a real handler bundle.

Was tests/test_cfn_resource.py (the old ``cfn_resource`` module). Its tests of the
EventBridge machinery (a rule per waiting resource, the poll event it carried,
crhelper's boto3 clients made lazily) are replaced by the same checks of the
hand-over by self-invocation and of ``clients.Clients``.
"""

from __future__ import annotations

import json
import random
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sagemaker_constructs import _wire
from tests.harness import FUNCTION_ARN, STACK_ID, FakeLambda, ResponseServer, load_handler
from tests.harness.properties import JOB_NAME, compilation_job_properties

OTHER_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:someone-elses-function"


@pytest.fixture(scope="module")
def handler() -> types.SimpleNamespace:
    return load_handler("compilation_job")


@pytest.fixture(scope="module")
def engine(handler: types.SimpleNamespace) -> types.ModuleType:
    module: types.ModuleType = handler.engine
    return module


@pytest.fixture(scope="module")
def adapter(handler: types.SimpleNamespace) -> types.ModuleType:
    module: types.ModuleType = handler.adapter
    return module


class RecordingClock:
    """Simulated time for code that runs outside the harness's World."""

    def __init__(self) -> None:
        self.t = 1_800_000_000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, 0.0)


@pytest.fixture
def clock(adapter: types.ModuleType) -> Iterator[RecordingClock]:
    sim = RecordingClock()
    previous = adapter.set_clock(sim)
    yield sim
    adapter.set_clock(previous)


# --- fit_reason / compose_reason (engine) ------------------------------------------
def test_fit_reason_keeps_a_reason_of_exactly_the_limit(engine: types.ModuleType) -> None:
    reason = "r" * 255 + "!"
    assert engine.fit_reason(reason) == reason


def test_fit_reason_cuts_257_characters_to_256_keeping_the_tail(engine: types.ModuleType) -> None:
    reason = "head " + "x" * 240 + " status FAILED: tail"
    assert len(reason) > 256
    fitted = engine.fit_reason(reason)
    assert len(fitted) == 256
    assert fitted.startswith("...")
    assert fitted.endswith(" status FAILED: tail")


def test_fit_head_keeps_the_head_of_a_list_of_property_problems(engine: types.ModuleType) -> None:
    reason = "Invalid resource properties: RoleArn must be a string; " + "z" * 300
    fitted = engine.fit_head(reason)
    assert len(fitted) == 256
    assert fitted.startswith("Invalid resource properties: RoleArn must be a string")
    assert fitted.endswith("...")
    assert engine.fit_head("short") == "short"


def test_compose_reason_short_is_lead_key_detail(engine: types.ModuleType) -> None:
    assert engine.compose_reason("Lead.", "Job j status FAILED", "why") == "Lead. Job j status FAILED: why"


def test_compose_reason_keeps_the_key_whole_and_the_tail_of_a_long_detail(engine: types.ModuleType) -> None:
    key = "Job teststack--compile-0123456789 status FAILED"
    detail = "start of detail " + "y" * 400 + " END"
    reason = engine.compose_reason("A long lead that cannot fit.", key, detail)
    assert len(reason) == 256
    assert reason.startswith(key + ": ...")
    assert reason.endswith(" END")


def test_compose_reason_drops_the_lead_first_when_the_detail_fits(engine: types.ModuleType) -> None:
    key = "Job j status FAILED"
    detail = "d" * 200
    reason = engine.compose_reason("L" * 100, key, detail)
    assert len(reason) == 256
    assert reason.endswith(f"{key}: {detail}")


def test_compose_reason_with_a_key_too_long_to_keep_still_fits(engine: types.ModuleType) -> None:
    reason = engine.compose_reason("lead", "k" * 300, "detail")
    assert len(reason) == 256
    assert reason.endswith(": detail")


# --- describe pauses (engine; was cfn_resource.jitter) ---------------------------------
def test_describe_pauses_stay_within_their_jitter_and_vary(handler: types.SimpleNamespace) -> None:
    engine = handler.engine
    sim = RecordingClock()
    env = engine.Env(
        sagemaker=None,
        clock=sim,
        stack_id=STACK_ID,
        invocation_end=sim.now() + 900,
        describe_interval=5.0,
        rng=random.Random(7),
    )
    run = engine.Run(handler.index.KIND, env, {"LogicalResourceId": "Res"}, deadline=sim.now() + 900)
    values = [run.pause() for _ in range(200)]
    assert values == sim.sleeps
    assert all(5.0 * (1 - engine.DESCRIBE_JITTER) <= v <= 5.0 * (1 + engine.DESCRIBE_JITTER) for v in values)
    assert len({round(v, 6) for v in values}) > 100


def test_describe_interval_grows_with_the_resources_sharing_the_budget(engine: types.ModuleType) -> None:
    assert engine.describe_interval(5.0, 1, 10.0) == 5.0
    assert engine.describe_interval(5.0, 200, 10.0) == 20.0
    assert engine.describe_interval(5.0, 200, 0.0) == 5.0  # no budget: the kind's minimum


# --- send_response ----------------------------------------------------------------------------
def test_send_response_delivers_once(
    adapter: types.ModuleType, response_server: ResponseServer, clock: RecordingClock
) -> None:
    url, path = response_server.new_url()
    assert adapter.send_response(url, {"Status": "SUCCESS"}) is True
    assert response_server.attempts[path] == 1
    assert response_server.responses[path] == [{"Status": "SUCCESS"}]
    assert clock.sleeps == []


def test_send_response_to_a_dead_url_gives_up_after_bounded_attempts(
    adapter: types.ModuleType, response_server: ResponseServer, clock: RecordingClock
) -> None:
    url, path = response_server.new_url()
    response_server.dead_paths.add(path)
    assert adapter.send_response(url, {"Status": "SUCCESS"}) is False
    assert response_server.attempts[path] == adapter.SEND_ATTEMPTS
    assert clock.sleeps == [1.0, 2.0, 4.0]  # on the simulated clock, no real waiting


def test_send_response_to_a_refused_port_gives_up(adapter: types.ModuleType, clock: RecordingClock) -> None:
    assert adapter.send_response("https://127.0.0.1:1/cfn?sig=x", {"Status": "SUCCESS"}) is False
    assert len(clock.sleeps) == adapter.SEND_ATTEMPTS - 1


def test_worst_case_send_fits_in_the_time_the_engine_keeps_free() -> None:
    """A dead URL must not outlast the invocation, or crhelper's timer answers over it:
    the margin holds one last call and then the worst-case send."""
    for kind in ("compilation_job", "flow_definition"):
        bundle = load_handler(kind)
        adapter, engine = bundle.adapter, bundle.engine
        assert adapter.SEND_WORST_CASE_SECONDS == 4 * 4.0 + 1 + 2 + 4
        assert engine.CALL_WORST_SECONDS + adapter.SEND_WORST_CASE_SECONDS < engine.INVOCATION_MARGIN_SECONDS
        assert bundle.clients.CALL_WORST_SECONDS <= engine.CALL_WORST_SECONDS


# --- clients made on first use (was: ManagedResource's lazy boto3 clients) ------------------------
def test_clients_are_made_on_first_use_with_the_bounded_config(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = handler.clients
    created: list[tuple[str, Any]] = []

    def fake_client(service: str, **kw: Any) -> object:
        created.append((service, kw.get("config")))
        return object()

    monkeypatch.setattr(clients.boto3, "client", fake_client)
    made = clients.Clients("sagemaker", "lambda_")
    assert created == []
    sagemaker = made.sagemaker
    assert created == [("sagemaker", clients.CONFIG)] and made.sagemaker is sagemaker
    made.lambda_  # noqa: B018 - first use makes it
    assert created[-1] == ("lambda", clients.CONFIG)
    assert made.has("lambda_") and not made.has("s3")
    with pytest.raises(AttributeError):
        made.s3  # noqa: B018 - not one of its services
    with pytest.raises(AttributeError):
        made.s3 = object()
    made.sagemaker = "injected"
    assert made.sagemaker == "injected" and len(created) == 2


def test_lambda_handler_makes_its_adapter_on_the_first_invocation_not_at_import(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(handler.adapter, "send_response", recorder)
    monkeypatch.setattr(handler.engine, "handle", stub(handler.engine.Answer("SUCCESS", "job-1")))
    made: list[Any] = []

    def make_clients() -> Any:
        made.append(fake_clients(handler))
        return made[-1]

    entry = handler.adapter.lambda_handler(handler.index.KIND, make_clients)
    assert made == []
    entry(_event(), Context())
    entry(_event(), Context())
    assert len(made) == 1  # one adapter (and one set of clients) per container
    assert [body["Status"] for _, body in recorder.sent] == ["SUCCESS", "SUCCESS"]


# --- the adapter: one invocation with a stubbed engine ------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, url: str, body: dict[str, Any]) -> bool:
        self.sent.append((url, body))
        return True


class Context:
    """A Lambda context with plenty of time left."""

    invoked_function_arn = FUNCTION_ARN
    function_name = "handler-fn"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def _event(request_type: str = "Create", **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ServiceToken": FUNCTION_ARN,
        "ResponseURL": "https://127.0.0.1/cfn",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/S/guid",
        "RequestId": "req",
        "LogicalResourceId": "Res",
        "ResourceType": "Custom::Test",
        "ResourceProperties": {},
        **extra,
    }


def fake_clients(handler: types.SimpleNamespace) -> Any:
    made = handler.index.make_clients()
    made.sagemaker = object()
    made.s3 = object()
    made.cloudformation = object()
    made.lambda_ = FakeLambda()
    return made


def stub(outcome: Any) -> Callable[..., Any]:
    """An engine.handle that decides ``outcome`` (or calls it with the arguments)."""

    def handle(kind: Any, env: Any, event: Any, on_identity: Any = None) -> Any:
        return outcome(kind, env, event, on_identity) if callable(outcome) else outcome

    return handle


def _run(
    handler: types.SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
    outcome: Any,
    event: dict[str, Any] | None = None,
    kind: Any = None,
) -> tuple[dict[str, Any], Any]:
    """One invocation of a fresh Adapter whose engine decides ``outcome`` (None: the real engine);
    returns the body sent ({} when none) and the adapter."""
    recorder = Recorder()
    monkeypatch.setattr(handler.adapter, "send_response", recorder)
    if outcome is not None:
        monkeypatch.setattr(handler.engine, "handle", stub(outcome))
    helper = handler.adapter.Adapter(kind or handler.index.KIND, fake_clients(handler))
    helper.handle(event or _event(), Context())
    assert len(recorder.sent) <= 1
    return (recorder.sent[0][1] if recorder.sent else {}), helper


def test_finished_answer_is_sent_at_once_without_a_hand_over(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    body, helper = _run(handler, monkeypatch, handler.engine.Answer("SUCCESS", "job-1", data={"A": "1"}))
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == "job-1"
    assert body["Data"] == {"A": "1"}
    assert helper.aws.lambda_.calls == []  # was: no EventBridge call


def test_hand_over_invokes_this_function_asynchronously_and_answers_nothing(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    """Replaces "a pending result arms a prefixed rule" and "the poll event keeps only what
    the poll path reads": the continuation goes to the function's own ARN (from the
    context, not the event's ServiceToken) and carries the request without its properties."""
    state = {"Phase": "wait", "Name": "job-1", "Deadline": clock.now() + 600}
    event = _event(
        ServiceToken=OTHER_FUNCTION_ARN,
        ResourceProperties={"Big": "x" * 20000},
        OldResourceProperties={"Big": "y" * 20000},
        **{_wire.CONTINUATION_KEY: {"Phase": "wait", "Name": "earlier"}},
    )
    body, helper = _run(handler, monkeypatch, handler.engine.HandOver(state), event)
    assert body == {}
    (call,) = helper.aws.lambda_.calls
    assert call["FunctionName"] == FUNCTION_ARN and call["InvocationType"] == "Event"
    payload = json.loads(call["Payload"])
    assert payload[_wire.CONTINUATION_KEY] == state
    assert payload[_wire.CRHELPER_POLL_KEY] is True
    assert "ResourceProperties" not in payload and "OldResourceProperties" not in payload
    assert {k: payload[k] for k in ("RequestType", "ResponseURL", "RequestId", "LogicalResourceId", "StackId")} == {
        k: event[k] for k in ("RequestType", "ResponseURL", "RequestId", "LogicalResourceId", "StackId")
    }
    assert len(call["Payload"].encode()) < 1024


def test_hand_over_too_large_for_a_continuation_answers_failed(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    state = {"Phase": "wait", "Name": "job-1", "Extra": {"Big": "b" * _wire.MAX_CONTINUATION_BYTES}}
    body, helper = _run(handler, monkeypatch, handler.engine.HandOver(state))
    assert body["Status"] == "FAILED"
    assert "could not hand over" in body["Reason"] and "bytes" in body["Reason"]
    assert helper.aws.lambda_.calls == []


def test_failure_answers_failed_with_its_physical_id_and_no_data(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    answer = handler.engine.Answer("FAILED", "job-1", "it broke", data={"A": "1"})
    body, _ = _run(handler, monkeypatch, answer)
    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == "job-1"
    assert body["Reason"] == "it broke"
    assert body["Data"] == {}


def test_unexpected_error_answers_failed_with_a_generated_id_on_create(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    """The real engine, with a kind whose parsing crashes before any name is known."""

    class Broken(type(handler.index.KIND)):  # type: ignore[misc]
        def parse(self, resource_properties: Any, validate: Any) -> Any:
            raise KeyError("InputConfig")

    body, _ = _run(handler, monkeypatch, None, kind=Broken())
    assert body["Status"] == "FAILED"
    assert body["Reason"] == "Unexpected KeyError in the handler: 'InputConfig'"
    assert body["PhysicalResourceId"].startswith("S_Res_")


def test_timer_answer_carries_the_identity_the_engine_published(
    make_lifecycle: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was "a failed poll answers with the polled physical id": when Lambda is about to stop
    an invocation, crhelper's timer answers with the name, not a random id."""
    life = make_lifecycle(lambda_timeout=120.0)

    def named_then_stuck(kind: Any, env: Any, event: Any, on_identity: Any) -> Any:
        on_identity("job-7")
        env.clock.sleep(10_000)  # past the Lambda timeout: the World fires crhelper's timer

    monkeypatch.setattr(life.handler.engine, "handle", stub(named_then_stuck))
    answer = life.invoke(life.event("Create", compilation_job_properties()))
    assert life.world.invocations[-1].timed_out
    assert answer.status == "FAILED"
    assert answer.physical_id == "job-7"
    assert answer.reason == "Execution timed out"


def test_failed_continuation_answers_with_the_name_it_carries(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    event = life.event("Create", compilation_job_properties())
    del event["ResourceProperties"]  # a continuation carries none
    event[_wire.CRHELPER_POLL_KEY] = True
    event[_wire.CONTINUATION_KEY] = {"Phase": "wait", "Name": JOB_NAME, "Deadline": life.clock.now() + 600}
    life.cloudformation.requested("Create", "Resource")  # CloudFormation still waits for the request
    answer = life.invoke(event)
    assert answer.status == "FAILED"
    assert answer.physical_id == JOB_NAME
    assert "disappeared" in answer.reason


def test_reason_over_256_characters_is_cut_keeping_the_tail(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    answer = handler.engine.Answer("FAILED", "j", "x" * 300 + " Job j status FAILED: reason")
    body, _ = _run(handler, monkeypatch, answer)
    assert len(body["Reason"]) == 256
    assert body["Reason"].endswith("Job j status FAILED: reason")


def test_response_over_4096_bytes_becomes_failed_without_data(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    body, _ = _run(handler, monkeypatch, handler.engine.Answer("SUCCESS", "job-1", data={"Big": "b" * 5000}))
    assert body["Status"] == "FAILED"
    assert body["Data"] == {}
    assert "4096" in body["Reason"]
    assert body["PhysicalResourceId"] == "job-1"
    assert len(json.dumps(body).encode()) <= 4096


def test_failed_answer_without_reason_gets_one(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    body, _ = _run(handler, monkeypatch, handler.engine.Answer("FAILED", "j", ""))
    assert body["Status"] == "FAILED" and body["Reason"]


def test_delete_does_not_sleep(
    handler: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, clock: RecordingClock
) -> None:
    started = time.monotonic()
    event = _event("Delete", PhysicalResourceId="job-1")
    body, helper = _run(handler, monkeypatch, handler.engine.Answer("SUCCESS", "job-1"), event)
    assert helper._sleep_on_delete == 0  # crhelper's own default is 120 s before a Delete's answer
    assert time.monotonic() - started < 5
    assert clock.sleeps == []
    assert body["Status"] == "SUCCESS"
