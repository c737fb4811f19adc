"""The two waits of the lifecycle, as steps the runner drives.

A step's :meth:`poll` makes one describe and says: done (an :class:`Answer`),
not yet (None), or go on as another step (a cancelled wait becomes a removal).
:class:`Waiting` waits for a resource to reach a final status; :class:`Removal`
stops it if it runs, deletes it, and waits until it is gone. Both check, in one
place each, that the resource is this stack's (:meth:`Run.owns`) and that the
request is still wanted (:func:`stack.still_wanted`).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import aws_calls
import stack
from continuation import PHASE_REMOVE, PHASE_WAIT, Continuation
from invocation import Run
from outcomes import FAILED, SUCCESS, Answer, Failure, OutOfTime, compose_reason

logger = logging.getLogger(__name__)


class Step(Protocol):
    def begin(self, run: Run) -> None: ...

    def poll(self, run: Run) -> Answer | Step | None: ...

    def at_deadline(self, run: Run) -> Answer: ...

    def save(self, run: Run, interrupted: bool) -> Continuation: ...


def _saved(run: Run, phase: str, name: str, **fields: Any) -> Continuation:
    return Continuation(phase, name, deadline=run.deadline, started=run.started, forward=run.forward, **fields)


# --- waiting for a final status ----------------------------------------------------------
class Waiting:
    """Describe until the resource reaches a final status; at the deadline stop it and answer FAILED.

    ``first`` is a describe just made (used before describing again); otherwise the
    first describe waits until ``start_at``: a random point of the first interval
    after a create (resources created together do not describe together), or where
    the previous invocation's cadence left off. A continuation (``check_owner``)
    first makes sure the resource is this one's: its event could have been crafted."""

    def __init__(
        self,
        name: str,
        extra: dict[str, str],
        created: bool,
        *,
        first: dict[str, Any] | None = None,
        start_at: float | None = None,
        check_owner: bool = False,
        target: dict[str, str] | None = None,
    ) -> None:
        self.name, self.extra, self.created = name, extra, created
        self.first, self.start_at, self.check_owner = first, start_at, check_owner
        self.target = dict(target or {})  # the resource waited on (ARN, CreationTime): recorded at the first look
        self.seen: dict[str, Any] | None = None
        self.described_at = 0.0
        self.next_check = 0.0

    def begin(self, run: Run) -> None:
        self.next_check = run.now() + stack.WANTED_CHECK_SECONDS
        if self.first is None and self.start_at is not None and run.now() < self.start_at < run.work_until:
            run.clock.sleep(self.start_at - run.now())

    def poll(self, run: Run) -> Answer | Step | None:
        kind = run.kind
        self.seen = None
        described = self.first_look(run)
        if isinstance(described, Answer):
            return described
        self.seen, self.described_at = described, run.now()
        status = run.status_of(described)
        if status in kind.statuses.succeeded:
            return self.succeeded(run, described)
        if status in kind.statuses.failed or kind.statuses.leaving(status):
            return self.ended_badly(run, described)
        if run.now() < run.deadline and run.now() >= self.next_check:
            self.next_check = run.now() + stack.WANTED_CHECK_SECONDS
            if not stack.still_wanted(run):
                return cancelled(run, self.name, self.created, self.target)
        return None

    def first_look(self, run: Run) -> dict[str, Any] | Answer:
        described = self.first if self.first is not None else run.describe(self.name)
        self.first = None
        if described is None:
            raise Failure(
                f"The {run.kind.noun} {self.name} disappeared while being waited for (deleted outside this stack?)"
            )
        if self.check_owner:
            if not run.owns(self.name, described):
                return Answer(FAILED, run.physical_id, run.not_ours(self.name, described))
            if not is_the_one(run, self.target, self.created, described):
                return Answer(FAILED, run.physical_id, _not_the_one(run, self.name))
            self.check_owner = False
        self.target = self.target or run.kind.identity(described)
        return described

    def succeeded(self, run: Run, described: dict[str, Any]) -> Answer | Step:
        if self.created and not stack.still_wanted(run):  # nobody waits for this answer: remove, don't leave it
            return cancelled(run, self.name, self.created, self.target)
        return Answer(SUCCESS, self.name, data=run.kind.attributes(described, self.extra))

    def ended_badly(self, run: Run, described: dict[str, Any]) -> Answer | Step:
        """FAILED, with SageMaker's reason; but what this request made is removed when nobody
        waits for the answer (a cancelled Create whose rollback Delete came before it was made)."""
        if self.created and not stack.still_wanted(run):
            return cancelled(run, self.name, self.created, self.target)
        raise Failure(run.kind.failure_reason(self.name, described))

    def save(self, run: Run, interrupted: bool) -> Continuation:
        next_describe = run.now() if interrupted else self.described_at + run.interval
        return _saved(
            run,
            PHASE_WAIT,
            self.name,
            created=self.created,
            extra=self.extra,
            next_describe=next_describe,
            target=self.target,
        )

    def at_deadline(self, run: Run) -> Answer:
        """CloudFormation gives up soon: answer from one last look, and stop what
        still runs. At most three single calls past the usual bound (describe when
        not given, ownership, stop): each ends within CALL_WORST_SECONDS, and the
        invocation keeps INVOCATION_MARGIN_SECONDS."""
        kind, status, stopped = run.kind, "unknown", False
        run.last_calls = True
        try:
            described = self.seen if self.seen is not None else run.describe(self.name)
            status = run.status_of(described) if described is not None else status
            if described is not None and status in kind.statuses.succeeded:
                return Answer(SUCCESS, self.name, data=kind.attributes(described, self.extra))
            if described is not None and status in kind.statuses.failed:
                return Answer(FAILED, self.name, kind.failure_reason(self.name, described))
            stopped = described is not None and _stop_at_deadline(run, self, described)
        except Exception as error:  # noqa: BLE001 - the answer matters more; the rollback Delete stops it
            logger.warning("the last look at %s at the deadline: %s", self.name, error)
        finally:
            run.last_calls = False
        what = (
            " The handler stopped it (raise max_runtime if it needs longer)."
            if stopped
            else " The rollback Delete removes it."
        )
        return Answer(
            FAILED,
            self.name,
            compose_reason(
                f"The {kind.noun} did not end before the deadline that keeps CloudFormation's ServiceTimeout." + what,
                kind.reason_key(self.name, status),
                f"still {status} at the deadline",
            ),
        )


