"""CloudFormation's side of the custom-resource protocol, and Lambda's delivery, on the world.

:class:`Run` plays one :class:`~tests.explorer.schedule.Schedule`: CloudFormation
runs as one more thread on the world's virtual clock (it sleeps on it as the
handler's invocations do), sends each request as CloudFormation would (every
property a string, a ServiceTimeout per request, the handler's policy updated
before the resource), cancels and rolls back when a sibling fails, runs the
cleanup phase, and records what it saw (:class:`Request`). The handler runs
through the harness's :class:`~tests.harness.Lifecycle` (the bundled handler,
real crhelper, the HTTPS answer server); Lambda's asynchronous delivery of
every event (CloudFormation's and the handler's own hand-overs) goes through
:class:`Delivery`, which duplicates, delays, drops and throttles.
"""

from __future__ import annotations

import copy
import datetime
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ReadTimeoutError

from sagemaker_constructs import _wire
from tests.explorer import policy
from tests.explorer.app import Synthesized
from tests.explorer.kinds import Version
from tests.explorer.schedule import MAX_EVENT_AGE_SECONDS, Op, Schedule, name_of
from tests.harness import (
    OTHER_STACK_ID,
    REGION,
    STACK_ID,
    FakeContext,
    Lifecycle,
    ResponseServer,
    StackResource,
    cfn_event,
    owner_tags,
    url_path,
)
from tests.harness.fake_sagemaker import FakeS3, client_error
from tests.harness.world import Invocation, LambdaTimedOut

LOGICAL_ID = "Resource"
# A call that gets no answer: connect 3 s + read 10 s, twice, plus botocore's backoff (clients.py).
SLOW_CALL_SECONDS = 27.0
POLL_SECONDS = 10.0  # how often CloudFormation's thread looks for an answer (it reacts within this)
# One round of re-sending an answer (the adapter's RESEND_PAUSE_SECONDS + SEND_WORST_CASE_SECONDS):
# a response URL that refuses until less than this before the deadline cannot be answered in time.
RESEND_ROUND_SECONDS = 10.0 + 23.0


@dataclass
class Request:
    """One request CloudFormation sent, and what became of it."""

    role: str  # create, update, rollback, cleanup, delete, rollback-delete
    request_type: str
    version: int
    path: str
    sent_at: float
    deadline: float
    physical_id: str | None
    answer: dict[str, Any] | None = None
    answered_at: float | None = None
    closed: str = ""  # "cancelled" or "timed out": later answers change nothing
    attribute_problem: str | None = None
    dropped: bool = False  # Lambda lost an event of its chain
    unreachable: bool = False  # its response URL refused until too close to its deadline to answer

    @property
    def status(self) -> str:
        if self.answer is not None:
            return str(self.answer["Status"])
        return self.closed or "unanswered"

    def describe(self) -> str:
        pid = f" pid={self.physical_id}" if self.physical_id else ""
        got = f" {self.path}" + (
            "" if self.answer is None else f" -> {self.answer['Status']} {self.answer['PhysicalResourceId']}"
        )
        reason = "" if not self.answer or not self.answer.get("Reason") else f" ({self.answer['Reason']})"
        late = f" at +{self.answered_at - self.sent_at:.0f}s" if self.answered_at is not None else ""
        closed = f" [{self.closed}]" if self.closed else ""
        return f"{self.role} {self.request_type} v{self.version}{pid}{got}{late}{reason}{closed}"


@dataclass
class Chain:
    """What the invocations of one request did."""

    invocations: list[Invocation] = field(default_factory=list)
    hand_overs: dict[int, int] = field(default_factory=dict)  # id(invocation) -> hand-overs it made


# Idle adapters by kind, shared by every run in the process (as warm Lambda containers are):
# making one costs ~0.1 s (crhelper makes boto3 clients). Each use gets this run's clients and
# a generator seeded from the run's seed and the order of use, so a seed replays the same alone.
_IDLE: dict[str, list[Any]] = {}


