"""Unit tests of lambda/shared/cfn_resource.py (the crhelper subclass and its
helpers), imported from a real handler bundle."""

from __future__ import annotations

import json
import os
import types
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import FakeContext, FakeEvents, FakeLambda, ResponseServer, SimClock, load_handler


@pytest.fixture(scope="module")
def cfn() -> types.ModuleType:
    module: types.ModuleType = load_handler("compilation_job").cfn_resource
    return module


@pytest.fixture
def clock(cfn: types.ModuleType) -> Iterator[SimClock]:
    sim = SimClock()
    previous = cfn.set_clock(sim)
    yield sim
    cfn.set_clock(previous)


# --- fit_reason / compose_reason ---------------------------------------------
def test_fit_reason_keeps_a_reason_of_exactly_the_limit(cfn: types.ModuleType) -> None:
    reason = "r" * 255 + "!"
    assert cfn.fit_reason(reason) == reason


def test_fit_reason_cuts_257_characters_to_256_keeping_the_tail(cfn: types.ModuleType) -> None:
    reason = "head " + "x" * 240 + " status FAILED: tail"
    assert len(reason) > 256
    fitted = cfn.fit_reason(reason)
    assert len(fitted) == 256
    assert fitted.startswith("...")
    assert fitted.endswith(" status FAILED: tail")


def test_compose_reason_short_is_lead_key_detail(cfn: types.ModuleType) -> None:
    assert cfn.compose_reason("Lead.", "Job j status FAILED", "why") == "Lead. Job j status FAILED: why"


def test_compose_reason_keeps_the_key_whole_and_the_tail_of_a_long_detail(cfn: types.ModuleType) -> None:
    key = "Job teststack--compile-0123456789 status FAILED"
    detail = "start of detail " + "y" * 400 + " END"
    reason = cfn.compose_reason("A long lead that cannot fit.", key, detail)
    assert len(reason) == 256
    assert reason.startswith(key + ": ...")
    assert reason.endswith(" END")


def test_compose_reason_drops_the_lead_first_when_the_detail_fits(cfn: types.ModuleType) -> None:
    key = "Job j status FAILED"
    detail = "d" * 200
    reason = cfn.compose_reason("L" * 100, key, detail)
    assert len(reason) == 256
    assert reason.endswith(f"{key}: {detail}")


def test_compose_reason_with_a_key_too_long_to_keep_still_fits(cfn: types.ModuleType) -> None:
    reason = cfn.compose_reason("lead", "k" * 300, "detail")
    assert len(reason) == 256
    assert reason.endswith(": detail")


# --- poll_event / jitter ----------------------------------------------------------
def test_poll_event_keeps_only_what_the_poll_path_reads(cfn: types.ModuleType) -> None:
    event = {
        "RequestType": "Create",
        "ResponseURL": "https://x",
        "StackId": "s",
        "RequestId": "r",
        "LogicalResourceId": "L",
        "ResourceType": "Custom::X",
        "ResourceProperties": {"Big": "x" * 20000},
        "ServiceToken": "arn",
        "CrHelperData": {"State": {"Name": "n"}},
    }
    polled = cfn.poll_event(event)
    assert "ResourceProperties" not in polled and "ServiceToken" not in polled
    assert polled["CrHelperData"] == {"State": {"Name": "n"}}
    assert polled["LogicalResourceId"] == "L"


def test_jitter_stays_within_its_spread_and_varies(cfn: types.ModuleType) -> None:
    values = [cfn.jitter(5.0, 2.0) for _ in range(200)]
    assert all(5.0 <= v <= 7.0 for v in values)
    assert len({round(v, 6) for v in values}) > 100


# --- send_response ------------------------------------------------------------------
def test_send_response_delivers_once(cfn: types.ModuleType, response_server: ResponseServer, clock: SimClock) -> None:
    url, path = response_server.new_url()
    assert cfn.send_response(url, {"Status": "SUCCESS"}) is True
    assert response_server.attempts[path] == 1
    assert response_server.responses[path] == [{"Status": "SUCCESS"}]
    assert clock.sleeps == []


