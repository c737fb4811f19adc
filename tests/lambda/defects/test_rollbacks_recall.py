"""Issue 15 defect 5: a rollback must not depend on what the world looks like now.
An explicit-name job whose model is the best training job a Search finds is rolled
back after a failed change of its source: the rollback knows (from the stack's
rollback status) that the job there was made from the version it returns to, and
recalls its training job from the artifacts it compiled, without searching again.
A better training job that appeared since changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from sagemaker_constructs.model_source import SearchFilter

from ..compilation_job.test_training_sources import NAME, best_source, job_properties, training_job

# It renders the construct (aws_cdk): left out of the Python 3.14 run (make test-py314), which has no aws_cdk.
pytestmark = pytest.mark.needs_cdk

FIRST = SearchFilter("TrainingJobName", "In", ["a", "b"])
SECOND = SearchFilter("TrainingJobName", "In", ["b", "c"])


def _explicit(source: dict[str, Any]) -> dict[str, Any]:
    props = job_properties(source)
    props["Options"]["ExplicitName"] = "true"
    return props


def test_the_rollback_of_a_changed_search_source_does_not_search_again(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    for name in ("a", "b", "c"):
        life.sagemaker.training_jobs[name] = training_job(name)
    first, second = _explicit(best_source(FIRST)), _explicit(best_source(SECOND))
    life.sagemaker.search_results = [training_job("a")]
    created = life.run_until_answered(life.event("Create", first))
    assert created.status == "SUCCESS", created.reason

    life.sagemaker.search_results = [training_job("b")]
    life.cloudformation.stack_status = "UPDATE_IN_PROGRESS"
    failed = life.run_until_answered(life.event("Update", second, physical_id=NAME, old_properties=first))
    assert failed.status == "FAILED" and "cannot change in place" in failed.reason

    life.sagemaker.search_results = [training_job("c")]  # a better training job appeared since
    life.cloudformation.stack_status = "UPDATE_ROLLBACK_IN_PROGRESS"
    searches = len(life.sagemaker.called("search"))
    rollback = life.run_until_answered(life.event("Update", first, physical_id=NAME, old_properties=second))

    assert (rollback.status, rollback.physical_id) == ("SUCCESS", NAME), rollback.reason
    assert rollback.data["SourceTrainingJobName"] == "a"
    assert rollback.data["SourceModelS3Uri"] == created.data["SourceModelS3Uri"]
    assert len(life.sagemaker.called("search")) == searches, "the rollback searched again"
