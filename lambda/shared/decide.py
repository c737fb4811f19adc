"""The decisions: from a request and one look at the world, a plan.

Create (make it, or adopt this resource's own one of that name), change
tags, replace (a new name is a new resource: CloudFormation deletes the
old one after), remove, or nothing. A plan that must wait hands a step to
the runner (:func:`runner.drive`).
"""

from __future__ import annotations

import logging
from typing import Any

import _wire
import aws_calls
import properties
import runner
import stack
from continuation import PHASE_ANSWER, PHASE_REMOVE, PHASE_WAIT, Continuation
from invocation import Run
from outcomes import FAILED, SUCCESS, Answer, Failure, HandOver, Outcome, OutOfTime
from properties import Desired, PropertyProblems
from steps import Removal, Step, Waiting, cancelled, final_answer

logger = logging.getLogger(__name__)

IN_USE_CODES = ("ResourceInUse", "ConflictException")


def _drive_or_answer(run: Run, plan: Answer | Step) -> Outcome:
    return plan if isinstance(plan, Answer) else runner.drive(run, plan)


def remove(run: Run, name: str, final: Answer | None = None) -> Outcome:
    return runner.drive(run, Removal(name, final or Answer(SUCCESS, run.physical_id or name)))


# --- creating ------------------------------------------------------------------------------
def create(run: Run, desired: Desired) -> Outcome:
    """Make the resource (or adopt this resource's own one of that name) and wait for it."""
    kind = run.kind
    name = desired.name
    run.identify(name)
    if not stack.still_wanted(run):
        return Answer(
            FAILED, name, f"The request for {name} was cancelled by CloudFormation before anything was created."
        )
    existing = settle(run, name, run.describe(name))
    if existing is not None:
        adopted = adopt(run, desired, existing)
        if adopted is not None:
            return adopted
    extra = kind.resolve(run, desired, None)
    kind.before_create(run, desired)
    created = start(run, desired)
    if not stack.still_wanted(run):
        return _drive_or_answer(run, cancelled(run, name, created))
    return runner.drive(run, Waiting(name, extra, created, start_at=run.now() + run.env.rng.uniform(0.0, run.interval)))


def adopt(run: Run, desired: Desired, existing: dict[str, Any]) -> Outcome | None:
    """A resource of this name exists: adopt it if it is this resource's own and
    matches; None when it ended badly and was deleted, to be made again."""
    kind, name = run.kind, desired.name
    if not run.owns(name, existing):
        raise Failure(run.not_ours(name, existing))
    extra = kind.resolve(run, desired, existing)
    differences = kind.differences(desired.request, existing)
    if differences:
        raise Failure(
            f"A {kind.noun} named {name} already exists with a different configuration "
            f"({', '.join(differences)}); it was left alone. Remove it or choose another name."
        )
    if run.status_of(existing) not in kind.statuses.failed:
        logger.info("adopting this resource's own %s %s (%s)", kind.noun, name, run.status_of(existing))
        return runner.drive(run, Waiting(name, extra, created=False, first=existing))
    logger.info("%s ended %s: deleting it and making it again", name, run.status_of(existing))
    if kind.delete_method is None:
        raise Failure(f"The {kind.noun} {name} ended badly and cannot be deleted to make it again; choose another name")
    if isinstance(remove(run, name), HandOver) or run.describe(name) is not None:
        raise Failure(f"The {kind.noun} {name} ended badly and could not be deleted in time to make it again")
    return None


def settle(run: Run, name: str, described: dict[str, Any] | None) -> dict[str, Any] | None:
    """Wait, within this invocation, while a resource of this name is stopping or
    being deleted; then return it as it is (None when gone)."""
    while described is not None and run.kind.statuses.leaving(run.status_of(described)):
        if not run.pause_fits():
            raise Failure(
                f"A {run.kind.noun} named {name} was still {run.status_of(described)}; deploy again once it is gone"
            )
        run.pause()
        described = run.describe(name)
    return described


def start(run: Run, desired: Desired) -> bool:
    """The Create* call, with the user's tags and the ownership tags. True: this
    request created it; False: a concurrent invocation of this resource did."""
    kind = run.kind
    request = {**desired.request, _wire.TAGS: desired.tags + run.owner_tags()}
    give_up: float | None = None
    attempts = [0]

    def attempt() -> Any:
        attempts[0] += 1
        return run.sagemaker(kind.create_method, **request)

    while True:
        try:
            run.call(attempt, f"{kind.create_operation} {desired.name}", aws_calls.CREATE_RETRY_CODES)
            return True
        except (Failure, OutOfTime):
            raise
        except Exception as error:  # noqa: BLE001 - _retry_create raises what may not be retried
            if aws_calls.error_code(error) in IN_USE_CODES:
                return _in_use(run, desired, error, retried=attempts[0] > 1)
            give_up = run.now() + kind.create_retry_seconds(error) if give_up is None else give_up
            _retry_create(run, desired, error, give_up)