def test_send_response_to_a_dead_url_gives_up_after_bounded_attempts(
    cfn: types.ModuleType, response_server: ResponseServer, clock: SimClock
) -> None:
    url, path = response_server.new_url()
    response_server.dead_paths.add(path)
    assert cfn.send_response(url, {"Status": "SUCCESS"}) is False
    assert response_server.attempts[path] == cfn.SEND_ATTEMPTS
    assert clock.sleeps == [1.0, 2.0, 4.0]  # on the simulated clock, no real waiting


def test_send_response_to_a_refused_port_gives_up(cfn: types.ModuleType, clock: SimClock) -> None:
    assert cfn.send_response("https://127.0.0.1:1/cfn?sig=x", {"Status": "SUCCESS"}) is False
    assert len(clock.sleeps) == cfn.SEND_ATTEMPTS - 1


# --- ManagedResource ------------------------------------------------------------------
def test_managed_resource_creates_no_boto3_client_until_polling_needs_one(
    cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    created: list[str] = []
    monkeypatch.setattr(cfn.boto3, "client", lambda service, **kw: created.append(service) or object())
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    helper = cfn.ManagedResource()
    assert created == []
    assert "AWS_SAM_LOCAL" not in os.environ  # borrowed for __init__ only
    assert not helper._sam_local  # so polling stays enabled
    events = helper._events_client
    assert created == ["events"] and helper._events_client is events
    helper._lambda_client = "injected"
    assert helper._lambda_client == "injected" and created == ["events"]


def test_managed_resource_keeps_a_real_aws_sam_local(cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    helper = cfn.ManagedResource()
    assert helper._sam_local == "true"
    assert os.environ["AWS_SAM_LOCAL"] == "true"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, url: str, body: dict[str, Any]) -> bool:
        self.sent.append((url, body))
        return True


def _event(request_type: str = "Create", **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://127.0.0.1/cfn",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/S/guid",
        "RequestId": "req",
        "LogicalResourceId": "Res",
        "ResourceType": "Custom::Test",
        "ResourceProperties": {},
        **extra,
    }


def _run(
    cfn: types.ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    clock: SimClock,
    func: Any,
    event: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Any]:
    """Run ``func`` as the Create function of a fresh ManagedResource; return the body sent."""
    recorder = Recorder()
    monkeypatch.setattr(cfn, "send_response", recorder)
    helper = cfn.ManagedResource()
    helper._events_client = FakeEvents()
    helper._lambda_client = FakeLambda()
    helper.create(func)
    helper.poll_create(lambda e, c: cfn.Result("polled"))
    helper(event or _event(), FakeContext(clock))
    assert len(recorder.sent) <= 1
    return (recorder.sent[0][1] if recorder.sent else {}), helper


def test_finished_result_is_answered_at_once_without_a_rule(
    cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch, clock: SimClock
) -> None:
    body, helper = _run(cfn, monkeypatch, clock, lambda e, c: cfn.Result("job-1", data={"A": "1"}))
    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == "job-1"
    assert body["Data"] == {"A": "1"}
    assert helper._events_client.calls == []


def test_pending_result_arms_a_prefixed_rule_and_answers_nothing(
    cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch, clock: SimClock
) -> None:
    body, helper = _run(cfn, monkeypatch, clock, lambda e, c: cfn.Result("job-1", pending=True, state={"N": 1}))
    assert body == {}
    (rule,) = helper._events_client.rules
    assert rule.startswith(cfn.RULE_PREFIX) and len(rule) == len(cfn.RULE_PREFIX) + 16
    assert helper._events_client.rules[rule]["ScheduleExpression"] == "rate(1 minute)"
    target_input = json.loads(helper._events_client.rules[rule]["targets"]["1"]["Input"])
    assert target_input["CrHelperData"] == {"PhysicalResourceId": "job-1", "State": {"N": 1}}
    assert "ResourceProperties" not in target_input


def test_failure_answers_failed_with_its_physical_id_and_no_data(
    cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch, clock: SimClock
) -> None:
    def fail(event: dict[str, Any], context: Any) -> Any:
        raise cfn.Failure("it broke", physical_id="job-1")

    body, _ = _run(cfn, monkeypatch, clock, fail)
    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == "job-1"
    assert body["Reason"] == "it broke"
    assert body["Data"] == {}


def test_unexpected_error_answers_failed_with_a_generated_id_on_create(
    cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch, clock: SimClock
) -> None:
    def crash(event: dict[str, Any], context: Any) -> Any:
        raise KeyError("InputConfig")

    body, _ = _run(cfn, monkeypatch, clock, crash)
    assert body["Status"] == "FAILED"
    assert body["Reason"] == "KeyError: 'InputConfig'"
    assert body["PhysicalResourceId"].startswith("S_Res_")


def test_failed_poll_answers_with_the_polled_physical_id(
    cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch, clock: SimClock
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(cfn, "send_response", recorder)
    helper = cfn.ManagedResource()
    helper._events_client = FakeEvents()
    helper._lambda_client = FakeLambda()

    def poll_fails(event: dict[str, Any], context: Any) -> Any:
        raise cfn.Failure("no physical id given")

    helper.create(lambda e, c: cfn.Result("job-7", pending=True))
    helper.poll_create(poll_fails)
    helper(_event(), FakeContext(clock))
    (rule,) = helper._events_client.rules
    poll = json.loads(helper._events_client.rules[rule]["targets"]["1"]["Input"])
    helper(poll, FakeContext(clock))
    ((_, body),) = recorder.sent
    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == "job-7"
    assert helper._events_client.rules == {} and helper._lambda_client.permissions == {}


def test_reason_over_256_characters_is_cut_keeping_the_tail(
    cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch, clock: SimClock
) -> None:
    def fail(event: dict[str, Any], context: Any) -> Any:
        raise cfn.Failure("x" * 300 + " Job j status FAILED: reason", physical_id="j")

    body, _ = _run(cfn, monkeypatch, clock, fail)
    assert len(body["Reason"]) == 256
    assert body["Reason"].endswith("Job j status FAILED: reason")


def test_response_over_4096_bytes_becomes_failed_without_data(
    cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch, clock: SimClock
) -> None:
    body, _ = _run(cfn, monkeypatch, clock, lambda e, c: cfn.Result("job-1", data={"Big": "b" * 5000}))
    assert body["Status"] == "FAILED"
    assert body["Data"] == {}
    assert "4096" in body["Reason"]
    assert body["PhysicalResourceId"] == "job-1"
    assert len(json.dumps(body).encode()) <= 4096


def test_failed_answer_without_reason_gets_one(
    cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch, clock: SimClock
) -> None:
    def fail(event: dict[str, Any], context: Any) -> Any:
        raise cfn.Failure("")

    body, _ = _run(cfn, monkeypatch, clock, fail)
    assert body["Status"] == "FAILED" and body["Reason"]


def test_delete_does_not_sleep(cfn: types.ModuleType, monkeypatch: pytest.MonkeyPatch, clock: SimClock) -> None:
    slept: list[float] = []
    monkeypatch.setattr("crhelper.resource_helper.sleep", slept.append, raising=False)
    recorder = Recorder()
    monkeypatch.setattr(cfn, "send_response", recorder)
    helper = cfn.ManagedResource()
    helper.delete(lambda e, c: cfn.Result("job-1"))
    helper(_event("Delete", PhysicalResourceId="job-1"), FakeContext(clock))
    assert helper._sleep_on_delete == 0
    assert slept == [] and clock.sleeps == []
    assert recorder.sent[0][1]["Status"] == "SUCCESS"


def test_worst_case_send_fits_in_the_time_the_handlers_keep_free() -> None:
    """A dead URL must not outlast the invocation, or crhelper's timer answers over it."""
    handler = load_handler("compilation_job")
    flow = load_handler("flow_definition")
    cfn = handler.cfn_resource
    assert cfn.SEND_WORST_CASE_SECONDS < handler.logic.LAMBDA_MARGIN_SECONDS
    assert cfn.SEND_WORST_CASE_SECONDS < flow.logic.LAMBDA_MARGIN_SECONDS
