"""Issue 15 defect 6: A2I keeps a deleted flow definition ``Deleting`` while workers
hold its tasks (up to the task time limit). A Delete SageMaker accepted cannot be
undone: the handler answers SUCCESS instead of waiting out the deadline and failing."""

from __future__ import annotations

from typing import Any

from tests.harness.properties import FLOW_NAME
from tests.harness.properties import flow_definition_properties as props


def test_a_flow_definition_that_stays_deleting_is_answered_success_soon(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    assert life.run_until_answered(life.event("Create", props())).status == "SUCCESS"
    life.sagemaker.DELETE_FLOW_SECONDS = 3600.0  # tasks held for an hour
    started = life.clock.now()

    answer = life.run_until_answered(life.event("Delete", props(), physical_id=FLOW_NAME))

    assert (answer.status, answer.physical_id) == ("SUCCESS", FLOW_NAME), answer.reason
    assert life.clock.now() - started < 120.0
    assert len(life.sagemaker.called("delete_flow_definition")) == 1
    assert FLOW_NAME in life.sagemaker.deleting_flows  # still Deleting: SageMaker finishes it
