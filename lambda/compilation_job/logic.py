"""The decisions of the CompilationJob handler, on plain dicts and injected clients.

``index.py`` wires these to crhelper. Every function either returns a
:class:`cfn_resource.Result` or raises :class:`cfn_resource.Failure`.
"""

from __future__ import annotations

import copy
import logging
import math
import re
from dataclasses import dataclass
from typing import Any

import _wire
import aws_calls
import cfn_resource
import common
from cfn_resource import Failure, Result

logger = logging.getLogger(__name__)

RUNNING = frozenset({"STARTING", "INPROGRESS"})
ENDED_BADLY = frozenset({"FAILED", "STOPPED"})
DESCRIBE_EVERY_SECONDS = 5.0
DESCRIBE_JITTER_SECONDS = 2.0
# CloudFormation gives up at ServiceTimeout; stop waiting this much earlier,
# so there is time to stop the job and answer.
DEADLINE_MARGIN_SECONDS = 180.0
DEFAULT_SERVICE_TIMEOUT = 3600
# A poll invocation waits inline this long, then leaves the rest to the next
# one (EventBridge fires every minute; two pollers must not overlap).
POLL_INLINE_SECONDS = 40.0
# Leave this much of the Lambda's own time for stopping and answering.
LAMBDA_MARGIN_SECONDS = 30.0
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


@dataclass
class Desired:
    """The job the properties ask for."""

    request: dict[str, Any]  # CreateCompilationJob arguments, without Tags
    tags: list[dict[str, str]]
    explicit_name: bool
    stage_model_from: str | None
    model_source: dict[str, Any] | None
    service_timeout: int

    @property
    def name(self) -> str:
        return str(self.request[_wire.COMPILATION_JOB_NAME])


def desired_from(resource_properties: dict[str, Any]) -> Desired:
    props = _wire.parse_properties(resource_properties)
    request, options = _wire.split_options(props)
    tags = request.pop(_wire.TAGS, None) or []
    source = options.get(_wire.OPT_MODEL_SOURCE)
    return Desired(
        request=request,
        tags=common.tag_list(tags),
        explicit_name=bool(options.get(_wire.OPT_EXPLICIT_NAME, False)),
        stage_model_from=options.get(_wire.OPT_STAGE_MODEL_FROM),
        model_source=_wire.decode_model_source(source) if source else None,
        service_timeout=int(props.get(_wire.SERVICE_TIMEOUT, DEFAULT_SERVICE_TIMEOUT)),
    )


# --- comparing a described job with the desired one ---------------------------
def _normalized(request: dict[str, Any]) -> dict[str, Any]:
    input_config = dict(request.get(_wire.INPUT_CONFIG) or {})
    output_config = dict(request.get(_wire.OUTPUT_CONFIG) or {})
    vpc = request.get(_wire.VPC_CONFIG) or {}
    return {
        "RoleArn": request.get(_wire.ROLE_ARN),
        "ModelPackageVersionArn": request.get(_wire.MODEL_PACKAGE_VERSION_ARN),
        "InputConfig.S3Uri": input_config.get("S3Uri"),
        "InputConfig.Framework": input_config.get("Framework"),
        "InputConfig.FrameworkVersion": input_config.get("FrameworkVersion"),
        "InputConfig.DataInputConfig": common.json_or_text(input_config.get("DataInputConfig")),
        "OutputConfig.S3OutputLocation": str(output_config.get("S3OutputLocation", "")).rstrip("/"),
        "OutputConfig.TargetDevice": output_config.get("TargetDevice"),
        "OutputConfig.TargetPlatform": output_config.get("TargetPlatform") or None,
        "OutputConfig.CompilerOptions": common.json_or_text(output_config.get("CompilerOptions")),
        "OutputConfig.KmsKeyId": output_config.get("KmsKeyId") or None,
        "StoppingCondition.MaxRuntimeInSeconds": (request.get(_wire.STOPPING_CONDITION) or {}).get(
            "MaxRuntimeInSeconds"
        ),
        "VpcConfig": {k: sorted(v) for k, v in vpc.items()} or None,
    }


