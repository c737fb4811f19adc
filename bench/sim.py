"""Deploy-time speed: this project and plain crhelper, each in a simulated deploy.

Both sides run real handler code against the same strict fake SageMaker
(``tests.harness.fake_sagemaker``), with the same job scripts, on simulated
time, and every figure is a measured simulated time:

* **This project** runs in the lifecycle harness (``tests.harness``): a
  :class:`~tests.harness.world.World` runs every invocation in its own thread,
  one at a time, and plays Lambda's asynchronous queue for the hand-overs
  (0.5 s) and its timeout. Answers go through the real HTTPS sender to the
  harness's 127.0.0.1 endpoint; the time an answer arrives is recorded there.
* **Plain crhelper** (``bench/baseline_handler.py``, as crhelper's README
  shows) arms an EventBridge rule per waiting resource; a single-threaded
  scheduler fires each armed rule at the rate of its ``ScheduleExpression``.
  crhelper's own waiting is put on the simulated clock: ``_wait_for_cwlogs``
  binds ``time.sleep`` as a default argument (its ``__defaults__`` are
  replaced), ``_set_timeout`` starts a ``threading.Timer`` (the module's
  ``threading`` is replaced by one whose Timer runs on the simulated clock),
  and ``_send`` binds ``_send_response`` as a default argument (``_send`` is
  wrapped to record instead). Lambda's 20 KB cap on a function's
  resource-based policy is modelled (:class:`CappedLambda`): each
  ``AddPermission`` adds the statement Lambda would store.
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

from botocore.exceptions import ClientError

from tests.harness import ACCOUNT, REGION, Lifecycle, ResponseServer, StrictFake, cfn_event, load_handler, url_path
from tests.harness.existing import job_made_by_handler
from tests.harness.fake_sagemaker import FakeS3, FakeSageMaker, Script
from tests.harness.properties import compilation_job_properties

LAMBDA_TIMEOUT = 900.0  # the handler function's timeout (15 minutes)
POLICY_LIMIT_BYTES = 20 * 1024  # Lambda's cap on a function's resource-based policy
JOB = "Custom::SageMakerCompilationJob"
FLOW = "Custom::SageMakerFlowDefinition"
ROLE = "arn:aws:iam::123456789012:role/bench-job-role"


# --- properties and events --------------------------------------------------------------
def job_properties(name: str, max_runtime: int) -> dict[str, Any]:
    """The harness's job properties, with this benchmark's name and runtime."""
    return compilation_job_properties(
        name,
        StoppingCondition={"MaxRuntimeInSeconds": max_runtime},
        ServiceTimeout=min(max_runtime + 300, 3600),
    )


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


def job_script(ends_at: float) -> Script:
    return Script([(0, "STARTING"), (min(10.0, ends_at / 2), "INPROGRESS"), (ends_at, "COMPLETED")])


# --- results ---------------------------------------------------------------------------------
@dataclass
class Many:
    """N resources created together."""

    answered: int
    failed: int
    describe_times: list[float]
    started: float
    last_answer: float
    failure: str = ""

    def window(self, start: float, end: float) -> list[float]:
        """Describe times between ``start`` and ``end`` seconds after the creates."""
        return sorted(t for t in self.describe_times if start <= t - self.started < end)

    def sustained_rate(self, start: float, end: float) -> float:
        return len(self.window(start, end)) / (end - start)

    def peak_rate(self, start: float, end: float, width: float = 10.0) -> float:
        """The most describes per second in any ``width``-second window between start and end."""
        times = self.window(start, end)
        best, first = 0, 0
        for last, t in enumerate(times):
            while t - times[first] >= width:
                first += 1
            best = max(best, last - first + 1)
        return best / width


class Side:
    label: str

    def job_end_delay(self, ends_at: float, max_runtime: int) -> float:
        raise NotImplementedError

    def delete_overhead(self) -> float:
        raise NotImplementedError

    def flow_active_delay(self, active_at: float) -> float:
        raise NotImplementedError

    def many_jobs(self, ends: list[float], max_runtime: int) -> Many:
        raise NotImplementedError


# --- this project -------------------------------------------------------------------------------
class Ours(Side):
    """This project's bundled handlers in the lifecycle harness."""

    def __init__(self, label: str, server: ResponseServer) -> None:
        self.label = label
        self.server = server
        self.runs = 0  # each simulated deploy draws its own jitter

    @contextmanager
    def _life(self, kind: str, resources: int = 1) -> Iterator[Lifecycle]:
        import os

        from sagemaker_constructs import _wire

        os.environ[_wire.ENV_RESOURCE_COUNT] = str(resources)
        self.runs += 1
        life = Lifecycle(
            load_handler(kind),
            self.server,
            FakeSageMaker(),
            resource_type=JOB if kind == "compilation_job" else FLOW,
            s3=FakeS3(),
            seed=self.runs,
        )
        try:
            yield life
        finally:
            life.close()
            del os.environ[_wire.ENV_RESOURCE_COUNT]

    def job_end_delay(self, ends_at: float, max_runtime: int) -> float:
        name = "bench-job-0001"
        with self._life("compilation_job") as life:
            life.sagemaker.job_scripts[name] = job_script(ends_at)
            event = life.event("Create", job_properties(name, max_runtime))
            answer = life.run_until_answered(event)
            assert answer.status == "SUCCESS", (self.label, answer.body)
            return life.answered_at[url_path(event["ResponseURL"])] - (life.sagemaker.jobs[name].created + ends_at)

    def delete_overhead(self) -> float:
        name = "bench-job-0002"
        with self._life("compilation_job") as life:
            props = job_properties(name, 900)
            job_made_by_handler(life.sagemaker, props)
            sent = life.clock.now()
            event = life.event("Delete", props, physical_id=name)
            answer = life.run_until_answered(event)
            assert answer.status == "SUCCESS" and name not in life.sagemaker.jobs, (self.label, answer.body)
            return life.answered_at[url_path(event["ResponseURL"])] - sent

    def flow_active_delay(self, active_at: float) -> float:
        name = "bench-flow-0001"
        with self._life("flow_definition") as life:
            life.sagemaker.flow_scripts[name] = Script([(0, "Initializing"), (active_at, "Active")])
            event = life.event("Create", flow_properties(name))
            answer = life.run_until_answered(event)
            assert answer.status == "SUCCESS", (self.label, answer.body)
            return life.answered_at[url_path(event["ResponseURL"])] - (life.sagemaker.flows[name].created + active_at)

    def many_jobs(self, ends: list[float], max_runtime: int) -> Many:
        with self._life("compilation_job", resources=len(ends)) as life:
            events = []
            for i, ends_at in enumerate(ends):
                name = f"bench-job-{i:04d}"
                life.sagemaker.job_scripts[name] = job_script(ends_at)
                events.append(life.event("Create", job_properties(name, max_runtime), logical_id=f"Job{i:04d}"))
            started = life.clock.now()
            for event in events:
                life.submit(event)
            life.run_all()
            answers = [life.first_answer(event) for event in events]
            failures = [a.reason for a in answers if a.status != "SUCCESS"]
            return Many(
                answered=sum(1 for a in answers if a.status == "SUCCESS"),
                failed=len(failures),
                describe_times=life.sagemaker.call_times("describe_compilation_job"),
                started=started,
                last_answer=max(life.answered_at.values()) - started,
                failure=failures[0] if failures else "",
            )


