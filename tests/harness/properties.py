"""Custom-resource properties as the constructs render them, for handler tests."""

from __future__ import annotations

import copy
from typing import Any

JOB_NAME = "teststack--compile-0123456789"
JOB_ROLE = "arn:aws:iam::123456789012:role/neo-job-role"
MAX_RUNTIME = 900
SERVICE_TIMEOUT = MAX_RUNTIME + 300  # what the CompilationJob construct renders


def compilation_job_properties(name: str = JOB_NAME, **overrides: Any) -> dict[str, Any]:
    """A Custom::SageMakerCompilationJob's properties (before CloudFormation stringifies them)."""
    props: dict[str, Any] = {
        "CompilationJobName": name,
        "RoleArn": JOB_ROLE,
        "InputConfig": {
            "S3Uri": "s3://models/resnet18.tar.gz",
            "Framework": "PYTORCH",
            "DataInputConfig": '{"input0":[1,3,224,224]}',
        },
        "OutputConfig": {"S3OutputLocation": f"s3://out/compiled/{name}/", "TargetDevice": "sitara_am57x"},
        "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME},
        "ServiceTimeout": SERVICE_TIMEOUT,
    }
    props.update(overrides)
    return props


def api_request(props: dict[str, Any], s3_uri: str | None = None) -> dict[str, Any]:
    """The Create* request those properties stand for: without ServiceTimeout and
    Options (and with ``s3_uri`` as InputConfig.S3Uri, for deploy-time sources)."""
    request = copy.deepcopy(props)
    request.pop("ServiceTimeout", None)
    request.pop("Options", None)
    if s3_uri:
        request["InputConfig"]["S3Uri"] = s3_uri
    return request