def config_differences(request: dict[str, Any], described: dict[str, Any]) -> list[str]:
    """The fields in which an existing job differs from the request."""
    want, have = _normalized(request), _normalized(described)
    return [key for key in want if want[key] != have[key]]


# --- answers ----------------------------------------------------------------
def attributes(described: dict[str, Any], source: dict[str, str] | None = None) -> dict[str, str]:
    source = source or {}
    return {
        _wire.ATTR_COMPILATION_JOB_ARN: str(described.get("CompilationJobArn", "")),
        _wire.ATTR_COMPILATION_JOB_NAME: str(described.get("CompilationJobName", "")),
        _wire.ATTR_S3_MODEL_ARTIFACTS: str((described.get("ModelArtifacts") or {}).get("S3ModelArtifacts", "")),
        _wire.ATTR_COMPILATION_JOB_STATUS: str(described.get("CompilationJobStatus", "")),
        _wire.ATTR_INFERENCE_IMAGE: str(described.get("InferenceImage") or ""),
        _wire.ATTR_SOURCE_TRAINING_JOB_NAME: source.get(_wire.ATTR_SOURCE_TRAINING_JOB_NAME, ""),
        _wire.ATTR_SOURCE_MODEL_S3_URI: source.get(_wire.ATTR_SOURCE_MODEL_S3_URI, ""),
    }


def ended_badly(name: str, described: dict[str, Any]) -> Failure:
    """The reason ends with name, status and FailureReason: a 256-character cut keeps them."""
    status = described.get("CompilationJobStatus", "")
    failure = described.get("FailureReason") or "no reason given"
    return Failure(
        cfn_resource.compose_reason(
            "Compilation job ended badly; details in the handler's CloudWatch log.",
            f"Job {name} status {status}",
            str(failure),
        ),
        physical_id=name,
    )


# --- the session of one invocation ------------------------------------------
@dataclass
class Session:
    """Clients and time budget of one invocation."""

    sagemaker: Any
    s3: Any
    deadline: float  # CloudFormation's deadline, less the margin
    inline_until: float  # when this invocation hands over to polling
    invocation_until: float = math.inf  # when this Lambda invocation must stop, to answer in time

    @property
    def retry_until(self) -> float:
        """Retries end here: at the deadline, or when this invocation runs out of time."""
        return min(self.deadline, self.invocation_until)

    def describe(self, name: str, until: float | None = None) -> dict[str, Any] | None:
        return aws_calls.describe_or_none(
            self.sagemaker.describe_compilation_job,
            deadline=self.retry_until if until is None else until,
            CompilationJobName=name,
        )

    def sleep_between_describes(self) -> None:
        cfn_resource.clock.sleep(cfn_resource.jitter(DESCRIBE_EVERY_SECONDS, DESCRIBE_JITTER_SECONDS))


def deadline_for(service_timeout: int, started: float) -> float:
    return started + max(service_timeout - DEADLINE_MARGIN_SECONDS, 60.0)


def poll_state(
    name: str, deadline: float, source: dict[str, str] | None = None, phase: str = "create"
) -> dict[str, Any]:
    return {"Name": name, "Deadline": deadline, "Phase": phase, "Source": source or {}}


def wait_for_end(session: Session, name: str, source: dict[str, str]) -> Result:
    """Describe every ~5 s until the job ends, the deadline passes, or this
    invocation's inline time runs out (then: pending, for polling).

    A describe that stays throttled is retried until the inline time runs
    out, then left to the next poll; at the deadline the job is stopped."""
    while True:
        try:
            described = session.describe(name, until=min(session.inline_until, session.retry_until))
        except Failure as gave_up:
            if cfn_resource.clock.now() >= session.deadline:
                raise _stopped_at_deadline(session, name, "unknown") from None
            logger.warning("%s; the next poll looks again", gave_up.reason)
            return Result(name, pending=True, state=poll_state(name, session.deadline, source))
        if described is None:
            raise Failure(f"compilation job {name} disappeared while being waited for", physical_id=name)
        status = described.get("CompilationJobStatus", "")
        if status == "COMPLETED":
            return Result(name, data=attributes(described, source))
        if status in ENDED_BADLY:
            raise ended_badly(name, described)
        now = cfn_resource.clock.now()
        if now >= session.deadline:
            raise _stopped_at_deadline(session, name, status)
        if now >= session.inline_until:
            return Result(name, pending=True, state=poll_state(name, session.deadline, source))
        session.sleep_between_describes()