# --- plain crhelper -----------------------------------------------------------------------------
class BenchClock:
    """Single-threaded simulated time with crhelper's timers."""

    def __init__(self) -> None:
        self.t = 1_800_000_000.0
        self.timers: list[SimTimer] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)
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


class TimedEvents(StrictFake):
    """EventBridge: each rule's target fires at the rate of its ScheduleExpression."""

    def __init__(self, clock: BenchClock) -> None:
        self.clock = clock
        self.rules: dict[str, dict[str, Any]] = {}

    def put_rule(self, **kw: Any) -> dict[str, Any]:
        match = re.fullmatch(r"rate\((\d+) minutes?\)", kw["ScheduleExpression"])
        assert match, kw["ScheduleExpression"]
        period = 60.0 * int(match.group(1))
        self.rules[kw["Name"]] = {"targets": {}, "period": period, "next_fire": self.clock.now() + period}
        return {"RuleArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{kw['Name']}"}

    def put_targets(self, **kw: Any) -> dict[str, Any]:
        for target in kw["Targets"]:
            self.rules[kw["Rule"]]["targets"][target["Id"]] = target
        return {"FailedEntryCount": 0}

    def remove_targets(self, **kw: Any) -> dict[str, Any]:
        for target_id in kw["Ids"]:
            self.rules.get(kw["Rule"], {"targets": {}})["targets"].pop(target_id, None)
        return {"FailedEntryCount": 0}

    def delete_rule(self, **kw: Any) -> None:
        self.rules.pop(kw["Name"], None)


class CappedLambda(StrictFake):
    """AddPermission with Lambda's 20 KB cap on the function's resource-based policy."""

    def __init__(self) -> None:
        self.statements: dict[str, str] = {}

    def add_permission(self, **kw: Any) -> dict[str, Any]:
        statement = json.dumps(
            {
                "Sid": kw["StatementId"],
                "Effect": "Allow",
                "Principal": {"Service": kw["Principal"]},
                "Action": kw["Action"],
                "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{kw['FunctionName']}",
                "Condition": {"ArnLike": {"AWS:SourceArn": kw["SourceArn"]}},
            }
        )
        size = len(json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": []})) + sum(
            len(s) + 1 for s in [*self.statements.values(), statement]
        )
        if size > POLICY_LIMIT_BYTES:
            raise ClientError(
                {
                    "Error": {
                        "Code": "PolicyLengthExceededException",
                        "Message": "The final policy size is bigger than the limit.",
                    }
                },
                "AddPermission",
            )
        self.statements[kw["StatementId"]] = statement
        return {"Statement": statement}

    def remove_permission(self, **kw: Any) -> None:
        self.statements.pop(kw["StatementId"], None)


