"""Update rollbacks of a flow definition whose failed version does not parse."""

from __future__ import annotations

import copy
from typing import Any

from tests.harness.properties import FLOW_NAME
from tests.harness.properties import flow_definition_properties as props


def test_rollback_after_a_task_count_of_1_5_succeeds(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    good = props(Options={"ExplicitName": "true"})
    created = life.run_until_answered(life.event("Create", good))
    assert created.status == "SUCCESS"
    bad = copy.deepcopy(good)
    bad["HumanLoopConfig"]["TaskCount"] = "1.5"  # a Number CfnParameter deployed as 1.5

    failed = life.invoke(life.event("Update", bad, physical_id=FLOW_NAME, old_properties=good))
    rollback = life.invoke(life.event("Update", good, physical_id=FLOW_NAME, old_properties=bad))

    assert failed.status == "FAILED" and "HumanLoopConfig.TaskCount must be an integer (got '1.5')" in failed.reason
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.data["FlowDefinitionArn"] == created.data["FlowDefinitionArn"]
    assert life.sagemaker.called("delete_flow_definition") == []
