"""200 resources in one stack that all outlive their first invocation are all
answered; their describes stay within the stack's budget; waiting adds nothing
to the function's resource-based policy (Lambda caps it at 20 KB)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from sagemaker_constructs import _wire
from tests.harness import FUNCTION_ARN, Lifecycle, ResponseServer, load_handler
from tests.harness.fake_sagemaker import FakeS3, FakeSageMaker, Script
from tests.harness.properties import compilation_job_properties as props

JOBS = 200


@pytest.fixture(scope="module")
def stack_of_200(response_server: ResponseServer) -> Iterator[Any]:
    os.environ[_wire.ENV_RESOURCE_COUNT] = str(JOBS)  # as the construct renders it
    life = Lifecycle(load_handler("compilation_job"), response_server, FakeSageMaker(), s3=FakeS3())
    events = []
    for i in range(JOBS):
        name = f"teststack--job{i:03d}-0123456789"
        ends = 900.0 + 3.0 * i  # every job outlives the first invocation
        life.sagemaker.job_scripts[name] = Script([(0, "STARTING"), (10, "INPROGRESS"), (ends, "COMPLETED")])
        long = props(name, StoppingCondition={"MaxRuntimeInSeconds": 3300}, ServiceTimeout=3600)
        events.append(life.event("Create", long, logical_id=f"Job{i:03d}"))
    try:
        for event in events:
            life.submit(event)
        life.run_all()
        yield life, events
    finally:
        del os.environ[_wire.ENV_RESOURCE_COUNT]
        life.close()


def test_all_200_are_answered(stack_of_200: Any) -> None:
    life, events = stack_of_200
    answers = [life.answer(event) for event in events]
    assert [a.status for a in answers] == ["SUCCESS"] * JOBS
    assert [a.physical_id for a in answers] == [e["ResourceProperties"]["CompilationJobName"] for e in events]
    assert life.continuations() >= JOBS  # each one was handed over at least once
    assert life.queued() == []


def test_waiting_only_ever_invokes_the_function_itself(stack_of_200: Any) -> None:
    life, _ = stack_of_200
    assert {call["FunctionName"] for call in life.lambda_.calls} == {FUNCTION_ARN}
    assert {call["InvocationType"] for call in life.lambda_.calls} == {"Event"}
    assert max(len(call["Payload"]) for call in life.lambda_.calls) < 4096


def test_describes_stay_within_the_budget(stack_of_200: Any) -> None:
    life, _ = stack_of_200
    times = life.sagemaker.call_times("describe_compilation_job")
    start = min(times)
    waiting = [t for t in times if 30.0 <= t - start < 890.0]  # all 200 are waiting until t = 900 s
    budget = _wire.DEFAULT_DESCRIBE_BUDGET
    assert len(waiting) / 860.0 <= budget
