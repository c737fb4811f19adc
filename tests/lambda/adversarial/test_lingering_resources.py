"""Adversarial: resources that linger (a flow definition Deleting, a job STOPPING), and a new
role that SageMaker cannot assume yet (the create is retried for a while)."""

from __future__ import annotations

from typing import Any

from tests.harness.existing import job_made_by_handler
from tests.harness.fake_sagemaker import Script, client_error
from tests.harness.properties import FLOW_NAME, JOB_NAME, compilation_job_properties
from tests.harness.properties import flow_definition_properties as props


def test_a_delete_answers_once_the_deleting_flow_definition_is_gone(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.DELETE_FLOW_SECONDS = 40.0
    assert life.run_until_answered(life.event("Create", props())).status == "SUCCESS"
    delete = life.run_until_answered(life.event("Delete", props(), physical_id=FLOW_NAME))

    assert delete.status == "SUCCESS" and FLOW_NAME not in life.sagemaker.flows
    assert len(life.sagemaker.called("delete_flow_definition")) == 1


def test_a_create_waits_for_its_own_deleting_flow_definition_then_makes_it_again(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    life.sagemaker.DELETE_FLOW_SECONDS = 20.0
    assert life.run_until_answered(life.event("Create", props())).status == "SUCCESS"
    life.sagemaker.delete_flow_definition(FlowDefinitionName=FLOW_NAME)  # the stack's earlier Delete, just sent
    created = life.run_until_answered(life.event("Create", props()))

    assert created.status == "SUCCESS" and created.physical_id == FLOW_NAME, created.reason
    assert len(life.sagemaker.called("create_flow_definition")) == 2


def test_a_role_that_never_becomes_assumable_fails_within_the_deadline(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    error = client_error("ValidationException", "SageMaker is unable to assume the role")
    life.sagemaker.fail("create_flow_definition", error, times=1000)
    create = life.event("Create", props())  # ServiceTimeout 600 s
    start = life.clock.now()
    answer = life.run_until_answered(create)

    assert answer.status == "FAILED" and answer.physical_id == FLOW_NAME and "assume" in answer.reason
    assert life.answered_at[answer.path] - start < 600.0
    assert FLOW_NAME not in life.sagemaker.flows


def test_a_create_waits_for_its_own_stopping_job_then_makes_it_again(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[JOB_NAME] = Script([(0, "INPROGRESS"), (3000, "COMPLETED")])
    job_made_by_handler(life.sagemaker, compilation_job_properties())
    life.sagemaker.stop_compilation_job(CompilationJobName=JOB_NAME)  # a cancelled chain is removing it
    created = life.run_until_answered(life.event("Create", compilation_job_properties()))

    assert "AttributeError" not in created.reason, created.reason
