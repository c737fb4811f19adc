"""Custom::SageMakerCompilationJob as a kind of the lifecycle engine.

The declarative part (operations, statuses, attributes) and this kind's own
steps: deploy-time model sources (:mod:`model_sources`), staging a CDK file
asset to the ``.tar.gz`` key SageMaker needs, and the comparison of a
described job with the request.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from typing import Any

import _wire
import model_sources
import properties
from engine import Failure, Kind, Run, Statuses
from properties import Desired

logger = logging.getLogger(__name__)

# Validating a request whose model is known only at deploy time: the service model
# requires InputConfig.S3Uri, which the handler fills in after resolving the source.
_PLACEHOLDER_S3_URI = "s3://placeholder/model.tar.gz"
_S3_OBJECT = re.compile(r"^s3://([^/]+)/(.+)$")


def source_of(desired: Desired) -> dict[str, Any] | None:
    text = desired.options.get(_wire.OPT_MODEL_SOURCE)
    if not text:
        return None
    value = json.loads(text) if isinstance(text, str) else text
    return value if isinstance(value, dict) else None


def split_s3_uri(uri: str) -> tuple[str, str]:
    match = _S3_OBJECT.match(uri)
    if not match:
        raise Failure(f"not an s3:// object URI: {uri}")
    return match.group(1), match.group(2)


def _normalized(request: dict[str, Any]) -> dict[str, Any]:
    input_config = properties.member(request, _wire.INPUT_CONFIG)
    output_config = properties.member(request, _wire.OUTPUT_CONFIG)
    vpc = properties.member(request, _wire.VPC_CONFIG)
    return {
        "RoleArn": request.get(_wire.ROLE_ARN),
        "ModelPackageVersionArn": request.get(_wire.MODEL_PACKAGE_VERSION_ARN),
        "InputConfig.S3Uri": input_config.get("S3Uri"),
        "InputConfig.Framework": input_config.get("Framework"),
        "InputConfig.FrameworkVersion": input_config.get("FrameworkVersion"),
        "InputConfig.DataInputConfig": properties.json_or_text(input_config.get("DataInputConfig")),
        "OutputConfig.S3OutputLocation": str(output_config.get("S3OutputLocation", "")).rstrip("/"),
        "OutputConfig.TargetDevice": output_config.get("TargetDevice"),
        "OutputConfig.TargetPlatform": output_config.get("TargetPlatform") or None,
        "OutputConfig.CompilerOptions": properties.json_or_text(output_config.get("CompilerOptions")),
        "OutputConfig.KmsKeyId": output_config.get("KmsKeyId") or None,
        "StoppingCondition.MaxRuntimeInSeconds": properties.member(request, _wire.STOPPING_CONDITION).get(
            "MaxRuntimeInSeconds"
        ),
        "VpcConfig": {k: sorted(v) if isinstance(v, list) else v for k, v in vpc.items()} or None,
    }


def _runtime_problems(desired: Desired) -> list[str]:
    runtime = properties.member(desired.request, _wire.STOPPING_CONDITION).get("MaxRuntimeInSeconds")
    limit = desired.service_timeout - _wire.SERVICE_TIMEOUT_MARGIN_SECONDS
    if not isinstance(runtime, int) or runtime <= limit:
        return []
    problem = (
        f"StoppingCondition.MaxRuntimeInSeconds must be at most {_wire.SERVICE_TIMEOUT}"
        f" - {_wire.SERVICE_TIMEOUT_MARGIN_SECONDS} = {limit} (got {runtime}): CloudFormation waits at most "
        f"{desired.service_timeout} s, and the handler needs the rest to stop the job and answer"
    )
    return [problem]


def _stage_problems(desired: Desired) -> list[str]:
    stage = desired.options.get(_wire.OPT_STAGE_MODEL_FROM)
    if stage is None or (isinstance(stage, str) and _S3_OBJECT.match(stage)):
        return []
    return [f"{_wire.OPTIONS}.{_wire.OPT_STAGE_MODEL_FROM} must be an s3:// object URI (got {stage!r:.60})"]


def _source_problems(desired: Desired) -> list[str]:
    text = desired.options.get(_wire.OPT_MODEL_SOURCE)
    if text is None:
        has_model = desired.request.get(_wire.MODEL_PACKAGE_VERSION_ARN) or properties.member(
            desired.request, _wire.INPUT_CONFIG
        ).get("S3Uri")
        if has_model:
            return []
        return [f"give {_wire.INPUT_CONFIG}.S3Uri or {_wire.MODEL_PACKAGE_VERSION_ARN}: there is no model to compile"]
    try:
        decoded = json.loads(text) if isinstance(text, str) else text
    except ValueError as error:
        return [f"{_wire.OPTIONS}.{_wire.OPT_MODEL_SOURCE} is not valid JSON ({error})"]
    return model_sources.problems(decoded)


DECLARED = _wire.COMPILATION_JOB


class CompilationJob(Kind):
    # The declarative attributes, from the kind's one declaration (sagemaker_constructs/_wire.py).
    noun, resource_type, name_property, name_pattern, arn_field = DECLARED.identity()
    create_operation, default_service_timeout = DECLARED.create_operation, DECLARED.default_service_timeout
    create_method, describe_method, delete_method, stop_method = DECLARED.operations()
    statuses = Statuses(
        field=DECLARED.status_field,
        succeeded=frozenset({"COMPLETED"}),
        waiting=frozenset({"STARTING", "INPROGRESS"}),
        failed=frozenset({"FAILED", "STOPPED"}),
        stopping=frozenset({"STOPPING"}),
    )
    min_describe_interval = 5.0
    deadline_margin = 180.0
    failure_lead = "Compilation job ended badly; details in the handler's CloudWatch log."
    # Where a CDK asset is copied from is not the job: the staged S3Uri, compared, carries the asset's hash.
    options_not_compared = frozenset({_wire.OPT_STAGE_MODEL_FROM})

    # -- reading properties -------------------------------------------------------------
    def parse(self, resource_properties: Any, validate: properties.Validator | None) -> Desired:
        def with_placeholder(operation: str, params: dict[str, Any]) -> list[str]:
            assert validate is not None
            params = copy.deepcopy(params)
            options = resource_properties.get(_wire.OPTIONS) if isinstance(resource_properties, dict) else None
            if isinstance(options, dict) and options.get(_wire.OPT_MODEL_SOURCE):
                input_config = params.get(_wire.INPUT_CONFIG)
                if isinstance(input_config, dict):
                    input_config.setdefault("S3Uri", _PLACEHOLDER_S3_URI)
            return validate(operation, params)

        return super().parse(resource_properties, with_placeholder if validate is not None else None)

    def check(self, desired: Desired) -> list[str]:
        return _runtime_problems(desired) + _stage_problems(desired) + _source_problems(desired)

    # -- comparing ------------------------------------------------------------------------
    def differences(
        self, request: dict[str, Any], described: dict[str, Any], also: dict[str, Any] | None = None
    ) -> list[str]:
        want, have = _normalized(request), _normalized(described)
        return [key for key in want if want[key] != have[key]]

    def comparable(self, desired: Desired, existing: dict[str, Any]) -> dict[str, Any]:
        """A request from a deploy-time source has no S3Uri until resolved: take the job's own."""
        if source_of(desired) is None:
            return desired.request
        request = copy.deepcopy(desired.request)
        request.setdefault(_wire.INPUT_CONFIG, {})["S3Uri"] = (existing.get(_wire.INPUT_CONFIG) or {}).get("S3Uri")
        return request

    def is_rollback(self, run: Run, desired: Desired, previous: Desired, existing: dict[str, Any]) -> bool:
        """The job there matches the properties sent and not the "old" ones (a real
        change under the same name is the other way round). When the two differ only
        in their deploy-time source: in a stack that rolls back (its status when the request
        began), the job is the desired one, since a same-name change never changes it in
        place; going forward, it is if the desired source still gives the artifacts it
        compiled (a rollback never searches again)."""
        if self.differences(self.comparable(previous, existing), existing):
            return True
        source, previous_source = source_of(desired), source_of(previous)
        if source is None or source == previous_source:
            return False
        if run.rolling_back:  # what CloudFormation recorded: the job there was made from the version returned to
            return True
        trial = copy.deepcopy(desired.request)
        model_sources.resolve(run, source, trial)
        compiled = (existing.get(_wire.INPUT_CONFIG) or {}).get("S3Uri")
        return bool((trial.get(_wire.INPUT_CONFIG) or {}).get("S3Uri") == compiled)

    # -- this kind's own steps -------------------------------------------------------------
    def resolve(self, run: Run, desired: Desired, existing: dict[str, Any] | None) -> dict[str, str]:
        """A Search may pick a newer training job than the one a job of this name was
        made from (a duplicate Create, a rollback): recall that one instead of choosing
        again. A named training job has one answer, so it is resolved as usual."""
        source = source_of(desired)
        if source is None:
            return {}
        recall = (
            existing is not None
            and run.status_of(existing) not in self.statuses.failed
            and source.get(_wire.MODEL_SOURCE_TYPE) == _wire.MODEL_SOURCE_BEST_TRAINING_JOB
        )
        if recall and existing is not None:
            attributes = model_sources.recall(run, source, existing)
            desired.request = self.comparable(desired, existing)
            return attributes
        return model_sources.resolve(run, source, desired.request)

    def recall(self, run: Run, desired: Desired, existing: dict[str, Any]) -> dict[str, str]:
        source = source_of(desired)
        return {} if source is None else model_sources.recall(run, source, existing)

    def before_create(self, run: Run, desired: Desired) -> None:
        """Copy a CDK file asset (keyed ``<hash>.gz``) to the ``.tar.gz`` key SageMaker needs."""
        stage = desired.options.get(_wire.OPT_STAGE_MODEL_FROM)
        if not stage:
            return
        source_bucket, source_key = split_s3_uri(str(stage))
        target_bucket, target_key = split_s3_uri(str(desired.request[_wire.INPUT_CONFIG]["S3Uri"]))
        extra: dict[str, Any] = {}
        kms_key = (desired.request.get(_wire.OUTPUT_CONFIG) or {}).get("KmsKeyId")
        if kms_key:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}
        s3 = run.env.extra["s3"]
        run.call(
            lambda: s3.copy(
                {"Bucket": source_bucket, "Key": source_key}, target_bucket, target_key, ExtraArgs=extra or None
            ),
            f"copying the model asset to s3://{target_bucket}/{target_key}",
        )

    # -- answers -----------------------------------------------------------------------------
    def attributes(self, described: dict[str, Any], extra: dict[str, str]) -> dict[str, str]:
        return {
            _wire.ATTR_COMPILATION_JOB_ARN: str(described.get("CompilationJobArn", "")),
            _wire.ATTR_COMPILATION_JOB_NAME: str(described.get("CompilationJobName", "")),
            _wire.ATTR_S3_MODEL_ARTIFACTS: str((described.get("ModelArtifacts") or {}).get("S3ModelArtifacts", "")),
            _wire.ATTR_COMPILATION_JOB_STATUS: str(described.get("CompilationJobStatus", "")),
            _wire.ATTR_INFERENCE_IMAGE: str(described.get("InferenceImage") or ""),
            _wire.ATTR_SOURCE_TRAINING_JOB_NAME: extra.get(_wire.ATTR_SOURCE_TRAINING_JOB_NAME, ""),
            _wire.ATTR_SOURCE_MODEL_S3_URI: extra.get(_wire.ATTR_SOURCE_MODEL_S3_URI, ""),
        }

    def reason_key(self, name: str, status: str) -> str:
        return f"Job {name} status {status}"


KIND = CompilationJob()
