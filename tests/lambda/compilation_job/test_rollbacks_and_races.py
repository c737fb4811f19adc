"""Races and rollbacks found in review: each of these failed before its fix.

Deletes racing a job's own completion or another invocation, network errors
after a job started, a STOPPING job of the same name, and update rollbacks of
jobs with deploy-time model sources and of flow definitions.

Every resource made beforehand here is one this resource made, so it carries
the ownership tags (``owned``): only such a resource is adopted, stopped or
deleted (changed: they were untagged before ownership)."""

from __future__ import annotations

import copy
from typing import Any

from botocore.exceptions import ReadTimeoutError

from sagemaker_constructs import _wire
from tests.harness import as_made_by_handler
from tests.harness.fake_sagemaker import FakeSageMaker, Script, client_error
from tests.harness.properties import JOB_NAME, api_request
from tests.harness.properties import compilation_job_properties as props

NAME = JOB_NAME
NEW_NAME = "teststack--compile-abcdef0123"
TRAINING = "resnet-train-2024-06-01"
ARTIFACTS = f"s3://training-out/{TRAINING}/output/model.tar.gz"


def api(p: dict[str, Any], s3_uri: str | None = None) -> dict[str, Any]:
    """The Create* request the handler sent for ``p``: ownership tags included."""
    return as_made_by_handler(api_request(p, s3_uri))


def src_props(source: dict[str, Any], name: str = NAME, **overrides: Any) -> dict[str, Any]:
    p = props(name, **overrides)
    p["InputConfig"] = {"Framework": "PYTORCH", "DataInputConfig": '{"input0":[1,3,224,224]}'}
    p["Options"] = {**p.get("Options", {}), "ModelSource": _wire.encode_model_source(source)}
    return p


def tjob(name: str) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "TrainingJobStatus": "Completed",
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://training-out/{name}/output/model.tar.gz"},
    }


# F1a: rollback of a failed same-name update of a model-source job (explicit name) fails
def test_rollback_of_explicit_name_model_source_job_is_adopted(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.training_jobs[TRAINING] = tjob(TRAINING)
    old = src_props({"Type": "TrainingJob", "TrainingJobName": TRAINING}, Options={"ExplicitName": "true"})
    life.sagemaker.create_compilation_job(**api(old, ARTIFACTS))
    new = src_props(
        {"Type": "TrainingJob", "TrainingJobName": TRAINING},
        Options={"ExplicitName": "true"},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    update = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))
    assert update.status == "FAILED"  # by design: cannot change under the same name
    # CloudFormation rolls back: old properties again, the failed ones as OldResourceProperties
    rollback = life.invoke(life.event("Update", old, physical_id=NAME, old_properties=new))
    assert rollback.status == "SUCCESS", rollback.reason  # actual: FAILED -> UPDATE_ROLLBACK_FAILED


# F1b: rollback (generated name, new failed job recorded) of a BestTrainingJob job after a better job appeared
def test_rollback_of_best_training_job_source_adopts_old_job_after_a_better_one_appeared(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    best = {
        "Type": "BestTrainingJob",
        "SearchExpression": {"Filters": [{"Name": "TrainingJobStatus", "Operator": "Equals", "Value": "Completed"}]},
        "SortBy": "Metrics.validation:accuracy",
        "SortOrder": "Descending",
    }
    old = src_props(best)
    life.sagemaker.create_compilation_job(**api(old, "s3://training-out/b/output/model.tar.gz"))
    life.sagemaker.search_results = [tjob("c"), tjob("b")]  # "c" appeared since
    life.sagemaker.training_jobs.update({"b": tjob("b"), "c": tjob("c")})
    new = src_props(best, name=NEW_NAME, StoppingCondition={"MaxRuntimeInSeconds": 600})
    rollback = life.invoke(life.event("Update", old, physical_id=NEW_NAME, old_properties=new))
    assert rollback.status == "SUCCESS", rollback.reason  # actual: FAILED (different configuration)


# F2a: Delete races a job that completes between describe and StopCompilationJob
def test_delete_when_stop_races_completion_still_succeeds(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (1, "COMPLETED")])
    life.sagemaker.create_compilation_job(**api(props()))
    life.sagemaker.fail(
        "stop_compilation_job",
        client_error("ValidationException", "The job is in COMPLETED status; it cannot be stopped"),
    )
    answer = life.invoke(life.event("Delete", props(), physical_id=NAME))
    assert answer.status == "SUCCESS", answer.reason
    assert life.sagemaker.called("delete_compilation_job") == [{"CompilationJobName": NAME}]


