"""Adversarial: a wait continuation (PHASE_WAIT) that Lambda delivers twice, the
second copy late (at-least-once delivery, up to the six-hour maximum event age),
while a later request of the same resource has made a job of the same name again.

The removal chain checks that the job is still the one it set out to remove
(issue 15 defect 4); the wait chain does not: at its deadline it stops whatever
job of that name this logical id owns, and a cancelled wait removes it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sagemaker_constructs import _wire
from tests.harness import url_path
from tests.harness.fake_sagemaker import Script
from tests.harness.properties import compilation_job_properties as props

from ._helpers import cleanup_delete

A = "teststack--compile-aaaa000000"
B = "teststack--compile-bbbb000000"
# Longer than one invocation (900 s less the margin): the first invocation hands over.
SLOW = Script([(0, "STARTING"), (20, "INPROGRESS"), (960, "COMPLETED")])


def _capture_wait_hand_overs(life: Any) -> list[dict[str, Any]]:
    """Deliver every hand-over as usual, and keep a copy of each wait continuation
    (Lambda's at-least-once delivery: a second copy can come much later)."""
    kept: list[dict[str, Any]] = []

    def on_invoke(event: dict[str, Any]) -> None:
        if event[_wire.CONTINUATION_KEY].get("Phase") == "wait":
            kept.append(copy.deepcopy(event))
        life._handed_over(event)

    life.lambda_.on_invoke = on_invoke
    return kept


@pytest.mark.xfail(
    strict=True,
    reason="a late duplicate wait continuation stops, at its own deadline, the job a later request made again "
    "under the same name (Waiting.at_deadline/_stop_at_deadline check ownership, not identity)",
)
def test_a_late_duplicate_wait_continuation_leaves_the_job_a_later_rename_made_again(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[A] = SLOW
    kept = _capture_wait_hand_overs(life)
    create = life.event("Create", props(A))
    assert life.run_until_answered(create).status == "SUCCESS"
    assert kept, "the Create handed over while it waited"
    stale = kept[0]
    life.lambda_.on_invoke = life._handed_over
    life.run_all()

    # Rename A -> B; CloudFormation cleans up A.
    rename = life.event("Update", props(B), physical_id=A, old_properties=props(A))
    assert life.run_until_answered(rename).status == "SUCCESS"
    cleanup_delete(life, life.event("Delete", props(A), physical_id=A), current_physical_id=B)
    assert A not in life.sagemaker.jobs

    # Two hours later the rename is reverted: A is made again and compiles.
    life.clock.advance(2 * 3600.0)
    back = life.event("Update", props(A), physical_id=B, old_properties=props(B))
    life.submit(back)
    life.world.run(until=life.clock.now() + 120.0)
    assert life.sagemaker.jobs[A].stopped_at is None

    # The second copy of the first Create's wait continuation arrives now (within six hours).
    life.submit(stale)
    life.world.run(stop=lambda: bool(life.server.responses.get(url_path(back["ResponseURL"]))))

    assert life.sagemaker.called("stop_compilation_job") == [], "the stale wait stopped the re-made job"
    assert life.first_answer(back).status == "SUCCESS", life.first_answer(back).reason


@pytest.mark.xfail(
    strict=True,
    reason="a late duplicate wait continuation of a forward Update, arriving while the stack rolls back a later "
    "change of the same resource, takes itself for cancelled and deletes the stack's live job",
)
def test_a_late_duplicate_forward_wait_leaves_the_live_job_during_a_later_rollback(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    assert life.run_until_answered(life.event("Create", props(B))).status == "SUCCESS"
    life.sagemaker.job_scripts[A] = SLOW
    kept = _capture_wait_hand_overs(life)
    rename = life.event("Update", props(A), physical_id=B, old_properties=props(B))  # forward: UPDATE_IN_PROGRESS
    assert life.run_until_answered(rename).status == "SUCCESS"
    assert kept and kept[0][_wire.CONTINUATION_KEY].get("Forward") is True
    stale = kept[0]
    life.lambda_.on_invoke = life._handed_over
    life.run_all()
    cleanup_delete(life, life.event("Delete", props(B), physical_id=B), current_physical_id=A)
    life.cloudformation.stack_status = "UPDATE_COMPLETE"
    made = life.sagemaker.jobs[A].created

    # Two hours later: a tag change of the same job, then a sibling fails and the stack rolls it back.
    life.clock.advance(2 * 3600.0)
    tagged = props(A, Tags=[{"Key": "team", "Value": "vision"}])
    life.cloudformation.stack_status = "UPDATE_IN_PROGRESS"
    assert life.run_until_answered(life.event("Update", tagged, physical_id=A, old_properties=props(A))).status == (
        "SUCCESS"
    )
    life.cloudformation.stack_status = "UPDATE_ROLLBACK_IN_PROGRESS"
    rollback = life.event("Update", props(A), physical_id=A, old_properties=tagged)
    life.cloudformation.requested("Update", "Resource")  # CloudFormation sent it; it waits in Lambda's queue
    life.submit(stale)  # the second copy of the rename's wait continuation, delivered now
    life.submit(rollback, at=life.clock.now() + 30.0)
    life.run_all()

    assert life.first_answer(rollback).status == "SUCCESS"
    assert life.cloudformation.resources["Resource"].physical_id == A
    assert life.sagemaker.called("delete_compilation_job") == [{"CompilationJobName": B}], (
        "a stale continuation deleted the stack's live job (the rollback then compiled it again)"
    )
    assert A in life.sagemaker.jobs and life.sagemaker.jobs[A].created == made