def _stopped_at_deadline(session: Session, name: str, status: str) -> Failure:
    """Stop the job and say so: CloudFormation would give up soon after the deadline."""
    stop_quietly(session, name)
    return Failure(
        cfn_resource.compose_reason(
            "Did not end before the deadline that keeps CloudFormation's ServiceTimeout; "
            "the handler stopped it (raise max_runtime if it needs longer).",
            f"Job {name} status {status}",
            "did not end before the deadline",
        ),
        physical_id=name,
    )


STOP_RETRY_SECONDS = 30.0


def stop_quietly(session: Session, name: str) -> None:
    """StopCompilationJob, retried briefly when throttled; any failure is only logged."""
    try:
        aws_calls.call_with_retry(
            lambda: session.sagemaker.stop_compilation_job(CompilationJobName=name),
            what=f"StopCompilationJob {name}",
            deadline=cfn_resource.clock.now() + STOP_RETRY_SECONDS,
        )
    except Exception as error:  # noqa: BLE001 - the answer matters more than the stop
        logger.warning("stopping %s: %s", name, error)


def _delete_and_wait_gone(session: Session, name: str) -> None:
    try:
        aws_calls.call_with_retry(
            lambda: session.sagemaker.delete_compilation_job(CompilationJobName=name),
            what=f"DeleteCompilationJob {name}",
            deadline=session.retry_until,
        )
    except Failure:
        raise
    except Exception as error:
        if not aws_calls.is_not_found(error):
            raise
        logger.info("%s was already deleted (a concurrent invocation)", name)
        return
    while session.describe(name) is not None:
        if cfn_resource.clock.now() >= session.deadline:
            raise Failure(f"compilation job {name} was still there after DeleteCompilationJob")
        session.sleep_between_describes()


def _wait_until_stopped(session: Session, name: str) -> dict[str, Any] | None:
    while True:
        described = session.describe(name)
        if described is None or described.get("CompilationJobStatus") != "STOPPING":
            return described
        if cfn_resource.clock.now() >= min(session.deadline, session.inline_until):
            # Not compared with the properties yet, so not claimed as this resource's job.
            raise Failure(f"a compilation job named {name} was still STOPPING; deploy again once it has stopped")
        session.sleep_between_describes()


