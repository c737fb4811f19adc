"""Lifecycle of Custom::SageMakerFlowDefinition through real crhelper and the
bundled handler, against the strict fake SageMaker and the HTTPS endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import OTHER_STACK_ID, as_made_by_handler, owner_tag_dict, owner_tags
from tests.harness.fake_sagemaker import FakeSageMaker, Script, client_error
from tests.harness.properties import FLOW_CONDITIONS, FLOW_NAME, FLOW_ROLE
from tests.harness.properties import api_request as _api
from tests.harness.properties import flow_definition_properties as flow_properties

NAME = FLOW_NAME
ROLE = FLOW_ROLE
CONDITIONS = FLOW_CONDITIONS
CRHELPER_ID = "0c2b4f40-0000-11ef-0000-0a0b0c0d0e0f_Resource_ABCD1234"
ASSUME_MESSAGE = f"Could not assume role {ROLE}. Please ensure that the role exists and allows principal to assume it"


def _ops(fake: FakeSageMaker) -> list[str]:
    return [op for op, _ in fake.calls]


def _owned(props: dict[str, Any]) -> dict[str, Any]:
    """The CreateFlowDefinition request the handler sent for ``props`` (ownership tags included)."""
    return as_made_by_handler(_api(props))


# --- create ------------------------------------------------------------------------
def test_create_active_answers_success_within_seconds_with_attributes(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.flow_scripts[NAME] = Script([(0, "Initializing"), (4, "Active")])
    start = life.clock.now()
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert answer.data == {
        "FlowDefinitionArn": f"arn:aws:sagemaker:us-east-1:123456789012:flow-definition/{NAME}",
        "FlowDefinitionName": NAME,
        "FlowDefinitionStatus": "Active",
    }
    assert 4 <= life.clock.now() - start <= 4 + 1.2  # within one describe interval of Active
    # Changed: each pause is drawn from ±10 % of the 1 s mean (engine.DESCRIBE_JITTER); was 1-1.5 s.
    first, *pauses = life.clock.sleeps
    assert 0.0 <= first <= 1.0 and pauses and all(1.0 <= s <= 1.2 for s in pauses)  # changed: 1 s + up to 20 %
    assert life.lambda_.calls == []  # answered from its own invocation: no hand-over (was: no EventBridge call)
    (request,) = life.sagemaker.called("create_flow_definition")
    assert request["HumanLoopConfig"]["TaskCount"] == 1  # parsed back to int
    assert request["HumanLoopConfig"]["PublicWorkforceTaskPrice"]["AmountInUsd"]["TenthFractionsOfACent"] == 6
    assert request["Tags"] == owner_tags()  # changed: the ownership tags go in the Create call (was: no Tags)


def test_create_passes_tags(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    answer = life.invoke(life.event("Create", flow_properties(Tags=[{"Key": "team", "Value": "forms"}])))
    assert answer.status == "SUCCESS"
    (request,) = life.sagemaker.called("create_flow_definition")
    assert request["Tags"] == [{"Key": "team", "Value": "forms"}, *owner_tags()]  # changed: ownership tags added
    assert life.sagemaker.flows[NAME].tags == {"team": "forms", **owner_tag_dict()}


def test_create_failed_answers_failed_with_name_status_and_reason_at_the_end(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.flow_scripts[NAME] = Script(
        [(0, "Initializing"), (3, "Failed")], failure_reason="Workteam is not accessible to this account. " * 8
    )
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME  # so the rollback Delete removes it and frees the name
    assert len(answer.reason) <= 256
    assert f"Flow definition {NAME} status Failed:" in answer.reason
    assert answer.reason.rstrip().endswith("Workteam is not accessible to this account.")


def test_rollback_delete_after_failed_create_removes_the_definition(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.flow_scripts[NAME] = Script([(0, "Failed")])
    failed = life.invoke(life.event("Create", flow_properties()))
    answer = life.invoke(life.event("Delete", flow_properties(), physical_id=failed.physical_id))
    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("delete_flow_definition") == [{"FlowDefinitionName": NAME}]
    assert NAME not in life.sagemaker.flows


def test_role_not_yet_assumable_is_retried_then_active(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.fail("create_flow_definition", client_error("ValidationException", ASSUME_MESSAGE), times=4)
    start = life.clock.now()
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert len(life.sagemaker.called("create_flow_definition")) == 5
    # Changed: a retry waits 4-6 s (engine.start), was 5-7 s; the describe pauses are about 1 s.
    waits = [s for s in life.clock.sleeps if s >= 3.0]
    assert len(waits) == 4 and all(4.0 <= s <= 6.0 for s in waits)
    assert life.clock.now() - start < 4 * 6.0 + 2 + 2


def test_role_never_assumable_fails_clearly_within_a_bounded_time(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.fail("create_flow_definition", client_error("ValidationException", ASSUME_MESSAGE), times=1000)
    start = life.clock.now()
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "FAILED"
    assert "ValidationException: Could not assume role" in answer.reason
    assert NAME in answer.reason
    assert life.clock.now() - start <= 125
    # A retry every 4-6 s for 120 s (engine.start): 20 to 31 attempts.
    assert 20 <= len(life.sagemaker.called("create_flow_definition")) <= 31
    assert life.sagemaker.flows == {}
    # Changed: the physical id is the name (was: a generated one); the rollback Delete finds nothing and changes nothing.
    assert answer.physical_id == NAME
    life.sagemaker.calls.clear()
    rollback = life.invoke(life.event("Delete", flow_properties(), physical_id=answer.physical_id))
    assert rollback.status == "SUCCESS"
    assert _ops(life.sagemaker) == ["describe_flow_definition"]


def test_other_validation_exception_fails_at_once(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.fail("create_flow_definition", client_error("ValidationException", "Invalid HumanTaskUiArn"))
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "FAILED"
    assert "ValidationException: Invalid HumanTaskUiArn" in answer.reason
    assert len(life.sagemaker.called("create_flow_definition")) == 1
    assert life.clock.sleeps == []


def test_throttled_create_is_retried(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.fail("create_flow_definition", client_error("ThrottlingException", "Rate exceeded"), times=2)
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "SUCCESS"
    assert len(life.sagemaker.called("create_flow_definition")) == 3


def test_definition_stuck_initializing_fails_before_the_service_timeout(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.flow_scripts[NAME] = Script([(0, "Initializing")])
    start = life.clock.now()
    answer = life.invoke(life.event("Create", flow_properties(ServiceTimeout=300)))
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME
    assert "still Initializing at the deadline" in answer.reason
    assert 200 <= life.clock.now() - start < 300


def test_wait_is_bounded_by_the_lambdas_remaining_time(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition", lambda_timeout=60.0)
    life.sagemaker.flow_scripts[NAME] = Script([(0, "Initializing")])
    start = life.clock.now()
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME
    assert life.clock.now() - start < 60
    assert not life.world.invocations[-1].timed_out  # answered by the handler, not by crhelper's timer


def test_wait_longer_than_one_invocation_hands_over_each_before_its_timeout(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition", lambda_timeout=120.0)
    life.sagemaker.flow_scripts[NAME] = Script([(0, "Initializing"), (200, "Active")])
    answer = life.run_until_answered(life.event("Create", flow_properties()))
    assert answer.status == "SUCCESS"
    assert life.continuations() >= 2
    for invocation in life.world.invocations:
        assert not invocation.timed_out
        assert invocation.ended_at is not None and invocation.ended_at < invocation.deadline - 30


@pytest.mark.parametrize("status", ["Initializing", "Active"])
def test_duplicate_create_adopts_a_matching_definition(make_lifecycle: Any, status: str) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.flow_scripts[NAME] = Script([(0, status), (2, "Active")])
    life.sagemaker.create_flow_definition(**_owned(flow_properties()))
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert len(life.sagemaker.called("create_flow_definition")) == 1  # only the one made above


def test_duplicate_create_finding_a_failed_definition_deletes_and_recreates(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.flow_scripts[NAME] = Script([(0, "Failed")])
    life.sagemaker.create_flow_definition(**_owned(flow_properties()))
    life.sagemaker.flow_scripts[NAME] = Script([(0, "Initializing"), (2, "Active")])
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("delete_flow_definition") == [{"FlowDefinitionName": NAME}]
    assert len(life.sagemaker.called("create_flow_definition")) == 2
    assert _ops(life.sagemaker).index("delete_flow_definition") < len(_ops(life.sagemaker)) - 1


def test_create_finding_its_own_definition_with_a_different_config_fails_and_leaves_it(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.create_flow_definition(**_owned(flow_properties(RoleArn="arn:aws:iam::123456789012:role/other")))
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "FAILED"
    assert "RoleArn" in answer.reason
    assert life.sagemaker.called("delete_flow_definition") == []


@pytest.mark.parametrize(
    ("tags", "whose"),
    [([], "no sagemaker-constructs ownership tags"), (owner_tags(stack_id=OTHER_STACK_ID), "another stack")],
    ids=["untagged", "other-stack"],
)
def test_create_finding_someone_elses_definition_fails_and_the_rollback_leaves_it(
    make_lifecycle: Any, tags: Any, whose: str
) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.create_flow_definition(**_api(flow_properties()), Tags=tags)  # same configuration, not ours
    answer = life.invoke(life.event("Create", flow_properties()))
    assert answer.status == "FAILED"
    assert "this resource did not create it" in answer.reason and whose in answer.reason
    # Changed: the physical id is the name (was: a generated one); ownership now keeps the rollback off it.
    assert answer.physical_id == NAME
    rollback = life.invoke(life.event("Delete", flow_properties(), physical_id=answer.physical_id))
    assert rollback.status == "SUCCESS"
    assert life.sagemaker.called("delete_flow_definition") == []
    assert NAME in life.sagemaker.flows


# --- delete ---------------------------------------------------------------------------
def test_delete_waits_until_the_definition_is_gone(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.create_flow_definition(**_owned(flow_properties()))
    life.clock.advance(10)
    start = life.clock.now()
    answer = life.invoke(life.event("Delete", flow_properties(), physical_id=NAME))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert life.sagemaker.called("delete_flow_definition") == [{"FlowDefinitionName": NAME}]
    assert NAME not in life.sagemaker.flows
    elapsed = life.clock.now() - start
    assert FakeSageMaker.DELETE_FLOW_SECONDS <= elapsed <= FakeSageMaker.DELETE_FLOW_SECONDS + 1.1  # no fixed sleep
    assert all(s <= 1.2 for s in life.clock.sleeps)


def test_delete_of_a_definition_already_deleting_waits_without_a_second_delete(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.create_flow_definition(**_owned(flow_properties()))
    life.sagemaker.delete_flow_definition(FlowDefinitionName=NAME)
    answer = life.invoke(life.event("Delete", flow_properties(), physical_id=NAME))
    assert answer.status == "SUCCESS"
    assert len(life.sagemaker.called("delete_flow_definition")) == 1  # only the one made above
    assert NAME not in life.sagemaker.flows


def test_delete_of_a_missing_definition_succeeds(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    answer = life.invoke(life.event("Delete", flow_properties(), physical_id=NAME))
    assert answer.status == "SUCCESS"
    assert _ops(life.sagemaker) == ["describe_flow_definition"]


def test_delete_of_a_crhelper_physical_id_looks_up_the_name_and_changes_nothing(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    answer = life.invoke(life.event("Delete", flow_properties(), physical_id=CRHELPER_ID))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == CRHELPER_ID
    # Changed: the Delete finds the definition by the name in the properties (was: no call); nothing there.
    assert life.sagemaker.calls == [("describe_flow_definition", {"FlowDefinitionName": NAME})]


def test_delete_of_a_crhelper_physical_id_removes_the_definition_this_resource_created(make_lifecycle: Any) -> None:
    """After a cancelled Create, CloudFormation sends a Delete with an id it made up."""
    life = make_lifecycle("flow_definition")
    life.sagemaker.create_flow_definition(**_owned(flow_properties()))
    answer = life.invoke(life.event("Delete", flow_properties(), physical_id=CRHELPER_ID))
    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("delete_flow_definition") == [{"FlowDefinitionName": NAME}]
    assert NAME not in life.sagemaker.flows


def test_delete_never_touches_a_definition_the_properties_do_not_name(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    other = "someone-elses-flow"
    # Tagged as this resource's: only the name in the properties keeps the Delete off it, not ownership.
    life.sagemaker.create_flow_definition(**_owned(flow_properties(other)))
    answer = life.invoke(life.event("Delete", flow_properties(), physical_id=other))
    assert answer.status == "SUCCESS"
    # Changed: one Describe of the name the properties give (was: no call); nothing under the physical id.
    assert life.sagemaker.calls[1:] == [("describe_flow_definition", {"FlowDefinitionName": NAME})]
    assert other in life.sagemaker.flows


def test_delete_with_unparseable_properties_still_deletes(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.create_flow_definition(**_owned(flow_properties()))
    answer = life.invoke(life.event("Delete", flow_properties(ServiceTimeout="soon"), physical_id=NAME))
    assert answer.status == "SUCCESS"
    assert NAME not in life.sagemaker.flows


# --- update -------------------------------------------------------------------------
def test_update_to_a_new_name_creates_a_new_definition(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    old = flow_properties()
    life.sagemaker.create_flow_definition(**_owned(old))
    new_name = "teststack--formreview-abcdef0123"
    new = flow_properties(new_name, HumanLoopConfig={**old["HumanLoopConfig"], "TaskCount": 2})
    answer = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == new_name
    assert answer.data["FlowDefinitionName"] == new_name
    assert set(life.sagemaker.flows) == {NAME, new_name}  # CloudFormation deletes the old one next
    assert life.sagemaker.called("create_flow_definition")[-1]["HumanLoopConfig"]["TaskCount"] == 2


def test_update_rollback_adopts_the_old_definition_still_there(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    old = flow_properties()
    life.sagemaker.create_flow_definition(**_owned(old))
    new_name = "teststack--formreview-abcdef0123"
    new = flow_properties(new_name, RoleArn="arn:aws:iam::123456789012:role/new-role")
    life.sagemaker.create_flow_definition(**_owned(new))
    answer = life.invoke(life.event("Update", old, physical_id=new_name, old_properties=new))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert len(life.sagemaker.called("create_flow_definition")) == 2  # only the two made above


def test_update_rollback_sent_under_the_old_physical_id_adopts_the_old_definition(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    old = flow_properties()
    life.sagemaker.create_flow_definition(**_owned(old))
    new = flow_properties("teststack--formreview-abcdef0123", RoleArn="arn:aws:iam::123456789012:role/new-role")
    answer = life.invoke(life.event("Update", old, physical_id=NAME, old_properties=new))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert life.sagemaker.called("delete_flow_definition") == []
    assert len(life.sagemaker.called("create_flow_definition")) == 1


def test_update_of_tags_only_is_in_place(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    old = flow_properties(Tags=[{"Key": "team", "Value": "forms"}, {"Key": "gone", "Value": "x"}])
    life.sagemaker.create_flow_definition(**_owned(old))
    new = flow_properties(Tags=[{"Key": "team", "Value": "invoices"}, {"Key": "cost", "Value": "a2i"}])
    answer = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert life.sagemaker.flows[NAME].tags == {"team": "invoices", "cost": "a2i", **owner_tag_dict()}  # changed
    (added,) = life.sagemaker.called("add_tags")
    assert sorted(t["Key"] for t in added["Tags"]) == ["cost", "team"]
    assert life.sagemaker.called("delete_tags")[0]["TagKeys"] == ["gone"]
    assert len(life.sagemaker.called("create_flow_definition")) == 1
    assert life.sagemaker.called("delete_flow_definition") == []


def test_update_of_explicit_name_with_changed_properties_fails_clearly(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    name = "my-forms-review"
    old = flow_properties(name, Options={"ExplicitName": "true"})
    life.sagemaker.create_flow_definition(**_owned(old))
    new = flow_properties(name, Options={"ExplicitName": "true"}, OutputConfig={"S3OutputPath": "s3://out/v2/"})
    answer = life.invoke(life.event("Update", new, physical_id=name, old_properties=old))
    assert answer.status == "FAILED"
    assert answer.physical_id == name
    assert "cannot be replaced under the same name" in answer.reason
    assert "OutputConfig.S3OutputPath" in answer.reason
    assert life.sagemaker.called("delete_flow_definition") == []
