"""Lifecycle of a CompilationJob whose model comes from a training job, or from
the best training job a Search finds: the bundled handler, real crhelper, the
strict fake SageMaker (which checks every request against the botocore model)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from sagemaker_constructs import _wire
from sagemaker_constructs.model_source import SearchFilter
from tests.harness import as_made_by_handler, assert_hand_overs_invoke_only_this_function, owner_tag_dict
from tests.harness.fake_sagemaker import Script, client_error

# SearchFilter renders the filters as the construct does, and its module imports aws_cdk:
# left out of the Python 3.14 run (make test-py314), which has no aws_cdk.
pytestmark = pytest.mark.needs_cdk

NAME = "teststack--compile-0123456789"
ROLE = "arn:aws:iam::123456789012:role/neo-job-role"
TRAINING = "resnet-train-2024-06-01"
ARTIFACTS = f"s3://training-out/{TRAINING}/output/model.tar.gz"
IN_FILTER = SearchFilter("TrainingJobName", "In", ["a", "b", "c"])
STATUS_FILTER = SearchFilter("TrainingJobStatus", "Equals", "Completed")
SORT_BY = "Metrics.validation:accuracy"


def training_job(name: str, status: str = "Completed", artifacts: bool = True, **extra: Any) -> dict[str, Any]:
    job: dict[str, Any] = {"TrainingJobName": name, "TrainingJobStatus": status, **extra}
    if artifacts:
        job["ModelArtifacts"] = {"S3ModelArtifacts": f"s3://training-out/{name}/output/model.tar.gz"}
    return job


def training_source(name: str = TRAINING) -> dict[str, Any]:
    return {"Type": "TrainingJob", "TrainingJobName": name}


def best_source(
    *filters: SearchFilter, sort_by: str | None = SORT_BY, sort_order: str | None = "Descending"
) -> dict[str, Any]:
    """Rendered as the construct renders it (SearchFilter.to_api joins In values)."""
    source: dict[str, Any] = {
        "Type": "BestTrainingJob",
        "SearchExpression": {"Filters": [f.to_api() for f in filters or (IN_FILTER, STATUS_FILTER)]},
    }
    if sort_by:
        source["SortBy"] = sort_by
    if sort_order:
        source["SortOrder"] = sort_order
    return source


def job_properties(source: dict[str, Any], name: str = NAME, **overrides: Any) -> dict[str, Any]:
    """Properties as the construct renders them for a training source: no InputConfig.S3Uri."""
    props: dict[str, Any] = {
        "CompilationJobName": name,
        "RoleArn": ROLE,
        "InputConfig": {"Framework": "PYTORCH", "DataInputConfig": '{"input0":[1,3,224,224]}'},
        "OutputConfig": {"S3OutputLocation": f"s3://out/compiled/{name}/", "TargetDevice": "ml_c5"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
        "Options": {"ModelSource": _wire.encode_model_source(source)},
        "ServiceTimeout": 1200,
    }
    props.update(overrides)
    return props


def existing_job_request(props: dict[str, Any], s3_uri: str) -> dict[str, Any]:
    """The CreateCompilationJob request this resource made earlier from these properties
    (changed: with the ownership tags, without which a job is not adopted)."""
    request = copy.deepcopy(props)
    request.pop("ServiceTimeout")
    request.pop("Options")
    request["InputConfig"]["S3Uri"] = s3_uri
    return as_made_by_handler(request)


# --- from_training_job ---------------------------------------------------------------
def test_training_job_source_compiles_its_artifacts_and_answers_them(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.training_jobs[TRAINING] = training_job(TRAINING)

    answer = life.invoke(life.event("Create", job_properties(training_source())))

    assert answer.status == "SUCCESS"
    assert answer.data["CompilationJobStatus"] == "COMPLETED"
    assert answer.data["SourceTrainingJobName"] == TRAINING
    assert answer.data["SourceModelS3Uri"] == ARTIFACTS
    assert life.sagemaker.called("describe_training_job") == [{"TrainingJobName": TRAINING}]
    assert life.sagemaker.called("search") == []
    (request,) = life.sagemaker.called("create_compilation_job")
    assert request["InputConfig"]["S3Uri"] == ARTIFACTS
    assert "Options" not in request and "ServiceTimeout" not in request


def test_training_job_still_in_progress_fails_naming_it_and_its_status(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.training_jobs[TRAINING] = training_job(TRAINING, status="InProgress", artifacts=False)

    answer = life.invoke(life.event("Create", job_properties(training_source())))

    assert answer.status == "FAILED"
    assert f"Training job {TRAINING} status InProgress" in answer.reason
    assert len(answer.reason) <= 256
    assert life.sagemaker.called("create_compilation_job") == []
    # Changed: the physical id is the name (was: a generated one); the rollback Delete finds nothing to remove.
    assert answer.physical_id == NAME
    rollback = life.invoke(life.event("Delete", job_properties(training_source()), physical_id=answer.physical_id))
    assert rollback.status == "SUCCESS"
    assert [op for op, _ in life.sagemaker.calls][-1:] == ["describe_compilation_job"]
    assert life.sagemaker.called("delete_compilation_job") == [] and life.sagemaker.called("stop_compilation_job") == []


def test_failed_training_job_fails_with_its_failure_reason_at_the_end(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    failure = "AlgorithmError: ExecuteUserScriptError: CUDA out of memory " * 8
    life.sagemaker.training_jobs[TRAINING] = training_job(
        TRAINING, status="Failed", artifacts=False, FailureReason=failure
    )

    answer = life.invoke(life.event("Create", job_properties(training_source())))

    assert answer.status == "FAILED"
    assert len(answer.reason) <= 256
    assert f"Training job {TRAINING} status Failed:" in answer.reason
    assert answer.reason.rstrip().endswith("CUDA out of memory")
    assert life.sagemaker.called("create_compilation_job") == []


def test_training_job_that_does_not_exist_fails_naming_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()

    answer = life.invoke(life.event("Create", job_properties(training_source("no-such-job"))))

    assert answer.status == "FAILED"
    assert answer.reason.endswith("does not exist: no-such-job")
    assert life.sagemaker.called("create_compilation_job") == []


def test_job_that_is_handed_over_still_answers_the_source_attributes(make_lifecycle: Any) -> None:
    life = make_lifecycle(lambda_timeout=120.0)
    life.sagemaker.training_jobs[TRAINING] = training_job(TRAINING)
    life.sagemaker.job_scripts[NAME] = Script([(0, "STARTING"), (30, "INPROGRESS"), (400, "COMPLETED")])

    answer = life.run_until_answered(life.event("Create", job_properties(training_source())))

    assert life.continuations() >= 1  # the first invocation handed over (was: it armed a polling rule)
    assert_hand_overs_invoke_only_this_function(life)
    assert answer.status == "SUCCESS"
    assert answer.data["CompilationJobStatus"] == "COMPLETED"
    assert answer.data["SourceTrainingJobName"] == TRAINING
    assert answer.data["SourceModelS3Uri"] == ARTIFACTS
    assert len(life.sagemaker.called("describe_training_job")) == 1  # resolved once, carried in the state


# --- from_best_training_job ------------------------------------------------------------
def test_best_training_job_sends_the_exact_search_and_compiles_the_top_result(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.search_results = [training_job("b"), training_job("a")]
    life.sagemaker.training_jobs["b"] = training_job("b")

    answer = life.invoke(life.event("Create", job_properties(best_source())))

    assert life.sagemaker.called("search") == [
        {
            "Resource": "TrainingJob",
            "SearchExpression": {
                "Filters": [
                    {"Name": "TrainingJobName", "Operator": "In", "Value": "a,b,c"},
                    {"Name": "TrainingJobStatus", "Operator": "Equals", "Value": "Completed"},
                ]
            },
            "SortBy": "Metrics.validation:accuracy",
            "SortOrder": "Descending",
            "MaxResults": 1,
        }
    ]
    assert answer.status == "SUCCESS"
    assert answer.data["SourceTrainingJobName"] == "b"
    assert answer.data["SourceModelS3Uri"] == "s3://training-out/b/output/model.tar.gz"
    assert life.sagemaker.called("describe_training_job") == [{"TrainingJobName": "b"}]
    (request,) = life.sagemaker.called("create_compilation_job")
    assert request["InputConfig"]["S3Uri"] == "s3://training-out/b/output/model.tar.gz"


def test_search_without_sort_sends_no_sort_and_exists_filters_no_value(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.search_results = [training_job("x")]
    life.sagemaker.training_jobs["x"] = training_job("x")
    source = best_source(SearchFilter("Tags.project", "Exists"), sort_by=None, sort_order=None)

    answer = life.invoke(life.event("Create", job_properties(source)))

    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("search") == [
        {
            "Resource": "TrainingJob",
            "SearchExpression": {"Filters": [{"Name": "Tags.project", "Operator": "Exists"}]},
            "MaxResults": 1,
        }
    ]


def test_no_match_fails_naming_the_filters_and_creates_nothing(make_lifecycle: Any) -> None:
    life = make_lifecycle()

    answer = life.invoke(life.event("Create", job_properties(best_source())))

    assert answer.status == "FAILED"
    assert "TrainingJobName In a,b,c AND TrainingJobStatus Equals Completed" in answer.reason
    assert "sorted by Metrics.validation:accuracy" in answer.reason
    assert len(answer.reason) <= 256
    assert life.sagemaker.called("describe_training_job") == []
    assert life.sagemaker.called("create_compilation_job") == []
    assert answer.physical_id == NAME  # changed: the name, once the properties parse (was: a generated id)


def test_no_match_with_long_filters_keeps_the_reason_short_and_readable(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    names = [f"experiment-{i:02d}-" + "x" * 40 for i in range(12)]
    filters = (
        SearchFilter("TrainingJobName", "In", names),
        *[SearchFilter(f"HyperParameters.param_{i}", "Equals", "v" * 200) for i in range(8)],
    )

    answer = life.invoke(life.event("Create", job_properties(best_source(*filters))))

    assert answer.status == "FAILED"
    assert len(answer.reason) <= 256
    assert answer.reason.startswith("Search found no TrainingJob")
    assert "TrainingJobName In experiment-00-" in answer.reason  # the first filter, its value cut
    assert "..." in answer.reason
    assert " more" in answer.reason  # the filters that did not fit are counted
    assert life.sagemaker.called("create_compilation_job") == []


def test_top_result_without_artifacts_fails_naming_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.search_results = [training_job("c", status="Stopped", artifacts=False)]
    life.sagemaker.training_jobs["c"] = training_job("c", status="Stopped", artifacts=False)

    answer = life.invoke(life.event("Create", job_properties(best_source(IN_FILTER))))

    assert answer.status == "FAILED"
    assert "Training job c status Stopped" in answer.reason
    assert life.sagemaker.called("create_compilation_job") == []


def test_search_rejected_by_sagemaker_fails_with_its_message(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.fail("search", client_error("ValidationException", "Unknown property: Metrics.nope"))

    answer = life.invoke(life.event("Create", job_properties(best_source(sort_by="Metrics.nope"))))

    assert answer.status == "FAILED"
    assert answer.reason.endswith("ValidationException: Unknown property: Metrics.nope")
    assert "Search" in answer.reason
    assert life.sagemaker.called("create_compilation_job") == []


def test_throttled_search_is_retried(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.fail("search", client_error("ThrottlingException"), times=2)
    life.sagemaker.search_results = [training_job("a")]
    life.sagemaker.training_jobs["a"] = training_job("a")

    answer = life.invoke(life.event("Create", job_properties(best_source())))

    assert answer.status == "SUCCESS"
    assert len(life.sagemaker.called("search")) == 3


# --- adoption and update -----------------------------------------------------------------
def test_create_adopts_an_existing_job_made_from_the_same_artifacts(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.training_jobs[TRAINING] = training_job(TRAINING)
    props = job_properties(training_source())
    life.sagemaker.create_compilation_job(**existing_job_request(props, ARTIFACTS))

    answer = life.invoke(life.event("Create", props))

    assert answer.status == "SUCCESS"
    assert answer.data["SourceModelS3Uri"] == ARTIFACTS
    assert len(life.sagemaker.called("create_compilation_job")) == 1  # only the one made above


def test_create_finding_a_job_made_from_other_artifacts_fails_and_leaves_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.training_jobs[TRAINING] = training_job(TRAINING)
    props = job_properties(training_source())
    life.sagemaker.create_compilation_job(**existing_job_request(props, "s3://training-out/old/model.tar.gz"))

    answer = life.invoke(life.event("Create", props))

    assert answer.status == "FAILED"
    assert "InputConfig.S3Uri" in answer.reason
    assert life.sagemaker.called("delete_compilation_job") == []


def test_update_of_tags_only_keeps_the_training_job_attributes(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    old = job_properties(training_source(), Tags=[{"Key": "team", "Value": "ml"}])
    life.sagemaker.create_compilation_job(**existing_job_request(old, ARTIFACTS))
    new = job_properties(training_source(), Tags=[{"Key": "team", "Value": "vision"}])

    answer = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))

    assert answer.status == "SUCCESS"
    assert life.sagemaker.jobs[NAME].tags == {"team": "vision", **owner_tag_dict()}  # changed: ownership tags stay
    assert answer.data["SourceTrainingJobName"] == TRAINING
    assert answer.data["SourceModelS3Uri"] == ARTIFACTS
    assert len(life.sagemaker.called("create_compilation_job")) == 1
    assert life.sagemaker.called("describe_training_job") == []  # nothing chosen again


def test_update_of_tags_only_names_the_job_the_search_chose_even_if_a_better_one_appeared(
    make_lifecycle: Any,
) -> None:
    life = make_lifecycle()
    chosen = "s3://training-out/b/output/model.tar.gz"
    old = job_properties(best_source(), Tags=[{"Key": "team", "Value": "ml"}])
    life.sagemaker.create_compilation_job(**existing_job_request(old, chosen))
    life.sagemaker.search_results = [training_job("c"), training_job("b"), training_job("a")]
    new = job_properties(best_source(), Tags=[{"Key": "team", "Value": "vision"}])

    answer = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))

    assert answer.status == "SUCCESS"
    assert answer.data["SourceTrainingJobName"] == "b"
    assert answer.data["SourceModelS3Uri"] == chosen
    (search,) = life.sagemaker.called("search")
    assert search["SearchExpression"] == best_source()["SearchExpression"]
    assert search["MaxResults"] == 100
    assert len(life.sagemaker.called("create_compilation_job")) == 1


def test_update_to_another_source_under_a_new_name_resolves_it(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    old = job_properties(training_source())
    life.sagemaker.create_compilation_job(**existing_job_request(old, ARTIFACTS))
    life.sagemaker.training_jobs["retrained"] = training_job("retrained")
    new_name = "teststack--compile-abcdef0123"
    new = job_properties(training_source("retrained"), name=new_name)

    answer = life.invoke(life.event("Update", new, physical_id=NAME, old_properties=old))

    assert answer.status == "SUCCESS"
    assert answer.physical_id == new_name
    assert answer.data["SourceTrainingJobName"] == "retrained"
    assert life.sagemaker.jobs[new_name].request["InputConfig"]["S3Uri"] == (
        "s3://training-out/retrained/output/model.tar.gz"
    )


def test_model_source_travels_as_one_json_string() -> None:
    encoded = _wire.encode_model_source(best_source())
    assert isinstance(encoded, str)
    assert json.loads(encoded) == best_source()
