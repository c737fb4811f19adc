"""Lifecycle of Custom::SageMakerCompilationJob through real crhelper and the
bundled handler, against the strict fake SageMaker and the HTTPS endpoint."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from tests.harness import (
    OTHER_STACK_ID,
    as_made_by_handler,
    assert_hand_overs_invoke_only_this_function,
    assert_nothing_left_running,
    follow_hand_overs,
    hand_over_payloads,
    owner_tag_dict,
    owner_tags,
)
from tests.harness.fake_sagemaker import Script, client_error
from tests.harness.properties import JOB_NAME
from tests.harness.properties import api_request as _api
from tests.harness.properties import compilation_job_properties as job_properties

NAME = JOB_NAME
MUTATING = ("create_compilation_job", "stop_compilation_job", "delete_compilation_job", "add_tags", "delete_tags")


def _owned(props: dict[str, Any]) -> dict[str, Any]:
    """The CreateCompilationJob request the handler sent for ``props`` (ownership tags included)."""
    return as_made_by_handler(_api(props))


def _mutations(life: Any) -> list[str]:
    return [op for op, _ in life.sagemaker.calls if op in MUTATING]


def test_create_completed_answers_success_with_attributes_and_no_hand_over(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert answer.data["CompilationJobName"] == NAME
    assert answer.data["CompilationJobArn"].endswith(f"compilation-job/{NAME}")
    assert answer.data["S3ModelArtifacts"].startswith(f"s3://out/compiled/{NAME}/")
    assert answer.data["CompilationJobStatus"] == "COMPLETED"
    assert answer.data["InferenceImage"] == ""
    assert life.lambda_.calls == []  # answered from its own invocation: no hand-over (was: no EventBridge call)
    (request,) = life.sagemaker.called("create_compilation_job")
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 900}  # parsed back to int
    assert request["Tags"] == owner_tags()  # the ownership tags go in the Create call


def test_create_for_ml_target_returns_inference_image(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    props = job_properties(OutputConfig={"S3OutputLocation": "s3://out/x/", "TargetDevice": "ml_c5"})
    answer = life.invoke(life.event("Create", props))
    assert answer.data["InferenceImage"].startswith("301217895009.dkr.ecr")


def test_create_failed_answers_failed_with_name_status_and_reason_at_the_end(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script(
        [(0, "INPROGRESS"), (30, "FAILED")], failure_reason="ClientError: InputConfiguration: shape mismatch " * 10
    )
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert answer.physical_id == NAME  # so the rollback Delete removes it and frees the name
    assert len(answer.reason) <= 256
    assert f"Job {NAME} status FAILED:" in answer.reason
    assert answer.reason.rstrip().endswith("InputConfiguration: shape mismatch")


def test_create_inprogress_hands_over_then_a_continuation_completes(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.job_scripts[NAME] = Script([(0, "STARTING"), (60, "INPROGRESS"), (400, "COMPLETED")])
    event = life.event("Create", job_properties())
    first = life.invoke(event)
    assert first.body is None  # handed over to the next invocation
    # Replaces the armed-rule check (smc-poll-* name, <= 64 chars): one asynchronous Invoke of the function itself.
    (payload,) = hand_over_payloads(life)
    assert payload["LogicalResourceId"] == "Resource" and payload["ResponseURL"] == event["ResponseURL"]
    answer = follow_hand_overs(life, event)
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert answer.data["CompilationJobStatus"] == "COMPLETED"
    assert "State" not in answer.data and "PhysicalResourceId" not in answer.data
    assert life.continuations() >= 1
    assert_hand_overs_invoke_only_this_function(life)
    # Replaces "rules and permissions removed": no continuation is queued after the answer.
    assert_nothing_left_running(life)
    assert len(life.server.responses[answer.path]) == 1


def test_job_ending_inside_first_invocation_is_answered_without_a_hand_over(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "STARTING"), (10, "INPROGRESS"), (95, "COMPLETED")])
    start = life.clock.now()
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "SUCCESS"
    assert life.lambda_.calls == []  # was: no EventBridge call
    assert life.clock.now() - start < 95 + 6  # answered within one describe interval of the end


def test_describes_about_every_five_seconds_with_jitter(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (300, "COMPLETED")])
    life.invoke(life.event("Create", job_properties()))
    first, *waits = list(life.clock.sleeps)
    # Changed: the first describe after the create comes at a random point of the first interval (resources
    # created together do not describe together); each pause after it is 5 s plus up to 20 % (was 5-7 s).
    assert 0.0 <= first <= 5.0
    assert waits and all(5.0 <= s <= 6.0 for s in waits)
    assert 5.2 <= statistics.mean(waits) <= 5.8
    assert len({round(s, 3) for s in waits}) > 1  # jittered


def test_delete_running_job_stops_it_and_waits_for_stopped(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS")])
    life.sagemaker.create_compilation_job(**_owned(job_properties()))  # changed: tagged, as the handler makes it
    answer = life.invoke(life.event("Delete", job_properties(), physical_id=NAME))
    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("stop_compilation_job") == [{"CompilationJobName": NAME}]
    assert life.sagemaker.called("delete_compilation_job") == [{"CompilationJobName": NAME}]
    assert NAME not in life.sagemaker.jobs


@pytest.mark.parametrize(
    "tags",
    [[], owner_tags(stack_id=OTHER_STACK_ID), owner_tags(logical_id="OtherResource")],
    ids=["untagged", "other-stack", "other-logical-id"],
)
def test_delete_of_a_job_this_resource_did_not_create_leaves_it(make_lifecycle: Any, tags: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS")])
    life.sagemaker.create_compilation_job(**_api(job_properties()), Tags=tags)
    life.sagemaker.calls.clear()
    answer = life.invoke(life.event("Delete", job_properties(), physical_id=NAME))
    assert answer.status == "SUCCESS"
    assert _mutations(life) == []
    assert NAME in life.sagemaker.jobs


def test_delete_completed_job_deletes_it_without_a_fixed_sleep(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.create_compilation_job(**_owned(job_properties()))
    start = life.clock.now()
    answer = life.invoke(life.event("Delete", job_properties(), physical_id=NAME))
    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("stop_compilation_job") == []
    assert life.sagemaker.called("delete_compilation_job") == [{"CompilationJobName": NAME}]
    # Changed: one describe interval to see the job gone (engine.remove); was 0. Still no crhelper sleep_on_delete.
    assert life.clock.now() - start <= 5.5
    assert all(s <= 5.5 for s in life.clock.sleeps)


def test_delete_with_a_made_up_physical_id_looks_up_the_name_and_changes_nothing(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    crhelper_id = "0c2b4f40-0000-11ef-0000-0a0b0c0d0e0f_Resource_ABCD1234"
    answer = life.invoke(life.event("Delete", job_properties(), physical_id=crhelper_id))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == crhelper_id
    # Changed: the Delete finds the job by the name in the properties (was: no call at all); nothing there.
    assert life.sagemaker.calls == [("describe_compilation_job", {"CompilationJobName": NAME})]


def test_delete_with_a_made_up_physical_id_removes_the_job_this_resource_created(make_lifecycle: Any) -> None:
    """After a cancelled Create, CloudFormation sends a Delete with an id it made up."""
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS")])
    life.sagemaker.create_compilation_job(**_owned(job_properties()))
    answer = life.invoke(life.event("Delete", job_properties(), physical_id="TestStack-Resource-1A2B3C4D5E6F"))
    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("stop_compilation_job") == [{"CompilationJobName": NAME}]
    assert NAME not in life.sagemaker.jobs


def test_delete_of_job_already_gone_succeeds(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    answer = life.invoke(life.event("Delete", job_properties(), physical_id=NAME))
    assert answer.status == "SUCCESS"
    assert [op for op, _ in life.sagemaker.calls] == ["describe_compilation_job"]


def test_update_to_new_name_creates_a_new_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    old = job_properties()
    life.sagemaker.create_compilation_job(**_owned(old))
    new_name = "teststack--compile-abcdef0123"
    new = job_properties(new_name, InputConfig={**old["InputConfig"], "S3Uri": "s3://models/v2.tar.gz"})
    answer = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == new_name
    assert set(life.sagemaker.jobs) == {NAME, new_name}  # CloudFormation deletes the old one next


def test_update_of_tags_only_is_in_place(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    old = job_properties(Tags=[{"Key": "team", "Value": "ml"}, {"Key": "gone", "Value": "x"}])
    life.sagemaker.create_compilation_job(**_owned(old))
    new = job_properties(Tags=[{"Key": "team", "Value": "vision"}])
    answer = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert life.sagemaker.jobs[NAME].tags == {"team": "vision", **owner_tag_dict()}  # changed: ownership tags stay
    assert life.sagemaker.called("create_compilation_job")[1:] == []


def test_update_of_explicit_name_with_changed_properties_fails_clearly(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    name = "my-fixed-job"
    old = job_properties(name, Options={"ExplicitName": "true"})
    life.sagemaker.create_compilation_job(**_owned(old))
    new = job_properties(name, Options={"ExplicitName": "true"}, StoppingCondition={"MaxRuntimeInSeconds": 600})
    answer = life.invoke(life.event("Update", new, physical_id=name, old_properties=old))
    assert answer.status == "FAILED"
    assert answer.physical_id == name
    assert "cannot be replaced under the same name" in answer.reason


def test_create_finding_its_own_completed_job_with_same_config_adopts_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.create_compilation_job(**_owned(job_properties()))  # changed: only a tagged job is adopted
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "SUCCESS"
    assert answer.physical_id == NAME
    assert len(life.sagemaker.called("create_compilation_job")) == 1  # only the one made above


def test_create_finding_an_untagged_job_with_same_config_fails_and_leaves_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.create_compilation_job(**_api(job_properties()))
    life.sagemaker.calls.clear()
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert "this resource did not create it" in answer.reason
    assert _mutations(life) == []


def test_create_finding_a_failed_job_of_same_name_deletes_and_recreates(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "FAILED")])
    life.sagemaker.create_compilation_job(**_owned(job_properties()))
    life.sagemaker.job_scripts[NAME] = Script([(0, "COMPLETED")])
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("delete_compilation_job") == [{"CompilationJobName": NAME}]
    assert len(life.sagemaker.called("create_compilation_job")) == 2


def test_create_finding_its_own_job_with_a_different_config_fails_and_leaves_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    other_role = "arn:aws:iam::123456789012:role/other"
    life.sagemaker.create_compilation_job(**_owned(job_properties(RoleArn=other_role)))
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert "RoleArn" in answer.reason
    assert life.sagemaker.called("delete_compilation_job") == []
    assert life.sagemaker.jobs[NAME].request["RoleArn"] == other_role


def test_create_finding_someone_elses_job_of_same_name_fails_and_the_rollback_leaves_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    other = _api(job_properties(RoleArn="arn:aws:iam::123456789012:role/other"))
    life.sagemaker.create_compilation_job(**other, Tags=owner_tags(stack_id=OTHER_STACK_ID))
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert "did not create it (it belongs to another stack)" in answer.reason
    # Changed: the physical id is the name (was: a generated one); ownership now keeps the rollback off the job.
    assert answer.physical_id == NAME
    rollback = life.invoke(life.event("Delete", job_properties(), physical_id=answer.physical_id))
    assert rollback.status == "SUCCESS"
    assert _mutations(life) == ["create_compilation_job"]  # only the one made above
    assert NAME in life.sagemaker.jobs


def test_staged_asset_is_copied_to_a_tar_gz_key_before_create(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    props = job_properties(
        InputConfig={
            "S3Uri": "s3://out/compiled/model-inputs/abc.tar.gz",
            "Framework": "PYTORCH",
            "DataInputConfig": '{"input0":[1,3,224,224]}',
        },
        Options={"StageModelFrom": "s3://cdk-assets-123456789012-us-east-1/abc.gz"},
    )
    answer = life.invoke(life.event("Create", props))
    assert answer.status == "SUCCESS"
    (copy_call,) = life.s3.copies
    assert copy_call["source"] == {"Bucket": "cdk-assets-123456789012-us-east-1", "Key": "abc.gz"}
    assert copy_call["key"].endswith(".tar.gz")
    (request,) = life.sagemaker.called("create_compilation_job")
    assert request["InputConfig"]["S3Uri"] == "s3://out/compiled/model-inputs/abc.tar.gz"


def test_validation_exception_reaches_the_stack_event_and_leaves_nothing(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.fail(
        "create_compilation_job",
        client_error("ValidationException", "Could not assume role arn:aws:iam::123456789012:role/neo-job-role"),
    )
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "FAILED"
    assert "ValidationException: Could not assume role" in answer.reason
    assert life.sagemaker.jobs == {}


@pytest.mark.parametrize("status", ["STARTING", "INPROGRESS"])
def test_create_retried_while_job_runs_adopts_without_second_create(make_lifecycle: Any, status: str) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, status), (50, "COMPLETED")])
    life.sagemaker.create_compilation_job(**_owned(job_properties()))
    answer = life.invoke(life.event("Create", job_properties()))
    assert answer.status == "SUCCESS"
    assert len(life.sagemaker.called("create_compilation_job")) == 1
