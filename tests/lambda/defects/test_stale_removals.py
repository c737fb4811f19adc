"""Issue 15 defect 4: a removal that began before a redeploy and goes on after it
must not stop or delete the resource the redeploy made under the same name.
Before each Stop and Delete the removal checks that the resource is still the one
it set out to remove (ARN and CreationTime, recorded in its continuation)."""

from __future__ import annotations

from typing import Any

from sagemaker_constructs import _wire
from tests.harness.existing import job_made_by_handler
from tests.harness.fake_sagemaker import Script
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props


def test_a_stale_removal_leaves_the_job_a_redeploy_made_again(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=75.0)
    life.sagemaker.job_scripts[JOB_NAME] = Script([(0, "INPROGRESS"), (3000, "COMPLETED")])
    assert life.invoke(life.event("Create", props())).status is None  # handed over: still compiling
    life.world.run(until=life.clock.now() + 30.0)
    held: list[dict[str, Any]] = []
    life.lambda_.on_invoke = held.append  # the removal's hand-over is held back in Lambda's queue
    delete = life.invoke(life.event("Delete", props(), physical_id=JOB_NAME))
    assert delete.body is None and held and held[-1][_wire.CONTINUATION_KEY]["Phase"] == "remove"
    assert len(life.sagemaker.called("stop_compilation_job")) == 1

    # The job stops and is deleted outside the chain; a redeploy makes it again.
    life.clock.advance(60.0)
    del life.sagemaker.jobs[JOB_NAME]
    life.sagemaker.job_scripts.pop(JOB_NAME)
    job_made_by_handler(life.sagemaker, props())
    life.cloudformation.requested("Create", "Resource")
    life.lambda_.on_invoke = lambda _event: None

    life.submit(held[-1])
    life.run_all()

    assert JOB_NAME in life.sagemaker.jobs, "the stale removal deleted the re-made job"
    assert len(life.sagemaker.called("stop_compilation_job")) == 1
    assert life.sagemaker.called("delete_compilation_job") == []