def _stage_model(session: Session, desired: Desired) -> None:
    """Copy a CDK file asset (keyed ``<hash>.gz``) to the ``.tar.gz`` key SageMaker needs."""
    if not desired.stage_model_from:
        return
    source_bucket, source_key = split_s3_uri(desired.stage_model_from)
    target_bucket, target_key = split_s3_uri(desired.request[_wire.INPUT_CONFIG]["S3Uri"])
    extra: dict[str, Any] = {}
    kms_key = (desired.request.get(_wire.OUTPUT_CONFIG) or {}).get("KmsKeyId")
    if kms_key:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}
    aws_calls.call_with_retry(
        lambda: session.s3.copy(
            {"Bucket": source_bucket, "Key": source_key}, target_bucket, target_key, ExtraArgs=extra or None
        ),
        what=f"copying the model asset to s3://{target_bucket}/{target_key}",
        deadline=session.retry_until,
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    match = re.match(r"^s3://([^/]+)/(.+)$", uri)
    if not match:
        raise Failure(f"not an s3:// object URI: {uri}")
    return match.group(1), match.group(2)


def _start(session: Session, desired: Desired) -> None:
    request = dict(desired.request)
    if desired.tags:
        request[_wire.TAGS] = desired.tags
    aws_calls.call_with_retry(
        lambda: session.sagemaker.create_compilation_job(**request),
        what=f"CreateCompilationJob {desired.name}",
        deadline=session.retry_until,
        codes=aws_calls.CREATE_RETRY_CODES,
    )


def create(session: Session, desired: Desired, resolve_source: Any = None) -> Result:
    """Start the job (or adopt the same one already there) and wait for it."""
    name = desired.name
    if not NAME_PATTERN.match(name):
        raise Failure(f"CompilationJobName {name!r} does not match {NAME_PATTERN.pattern}")
    source: dict[str, str] = {}
    existing = session.describe(name)
    if existing is not None and existing.get("CompilationJobStatus") == "STOPPING":
        existing = _wait_until_stopped(session, name)
    # A Search may pick a newer training job than the one a job of this name was made
    # from (a duplicate Create, a rollback): recall that one instead of choosing again.
    # A named training job has one answer, so it is resolved and compared as usual.
    recall = (
        existing is not None
        and existing.get("CompilationJobStatus") not in ENDED_BADLY
        and (desired.model_source or {}).get("Type") == "BestTrainingJob"
    )
    if desired.model_source is not None and resolve_source is not None:
        if recall:
            assert existing is not None
            source = resolve_source(session, desired, existing)
            desired.request = _with_existing_source(desired, existing)
        else:
            source = resolve_source(session, desired)
    if existing is not None:
        differences = config_differences(desired.request, existing)
        if differences:
            raise Failure(
                f"a compilation job named {name} already exists with a different configuration "
                f"({', '.join(differences)}); it was left alone. Remove it or choose another name."
            )
        if existing.get("CompilationJobStatus") in ENDED_BADLY:
            logger.info(
                "%s exists but ended %s: deleting it and starting again", name, existing["CompilationJobStatus"]
            )
            _delete_and_wait_gone(session, name)
            existing = None
            if desired.model_source is not None and resolve_source is not None:
                source = resolve_source(session, desired)
        else:
            logger.info("adopting the existing job %s (%s)", name, existing.get("CompilationJobStatus"))
    if existing is None:
        _stage_model(session, desired)
        try:
            _start(session, desired)
        except Failure:
            raise
        except Exception as error:
            if aws_calls.error_code(error) == "ResourceInUse":
                logger.info("%s was created by a concurrent invocation: adopting it", name)
                _check_raced(session, desired)
            else:
                raise Failure(
                    f"SageMaker rejected CreateCompilationJob {name}: "
                    f"{aws_calls.error_code(error)}: {aws_calls.error_message(error)}"
                ) from error
    # The job exists from here on: whatever happens, the answer names it, so the
    # rollback Delete finds and removes it.
    try:
        return wait_for_end(session, name, source)
    except Failure as failure:
        failure.physical_id = failure.physical_id or name
        raise
    except Exception as error:
        raise Failure(f"{type(error).__name__} while waiting for {name}: {error}", physical_id=name) from error


def _check_raced(session: Session, desired: Desired) -> None:
    """A job another invocation created between our describe and our create is
    adopted only if it is the same job."""
    raced = session.describe(desired.name)
    differences = config_differences(desired.request, raced) if raced is not None else []
    if differences:
        raise Failure(
            f"a compilation job named {desired.name} appeared with a different configuration "
            f"({', '.join(differences)}); it was left alone"
        )


def update(
    session: Session, desired: Desired, previous: Desired, physical_id: str, resolve_source: Any = None
) -> Result:
    """Same name: tags only, in place. New name: a new job (CloudFormation deletes the old)."""
    if desired.name != physical_id:
        return create(session, desired, resolve_source)
    existing = session.describe(physical_id)
    if existing is None:
        return create(session, desired, resolve_source)
    differences = config_differences(_with_existing_source(desired, existing), existing)
    if (
        not differences
        and _changed_besides_tags(desired, previous)
        and not _is_rollback(session, desired, previous, existing, resolve_source)
    ):
        differences = ["properties"]
    if differences:
        fields = ", ".join(differences)
        remedy = (
            "give it a new compilation_job_name"
            if desired.explicit_name
            else "a value known only at deploy time changed, which the generated name cannot see; "
            "set the model source's version (or rename the construct) so the name changes"
        )
        raise Failure(
            f"compilation job {physical_id} cannot change in place ({fields} changed) and a job cannot "
            f"be replaced under the same name; {remedy}",
            physical_id=physical_id,
        )
    common.sync_tags(session, str(existing["CompilationJobArn"]), desired.tags, previous.tags)
    status = existing.get("CompilationJobStatus")
    if status in ENDED_BADLY:
        raise ended_badly(physical_id, existing)
    source: dict[str, str] = {}
    if desired.model_source is not None and resolve_source is not None:
        # Tags only: keep answering the training job this job was compiled from.
        source = resolve_source(session, desired, existing)
    return wait_for_end(session, physical_id, source)


def _with_existing_source(desired: Desired, existing: dict[str, Any]) -> dict[str, Any]:
    """The request to compare with a job made from a deploy-time source: such a
    request has no S3Uri until resolved, so take the job's own."""
    if desired.model_source is None:
        return desired.request
    request = copy.deepcopy(desired.request)
    request.setdefault(_wire.INPUT_CONFIG, {})["S3Uri"] = (existing.get(_wire.INPUT_CONFIG) or {}).get("S3Uri")
    return request


def _is_rollback(
    session: Session, desired: Desired, previous: Desired, existing: dict[str, Any], resolve_source: Any
) -> bool:
    """An update rollback: CloudFormation sends the old properties again, under
    the old job's name, with the failed new ones as OldResourceProperties. The
    job there matches the properties sent and not the "old" ones (a real change
    under the same name is the other way round)."""
    if config_differences(_with_existing_source(previous, existing), existing):
        return True
    if desired.model_source == previous.model_source or resolve_source is None:
        return False
    # The two differ only in their deploy-time source: the job is the desired one
    # if the desired source still gives the artifacts it compiled.
    trial = copy.deepcopy(desired)
    resolve_source(session, trial)
    compiled = (existing.get(_wire.INPUT_CONFIG) or {}).get("S3Uri")
    return bool(trial.request.get(_wire.INPUT_CONFIG, {}).get("S3Uri") == compiled)


def _changed_besides_tags(desired: Desired, previous: Desired) -> bool:
    return (
        desired.request != previous.request
        or desired.stage_model_from != previous.stage_model_from
        or desired.model_source != previous.model_source
    )


def delete(session: Session, resource_properties: dict[str, Any], physical_id: str) -> Result:
    """Stop a running job and wait for STOPPED; delete a job that has ended.

    Only a job whose name is the one these properties name is touched: the
    physical id of a Create that failed before it started anything is an id
    crhelper made up, and deletes as success with no call at all.
    """
    named = str(resource_properties.get(_wire.COMPILATION_JOB_NAME, ""))
    if not NAME_PATTERN.match(physical_id) or physical_id != named:
        logger.info("physical id %s is not a job this resource created: nothing to delete", physical_id)
        return Result(physical_id)
    return continue_delete(session, physical_id)


def continue_delete(session: Session, name: str) -> Result:
    stop_sent = False
    while True:
        described = session.describe(name)
        if described is None:
            return Result(name)
        status = described.get("CompilationJobStatus")
        if status in RUNNING and not stop_sent:
            try:
                aws_calls.call_with_retry(
                    lambda: session.sagemaker.stop_compilation_job(CompilationJobName=name),
                    what=f"StopCompilationJob {name}",
                    deadline=session.retry_until,
                )
            except Failure:
                raise
            except Exception as error:
                # The job ended (or another invocation stopped or deleted it) between the
                # describe and the stop: describe again and act on what is there now.
                if aws_calls.error_code(error) != "ValidationException" and not aws_calls.is_not_found(error):
                    raise
                logger.info("StopCompilationJob %s: %s; looking again", name, aws_calls.error_message(error))
                stop_sent = True
                continue
            stop_sent = True
        elif status not in RUNNING and status != "STOPPING":
            _delete_and_wait_gone(session, name)
            return Result(name)
        now = cfn_resource.clock.now()
        if now >= session.deadline:
            raise Failure(f"compilation job {name} was still {status} at the deadline", physical_id=name)
        if now >= session.inline_until:
            return Result(name, pending=True, state=poll_state(name, session.deadline, phase="delete"))
        session.sleep_between_describes()


def service_timeout_of(resource_properties: dict[str, Any]) -> int:
    return common.service_timeout_of(resource_properties, DEFAULT_SERVICE_TIMEOUT)