# F2b: a duplicate Delete (at-least-once delivery / overlapping pollers) deleted the job first
def test_delete_when_a_concurrent_invocation_deleted_first_succeeds(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.create_compilation_job(**api(props()))
    life.sagemaker.fail("delete_compilation_job", client_error("ResourceNotFound", "Could not find job"))
    answer = life.invoke(life.event("Delete", props(), physical_id=NAME))
    assert answer.status == "SUCCESS", answer.reason  # actual: FAILED -> DELETE_FAILED
    assert NAME not in life.sagemaker.jobs


# F3: a transient network error after the job started answers FAILED with a made-up id: job leaked
class FlakyDescribe(FakeSageMaker):
    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def describe_compilation_job(self, **params: Any) -> dict[str, Any]:
        self.n += 1
        if self.n == 2:  # first describe after CreateCompilationJob
            raise ReadTimeoutError(endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com/")
        return super().describe_compilation_job(**params)


def test_transient_network_error_after_start_keeps_the_job_name_as_physical_id(make_lifecycle: Any) -> None:
    life = make_lifecycle(sagemaker=FlakyDescribe())
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS"), (600, "COMPLETED")])
    answer = life.invoke(life.event("Create", props()))
    assert answer.physical_id == NAME
    rollback = life.invoke(life.event("Delete", props(), physical_id=answer.physical_id))
    assert rollback.status == "SUCCESS"
    assert NAME not in life.sagemaker.jobs, (
        answer.status,
        answer.physical_id,
        answer.reason,
    )  # actual: job left running


# F4: create waiting on a STOPPING job ignores the Lambda's own time
def test_create_finding_a_stopping_job_hands_back_before_the_lambda_times_out(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.STOP_SECONDS = 600.0
    life.sagemaker.job_scripts[NAME] = Script([(0, "INPROGRESS")])
    life.sagemaker.create_compilation_job(**api(props()))
    life.sagemaker.stop_compilation_job(CompilationJobName=NAME)
    start = life.clock.now()
    answer = life.invoke(life.event("Create", props()))
    assert life.clock.now() - start < 120.0, f"handler ran {life.clock.now() - start:.0f} s in a 120 s Lambda"
    assert not life.world.invocations[-1].timed_out
    assert answer.status == "FAILED" and "STOPPING" in answer.reason
    assert len(life.sagemaker.called("create_compilation_job")) == 1  # only the one made above


# F1c: generated name, CloudFormation kept the old physical id after the failed update
def test_rollback_under_old_physical_id_of_training_job_source_is_adopted(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.training_jobs[TRAINING] = tjob(TRAINING)
    life.sagemaker.training_jobs["retrained"] = tjob("retrained")
    old = src_props({"Type": "TrainingJob", "TrainingJobName": TRAINING})
    life.sagemaker.create_compilation_job(**api(old, ARTIFACTS))
    new = src_props({"Type": "TrainingJob", "TrainingJobName": "retrained"}, name=NEW_NAME)
    rollback = life.invoke(life.event("Update", old, physical_id=NAME, old_properties=new))
    assert rollback.status == "SUCCESS", rollback.reason


# F6: FlowDefinition rollback after a failed same-name update that removed an optional field
FLOW = "teststack--formreview-0123456789"


def flow_props(**overrides: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "FlowDefinitionName": FLOW,
        "HumanLoopRequestSource": {"AwsManagedHumanLoopRequestSource": "AWS/Textract/AnalyzeDocument/Forms/V1"},
        "HumanLoopActivationConfig": {
            "HumanLoopActivationConditionsConfig": {
                "HumanLoopActivationConditions": '{"Conditions":[{"ConditionType":"Sampling","ConditionParameters":{"RandomSamplingPercentage":5}}]}'
            }
        },
        "HumanLoopConfig": {
            "WorkteamArn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers",
            "HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/forms-ui",
            "TaskTitle": "Review",
            "TaskDescription": "Check",
            "TaskCount": 1,
            "TaskTimeLimitInSeconds": 1800,
        },
        "OutputConfig": {"S3OutputPath": "s3://out/reviews/"},
        "RoleArn": "arn:aws:iam::123456789012:role/a2i-flow-role",
        "Options": {"ExplicitName": "true"},
        "ServiceTimeout": 600,
    }
    p.update(overrides)
    return p


def test_flow_rollback_after_removing_an_optional_field_is_adopted(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    old = flow_props()
    req = copy.deepcopy(old)
    req.pop("ServiceTimeout")
    req.pop("Options")
    life.sagemaker.create_flow_definition(**as_made_by_handler(req))
    life.clock.advance(10)
    loop = dict(old["HumanLoopConfig"])
    loop.pop("TaskTimeLimitInSeconds")
    new = flow_props(HumanLoopConfig=loop)
    update = life.invoke(life.event("Update", new, physical_id=FLOW, old_properties=old))
    assert update.status == "FAILED"  # by design
    rollback = life.invoke(life.event("Update", old, physical_id=FLOW, old_properties=new))
    assert rollback.status == "SUCCESS", rollback.reason
