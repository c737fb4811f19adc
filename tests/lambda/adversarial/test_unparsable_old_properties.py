"""Adversarial: an update rollback sends the failed version as OldResourceProperties.
A version that failed because its properties were invalid (an escape-hatch
property override of the wrong shape: ``add_property_override("StoppingCondition", 900)``)
is read only leniently: it must never fail the rollback (engine docstring, "A bad
old version never fails a rollback")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props


@pytest.mark.parametrize(
    "field, bad",
    [("StoppingCondition", 900), ("InputConfig", "s3://models/resnet18.tar.gz")],
)
@pytest.mark.xfail(
    strict=True,
    reason="OldResourceProperties whose StoppingCondition/InputConfig is not an object crash the kind's checks "
    "(_runtime_problems/_source_problems call .get on a str; decide._previous catches only PropertyProblems): "
    "the rollback answers FAILED, UPDATE_ROLLBACK_FAILED",
)
def test_the_rollback_of_an_update_with_a_property_of_the_wrong_shape_succeeds(
    make_lifecycle: Any, field: str, bad: Any
) -> None:
    life = make_lifecycle()
    good = props()
    assert life.run_until_answered(life.event("Create", good)).status == "SUCCESS"
    broken = props(**{field: bad})
    forward = life.run_until_answered(life.event("Update", broken, physical_id=JOB_NAME, old_properties=good))
    assert forward.status == "FAILED" and "Invalid resource properties" in forward.reason

    life.cloudformation.stack_status = "UPDATE_ROLLBACK_IN_PROGRESS"
    back = life.run_until_answered(life.event("Update", good, physical_id=JOB_NAME, old_properties=broken))

    assert (back.status, back.physical_id) == ("SUCCESS", JOB_NAME), f"UPDATE_ROLLBACK_FAILED: {back.reason}"


@pytest.mark.xfail(
    strict=True,
    reason="OldResourceProperties of a flow definition whose HumanLoopConfig is not an object crash the "
    "comparison (flow spec _normalized: dict(str)): the rollback answers FAILED, UPDATE_ROLLBACK_FAILED",
)
def test_the_rollback_of_a_flow_update_with_a_property_of_the_wrong_shape_succeeds(make_lifecycle: Any) -> None:
    from tests.harness.properties import FLOW_NAME
    from tests.harness.properties import flow_definition_properties as flow_props

    life = make_lifecycle("flow_definition")
    good = flow_props()
    assert life.run_until_answered(life.event("Create", good)).status == "SUCCESS"
    broken = flow_props(HumanLoopConfig="arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers")
    forward = life.run_until_answered(life.event("Update", broken, physical_id=FLOW_NAME, old_properties=good))
    assert forward.status == "FAILED" and "Invalid resource properties" in forward.reason

    life.cloudformation.stack_status = "UPDATE_ROLLBACK_IN_PROGRESS"
    back = life.run_until_answered(life.event("Update", good, physical_id=FLOW_NAME, old_properties=broken))

    assert (back.status, back.physical_id) == ("SUCCESS", FLOW_NAME), f"UPDATE_ROLLBACK_FAILED: {back.reason}"
