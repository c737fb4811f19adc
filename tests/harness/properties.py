"""Custom-resource properties as the constructs render them, for handler tests."""

from __future__ import annotations

import copy
import json
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


FLOW_NAME = "teststack--formreview-0123456789"
FLOW_ROLE = "arn:aws:iam::123456789012:role/a2i-flow-role"
FLOW_CONDITIONS = {
    "Conditions": [
        {
            "Or": [
                {"ConditionType": "MissingImportantFormKey", "ConditionParameters": {"ImportantFormKey": "Date"}},
                {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}},
            ]
        }
    ]
}


def flow_definition_properties(name: str = FLOW_NAME, **overrides: Any) -> dict[str, Any]:
    """A Custom::SageMakerFlowDefinition's properties (a Textract forms review)."""
    props: dict[str, Any] = {
        "FlowDefinitionName": name,
        "HumanLoopRequestSource": {"AwsManagedHumanLoopRequestSource": "AWS/Textract/AnalyzeDocument/Forms/V1"},
        "HumanLoopActivationConfig": {
            "HumanLoopActivationConditionsConfig": {
                "HumanLoopActivationConditions": json.dumps(FLOW_CONDITIONS, separators=(",", ":"))
            }
        },
        "HumanLoopConfig": {
            "WorkteamArn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers",
            "HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/forms-ui",
            "TaskTitle": "Review the extracted form fields",
            "TaskDescription": "Check each key/value pair against the document",
            "TaskCount": 1,
            "TaskTimeLimitInSeconds": 1800,
            "PublicWorkforceTaskPrice": {"AmountInUsd": {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}},
        },
        "OutputConfig": {"S3OutputPath": "s3://out/reviews/"},
        "RoleArn": FLOW_ROLE,
        "ServiceTimeout": 600,
    }
    props.update(overrides)
    return props