def _retry_create(run: Run, desired: Desired, error: Exception, give_up: float) -> None:
    """Wait before trying the Create* again; raise when it may not be retried."""
    kind = run.kind
    delay = run.env.rng.uniform(4.0, 6.0)
    if kind.create_retry_seconds(error) <= 0 or run.now() + delay >= min(give_up, run.bound()):
        raise Failure(
            f"SageMaker rejected {kind.create_operation} {desired.name}: {aws_calls.describe_error(error)}"
        ) from error
    logger.warning("%s: %s; retrying in %.1f s", kind.create_operation, aws_calls.error_message(error), delay)
    run.clock.sleep(delay)


def _in_use(run: Run, desired: Desired, error: Exception, retried: bool) -> bool:
    """The name is taken: by an earlier attempt of this call whose response was lost
    (True), by a concurrent invocation of this resource (False), or by someone else (raise)."""
    kind, name = run.kind, desired.name
    raced = run.describe(name)
    if raced is None:
        raise Failure(
            f"SageMaker said {name} is in use, but it cannot be described: {aws_calls.describe_error(error)}"
        ) from error
    if not run.owns(name, raced):
        raise Failure(run.not_ours(name, raced)) from error
    differences = kind.differences(desired.request, raced)
    if differences:
        raise Failure(
            f"A {kind.noun} named {name} appeared with a different configuration "
            f"({', '.join(differences)}); it was left alone"
        ) from error
    if retried:
        logger.info("%s was created by an attempt whose response was lost", name)
        return True
    logger.info("%s was created by a concurrent invocation of this resource", name)
    return False


# --- updating ------------------------------------------------------------------------------
def sync_tags(run: Run, arn: str, wanted_tags: list[dict[str, str]], previous_keys: list[str]) -> None:
    """DeleteTags for the user's tags the stack removed, then AddTags for new or
    changed ones: removing first keeps a rename within SageMaker's 50 tags. The
    ownership tags are never removed. A rejected call fails naming the tags."""
    want = {t["Key"]: t["Value"] for t in wanted_tags}
    current = run.tags_of(arn)
    to_add = [{"Key": k, "Value": v} for k, v in want.items() if current.get(k) != v]
    to_remove = [k for k in previous_keys if _removable(k, want, current)]
    if to_remove:
        _tag_call(
            run, "DeleteTags", to_remove, lambda: run.env.sagemaker.delete_tags(ResourceArn=arn, TagKeys=to_remove)
        )
    if to_add:
        keys = [t["Key"] for t in to_add]
        _tag_call(run, "AddTags", keys, lambda: run.env.sagemaker.add_tags(ResourceArn=arn, Tags=to_add))


def _removable(key: str, want: dict[str, str], current: dict[str, str]) -> bool:
    """A user tag the stack removed that the resource still has (never an ownership tag)."""
    return key not in want and key in current and not key.startswith(_wire.TAG_PREFIX)


def _tag_call(run: Run, operation: str, keys: list[str], call: Any) -> None:
    try:
        run.call(call, f"{operation} {', '.join(keys)}")
    except (Failure, OutOfTime):
        raise
    except Exception as error:
        raise Failure(
            f"SageMaker rejected {operation} for the tags {', '.join(keys)}: {aws_calls.describe_error(error)}"
        ) from error


def update(run: Run, desired: Desired, old_properties: Any) -> Outcome:
    """A new name is a new resource (CloudFormation deletes the old one after).
    Under the same name only tags change in place. The old properties are read
    only as far as this decision needs them: a bad old version (an update
    rollback sends the failed one) never fails the update."""
    kind = run.kind
    if desired.name != run.physical_id:
        return create(run, desired)
    name = desired.name
    run.identify(name)
    existing = run.describe(name)
    if existing is None:
        return create(run, desired)
    if not run.owns(name, existing):
        raise Failure(run.not_ours(name, existing))
    differences = kind.differences(kind.comparable(desired, existing), existing)
    if not differences and _changed_in_place(run, desired, _previous(run, old_properties), existing):
        differences = ["properties"]
    if differences:
        raise Failure(_cannot_change(run, desired, differences))
    if stack.live_in_stack(run, name):
        logger.warning(
            "no Update of %s is under way (a late duplicate, or crafted): its tags are left as they are", name
        )
    else:
        sync_tags(run, str(existing[kind.arn_field]), desired.tags, properties.lenient_tag_keys(old_properties))
    if run.status_of(existing) in kind.statuses.failed:
        raise Failure(kind.failure_reason(name, existing))
    extra = kind.recall(run, desired, existing)
    outcome = runner.drive(run, Waiting(name, extra, created=False, first=existing))
    return _remove_left_over(run, old_properties, outcome)


