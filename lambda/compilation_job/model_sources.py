"""Model sources resolved at deploy time: a training job, or the best of a Search.

The construct renders the source as ``Options.ModelSource`` (a JSON string,
schema in ``_wire.MODEL_SOURCE_*``) and leaves ``InputConfig.S3Uri`` out;
:func:`resolve` finds the training job, reads its
``ModelArtifacts.S3ModelArtifacts`` and fills ``InputConfig.S3Uri`` in before
the engine compares with, or creates, the compilation job.
"""

from __future__ import annotations

import logging
from typing import Any

import _wire
import aws_calls
import engine
from engine import Failure

logger = logging.getLogger(__name__)

TRAINING_JOB = _wire.MODEL_SOURCE_TRAINING_JOB
BEST_TRAINING_JOB = _wire.MODEL_SOURCE_BEST_TRAINING_JOB
# On a tags-only update, the job the Search chose is looked for among this many results.
RECALL_RESULTS = 100
# Filters named in a FAILED reason: each value cut to this, the list to what fits.
REASON_VALUE_CHARS = 40
REASON_NAME_CHARS = 60
NOT_FINISHED = frozenset({"InProgress", "Stopping"})


def problems(source: Any) -> list[str]:
    """What is wrong with a decoded model source (empty: nothing)."""
    where = f"{_wire.OPTIONS}.{_wire.OPT_MODEL_SOURCE}"
    if not isinstance(source, dict):
        return [f"{where} must be a JSON object (got {source!r:.60})"]
    kind = source.get(_wire.MODEL_SOURCE_TYPE)
    if kind == TRAINING_JOB:
        name = source.get(_wire.MODEL_SOURCE_TRAINING_JOB_NAME)
        if not isinstance(name, str) or not _wire.TRAINING_JOB_NAME_RULE.pattern.match(name):
            return [f"{where}.{_wire.MODEL_SOURCE_TRAINING_JOB_NAME} must be a training job name (got {name!r:.60})"]
        return []
    if kind == BEST_TRAINING_JOB:
        expression = source.get(_wire.MODEL_SOURCE_SEARCH_EXPRESSION)
        if not isinstance(expression, dict):
            return [f"{where}.{_wire.MODEL_SOURCE_SEARCH_EXPRESSION} must be an object (got {expression!r:.60})"]
        return []
    return [f"{where}.{_wire.MODEL_SOURCE_TYPE} must be {TRAINING_JOB} or {BEST_TRAINING_JOB} (got {kind!r:.60})"]


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
    if source.get(_wire.MODEL_SOURCE_SORT_BY):
        sort = f" (sorted by {_shorten(str(source[_wire.MODEL_SOURCE_SORT_BY]), REASON_NAME_CHARS)})"
    filters = list((source.get(_wire.MODEL_SOURCE_SEARCH_EXPRESSION) or {}).get("Filters") or [])
    room = engine.MAX_REASON - len(lead) - len(sort)
    return Failure(lead + describe_filters(filters, room) + sort)


def _no_artifacts(name: str, described: dict[str, Any]) -> Failure:
    status = str(described.get("TrainingJobStatus", "") or "unknown")
    if status in NOT_FINISHED:
        detail = "it has not finished; deploy again when it is Completed"
    else:
        detail = str(described.get("FailureReason") or "it wrote no model artifacts")
    return Failure(
        engine.compose_reason(
            "The model source has no ModelArtifacts.S3ModelArtifacts to compile.",
            f"Training job {name} status {status}",
            detail,
        )
    )


def _rejected(what: str, error: Exception) -> Failure:
    return Failure(f"SageMaker rejected {what} for the model source: {aws_calls.describe_error(error)}")


# --- calls ---------------------------------------------------------------------
def _artifacts_of(run: engine.Run, training_job_name: str) -> str:
    try:
        described = run.call(
            lambda: run.env.sagemaker.describe_training_job(TrainingJobName=training_job_name),
            f"DescribeTrainingJob {training_job_name}",
        )
    except (Failure, engine.OutOfTime):
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
        "SearchExpression": source[_wire.MODEL_SOURCE_SEARCH_EXPRESSION],
        "MaxResults": max_results,
    }
    for key in (_wire.MODEL_SOURCE_SORT_BY, _wire.MODEL_SOURCE_SORT_ORDER):
        if source.get(key):
            request[key] = source[key]
    return request


def _search(run: engine.Run, source: dict[str, Any], max_results: int) -> list[dict[str, Any]]:
    request = search_request(source, max_results)
    try:
        response = run.call(lambda: run.env.sagemaker.search(**request), "Search TrainingJob")
    except (Failure, engine.OutOfTime):
        raise
    except Exception as error:
        raise _rejected("Search", error) from error
    return [r["TrainingJob"] for r in response.get("Results") or [] if r.get("TrainingJob")]


def _best_training_job(run: engine.Run, source: dict[str, Any]) -> str:
    results = _search(run, source, 1)
    if not results:
        raise _no_match(source)
    return str(results[0]["TrainingJobName"])


def _named_in(run: engine.Run, uri: str) -> str:
    """The training job whose artifacts are ``uri``, from the path SageMaker writes them to
    (``<output path>/<training job name>/output/model.tar.gz``), when it says so itself."""
    parts = uri.split("/")
    if len(parts) < 6 or parts[-2:] != ["output", "model.tar.gz"]:
        return ""
    name = parts[-3]
    if not _wire.TRAINING_JOB_NAME_RULE.pattern.match(name):
        return ""
    try:
        return name if _artifacts_of(run, name) == uri else ""
    except Failure:
        return ""


def _recall_best(run: engine.Run, source: dict[str, Any], uri: str) -> str:
    """The name of the training job whose artifacts are ``uri``: the one their path
    names, else the one among the Search's results (a better one may have appeared
    since). Empty when it is gone."""
    named = _named_in(run, uri)
    if named:
        return named
    for job in _search(run, source, RECALL_RESULTS):
        if (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts") == uri:
            return str(job["TrainingJobName"])
    logger.warning("no training job among the Search results has the artifacts %s", uri)
    return ""


def _attributes(name: str, uri: str) -> dict[str, str]:
    return {_wire.ATTR_SOURCE_TRAINING_JOB_NAME: name, _wire.ATTR_SOURCE_MODEL_S3_URI: uri}


def resolve(run: engine.Run, source: dict[str, Any], request: dict[str, Any]) -> dict[str, str]:
    """Choose the training job, set ``InputConfig.S3Uri`` of ``request`` to its
    artifacts and return the source attributes."""
    kind = source.get(_wire.MODEL_SOURCE_TYPE)
    if kind == TRAINING_JOB:
        name = str(source[_wire.MODEL_SOURCE_TRAINING_JOB_NAME])
    else:
        name = _best_training_job(run, source)
    uri = _artifacts_of(run, name)
    request.setdefault(_wire.INPUT_CONFIG, {})["S3Uri"] = uri
    logger.info("model source: training job %s, artifacts %s", name, uri)
    return _attributes(name, uri)


def recall(run: engine.Run, source: dict[str, Any], existing: dict[str, Any]) -> dict[str, str]:
    """The source attributes of a compilation job already made from ``source``:
    its artifacts, and the training job they came from. Nothing is chosen again."""
    uri = str((existing.get(_wire.INPUT_CONFIG) or {}).get("S3Uri") or "")
    if source.get(_wire.MODEL_SOURCE_TYPE) == TRAINING_JOB:
        name = str(source[_wire.MODEL_SOURCE_TRAINING_JOB_NAME])
    else:
        name = _recall_best(run, source, uri)
    return _attributes(name, uri)