class ExplorerLifecycle(Lifecycle):
    """The harness's Lifecycle with Lambda's delivery and CloudFormation's answers routed to the model."""

    run_model: Run
    _uses = 0

    def _adapter(self) -> Any:
        idle = _IDLE.setdefault(self.handler.index.KIND.resource_type, [])
        adapter = idle.pop() if idle else self.handler.adapter.Adapter(self.handler.index.KIND, self.clients)
        adapter.aws = self.clients
        adapter.rng = random.Random(self.seed * 100_003 + self._uses)
        self._uses += 1
        return adapter

    def submit(self, event: dict[str, Any], at: float | None = None, crafted: bool = False) -> Invocation:
        model = self.run_model
        payload = copy.deepcopy(event)
        path = url_path(payload["ResponseURL"])

        def body(invocation: Invocation) -> None:
            model.current.invocation = invocation
            is_continuation = _wire.CONTINUATION_KEY in payload
            self.invocations.append((payload["RequestType"], is_continuation))
            adapter = self._adapter()
            invocation.on_timer = adapter._timeout
            try:
                adapter.handle(payload, FakeContext(self.world, invocation))
            finally:
                _IDLE[self.handler.index.KIND.resource_type].append(adapter)

        label = f"{payload['RequestType']}{'+' if _wire.CONTINUATION_KEY in payload else ''} {path}"
        invocation = Invocation(body, self.world.now() if at is None else at, self.lambda_timeout, label)
        model.chains.setdefault(path, Chain()).invocations.append(invocation)
        return self.world.spawn(invocation)

    def _handed_over(self, event: dict[str, Any]) -> None:
        self.run_model.delivery.hand_over(event)

    def _on_answer(self, path: str, body: dict[str, Any]) -> None:
        self.run_model.answered(path, body)


class Delivery:
    """Lambda's asynchronous invocation: at least once, sometimes late, sometimes never."""

    def __init__(self, model: Run, rng: random.Random) -> None:
        self.model = model
        self.rng = rng
        self.faults = model.schedule.faults

    def _delay(self, longest: float) -> float:
        delay = 0.5
        if self.rng.random() < self.faults.delay:
            delay += self.rng.uniform(1.0, 120.0)
        if self.rng.random() < self.faults.long_delay:
            delay += self.rng.uniform(0.0, longest)
        return delay

    def send(self, event: dict[str, Any], longest: float) -> None:
        copies = 2 if self.rng.random() < self.faults.duplicate else 1
        for copy_number in range(copies):
            delay = self._delay(longest)
            if delay > 1.0 or copy_number:
                what = "a duplicate of" if copy_number else "an event of"
                self.model.note(f"Lambda delivers {what} {url_path(event['ResponseURL'])} {delay:.0f}s late")
            self.model.life.submit(event, at=self.model.world.now() + delay)

    def request(self, event: dict[str, Any]) -> None:
        """CloudFormation invokes the function asynchronously too (never dropped here:
        a lost request would only show CloudFormation's own timeout)."""
        self.send(event, 60.0)

    def hand_over(self, event: dict[str, Any]) -> None:
        current = self.model.current.invocation
        if current is not None:
            chain = self.model.chains.setdefault(url_path(event["ResponseURL"]), Chain())
            chain.hand_overs[id(current)] = chain.hand_overs.get(id(current), 0) + 1
        if self.rng.random() < self.faults.invoke_throttled:
            raise client_error("TooManyRequestsException", "Rate exceeded", status=429)
        if self.rng.random() < self.faults.drop:
            self.model.dropped(url_path(event["ResponseURL"]))
            return
        self.send(event, MAX_EVENT_AGE_SECONDS)


