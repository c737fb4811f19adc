"""Inputs the FlowDefinition tests share: ARNs, activation conditions, and the
keyword arguments every flow definition needs."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Environment

from sagemaker_constructs import HumanLoopRequestSource

ENV = Environment(account="123456789012", region="us-east-1")
WORKTEAM = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers"
UI = "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/forms-ui"
TEXTRACT = HumanLoopRequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS_V1
REKOGNITION = HumanLoopRequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE_V3
FORM_CONDITIONS = {
    "Conditions": [
        {
            "Or": [
                {
                    "ConditionType": "ImportantFormKeyConfidenceCheck",
                    "ConditionParameters": {"ImportantFormKey": "Date", "KeyValueBlockConfidenceLessThan": 60},
                },
                {"ConditionType": "MissingImportantFormKey", "ConditionParameters": {"ImportantFormKey": "Date"}},
            ]
        },
        {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}},
    ]
}
MODERATION_CONDITIONS = (
    '{"Conditions":[{"ConditionType":"ModerationLabelConfidenceCheck",'
    '"ConditionParameters":{"ModerationLabelName":"*","ConfidenceGreaterThanEquals":75}}]}'
)
NAME_RE = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")


def required(**overrides: Any) -> dict[str, Any]:
    """The keywords every FlowDefinition needs (a custom task type)."""
    kwargs: dict[str, Any] = {
        "workteam_arn": WORKTEAM,
        "human_task_ui_arn": UI,
        "task_title": "Review the extracted form fields",
        "task_description": "Check each key/value pair against the document",
        "output_s3_uri": "s3://review-output/results/",
    }
    kwargs.update(overrides)
    return kwargs


def textract(**overrides: Any) -> dict[str, Any]:
    return required(**{"human_loop_request_source": TEXTRACT, "activation_conditions": FORM_CONDITIONS, **overrides})
