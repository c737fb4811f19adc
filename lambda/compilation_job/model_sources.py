"""Model sources resolved at deploy time: a training job, or the best of a Search.

The construct renders the source as ``Options.ModelSource`` (a JSON string)
and leaves ``InputConfig.S3Uri`` out; :func:`resolve` finds the training job,
reads its ``ModelArtifacts.S3ModelArtifacts`` and fills ``InputConfig.S3Uri``
in before the handler compares with, or creates, the compilation job.
"""

from __future__ import annotations

import logging
from typing import Any

import _wire
import aws_calls
import cfn_resource
from cfn_resource import Failure

logger = logging.getLogger(__name__)

TRAINING_JOB = "TrainingJob"
BEST_TRAINING_JOB = "BestTrainingJob"
# On a tags-only update, the job the Search chose is looked for among this many results.
RECALL_RESULTS = 100
# Filters named in a FAILED reason: each value cut to this, the list to what fits.
REASON_VALUE_CHARS = 40
REASON_NAME_CHARS = 60
NOT_FINISHED = frozenset({"InProgress", "Stopping"})


# --- failure reasons --------------------------------------------------------
def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_filters(filters: list[dict[str, Any]], limit: int) -> str:
    """``Name Operator Value AND ...`` in at most ``limit`` characters: long
    names and values are cut, and filters that do not fit are counted."""
    parts = [
        " ".join(
            [_shorten(str(f.get("Name", "")), REASON_NAME_CHARS), str(f.get("Operator", "Equals"))]
            + ([_shorten(str(f["Value"]), REASON_VALUE_CHARS)] if "Value" in f else [])
        )
        for f in filters
    ]
    for shown in range(len(parts), 0, -1):
        rest = len(parts) - shown
        text = " AND ".join(parts[:shown]) + (f" AND {rest} more filter{'s' if rest > 1 else ''}" if rest else "")
        if len(text) <= limit:
            return text
    return _shorten(f"{len(parts)} filters", limit)


def _no_match(source: dict[str, Any]) -> Failure:
    lead = "Search found no TrainingJob for the model source; filters: "
    sort = ""
    if source.get("SortBy"):
        sort = f" (sorted by {_shorten(str(source['SortBy']), REASON_NAME_CHARS)})"
    filters = list((source.get("SearchExpression") or {}).get("Filters") or [])
    room = cfn_resource.MAX_REASON - len(lead) - len(sort)
    return Failure(lead + describe_filters(filters, room) + sort)


def _no_artifacts(name: str, described: dict[str, Any]) -> Failure:
    status = str(described.get("TrainingJobStatus", "") or "unknown")
    if status in NOT_FINISHED:
        detail = "it has not finished; deploy again when it is Completed"
    else:
        detail = str(described.get("FailureReason") or "it wrote no model artifacts")
    return Failure(
        cfn_resource.compose_reason(
            "The model source has no ModelArtifacts.S3ModelArtifacts to compile.",
            f"Training job {name} status {status}",
            detail,
        )
    )


def _rejected(what: str, error: Exception) -> Failure:
    return Failure(
        f"SageMaker rejected {what} for the model source: "
        f"{aws_calls.error_code(error) or type(error).__name__}: {aws_calls.error_message(error)}"
    )


# --- calls ---------------------------------------------------------------------
def _artifacts_of(session: Any, training_job_name: str) -> str:
    try:
        described = aws_calls.call_with_retry(
            lambda: session.sagemaker.describe_training_job(TrainingJobName=training_job_name),
            what=f"DescribeTrainingJob {training_job_name}",
            deadline=session.retry_until,
        )
    except Failure:
        raise
    except Exception as error:
        if aws_calls.is_not_found(error):
            raise Failure(f"The model source's training job does not exist: {training_job_name}") from error
        raise _rejected(f"DescribeTrainingJob {training_job_name}", error) from error
    uri = str((described.get("ModelArtifacts") or {}).get("S3ModelArtifacts") or "")
    if not uri:
        raise _no_artifacts(training_job_name, described)
    return uri


def search_request(source: dict[str, Any], max_results: int = 1) -> dict[str, Any]:
    """The Search request for a BestTrainingJob source: the expression exactly
    as rendered (``In`` values already comma-separated), and the sort if given."""
    request: dict[str, Any] = {
        "Resource": "TrainingJob",
        "SearchExpression": source["SearchExpression"],
        "MaxResults": max_results,
    }
    if source.get("SortBy"):
        request["SortBy"] = source["SortBy"]
    if source.get("SortOrder"):
        request["SortOrder"] = source["SortOrder"]
    return request


def _search(session: Any, source: dict[str, Any], max_results: int) -> list[dict[str, Any]]:
    request = search_request(source, max_results)
    try:
        response = aws_calls.call_with_retry(
            lambda: session.sagemaker.search(**request), what="Search TrainingJob", deadline=session.retry_until
        )
    except Failure:
        raise
    except Exception as error:
        raise _rejected("Search", error) from error
    return [r["TrainingJob"] for r in response.get("Results") or [] if r.get("TrainingJob")]


def _best_training_job(session: Any, source: dict[str, Any]) -> str:
    results = _search(session, source, 1)
    if not results:
        raise _no_match(source)
    return str(results[0]["TrainingJobName"])


def _recall_best(session: Any, source: dict[str, Any], uri: str) -> str:
    """The name of the job, among the Search's results, whose artifacts are
    ``uri`` (a better one may have appeared since). Empty when it is gone."""
    for job in _search(session, source, RECALL_RESULTS):
        if (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts") == uri:
            return str(job["TrainingJobName"])
    logger.warning("no training job among the Search results has the artifacts %s", uri)
    return ""


def _attributes(name: str, uri: str) -> dict[str, str]:
    return {_wire.ATTR_SOURCE_TRAINING_JOB_NAME: name, _wire.ATTR_SOURCE_MODEL_S3_URI: uri}


def resolve(session: Any, desired: Any, existing: dict[str, Any] | None = None) -> dict[str, str]:
    """Choose the training job, set ``InputConfig.S3Uri`` to its artifacts and
    return the source attributes.

    With ``existing`` (the compilation job already made from this source, on
    a tags-only update) nothing is chosen again: the artifacts are the ones
    that job compiled, and the attributes name the training job they came from.
    """
    source: dict[str, Any] = desired.model_source
    kind = source.get("Type")
    if kind not in (TRAINING_JOB, BEST_TRAINING_JOB):
        raise Failure(f"unknown model source type {kind!r} in {_wire.OPTIONS}.{_wire.OPT_MODEL_SOURCE}")
    if existing is not None:
        uri = str((existing.get(_wire.INPUT_CONFIG) or {}).get("S3Uri") or "")
        name = str(source["TrainingJobName"]) if kind == TRAINING_JOB else _recall_best(session, source, uri)
        return _attributes(name, uri)
    name = str(source["TrainingJobName"]) if kind == TRAINING_JOB else _best_training_job(session, source)
    uri = _artifacts_of(session, name)
    desired.request.setdefault(_wire.INPUT_CONFIG, {})["S3Uri"] = uri
    logger.info("model source: training job %s, artifacts %s", name, uri)
    return _attributes(name, uri)
