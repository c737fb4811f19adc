"""Adversarial: requests CloudFormation stops waiting for while the handler works.

A stack update that fails elsewhere cancels this resource's in-flight Update;
for a replacement (a new name) CloudFormation never learns the new name, so no
Delete ever comes for it: the chain that made it must remove it itself. A
cancelled Create is followed by a Delete with a made-up physical id."""

from __future__ import annotations

import copy
from typing import Any

from tests.harness.fake_sagemaker import Script
from tests.harness.properties import compilation_job_properties as job_props
from tests.harness.properties import flow_definition_properties as flow_props

from ._helpers import LostCreateResponse, cancel_update

OLD = "teststack--compile-old0000000"
NEW = "teststack--compile-new0000000"
LONG = Script([(0, "STARTING"), (20, "INPROGRESS"), (3000, "COMPLETED")])
MADE_UP_ID = "TestStack-Resource-1A2B3C4D5E6F"


def _replacement(life: Any, new_script: Script) -> tuple[dict[str, Any], float]:
    """Create OLD, then start the Update that replaces it with NEW; returns the Update and its start."""
    created = life.run_until_answered(life.event("Create", job_props(OLD)))
    assert created.status == "SUCCESS"
    life.sagemaker.job_scripts[NEW] = new_script
    update = life.event("Update", job_props(NEW), physical_id=OLD, old_properties=job_props(OLD))
    start = life.clock.now()
    life.submit(update)
    return update, start


def _roll_back(life: Any) -> Any:
    """The rollback of a cancelled Update: the old properties under the old physical id."""
    return life.run_until_answered(life.event("Update", job_props(OLD), physical_id=OLD, old_properties=job_props(NEW)))


# --- the handler resists ---------------------------------------------------------------
def test_a_cancelled_replacement_still_running_at_the_next_check_is_removed(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    update, start = _replacement(life, LONG)
    life.run_all(until=start + 60.0)
    assert NEW in life.sagemaker.jobs and life.answer(update).body is None
    cancel_update(life, update)

    rollback = _roll_back(life)
    life.run_all()

    assert rollback.status == "SUCCESS" and rollback.physical_id == OLD
    assert NEW not in life.sagemaker.jobs
    assert OLD in life.sagemaker.jobs
    assert life.queued() == []


# --- defects ----------------------------------------------------------------------------------
def test_a_cancelled_replacement_that_completes_before_the_next_check_is_removed(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    update, start = _replacement(life, Script([(0, "INPROGRESS"), (200, "COMPLETED")]))
    life.run_all(until=start + 130.0)  # just after the first still-wanted check (~120 s)
    assert NEW in life.sagemaker.jobs and life.answer(update).body is None
    cancel_update(life, update)

    rollback = _roll_back(life)
    life.run_all()

    assert rollback.status == "SUCCESS" and rollback.physical_id == OLD
    assert NEW not in life.sagemaker.jobs, "the replacement job stays, outside the stack"


def test_a_cancelled_replacement_whose_create_response_was_lost_is_removed(make_lifecycle: Any) -> None:
    life = make_lifecycle(sagemaker=LostCreateResponse())
    life.sagemaker.lose_create_responses = 0
    created = life.run_until_answered(life.event("Create", job_props(OLD)))
    assert created.status == "SUCCESS"
    life.sagemaker.job_scripts[NEW] = LONG
    life.sagemaker.lose_create_responses = 1  # the replacement's CreateCompilationJob times out after SageMaker made it
    update = life.event("Update", job_props(NEW), physical_id=OLD, old_properties=job_props(OLD))
    start = life.clock.now()
    life.submit(update)
    life.run_all(until=start + 60.0)
    assert NEW in life.sagemaker.jobs and life.answer(update).body is None
    cancel_update(life, update)

    rollback = _roll_back(life)
    life.run_all()

    assert rollback.status == "SUCCESS"
    assert NEW not in life.sagemaker.jobs, (
        f"{NEW} is {life.sagemaker._job_status(life.sagemaker.jobs[NEW])} outside the stack; "
        f"the Update was answered: {life.answer(update).reason!r}"
    )


def test_a_cancelled_create_whose_create_response_was_lost_leaves_no_job(make_lifecycle: Any) -> None:
    life = make_lifecycle(sagemaker=LostCreateResponse())
    life.sagemaker.job_scripts[NEW] = LONG
    start = life.clock.now()
    # The Create's first look is slow; the Delete's, a second later, is not.
    life.sagemaker.latency["describe_compilation_job"] = lambda t: 5.0 if t < start + 0.5 else 0.0
    create = life.event("Create", job_props(NEW))
    life.submit(create)
    delete = life.event("Delete", job_props(NEW), physical_id=MADE_UP_ID)
    life.submit(delete, at=start + 1.0)
    life.run_all()

    assert life.first_answer(delete).status == "SUCCESS"
    assert life.sagemaker.called("create_compilation_job")
    assert NEW not in life.sagemaker.jobs, (
        f"{NEW} is {life.sagemaker._job_status(life.sagemaker.jobs[NEW])} outside the stack; "
        f"the Create was answered: {life.answer(create).reason!r}"
    )


FLOW_A = "flow-a"
FLOW_B = "flow-b"


def _explicit_flow(name: str) -> dict[str, Any]:
    props = flow_props(name)
    props["Options"] = {"ExplicitName": True}
    return props


def test_the_rollback_of_a_cancelled_rename_of_a_flow_definition_succeeds(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    created = life.run_until_answered(life.event("Create", _explicit_flow(FLOW_A)))
    assert created.status == "SUCCESS"
    life.sagemaker.flow_scripts[FLOW_B] = Script([(0, "Initializing"), (10, "Active")])
    update = life.event("Update", _explicit_flow(FLOW_B), physical_id=FLOW_A, old_properties=_explicit_flow(FLOW_A))
    start = life.clock.now()
    life.submit(update)
    life.run_all(until=start + 3.0)
    assert FLOW_B in life.sagemaker.flows and life.answer(update).body is None
    cancel_update(life, update)  # another resource failed; CloudFormation never got flow-b as the physical id

    rollback = life.run_until_answered(
        life.event("Update", _explicit_flow(FLOW_A), physical_id=FLOW_A, old_properties=_explicit_flow(FLOW_B))
    )

    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == FLOW_A


def test_a_cancelled_flow_definition_rename_leaves_no_flow_definition(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.run_until_answered(life.event("Create", _explicit_flow(FLOW_A)))
    life.sagemaker.flow_scripts[FLOW_B] = Script([(0, "Initializing"), (10, "Active")])
    changed = copy.deepcopy(_explicit_flow(FLOW_B))
    changed["HumanLoopConfig"]["TaskTitle"] = "A new title"  # not only the name: the rollback itself passes
    old = _explicit_flow(FLOW_A)
    update = life.event("Update", changed, physical_id=FLOW_A, old_properties=old)
    start = life.clock.now()
    life.submit(update)
    life.run_all(until=start + 3.0)
    cancel_update(life, update)
    rollback = life.run_until_answered(life.event("Update", old, physical_id=FLOW_A, old_properties=changed))
    life.run_all()

    assert rollback.status == "SUCCESS"
    assert FLOW_B not in life.sagemaker.flows, "flow-b stays Active outside the stack"