class Run:
    """One schedule on a fresh world, fakes and handler."""

    def __init__(self, schedule: Schedule, synthesized: Synthesized, server: ResponseServer) -> None:
        self.schedule = schedule
        self.spec = schedule.spec
        self.synthesized = synthesized
        self.rng = random.Random(schedule.seed * 7919 + 1)
        self.current = threading.local()
        self.chains: dict[str, Chain] = {}
        self.requests: list[Request] = []
        self._by_path: dict[str, Request] = {}
        self.trace: list[str] = []
        self.held: str | None = None  # the physical id the stack holds
        self.held_version: int | None = None
        self.needs_person: str = ""
        self.hung: set[int] = set()
        self.foreign_before: dict[str, Any] = {}
        self.enforced = policy.available(schedule.kind)
        self.sagemaker: Any = self.spec.new_fake()
        self.authorizer = policy.Authorizer(self.enforced, self.sagemaker)
        self.life = ExplorerLifecycle(
            self.spec.handler(),
            server,
            self.sagemaker,
            resource_type=self.spec.resource_type,
            s3=FakeS3(),
            seed=schedule.seed,
        )
        self.life.run_model = self
        self.stack_status = ""
        self.world = self.life.world
        self.delivery = Delivery(self, random.Random(schedule.seed * 7919 + 2))
        self.base_policy = policy.documents(synthesized, self.spec.kind) if self.enforced else []
        self._wire_fakes()

    @property
    def stack_status(self) -> str:
        """The stack's status, as DescribeStacks tells the handler."""
        return str(self.life.cloudformation.stack_status)

    @stack_status.setter
    def stack_status(self, status: str) -> None:
        self.life.cloudformation.stack_status = status

    # -- set-up ------------------------------------------------------------------------------------
    def _wire_fakes(self) -> None:
        faults = self.schedule.faults
        self.spec.configure(self.sagemaker, faults)
        self.life.cloudformation.resources[LOGICAL_ID] = StackResource("")
        for foreign in self.schedule.foreign:  # planted before the faults and the policy apply
            self._plant(foreign.name, foreign.owner)
        for fake in (self.life.lambda_, self.life.cloudformation):
            fake.authorize = self.authorizer
        self.sagemaker.interfere = self._interfere

    def _plant(self, name: str, owner: str) -> None:
        tags = {
            "none": [],
            "other-stack": owner_tags(LOGICAL_ID, OTHER_STACK_ID),
            "other-resource": owner_tags("OtherResource", STACK_ID),
        }[owner]
        self.spec.plant(self.sagemaker, name, tags)
        self.foreign_before[name] = copy.deepcopy(self._snapshot(name))

    def _snapshot(self, name: str) -> Any:
        found = [e for e in self.spec.existing(self.sagemaker) if e.name == name]
        return (found[0].tags if found else None, self.spec.stopped_at(self.sagemaker, name))

    def _interfere(self, operation: str, params: dict[str, Any]) -> None:
        faults = self.schedule.faults
        if self.rng.random() < faults.hang:
            # A call that gets no answer lasts as long as the handler's clients allow (clients.py:
            # connect 3 s, read 10 s, 2 attempts) and then fails as botocore fails it. If that
            # runs into Lambda's timeout, the world stops the invocation there, mid-call.
            self.hung.add(id(self.current.invocation))
            self.world.sleep(SLOW_CALL_SECONDS)
            raise ReadTimeoutError(endpoint_url=f"https://api.sagemaker.{REGION}.amazonaws.com/")
        if self.rng.random() < faults.sagemaker_throttled:
            raise client_error("ThrottlingException", "Rate exceeded")

    # -- CloudFormation's answers -------------------------------------------------------------------
    def answered(self, path: str, body: dict[str, Any]) -> None:
        request = self._by_path.get(path)
        if request is None or request.answer is not None or request.closed:
            return  # CloudFormation takes the first answer, and none once it stopped waiting
        request.answer = body
        request.answered_at = self.world.now()
        if body["Status"] == "SUCCESS" and request.request_type != "Delete":
            request.attribute_problem = self.spec.attribute_problem(
                self.sagemaker, body["PhysicalResourceId"], body.get("Data") or {}
            )

    def dropped(self, path: str) -> None:
        request = self._by_path.get(path)
        if request is not None:
            request.dropped = True
        self.note(f"Lambda dropped a hand-over of {path}")

    # -- running -----------------------------------------------------------------------------------
    def run(self) -> None:
        self.t0 = self.world.now()
        self.world.spawn(Invocation(self._cloudformation, self.world.now(), 1e9, "cloudformation"))
        try:
            self.world.run(limit=2_000_000)
        finally:
            self.life.close()

    def _cloudformation(self, _invocation: Invocation) -> None:
        for op in self.schedule.ops:
            self.world.sleep(op.gap_before)
            held = "" if self.held_version is None or op.action == "create" else f"v{self.held_version} -> "
            self.note(f"stack {op.action}: {held}v{op.version}" + (f" ({op.change})" if op.change else ""))
            if op.action == "create":
                live = self._create(op)
            elif op.action == "update":
                live = self._update(op)
            else:
                live = self._delete_stack(op)
            if not live or self.needs_person:
                return

    def note(self, text: str) -> None:
        self.trace.append(f"  {self.world.now() - self.t0:8.0f}s {text}")

    def version(self, index: int) -> Version:
        return self.schedule.versions[index]

    def name(self, index: int) -> str:
        return name_of(self.spec, self.version(index), self.synthesized.generated_name(self.spec.kind))

    def set_policy(self, index: int | None) -> None:
        """CloudFormation updates the handler's policy (before the resource that depends on it)."""
        if index is None:
            self.authorizer.set(None)
            self.note("the handler role's policy is deleted")
            return
        name = self.name(index)
        explicit = (name,) if self.version(index).name != "generated" else ()
        self.authorizer.set(policy.VersionPolicy(self.base_policy, self.spec.placeholder, explicit))
        self.note(f"the handler role's policy is that of v{index}")

    def status(self, status: str, physical_id: str | None = None) -> None:
        resource = self.life.cloudformation.resources[LOGICAL_ID]
        if status != resource.status:
            resource.updated = self.world.now()  # DescribeStackResource's LastUpdatedTimestamp
        resource.status = status
        if physical_id is not None:
            resource.physical_id = physical_id

    # -- one request ---------------------------------------------------------------------------------
    def send(
        self, role: str, request_type: str, index: int, physical_id: str | None, old: int | None = None
    ) -> Request:
        version = self.version(index)
        name = self.name(index)
        self.spec.install(self.sagemaker, name, version)
        props = self.spec.properties(version, name)
        url, path = self.life.server.new_url()
        signed = datetime.datetime.fromtimestamp(self.world.now(), datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        old_props = None if old is None else self.spec.properties(self.version(old), self.name(old))
        event = cfn_event(
            request_type,
            props,
            response_url=f"{url}&X-Amz-Date={signed}",
            resource_type=self.spec.resource_type,
            logical_id=LOGICAL_ID,
            physical_id=physical_id,
            old_properties=old_props,
        )
        timeout = min(float(props.get(_wire.SERVICE_TIMEOUT, 3600)), 3600.0)
        request = Request(role, request_type, index, path, self.world.now(), self.world.now() + timeout, physical_id)
        self.requests.append(request)
        self._by_path[path] = request
        if self.rng.random() < self.schedule.faults.dead_url:
            self.life.server.dead_until[path] = self.world.now() + self.schedule.faults.dead_url_seconds
            request.unreachable = self.schedule.faults.dead_url_seconds > timeout - RESEND_ROUND_SECONDS
        self.delivery.request(event)
        return request

    def wait(self, request: Request, fails_at: float | None = None) -> str:
        """Until the request is answered ("answered"), a sibling fails ("cancelled")
        or its ServiceTimeout passes ("timed out")."""
        while request.answer is None:
            now = self.world.now()
            if fails_at is not None and now >= fails_at:
                request.closed = "cancelled"
                break
            if now >= request.deadline:
                request.closed = "timed out"
                break
            wake = min(request.deadline, fails_at if fails_at is not None else request.deadline, now + POLL_SECONDS)
            self.world.sleep(max(wake - now, 0.01))
        self.note(request.describe())
        return "answered" if request.answer is not None else request.closed

    @staticmethod
    def succeeded(request: Request) -> bool:
        return request.answer is not None and request.answer["Status"] == "SUCCESS"

    def _sibling_failure(self, op: Op, start: float) -> float | None:
        return None if op.sibling_fails_at is None else start + op.sibling_fails_at

    def _until_sibling_fails(self, fails_at: float | None) -> bool:
        """After this resource's answer: does the sibling still fail before the operation ends?"""
        if fails_at is None:
            return False
        if self.world.now() < fails_at:
            self.world.sleep(fails_at - self.world.now())
        self.note("a sibling resource failed")
        return True

    # -- stack operations ----------------------------------------------------------------------------
    def _create(self, op: Op) -> bool:
        start = self.world.now()
        fails_at = self._sibling_failure(op, start)
        self.set_policy(op.version)
        self.stack_status = "CREATE_IN_PROGRESS"
        self.status("CREATE_IN_PROGRESS", "")
        request = self.send("create", "Create", op.version, None)
        self.wait(request, fails_at)
        if self.succeeded(request):
            self.status("CREATE_COMPLETE", request.answer["PhysicalResourceId"])  # type: ignore[index]
            if not self._until_sibling_fails(fails_at):
                self.stack_status = "CREATE_COMPLETE"
                self.held, self.held_version = request.answer["PhysicalResourceId"], op.version  # type: ignore[index]
                return True
        else:
            self.status("CREATE_FAILED")
            if request.closed == "cancelled":
                self.note("a sibling resource failed: the Create is cancelled")
        return self._roll_back_create(op, request)

    def _roll_back_create(self, op: Op, request: Request) -> bool:
        self.stack_status = "ROLLBACK_IN_PROGRESS"
        physical_id = (
            request.answer["PhysicalResourceId"]
            if request.answer
            else f"TestStack-Resource-{self.rng.getrandbits(40):X}"
        )
        self.status("DELETE_IN_PROGRESS")
        delete = self.send("rollback-delete", "Delete", op.version, physical_id)
        self.wait(delete)
        if not self.succeeded(delete):
            self.stack_status = "ROLLBACK_FAILED"
            self.needs_person = self._needs_person("ROLLBACK_FAILED", delete, op.version, op.version)
            return False
        self.status("DELETE_COMPLETE")
        self.set_policy(None)
        self.stack_status = "ROLLBACK_COMPLETE"
        self.held = None
        return False

    def _update(self, op: Op) -> bool:
        old, old_pid = self.held_version, self.held
        assert old is not None and old_pid is not None
        fails_at = self._sibling_failure(op, self.world.now())
        self.stack_status = "UPDATE_IN_PROGRESS"
        self.set_policy(op.version)
        self.status("UPDATE_IN_PROGRESS")
        request = self.send("update", "Update", op.version, old_pid, old)
        self.wait(request, fails_at)
        if self.succeeded(request):
            new_pid = str(request.answer["PhysicalResourceId"])  # type: ignore[index]
            self.status("UPDATE_COMPLETE", new_pid)
            if not self._until_sibling_fails(fails_at):
                return self._complete_update(op, old, old_pid, new_pid)
            return self._roll_back_update(op, old, new_pid)
        self.status("UPDATE_FAILED")
        return self._roll_back_update(op, old, old_pid)

    def _complete_update(self, op: Op, old: int, old_pid: str, new_pid: str) -> bool:
        self.held, self.held_version = new_pid, op.version
        if new_pid != old_pid:
            self.stack_status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
            self.wait(self.send("cleanup", "Delete", old, old_pid))  # a failed cleanup is ignored
        self.stack_status = "UPDATE_COMPLETE"
        return True

    def _roll_back_update(self, op: Op, old: int, pid_now: str) -> bool:
        self.stack_status = "UPDATE_ROLLBACK_IN_PROGRESS"
        self.set_policy(old)
        self.status("UPDATE_IN_PROGRESS")
        rollback = self.send("rollback", "Update", old, pid_now, op.version)
        self.wait(rollback)
        if not self.succeeded(rollback):
            self.status("UPDATE_FAILED")
            self.stack_status = "UPDATE_ROLLBACK_FAILED"
            self.needs_person = self._needs_person("UPDATE_ROLLBACK_FAILED", rollback, old, op.version)
            self.held, self.held_version = pid_now, old
            return False
        back_pid = str(rollback.answer["PhysicalResourceId"])  # type: ignore[index]
        self.status("UPDATE_COMPLETE", back_pid)
        self.held, self.held_version = back_pid, old
        if back_pid != pid_now:
            self.stack_status = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
            self.wait(self.send("cleanup", "Delete", op.version, pid_now))
        self.stack_status = "UPDATE_ROLLBACK_COMPLETE"
        return True

    def _delete_stack(self, op: Op) -> bool:
        assert self.held is not None and self.held_version is not None
        self.stack_status = "DELETE_IN_PROGRESS"
        self.status("DELETE_IN_PROGRESS")
        request = self.send("delete", "Delete", self.held_version, self.held)
        self.wait(request)
        if not self.succeeded(request):
            self.status("DELETE_FAILED")
            self.stack_status = "DELETE_FAILED"
            self.needs_person = self._needs_person("DELETE_FAILED", request, self.held_version, self.held_version)
            return False
        self.status("DELETE_COMPLETE")
        self.set_policy(None)
        self.stack_status = "DELETE_COMPLETE"
        self.held = self.held_version = None
        return False

    def invalid_input(self, index: int) -> bool:
        """The user's input of this version cannot end well: it fails, or its name is taken."""
        return not self.version(index).valid or self.name(index) in self.foreign_before

    def _needs_person(self, status: str, request: Request, old: int, new: int) -> str:
        """The stack needs a person, unless an update rolls back between two invalid versions
        of the input, the request's response URL refused until too close to its deadline, or
        Lambda lost an event of the request's chain (then only CloudFormation's timeout
        answers). A Delete must succeed whatever the input was."""
        both_invalid = status == "UPDATE_ROLLBACK_FAILED" and self.invalid_input(old) and self.invalid_input(new)
        if request.dropped or request.unreachable or both_invalid:
            why = "a dropped event" if request.dropped else "a response URL dead until its deadline"
            why = why if request.dropped or request.unreachable else "both versions invalid"
            self.note(f"{status} (exempt: {why})")
            return ""
        return status

    # -- after the run -------------------------------------------------------------------------------
    def owned(self) -> list[Any]:
        """The resources with this stack's ownership tags for this logical id."""
        mine = {tag["Key"]: tag["Value"] for tag in owner_tags(LOGICAL_ID, STACK_ID)}
        return [e for e in self.spec.existing(self.sagemaker) if all(e.tags.get(k) == v for k, v in mine.items())]

    def invocation_lines(self) -> list[str]:
        lines = []
        for path, chain in self.chains.items():
            for inv in chain.invocations:
                end = "not run" if inv.ended_at is None else f"+{inv.ended_at - self.t0:.0f}s"
                marks = " [a call timed out]" if id(inv) in self.hung else ""
                marks += " [Lambda timeout]" if inv.timed_out else ""
                marks += f" handed over x{chain.hand_overs[id(inv)]}" if chain.hand_overs.get(id(inv)) else ""
                lines.append(f"  {path} {inv.label.split()[0]} +{inv.start - self.t0:.0f}s..{end}{marks}")
        return lines

    def timed_out_invocations(self) -> list[Invocation]:
        return [inv for chain in self.chains.values() for inv in chain.invocations if inv.timed_out]


__all__ = ["LambdaTimedOut", "Request", "Run"]
