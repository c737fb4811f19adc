"""Deploy-time speed, both sides on one simulated clock.

A :class:`World` is one simulated deploy: a clock, the strict fake SageMaker of
``tests.harness``, EventBridge and Lambda fakes, and a scheduler that fires
each armed rule at the rate of its ``ScheduleExpression`` (``rate(1 minute)``
for this project, ``rate(2 minutes)`` for crhelper's default
polling_interval=2). A :class:`Side` runs one handler module in that world:
this project's bundled handler, or a plain-crhelper baseline.

crhelper's own waiting is put on the simulated clock, for both sides alike:

* ``CfnResource._wait_for_cwlogs(self, sleep=sleep)`` binds ``time.sleep`` as
  a default argument when crhelper is imported, so patching the module's
  ``sleep`` does not reach it: its ``__defaults__`` are replaced as well.
* ``_set_timeout`` starts a ``threading.Timer``; the module's ``threading``
  is replaced by one whose ``Timer`` fires on the simulated clock.
* The baseline's ``_send`` binds ``crhelper.utils._send_response`` as a
  default argument; ``CfnResource._send`` is replaced by a wrapper that runs
  crhelper's own ``_send`` with a recording sender (noted in the output).
  This project's handler answers through its real HTTPS sender to the
  harness's 127.0.0.1 endpoint, recorded on the way out.
"""

from __future__ import annotations

import copy
import json
import re
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.harness import FakeContext, FakeEvents, FakeLambda, SimClock, cfn_event
from tests.harness.fake_sagemaker import FakeSageMaker

LAMBDA_TIMEOUT = 900.0  # the handler function's timeout (15 minutes)


class BenchClock(SimClock):
    """Simulated time with timers (crhelper's ``threading.Timer``)."""

    def __init__(self) -> None:
        super().__init__()
        self.timers: list[SimTimer] = []

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        for timer in [t for t in self.timers if t.due <= self.t]:
            self.timers.remove(timer)
            timer.function()


class SimTimer:
    """``threading.Timer`` on a :class:`BenchClock`."""

    def __init__(self, clock: BenchClock, interval: float, function: Callable[[], Any]) -> None:
        self.clock = clock
        self.due = clock.now() + interval
        self.function = function

    def start(self) -> None:
        self.clock.timers.append(self)

    def cancel(self) -> None:
        if self in self.clock.timers:
            self.clock.timers.remove(self)


class TimedEvents(FakeEvents):
    """EventBridge that remembers when each rule was created and its period."""

    def __init__(self, clock: SimClock) -> None:
        super().__init__()
        self.clock = clock

    def put_rule(self, **kw: Any) -> dict[str, Any]:
        response = super().put_rule(**kw)
        match = re.fullmatch(r"rate\((\d+) minutes?\)", kw["ScheduleExpression"])
        assert match, kw["ScheduleExpression"]
        period = 60.0 * int(match.group(1))
        self.rules[kw["Name"]].update(period=period, next_fire=self.clock.now() + period)
        return response


@dataclass
class Answer:
    at: float  # simulated time the answer was sent
    body: dict[str, Any]


@dataclass
class World:
    clock: BenchClock = field(default_factory=BenchClock)
    sagemaker: FakeSageMaker = field(init=False)
    events: TimedEvents = field(init=False)
    lambda_: FakeLambda = field(default_factory=FakeLambda)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    invocations: int = 0

    def __post_init__(self) -> None:
        self.sagemaker = FakeSageMaker(self.clock)
        self.events = TimedEvents(self.clock)

    def record(self, url: str, body: dict[str, Any]) -> None:
        self.answers.setdefault(url, []).append(Answer(self.clock.now(), copy.deepcopy(body)))