def _remove_left_over(run: Run, old_properties: Any, outcome: Outcome) -> Outcome:
    """An Update that keeps its name but whose old properties name another resource
    is the rollback of a replacement CloudFormation never heard of (cancelled, or
    timed out): remove what that version made, then answer. The stack holds the
    name kept; the other one is this resource's only by its tags."""
    kind = run.kind
    left_over = properties.lenient_name(old_properties, kind.name_property, kind.name_pattern)
    if not isinstance(outcome, Answer) or left_over is None or left_over == run.physical_id:
        return outcome
    logger.info("the version being left named %s: removing what it made", left_over)
    return runner.drive(run, Removal(left_over, outcome))


def _previous(run: Run, old_properties: Any) -> Desired | None:
    try:
        return run.kind.parse(old_properties, None)
    except PropertyProblems:
        return None  # the version being left did not parse: it made nothing here


def _changed_in_place(run: Run, desired: Desired, previous: Desired | None, existing: dict[str, Any]) -> bool:
    """A same-name update that changes more than tags, and is not the rollback of one."""
    kind = run.kind
    if previous is None or not kind.changed_besides_tags(desired, previous):
        return False
    return not kind.is_rollback(run, desired, previous, existing)


def _cannot_change(run: Run, desired: Desired, differences: list[str]) -> str:
    kind = run.kind
    remedy = (
        f"give it a new {kind.name_property[0].lower()}{kind.name_property[1:]}"
        if desired.explicit_name
        else "a value known only at deploy time changed, which the generated name cannot see; "
        "change something the name is derived from (a model source's version, or the construct id)"
    )
    return (
        f"{kind.noun.capitalize()} {desired.name} cannot change in place ({', '.join(differences)} changed) and "
        f"cannot be replaced under the same name; {remedy}"
    )


# --- deleting ------------------------------------------------------------------------------
def delete(run: Run, resource_properties: Any) -> Outcome:
    """Stop and delete the resource the properties name, if this resource made it.

    The name comes from the properties, not the physical id: after a cancelled
    Create, CloudFormation sends a Delete whose physical id it made up itself."""
    kind = run.kind
    name = properties.lenient_name(resource_properties, kind.name_property, kind.name_pattern)
    if not run.physical_id:
        run.physical_id = name or run.logical_id
    run.identify(run.physical_id)
    if name is None:
        logger.info("the properties name no valid %s: nothing to delete", kind.noun)
        return Answer(SUCCESS, run.physical_id)
    if name != run.physical_id:
        logger.info("physical id %s is not the name %s: looking for %s by name", run.physical_id, name, name)
    if stack.live_in_stack(run, name):
        logger.warning("%s is the stack's live %s and no Delete is under way: left alone", name, kind.noun)
        return Answer(SUCCESS, run.physical_id)
    return remove(run, name)


# --- going on from a continuation -------------------------------------------------------------
def resume(run: Run, continuation: Continuation) -> Outcome:
    """Go on where the previous invocation handed over."""
    phase, name = continuation.phase, continuation.name
    if phase == PHASE_ANSWER:
        return final_answer(run, name, {"Status": FAILED, **continuation.answer})
    if not run.kind.name_pattern.match(name):
        return Answer(FAILED, run.physical_id, f"The continuation names no valid {run.kind.noun} ({name!r})")
    if run.request_type != "Delete":
        run.identify(name)
    if phase == PHASE_REMOVE:
        return _resume_removal(run, continuation)
    if phase == PHASE_WAIT:
        return _resume_wait(run, continuation)
    return Answer(FAILED, run.physical_id, f"Unknown continuation phase {phase!r}")


def _resume_removal(run: Run, continuation: Continuation) -> Outcome:
    name = continuation.name
    if stack.live_in_stack(run, name):  # no Delete or cancelled request is under way for it: crafted
        return Answer(SUCCESS, run.physical_id, f"{name} is the stack's live {run.kind.noun}; it was left alone")
    final = final_answer(run, name, continuation.final)
    if run.now() >= run.deadline:  # late: nobody waits for the answer, but the removal still matters
        run.extend_for_cleanup()
    step = Removal(name, final, continuation.sent, continuation.target, continuation.deleting_since)
    return runner.drive(run, step)


def _resume_wait(run: Run, continuation: Continuation) -> Outcome:
    name = continuation.name
    if not stack.still_wanted(run):
        return _drive_or_answer(run, cancelled(run, name, continuation.created))
    step = Waiting(
        name, continuation.extra, continuation.created, start_at=continuation.next_describe, check_owner=True
    )
    return runner.drive(run, step)
