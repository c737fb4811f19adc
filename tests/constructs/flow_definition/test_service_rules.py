"""Inputs that passed synth silently before (issue 16, section 1), for FlowDefinition:
the service model's patterns and lengths, S3's rules for output_s3_uri and the buckets,
the activation conditions' JSON schema (flow_definition/conditions_schema.py), and the
task times. Each is one ValueError naming the construct's path, the property, the value
and the rule."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from sagemaker_constructs import FlowDefinition
from sagemaker_constructs._validation import shown
from tests.constructs.flow_definition.inputs import ENV, REKOGNITION, required, textract

STACK = "FlowRules"


def flow(**kwargs: Any) -> FlowDefinition:
    return FlowDefinition(Stack(App(), STACK, env=ENV), "Flow", **kwargs)


def in_new_stack(build: Any) -> FlowDefinition:
    stack = Stack(App(), STACK, env=ENV)
    result: FlowDefinition = build(stack)
    return result


def rejected(prop: str, value: Any, rule: str) -> str:
    return rf"FlowDefinition {STACK}/Flow: .*\n(.*\n)*  - {re.escape(prop)} {rule}.*\(got {re.escape(shown(value))}"


# --- S3 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("uri", "rule"),
    [
        ("s3://Reviews/out/", r"bucket 'Reviews' must hold only lowercase letters"),
        ("s3://my_reviews/out/", r"bucket 'my_reviews' must hold only lowercase letters"),
        ("s3://reviews//out/", r"must not have a key starting with '/'"),
        ("s3://reviews/" + "k" * 1020, r"must be 0 to 1024 characters long \(1033 given\)"),
    ],
)
def test_an_output_uri_breaking_s3_rules_is_rejected(uri: str, rule: str) -> None:
    with pytest.raises(ValueError, match=rejected("output_s3_uri", uri, rule)):
        flow(**required(output_bucket=None, output_s3_uri=uri))


def test_an_imported_output_bucket_breaking_s3_naming_is_rejected() -> None:
    def build(stack: Stack) -> FlowDefinition:
        bucket = s3.Bucket.from_bucket_name(stack, "Out", "Review_Results")
        return FlowDefinition(stack, "Flow", **required(output_bucket=bucket))

    with pytest.raises(ValueError, match=rejected("output_bucket", "Review_Results", "must hold only lowercase")):
        in_new_stack(build)


def test_an_imported_input_bucket_breaking_s3_naming_is_rejected() -> None:
    def build(stack: Stack) -> FlowDefinition:
        bucket = s3.Bucket.from_bucket_name(stack, "In", "Forms_In")
        return FlowDefinition(stack, "Flow", **required(input_buckets=[bucket]))

    with pytest.raises(ValueError, match=rejected("input_buckets[0]", "Forms_In", "must hold only lowercase")):
        in_new_stack(build)


# --- ARNs by the service model ------------------------------------------------------------------
def test_an_imported_kms_key_whose_arn_breaks_the_model_pattern_is_rejected() -> None:
    arn = "arn:aws:kms:us-east-1:123456789012:key/not valid"

    def build(stack: Stack) -> FlowDefinition:
        return FlowDefinition(stack, "Flow", **required(kms_key=kms.Key.from_key_arn(stack, "Key", arn)))

    with pytest.raises(ValueError, match=rejected("kms_key", arn, r"must match \[a-zA-Z0-9:/_-\]\*")):
        in_new_stack(build)


def test_a_task_title_with_a_control_character_breaks_the_model_pattern() -> None:
    with pytest.raises(ValueError, match=rejected("task_title", "Review\x00", r"must match")):
        flow(**required(task_title="Review\x00"))


# --- activation conditions: the A2I JSON schema --------------------------------------------------
def conditions(*condition: Any) -> dict[str, Any]:
    return {"Conditions": list(condition)}


@pytest.mark.parametrize(
    ("condition", "rule"),
    [
        (
            {"ConditionType": "Sampling"},
            r"Conditions\[0\] must have ConditionParameters",
        ),
        (
            {"ConditionType": "Sampling", "ConditionParameters": {}},
            r"Conditions\[0\]\.ConditionParameters must have RandomSamplingPercentage",
        ),
        (
            {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 150}},
            r"Conditions\[0\]\.ConditionParameters\.RandomSamplingPercentage must be at most 100 \(got 150\)",
        ),
        (
            {"ConditionType": "ModerationLabelConfidenceCheck", "ConditionParameters": {"ConfidenceLessThan": 50}},
            r"Conditions\[0\]\.ConditionParameters must have ModerationLabelName",
        ),
        (
            {
                "ConditionType": "ModerationLabelConfidenceCheck",
                "ConditionParameters": {"ModerationLabelName": "*", "ConfidenceLessThan": -1},
            },
            r"Conditions\[0\]\.ConditionParameters\.ConfidenceLessThan must be at least 0 \(got -1\)",
        ),
        (
            {"ConditionType": "ModerationLabelConfidenceCheck", "ConditionParameters": {"ModerationLabelName": "*"}},
            r"Conditions\[0\]\.ConditionParameters must have at least one of ConfidenceEquals, ConfidenceLessThan",
        ),
        (
            {
                "ConditionType": "ModerationLabelConfidenceCheck",
                "ConditionParameters": {"ModerationLabelName": "*", "ConfidenceGreaterThanOrEqual": 75},
            },
            (
                r"Conditions\[0\]\.ConditionParameters must not have 'ConfidenceGreaterThanOrEqual' \(allowed: "
                r"ModerationLabelName, ConfidenceEquals"
            ),
        ),
        (
            {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": "5"}},
            r"Conditions\[0\]\.ConditionParameters\.RandomSamplingPercentage must be a JSON number \(got '5'\)",
        ),
    ],
)
def test_a_rekognition_condition_breaking_the_schema_is_rejected(condition: dict[str, Any], rule: str) -> None:
    with pytest.raises(ValueError, match=rf"FlowDefinition {STACK}/Flow: .*\n  - activation_conditions {rule}"):
        flow(**required(human_loop_request_source=REKOGNITION, activation_conditions=conditions(condition)))


def test_a_textract_condition_breaking_the_schema_inside_or_is_rejected() -> None:
    nested = {
        "Or": [
            {"ConditionType": "MissingImportantFormKey", "ConditionParameters": {"ImportantFormKeyAliases": ["Date"]}},
            {
                "ConditionType": "ImportantFormKeyConfidenceCheck",
                "ConditionParameters": {"ImportantFormKey": "Date", "WordBlockConfidenceLessThan": 101},
            },
        ]
    }
    with pytest.raises(ValueError) as raised:
        flow(**textract(activation_conditions=conditions(nested)))
    message = str(raised.value)
    assert message.startswith(f"FlowDefinition {STACK}/Flow: 2 invalid properties:")
    assert "activation_conditions Conditions[0].Or[0].ConditionParameters must have ImportantFormKey" in message
    assert "Conditions[0].Or[1].ConditionParameters.WordBlockConfidenceLessThan must be at most 100" in message


def test_conditions_matching_the_schema_are_accepted() -> None:
    valid = conditions(
        {
            "ConditionType": "ModerationLabelConfidenceCheck",
            "ConditionParameters": {"ModerationLabelName": "Suggestive", "ConfidenceLessThan": 98.5},
        },
        {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 0}},
    )
    assert flow(**required(human_loop_request_source=REKOGNITION, activation_conditions=valid)).flow_definition_name


# --- task times -------------------------------------------------------------------------------
def test_a_task_time_limit_above_the_availability_lifetime_is_rejected() -> None:
    with pytest.raises(
        ValueError,
        match=rejected("task_time_limit", "7200 s", r"must not be longer than task_availability_lifetime \(3600 s\)"),
    ):
        flow(**required(task_time_limit=Duration.hours(2), task_availability_lifetime=Duration.hours(1)))


def test_a_task_time_limit_above_the_service_maximum_is_rejected() -> None:
    with pytest.raises(ValueError, match=rejected("task_time_limit", "32400 s", r"must be at most 28800 seconds")):
        flow(**required(task_time_limit=Duration.hours(9)))


def test_a_task_availability_lifetime_above_the_service_maximum_is_rejected() -> None:
    with pytest.raises(
        ValueError, match=rejected("task_availability_lifetime", "950400 s", r"must be at most 864000 seconds")
    ):
        flow(**required(task_availability_lifetime=Duration.days(11)))


def test_task_times_within_each_other_and_the_maxima_are_accepted() -> None:
    times = {"task_time_limit": Duration.hours(8), "task_availability_lifetime": Duration.days(10)}
    assert flow(**required(**times)).flow_definition_name