class Side:
    """One handler module (``index`` of a bundle, or a baseline module)."""

    def __init__(self, label: str, module: types.ModuleType, crhelper_class: type) -> None:
        self.label = label
        self.module = module
        self.crhelper_class = crhelper_class

    @contextmanager
    def in_world(self, world: World) -> Iterator[None]:
        """Wire the handler to ``world`` and put crhelper's waiting on its clock."""
        helper = self.module.helper
        helper._events_client = world.events
        helper._lambda_client = world.lambda_
        globals_ = self.crhelper_class._set_timeout.__globals__
        saved_threading = globals_["threading"]
        saved_sleep = globals_["sleep"]
        saved_defaults = self.crhelper_class._wait_for_cwlogs.__defaults__
        globals_["threading"] = types.SimpleNamespace(
            Timer=lambda interval, function: SimTimer(world.clock, interval, function)
        )
        globals_["sleep"] = world.clock.sleep
        self.crhelper_class._wait_for_cwlogs.__defaults__ = (world.clock.sleep,)
        undo = self._wire(world)
        try:
            yield
        finally:
            undo()
            globals_["threading"] = saved_threading
            globals_["sleep"] = saved_sleep
            self.crhelper_class._wait_for_cwlogs.__defaults__ = saved_defaults

    def _wire(self, world: World) -> Callable[[], None]:
        raise NotImplementedError

    def invoke(self, world: World, event: dict[str, Any]) -> None:
        world.invocations += 1
        self.module.handler(copy.deepcopy(event), FakeContext(world.clock, LAMBDA_TIMEOUT))


class ProjectSide(Side):
    """This project's bundled handler; answers go through its real HTTPS sender."""

    def __init__(self, label: str, bundle: types.SimpleNamespace) -> None:
        super().__init__(label, bundle.index, bundle.cfn_resource.CfnResource)
        self.cfn_resource = bundle.cfn_resource

    def _wire(self, world: World) -> Callable[[], None]:
        cfn = self.cfn_resource
        real_send = cfn.send_response
        previous_clock = cfn.set_clock(world.clock)
        previous_client = self.module.clients.sagemaker
        self.module.clients.sagemaker = world.sagemaker

        def send_and_record(url: str, body: dict[str, Any]) -> bool:
            world.record(url, body)
            return bool(real_send(url, body))

        cfn.send_response = send_and_record

        def undo() -> None:
            cfn.send_response = real_send
            cfn.set_clock(previous_clock)
            self.module.clients.sagemaker = previous_client

        return undo


class BaselineSide(Side):
    """A plain-crhelper handler; its default-bound sender is replaced by a recorder."""

    def _wire(self, world: World) -> Callable[[], None]:
        cls = self.crhelper_class
        original_send = cls._send
        self.module.sagemaker = world.sagemaker

        def recording_send(helper: Any, status: Any = None, reason: str = "", send_response: Any = None) -> None:
            original_send(helper, status, reason, send_response=lambda url, body, _verify=None: world.record(url, body))

        cls._send = recording_send

        def undo() -> None:
            cls._send = original_send
            self.module.sagemaker = None

        return undo


def run_until_answered(side: Side, world: World, event: dict[str, Any], limit: float = 7200.0) -> Answer:
    """Invoke ``event``, then let the scheduler fire rules until it is answered."""
    url = event["ResponseURL"]
    started = world.clock.now()
    side.invoke(world, event)
    while url not in world.answers:
        armed = [rule for rule in world.events.rules.values() if rule["targets"]]
        if not armed:
            raise RuntimeError(f"{side.label}: no answer and nothing armed")
        rule = min(armed, key=lambda r: r["next_fire"])
        if rule["next_fire"] - started > limit:
            raise RuntimeError(f"{side.label}: no answer within {limit} simulated seconds")
        world.clock.t = max(world.clock.t, rule["next_fire"])
        rule["next_fire"] += rule["period"]
        side.invoke(world, json.loads(rule["targets"]["1"]["Input"]))
    return world.answers[url][0]


# --- events ---------------------------------------------------------------------
ROLE = "arn:aws:iam::123456789012:role/bench-job-role"


def job_properties(name: str, max_runtime: int) -> dict[str, Any]:
    return {
        "CompilationJobName": name,
        "RoleArn": ROLE,
        "InputConfig": {
            "S3Uri": "s3://bench-models/resnet18.tar.gz",
            "Framework": "PYTORCH",
            "DataInputConfig": '{"input0":[1,3,224,224]}',
        },
        "OutputConfig": {"S3OutputLocation": f"s3://bench-out/compiled/{name}/", "TargetDevice": "sitara_am57x"},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
        "ServiceTimeout": min(max_runtime + 300, 3600),
    }


def flow_properties(name: str) -> dict[str, Any]:
    return {
        "FlowDefinitionName": name,
        "RoleArn": ROLE,
        "HumanLoopConfig": {
            "WorkteamArn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers",
            "HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/review-ui",
            "TaskTitle": "Review",
            "TaskDescription": "Review the prediction",
            "TaskCount": 1,
        },
        "OutputConfig": {"S3OutputPath": "s3://bench-out/reviews/"},
        "ServiceTimeout": 600,
    }


_urls = iter(range(1, 1_000_000))