def _stop_at_deadline(run: Run, waiting: Waiting, described: dict[str, Any]) -> bool:
    kind, name = run.kind, waiting.name
    if kind.stop_method is None or run.status_of(described) not in kind.statuses.waiting:
        return False
    if not run.owns(name, described) or not is_the_one(run, waiting.target, waiting.created, described):
        return False
    run.sagemaker(kind.stop_method, **kind.name_kwargs(name))
    return True


def is_the_one(run: Run, target: dict[str, str], created: bool, described: dict[str, Any]) -> bool:
    """Whether ``described`` is the resource a request set out to handle: the one it
    recorded (ARN, CreationTime), or, with none recorded, not one made after the request
    was sent unless this request made it (a later request of the resource did). The
    rollback Delete of a cancelled Create (its physical id is CloudFormation's own, not the
    name) leaves the margin stack.LATER_REQUEST_SECONDS: the Create's call in flight can
    make the job just after CloudFormation signed the Delete (whole seconds), and once the
    Delete answers, CloudFormation deletes the policy the Create would clean up with."""
    if target:
        return run.kind.identity(described) == target
    made = aws_calls.epoch(described.get(run.kind.created_field)) if run.kind.created_field else None
    made_up = run.physical_id != str(described.get(run.kind.name_property, run.physical_id))
    return created or made is None or made <= run.signed + (stack.LATER_REQUEST_SECONDS if made_up else 0.0)


def _not_the_one(run: Run, name: str) -> str:
    return (
        f"The {run.kind.noun} {name} is not the one this request set out to handle "
        "(made again since, by a later request): it was left alone"
    )


def cancelled(run: Run, name: str, created: bool, target: dict[str, str] | None = None) -> Answer | Step:
    """CloudFormation no longer waits for this request: remove what it created.
    A cancelled Create removes this resource's own resource of that name whoever
    made it (a lost response, a duplicate): the stack never got it."""
    logger.info("the request for %s was cancelled", name)
    left_alone = Answer(FAILED, name, f"The request for {name} was cancelled by CloudFormation; {name} was left alone.")
    if not created and run.request_type != "Create":
        return left_alone
    if stack.taken_by_later_request(run, name):  # a late copy: the stack's resource is a later request's
        return left_alone
    final = Answer(FAILED, name, f"The request for {name} was cancelled by CloudFormation; the handler removed {name}.")
    run.extend_for_cleanup()
    return Removal(name, final, target=target, created=created or run.request_type == "Create")