class FakeContext:
    def __init__(self, clock: BenchClock, timeout: float, function_name: str = "baseline-fn") -> None:
        self._clock = clock
        self._deadline = clock.now() + timeout
        self.function_name = function_name
        self.aws_request_id = "bench"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - self._clock.now()) * 1000), 0)


@dataclass
class BaselineWorld:
    clock: BenchClock = field(default_factory=BenchClock)
    sagemaker: FakeSageMaker = field(init=False)
    events: TimedEvents = field(init=False)
    lambda_: CappedLambda = field(default_factory=CappedLambda)
    answers: dict[str, list[tuple[float, dict[str, Any]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sagemaker = FakeSageMaker(self.clock)  # type: ignore[arg-type]
        self.events = TimedEvents(self.clock)


_urls = iter(range(1, 10_000_000))


def baseline_event(request_type: str, properties: dict[str, Any], resource_type: str, **kw: Any) -> dict[str, Any]:
    return cfn_event(
        request_type,
        properties,
        response_url=f"https://bench.invalid/answers/{next(_urls)}?X-Amz-Signature=bench",
        resource_type=resource_type,
        **kw,
    )


class Baseline(Side):
    """A plain-crhelper handler module (``build()`` of a baseline file)."""

    def __init__(self, label: str, job_module: types.SimpleNamespace, flow_module: types.SimpleNamespace) -> None:
        from crhelper.resource_helper import CfnResource

        self.label = label
        self.job_module = job_module
        self.flow_module = flow_module
        self.crhelper_class = CfnResource

    @contextmanager
    def _world(self, module: types.SimpleNamespace) -> Iterator[BaselineWorld]:
        world = BaselineWorld()
        cls = self.crhelper_class
        helper = module.helper
        helper._events_client = world.events
        helper._lambda_client = world.lambda_
        globals_ = cls._set_timeout.__globals__
        saved = (globals_["threading"], globals_["sleep"], cls._wait_for_cwlogs.__defaults__, cls._send)
        globals_["threading"] = types.SimpleNamespace(
            Timer=lambda interval, function: SimTimer(world.clock, interval, function)
        )
        globals_["sleep"] = world.clock.sleep
        cls._wait_for_cwlogs.__defaults__ = (world.clock.sleep,)
        original_send = cls._send

        def recording_send(h: Any, status: Any = None, reason: str = "", send_response: Any = None) -> None:
            def record(url: str, body: dict[str, Any], _verify: Any = None) -> None:
                world.answers.setdefault(url, []).append((world.clock.now(), copy.deepcopy(body)))

            original_send(h, status, reason, send_response=record)

        cls._send = recording_send  # type: ignore[method-assign]
        module.sagemaker = world.sagemaker
        try:
            yield world
        finally:
            globals_["threading"], globals_["sleep"], cls._wait_for_cwlogs.__defaults__, cls._send = saved
            module.sagemaker = None

    def _invoke(self, module: types.SimpleNamespace, world: BaselineWorld, event: dict[str, Any]) -> None:
        module.handler(copy.deepcopy(event), FakeContext(world.clock, LAMBDA_TIMEOUT))

    def _run(
        self, module: types.SimpleNamespace, world: BaselineWorld, events: list[dict[str, Any]], limit: float = 7200.0
    ) -> None:
        """Invoke each event, then fire rules in time order until every one is answered."""
        started = world.clock.now()
        for event in events:
            self._invoke(module, world, event)
        waiting = {event["ResponseURL"] for event in events} - set(world.answers)
        while waiting:
            armed = [rule for rule in world.events.rules.values() if rule["targets"]]
            if not armed:
                return  # some are never answered (CloudFormation waits until ServiceTimeout)
            rule = min(armed, key=lambda r: r["next_fire"])
            if rule["next_fire"] - started > limit:
                return
            world.clock.t = max(world.clock.t, rule["next_fire"])
            rule["next_fire"] += rule["period"]
            self._invoke(module, world, json.loads(rule["targets"]["1"]["Input"]))
            waiting -= set(world.answers)

    def job_end_delay(self, ends_at: float, max_runtime: int) -> float:
        name = "bench-job-0001"
        with self._world(self.job_module) as world:
            world.sagemaker.job_scripts[name] = job_script(ends_at)
            event = baseline_event("Create", job_properties(name, max_runtime), JOB)
            self._run(self.job_module, world, [event])
            at, body = world.answers[event["ResponseURL"]][0]
            assert body["Status"] == "SUCCESS", (self.label, body)
            return at - (world.sagemaker.jobs[name].created + ends_at)

    def delete_overhead(self) -> float:
        name = "bench-job-0002"
        with self._world(self.job_module) as world:
            props = job_properties(name, 900)
            world.sagemaker.create_compilation_job(**{k: v for k, v in props.items() if k != "ServiceTimeout"})
            sent = world.clock.now()
            event = baseline_event("Delete", props, JOB, physical_id=name)
            self._run(self.job_module, world, [event])
            at, body = world.answers[event["ResponseURL"]][0]
            assert body["Status"] == "SUCCESS" and name not in world.sagemaker.jobs, (self.label, body)
            return at - sent

    def flow_active_delay(self, active_at: float) -> float:
        name = "bench-flow-0001"
        with self._world(self.flow_module) as world:
            world.sagemaker.flow_scripts[name] = Script([(0, "Initializing"), (active_at, "Active")])
            event = baseline_event("Create", flow_properties(name), FLOW)
            self._run(self.flow_module, world, [event])
            at, body = world.answers[event["ResponseURL"]][0]
            assert body["Status"] == "SUCCESS", (self.label, body)
            return at - (world.sagemaker.flows[name].created + active_at)

    def many_jobs(self, ends: list[float], max_runtime: int) -> Many:
        with self._world(self.job_module) as world:
            events = []
            for i, ends_at in enumerate(ends):
                name = f"bench-job-{i:04d}"
                world.sagemaker.job_scripts[name] = job_script(ends_at)
                events.append(
                    baseline_event("Create", job_properties(name, max_runtime), JOB, logical_id=f"Job{i:04d}")
                )
            started = world.clock.now()
            self._run(self.job_module, world, events)
            firsts = [world.answers.get(event["ResponseURL"], [(0.0, None)])[0] for event in events]
            failures = [
                str(body.get("Reason", "")) for _, body in firsts if body is not None and body["Status"] != "SUCCESS"
            ]
            answered_times = [at for at, body in firsts if body is not None]
            return Many(
                answered=sum(1 for _, body in firsts if body is not None and body["Status"] == "SUCCESS"),
                failed=len(failures) + sum(1 for _, body in firsts if body is None),
                describe_times=world.sagemaker.call_times("describe_compilation_job"),
                started=started,
                last_answer=(max(answered_times) - started) if answered_times else 0.0,
                failure=failures[0] if failures else "",
            )


# --- the fast path in real time ------------------------------------------------------------
def real_time_fast_path(server: ResponseServer, ends_after: float = 3.0) -> float:
    """This project's Create against a job that completes ``ends_after`` real seconds
    after CreateCompilationJob, on the real clock: the answer's delay after the end."""
    from tests.harness import FakeCloudFormation, FakeLambda

    class RealClock:
        def now(self) -> float:
            return time.time()

        def sleep(self, seconds: float) -> None:
            time.sleep(max(seconds, 0.0))

    class RealContext:
        invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:handler-fn"
        function_name = "handler-fn"
        aws_request_id = "bench-real"

        def __init__(self) -> None:
            self.deadline = time.time() + LAMBDA_TIMEOUT

        def get_remaining_time_in_millis(self) -> int:
            return int((self.deadline - time.time()) * 1000)

    bundle = load_handler("compilation_job")
    clock = RealClock()
    fake = FakeSageMaker(clock)  # type: ignore[arg-type]
    name = "bench-job-real"
    fake.job_scripts[name] = Script([(0, "INPROGRESS"), (ends_after, "COMPLETED")])
    aws = bundle.index.make_clients()
    aws.sagemaker, aws.s3, aws.cloudformation, aws.lambda_ = fake, FakeS3(), FakeCloudFormation(), FakeLambda()
    adapter = bundle.adapter
    previous = adapter.set_clock(clock)
    real_send = adapter.send_response
    sent_at: list[float] = []

    def send_and_record(url: str, body: dict[str, Any]) -> bool:
        sent_at.append(time.time())
        return bool(real_send(url, body))

    adapter.send_response = send_and_record
    try:
        url, _ = server.new_url()
        event = cfn_event("Create", job_properties(name, 900), response_url=url, resource_type=JOB)
        aws.cloudformation.requested("Create", "Resource")
        adapter.Adapter(bundle.index.KIND, aws).handle(event, RealContext())
    finally:
        adapter.send_response = real_send
        adapter.set_clock(previous)
    assert len(sent_at) == 1
    return sent_at[0] - (fake.jobs[name].created + ends_after)
