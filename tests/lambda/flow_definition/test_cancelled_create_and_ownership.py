"""Flow definitions run on the same engine: a cancelled Create leaves none
behind, and only this stack's own is adopted or deleted."""

from __future__ import annotations

from typing import Any

from tests.harness import owner_tags
from tests.harness.fake_sagemaker import Script
from tests.harness.properties import FLOW_NAME, api_request
from tests.harness.properties import flow_definition_properties as props

OTHER_STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/OtherTeam/7d1e2f30-0000-11ef-0000-0a0b0c0d0e0f"
MADE_UP_ID = "TestStack-Review-1A2B3C4D5E6F"


def test_a_delete_with_a_made_up_id_removes_the_flow_definition_the_cancelled_create_made(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.flow_scripts[FLOW_NAME] = Script([(0, "Initializing"), (30, "Active")])
    create = life.event("Create", props())
    life.submit(create)
    life.run_all(until=life.clock.now() + 5.0)
    assert FLOW_NAME in life.sagemaker.flows
    life.cloudformation.cancel("Resource")

    delete = life.invoke(life.event("Delete", props(), physical_id=MADE_UP_ID))

    assert delete.status == "SUCCESS"
    assert life.sagemaker.called("delete_flow_definition") == [{"FlowDefinitionName": FLOW_NAME}]
    life.run_all()
    assert FLOW_NAME not in life.sagemaker.flows
    assert life.queued() == []


def test_a_cancelled_create_removes_the_flow_definition_it_made(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.latency["create_flow_definition"] = 2.0
    create = life.event("Create", props())
    life.submit(create)
    life.run_all(until=life.clock.now() + 1.0)  # inside the CreateFlowDefinition call
    life.cloudformation.cancel("Resource")
    life.run_all()

    assert "cancelled" in life.answer(create).reason
    assert FLOW_NAME not in life.sagemaker.flows


def test_create_fails_on_a_same_named_flow_definition_of_another_stack(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.create_flow_definition(**{**api_request(props()), "Tags": owner_tags("Resource", OTHER_STACK)})

    create = life.invoke(life.event("Create", props()))
    delete = life.invoke(life.event("Delete", props(), physical_id=FLOW_NAME))

    assert create.status == "FAILED" and "belongs to another stack" in create.reason
    assert delete.status == "SUCCESS"
    assert life.sagemaker.called("delete_flow_definition") == []
    assert FLOW_NAME in life.sagemaker.flows


def test_create_tags_the_flow_definition_with_its_owner(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    answer = life.invoke(life.event("Create", props()))
    assert answer.status == "SUCCESS"
    (call,) = life.sagemaker.called("create_flow_definition")
    assert call["Tags"] == owner_tags()