# --- removing ------------------------------------------------------------------------------
class Removal:
    """Stop the resource if it runs, wait until it can be deleted, delete it and
    wait until it is gone; then answer ``final``. Only a resource this stack's
    resource created is touched. ``sent`` records the Stop and Delete calls
    already accepted, across hand-overs."""

    def __init__(
        self,
        name: str,
        final: Answer,
        sent: dict[str, bool] | None = None,
        target: dict[str, str] | None = None,
        deleting_since: float | None = None,
        created: bool = False,
    ) -> None:
        self.name, self.final, self.created = name, final, created
        self.sent = {"Stop": False, "Delete": False, **(sent or {})}
        self.target = dict(target or {})
        self.deleting_since = deleting_since
        self.status = "unknown"

    def begin(self, run: Run) -> None:
        pass

    def poll(self, run: Run) -> Answer | Step | None:
        described = run.describe(self.name)
        if described is None:
            return self.final
        if not run.owns(self.name, described) or not self.still_the_target(run, described):
            logger.info("%s is not the %s this removal set out to remove: left alone", self.name, run.kind.noun)
            return self.final
        self.status = run.status_of(described)
        if self.deleted_long_ago(run):
            logger.info("%s is still %s; SageMaker accepted its delete: answering", self.name, self.status)
            return self.final
        return self.act(run)

    def still_the_target(self, run: Run, described: dict[str, Any]) -> bool:
        """The first look records what this removal removes (ARN, CreationTime); a later
        one that finds another resource under the name (made again since) leaves it."""
        if not is_the_one(run, self.target, self.created, described):
            return False
        self.target = self.target or run.kind.identity(described)
        return True

    def deleted_long_ago(self, run: Run) -> bool:
        """Still deleting this long after it was first seen so: the delete was accepted."""
        after = run.kind.deleting_is_gone_after
        if after is None or self.status not in run.kind.statuses.deleting:
            return False
        self.deleting_since = self.deleting_since or run.now()
        return run.now() - self.deleting_since >= after

    def act(self, run: Run) -> Answer | Step | None:
        kind, statuses = run.kind, run.kind.statuses
        if self.status in statuses.waiting and kind.stop_method is not None:
            self.sent["Stop"] = self.sent["Stop"] or _tolerant(run, kind.stop_method, self.name)
            return None
        if statuses.leaving(self.status) or self.sent["Delete"]:
            return None
        if kind.delete_method is None:  # nothing deletes it: ended is as removed as it gets
            return self.final
        self.sent["Delete"] = _tolerant(run, kind.delete_method, self.name)
        return self.poll(run) if self.sent["Delete"] else None  # look again at once: most deletes are done by then

    def save(self, run: Run, interrupted: bool) -> Continuation:
        final: dict[str, Any] = {
            "Status": self.final.status,
            "Reason": self.final.reason,
            "PhysicalResourceId": self.final.physical_id,
        }
        if self.final.data:
            final["Data"] = self.final.data
        return _saved(
            run,
            PHASE_REMOVE,
            self.name,
            final=final,
            sent=self.sent,
            target=self.target,
            deleting_since=self.deleting_since,
            created=self.created,
        )

    def at_deadline(self, run: Run) -> Answer:
        """A delete SageMaker accepted cannot be undone: the resource is on its way out
        (a slow, eventually consistent delete), so the removal's own answer stands."""
        if self.sent["Delete"]:
            logger.info(
                "%s is still %s at the deadline; SageMaker accepted its delete: answering", self.name, self.status
            )
            return self.final
        return Answer(
            FAILED,
            self.final.physical_id,
            f"The {run.kind.noun} {self.name} was still {self.status} at the deadline; deploy again to remove it",
        )


def final_answer(run: Run, name: str, final: dict[str, Any]) -> Answer:
    """The answer a removal ends with, from its continuation (SUCCESS by default)."""
    data = final.get("Data")
    return Answer(
        str(final.get("Status", SUCCESS)),
        str(final.get("PhysicalResourceId") or run.physical_id or name),
        str(final.get("Reason", "")),
        {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {},
    )


def _tolerant(run: Run, method: str, name: str) -> bool:
    """Stop or Delete; a resource that changed state or vanished meanwhile is
    fine (the next describe decides). True when the call was accepted."""
    try:
        run.call(lambda: run.sagemaker(method, **run.kind.name_kwargs(name)), f"{method} {name}")
        return True
    except (Failure, OutOfTime):
        raise
    except Exception as error:
        if aws_calls.error_code(error) in ("ValidationException", "ConflictException") or aws_calls.is_not_found(error):
            logger.info("%s %s: %s; looking again", method, name, aws_calls.error_message(error))
            return False
        raise Failure(f"SageMaker rejected {method} {name}: {aws_calls.describe_error(error)}") from error
