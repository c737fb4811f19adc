"""Issue 15 defect 9: a forward Update-replacement whose job completes while the
rollback Update of the same resource is already in progress must not answer its
dead URL and leave the new job. The stack's status (DescribeStacks) tells a
request that began going forward that the stack now rolls back: it is no longer
wanted, and it removes what it made."""

from __future__ import annotations

from typing import Any

from sagemaker_constructs import _wire
from tests.harness.fake_sagemaker import Script
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props

from ..adversarial._helpers import cancel_update

NEW_NAME = JOB_NAME + "-v2"


def test_a_forward_replacement_that_completes_during_the_rollback_removes_its_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    assert life.run_until_answered(life.event("Create", props())).status == "SUCCESS"
    life.cloudformation.stack_status = "UPDATE_IN_PROGRESS"
    life.sagemaker.job_scripts[NEW_NAME] = Script([(0, "INPROGRESS"), (300, "COMPLETED")])
    forward = life.event("Update", props(NEW_NAME), physical_id=JOB_NAME, old_properties=props())
    life.submit(forward)
    life.run_all(until=life.clock.now() + 60.0)

    # A sibling fails: the forward Update is cancelled and the rollback Update of this
    # resource is in progress (its own invocation is still queued).
    cancel_update(life, forward)
    life.cloudformation.stack_status = "UPDATE_ROLLBACK_IN_PROGRESS"
    life.cloudformation.requested("Update", "Resource")
    life.run_all()

    assert NEW_NAME not in life.sagemaker.jobs, "the forward request left its job outside the stack"
    assert JOB_NAME in life.sagemaker.jobs
    assert life.cloudformation.stack_checks, "the handler never asked for the stack's status"


def test_a_crafted_forward_continuation_during_a_rollback_leaves_the_stacks_live_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    assert life.run_until_answered(life.event("Create", props())).status == "SUCCESS"
    life.cloudformation.stack_status = "UPDATE_ROLLBACK_IN_PROGRESS"  # another resource rolls back
    crafted = life.event("Update", props(), physical_id=JOB_NAME)
    crafted[_wire.CONTINUATION_KEY] = {
        "Phase": "wait",
        "Name": JOB_NAME,
        "Deadline": life.clock.now() + 600.0,
        "Created": True,
        "Forward": True,
    }

    life.submit(crafted, crafted=True)
    life.run_all()

    assert JOB_NAME in life.sagemaker.jobs
    assert life.sagemaker.called("delete_compilation_job") == []
