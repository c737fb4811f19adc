"""Model sources resolved at deploy time: a training job, or the best of a Search."""

from __future__ import annotations

import json
from typing import Any

import _wire
import aws_calls
from cfn_resource import Failure

TRAINING_JOB = "TrainingJob"
BEST_TRAINING_JOB = "BestTrainingJob"


def _artifacts_of(session: Any, training_job_name: str) -> str:
    described = aws_calls.call_with_retry(
        lambda: session.sagemaker.describe_training_job(TrainingJobName=training_job_name),
        what=f"DescribeTrainingJob {training_job_name}",
        deadline=session.deadline,
    )
    uri = str((described.get("ModelArtifacts") or {}).get("S3ModelArtifacts", ""))
    if not uri:
        raise Failure(f"training job {training_job_name} has no ModelArtifacts.S3ModelArtifacts (status {described.get('TrainingJobStatus')})")
    return uri


def _best_training_job(session: Any, source: dict[str, Any]) -> str:
    request: dict[str, Any] = {
        "Resource": "TrainingJob",
        "SearchExpression": source["SearchExpression"],
        "MaxResults": 1,
    }
    if source.get("SortBy"):
        request["SortBy"] = source["SortBy"]
    if source.get("SortOrder"):
        request["SortOrder"] = source["SortOrder"]
    response = aws_calls.call_with_retry(
        lambda: session.sagemaker.search(**request), what="Search TrainingJob", deadline=session.deadline
    )
    results = response.get("Results") or []
    if not results:
        filters = json.dumps(source["SearchExpression"].get("Filters", []), separators=(",", ":"))
        raise Failure(f"no training job matched the filters {filters}")
    return str(results[0]["TrainingJob"]["TrainingJobName"])


def resolve(session: Any, desired: Any) -> dict[str, str]:
    """Set ``InputConfig.S3Uri`` from the source; return the source attributes."""
    source: dict[str, Any] = desired.model_source
    kind = source.get("Type")
    if kind == TRAINING_JOB:
        name = str(source["TrainingJobName"])
    elif kind == BEST_TRAINING_JOB:
        name = _best_training_job(session, source)
    else:
        raise Failure(f"unknown model source type {kind!r}")
    uri = _artifacts_of(session, name)
    desired.request[_wire.INPUT_CONFIG]["S3Uri"] = uri
    return {_wire.ATTR_SOURCE_TRAINING_JOB_NAME: name, _wire.ATTR_SOURCE_MODEL_S3_URI: uri}