def event(request_type: str, properties: dict[str, Any], resource_type: str, **kw: Any) -> dict[str, Any]:
    return cfn_event(
        request_type,
        properties,
        response_url=f"https://127.0.0.1:{kw.pop('port')}/bench/{next(_urls)}?X-Amz-Signature=bench",
        resource_type=resource_type,
        **kw,
    )


# --- the figures -------------------------------------------------------------------
@dataclass
class Figure:
    """Delays (simulated seconds) measured for one side over several scenarios."""

    delays: list[float]

    @property
    def mean(self) -> float:
        return sum(self.delays) / len(self.delays)

    @property
    def worst(self) -> float:
        return max(self.delays)


JOB = "Custom::SageMakerCompilationJob"
FLOW = "Custom::SageMakerFlowDefinition"


def job_end_delay(side: Side, port: int, ends_at: float, max_runtime: int) -> float:
    """Create a job that completes ``ends_at`` s after CreateCompilationJob; the
    answer's delay after that moment."""
    from tests.harness.fake_sagemaker import Script

    world = World()
    name = "bench-job-0001"
    world.sagemaker.job_scripts[name] = Script(
        [(0, "STARTING"), (min(10.0, ends_at / 2), "INPROGRESS"), (ends_at, "COMPLETED")]
    )
    with side.in_world(world):
        answer = run_until_answered(side, world, event("Create", job_properties(name, max_runtime), JOB, port=port))
    assert answer.body["Status"] == "SUCCESS", (side.label, answer.body)
    return answer.at - (world.sagemaker.jobs[name].created + ends_at)


def delete_overhead(side: Side, port: int) -> float:
    """Delete a COMPLETED job: time from the request to the answer."""
    world = World()
    name = "bench-job-0002"
    props = job_properties(name, 900)
    request = {k: v for k, v in props.items() if k != "ServiceTimeout"}
    world.sagemaker.create_compilation_job(**request)
    with side.in_world(world):
        sent = world.clock.now()
        answer = run_until_answered(side, world, event("Delete", props, JOB, port=port, physical_id=name))
    assert answer.body["Status"] == "SUCCESS" and name not in world.sagemaker.jobs, (side.label, answer.body)
    return answer.at - sent


def flow_active_delay(side: Side, port: int, active_at: float) -> float:
    """Create a flow definition that turns Active ``active_at`` s after creation."""
    from tests.harness.fake_sagemaker import Script

    world = World()
    name = "bench-flow-0001"
    world.sagemaker.flow_scripts[name] = Script([(0, "Initializing"), (active_at, "Active")])
    with side.in_world(world):
        answer = run_until_answered(side, world, event("Create", flow_properties(name), FLOW, port=port))
    assert answer.body["Status"] == "SUCCESS", (side.label, answer.body)
    return answer.at - (world.sagemaker.flows[name].created + active_at)


def real_time_fast_path(side: ProjectSide, port: int, ends_after: float = 3.0) -> float:
    """This project's Create against a job that completes ``ends_after`` real
    seconds after CreateCompilationJob, on the real clock: the answer's delay."""
    from tests.harness.fake_sagemaker import Script

    class RealClock:
        def now(self) -> float:
            return time.time()

        def sleep(self, seconds: float) -> None:
            time.sleep(seconds)

    clock = RealClock()
    fake = FakeSageMaker(clock)  # type: ignore[arg-type]
    name = "bench-job-real"
    fake.job_scripts[name] = Script([(0, "INPROGRESS"), (ends_after, "COMPLETED")])
    cfn = side.cfn_resource
    real_send = cfn.send_response
    sent_at: list[float] = []

    def send_and_record(url: str, body: dict[str, Any]) -> bool:
        sent_at.append(time.time())
        return bool(real_send(url, body))

    previous_clock = cfn.set_clock(clock)
    previous_client = side.module.clients.sagemaker
    side.module.clients.sagemaker = fake
    cfn.send_response = send_and_record
    side.module.helper._events_client = TimedEvents(SimClock())
    side.module.helper._lambda_client = FakeLambda()
    try:
        side.module.handler(
            event("Create", job_properties(name, 900), JOB, port=port),
            FakeContext(clock, LAMBDA_TIMEOUT),  # type: ignore[arg-type]
        )
    finally:
        cfn.send_response = real_send
        cfn.set_clock(previous_clock)
        side.module.clients.sagemaker = previous_client
    assert len(sent_at) == 1
    return sent_at[0] - (fake.jobs[name].created + ends_after)
