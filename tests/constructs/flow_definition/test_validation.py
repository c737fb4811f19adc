"""FlowDefinition: one test per synth-time validation rule."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_constructs import FlowDefinition, TaskPrice
from sagemaker_constructs import flow_definition as flow_definition_module
from sagemaker_constructs.flow_definition import INPUT_BUCKET_CORS_RULE
from tests.constructs.flow_definition.inputs import (
    ENV,
    FORM_CONDITIONS,
    MODERATION_CONDITIONS,
    REKOGNITION,
    TEXTRACT,
    required,
    textract,
)


# --- validation: one test per rule --------------------------------------------------------------
@pytest.fixture(scope="module")
def scratch() -> Stack:
    return Stack(App(), "ScratchStack", env=ENV)


_ids = iter(range(10_000))


def build(stack: Stack, **kwargs: Any) -> FlowDefinition:
    return FlowDefinition(stack, f"Flow{next(_ids)}", **kwargs)


def test_valid_properties_raise_nothing(scratch: Stack) -> None:
    build(scratch, **textract())


def test_name_breaking_the_lowercase_pattern(scratch: Stack) -> None:
    with pytest.raises(ValueError, match=r"flow_definition_name must match \[a-z0-9\].*'Forms-Review'"):
        build(scratch, **textract(flow_definition_name="Forms-Review"))


def test_name_longer_than_63(scratch: Stack) -> None:
    with pytest.raises(ValueError, match="flow_definition_name must match"):
        build(scratch, **textract(flow_definition_name="a" * 64))


def test_activation_conditions_without_request_source(scratch: Stack) -> None:
    with pytest.raises(ValueError, match="human_loop_request_source/activation_conditions must be given together"):
        build(scratch, **required(activation_conditions=FORM_CONDITIONS))


def test_request_source_without_activation_conditions(scratch: Stack) -> None:
    with pytest.raises(ValueError, match="human_loop_request_source/activation_conditions must be given together"):
        build(scratch, **required(human_loop_request_source=TEXTRACT))


def test_unknown_request_source(scratch: Stack) -> None:
    with pytest.raises(ValueError, match="human_loop_request_source must be one of .*'AWS/Comprehend/V1'"):
        build(scratch, **required(human_loop_request_source="AWS/Comprehend/V1", activation_conditions=FORM_CONDITIONS))


def test_activation_conditions_that_are_not_json(scratch: Stack) -> None:
    with pytest.raises(ValueError, match="activation_conditions must be valid JSON"):
        build(scratch, **textract(activation_conditions='{"Conditions": [}'))


def test_activation_conditions_longer_than_10240(scratch: Stack) -> None:
    sampling = {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}}
    big = {"Conditions": [{"Or": [sampling] * 200}]}
    assert len(json.dumps(big, separators=(",", ":"))) > 10240
    with pytest.raises(ValueError, match=r"activation_conditions must be at most 10240 characters.*\(got '<\d+ char"):
        build(scratch, **textract(activation_conditions=big))


@pytest.mark.parametrize(
    "conditions",
    [
        {"conditions": []},
        {"Conditions": {"ConditionType": "Sampling"}},
        {"Conditions": []},
        '["Sampling"]',
    ],
)
def test_activation_conditions_without_a_top_level_conditions_array(scratch: Stack, conditions: Any) -> None:
    with pytest.raises(ValueError, match="activation_conditions must be an object with a top-level Conditions array"):
        build(scratch, **textract(activation_conditions=conditions))


def test_condition_type_rekognition_does_not_allow(scratch: Stack) -> None:
    with pytest.raises(
        ValueError,
        match=r"Conditions\[0\].ConditionType 'MissingImportantFormKey' is not allowed "
        r"here; use one of ModerationLabelConfidenceCheck, Sampling",
    ):
        build(
            scratch,
            **required(
                human_loop_request_source=REKOGNITION,
                activation_conditions=FORM_CONDITIONS | {"Conditions": [{"ConditionType": "MissingImportantFormKey"}]},
            ),
        )


def test_condition_type_textract_does_not_allow_nested_in_and_or(scratch: Stack) -> None:
    nested = {
        "Conditions": [
            {
                "And": [
                    {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}},
                    {"Or": [{"ConditionType": "ModerationLabelConfidenceCheck"}]},
                ]
            }
        ]
    }
    with pytest.raises(
        ValueError,
        match=r"Conditions\[0\].And\[1\].Or\[0\].ConditionType "
        r"'ModerationLabelConfidenceCheck' is not allowed here; use one of "
        r"ImportantFormKeyConfidenceCheck, MissingImportantFormKey, Sampling",
    ):
        build(scratch, **textract(activation_conditions=nested))


def test_nested_and_or_of_allowed_types_is_accepted(scratch: Stack) -> None:
    nested = {
        "Conditions": [
            {
                "And": [
                    {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}},
                    {
                        "Or": [
                            {
                                "ConditionType": "ModerationLabelConfidenceCheck",
                                "ConditionParameters": {"ModerationLabelName": "*", "ConfidenceLessThan": 50},
                            },
                            {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 1}},
                        ]
                    },
                ]
            }
        ]
    }
    build(scratch, **required(human_loop_request_source=REKOGNITION, activation_conditions=nested))


@pytest.mark.parametrize(
    ("condition", "rule"),
    [
        ({"ConditionParameters": {}}, "must have a ConditionType"),
        ({"And": []}, "And must be a non-empty array of conditions"),
        ({"Or": [{"ConditionType": "Sampling"}], "ConditionType": "Sampling"}, "must hold only one of And/Or"),
        ("Sampling", "must be an object"),
    ],
)
def test_malformed_condition(scratch: Stack, condition: Any, rule: str) -> None:
    with pytest.raises(ValueError, match=re.escape(rule)):
        build(scratch, **textract(activation_conditions={"Conditions": [condition]}))


@pytest.mark.parametrize("count", [0, 4])
def test_task_count_outside_1_to_3(scratch: Stack, count: int) -> None:
    with pytest.raises(ValueError, match=rf"task_count must be at (least 1|most 3) \(got {count}\)"):
        build(scratch, **textract(task_count=count))


@pytest.mark.parametrize("title", ["", "t" * 129])
def test_task_title_outside_1_to_128(scratch: Stack, title: str) -> None:
    with pytest.raises(ValueError, match=rf"task_title must be 1 to 128 characters long \({len(title)} given\)"):
        build(scratch, **textract(task_title=title))


@pytest.mark.parametrize("description", ["", "d" * 256])
def test_task_description_outside_1_to_255(scratch: Stack, description: str) -> None:
    with pytest.raises(ValueError, match=r"task_description must be 1 to 255 characters long"):
        build(scratch, **textract(task_description=description))


@pytest.mark.parametrize("keywords", [[], ["a", "b", "c", "d", "e", "f"]])
def test_task_keywords_count_outside_1_to_5(scratch: Stack, keywords: list[str]) -> None:
    with pytest.raises(ValueError, match=rf"task_keywords must hold 1 to 5 keywords \({len(keywords)} given\)"):
        build(scratch, **textract(task_keywords=keywords))


def test_task_keyword_longer_than_30(scratch: Stack) -> None:
    with pytest.raises(ValueError, match=r"task_keywords\[1\] must be 1 to 30 characters long \(31 given\)"):
        build(scratch, **textract(task_keywords=["forms", "k" * 31]))


@pytest.mark.parametrize("keyword", ["two  spaces", "forms!", " leading", "trailing "])
def test_task_keyword_breaking_the_pattern(scratch: Stack, keyword: str) -> None:
    with pytest.raises(ValueError, match=r"task_keywords\[0\] must match \[A-Za-z0-9\]\+"):
        build(scratch, **textract(task_keywords=[keyword]))


def test_task_time_limit_under_30_seconds(scratch: Stack) -> None:
    with pytest.raises(ValueError, match=r"task_time_limit must be at least 30 seconds \(got '29 s'\)"):
        build(scratch, **textract(task_time_limit=Duration.seconds(29)))


def test_task_availability_lifetime_under_1_second(scratch: Stack) -> None:
    with pytest.raises(ValueError, match=r"task_availability_lifetime must be at least 1 second \(got '0 s'\)"):
        build(scratch, **textract(task_availability_lifetime=Duration.seconds(0)))


def test_durations_in_fractions_of_a_second(scratch: Stack) -> None:
    with pytest.raises(ValueError, match=r"task_time_limit must be a whole number of seconds"):
        build(scratch, **textract(task_time_limit=Duration.millis(30500)))


def test_workteam_arn_breaking_its_pattern(scratch: Stack) -> None:
    bad = "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/forms-ui"
    with pytest.raises(ValueError, match=r"workteam_arn must match arn:aws.*:workteam/"):
        build(scratch, **textract(workteam_arn=bad))


def test_human_task_ui_arn_breaking_its_pattern(scratch: Stack) -> None:
    with pytest.raises(ValueError, match=r"human_task_ui_arn must match arn:aws.*:human-task-ui/"):
        build(scratch, **textract(human_task_ui_arn="forms-ui"))


def test_output_uri_that_is_not_s3_or_https(scratch: Stack) -> None:
    with pytest.raises(ValueError, match=r"output_s3_uri must be an s3:// or https:// URI \(got 'ftp://out/x/'\)"):
        build(scratch, **textract(output_s3_uri="ftp://out/x/"))


def test_https_output_uri_the_construct_cannot_read_needs_a_role(scratch: Stack) -> None:
    with pytest.raises(ValueError, match="or pass a role that can write there"):
        build(scratch, **textract(output_s3_uri="https://example.com/reviews/"))


def test_both_or_neither_output_bucket_and_uri(scratch: Stack) -> None:
    bucket = s3.Bucket.from_bucket_name(scratch, "OutputBucket", "review-output")
    with pytest.raises(ValueError, match="output_bucket/output_s3_uri exactly one of the two must be given"):
        build(scratch, **textract(output_bucket=bucket))
    with pytest.raises(ValueError, match="output_bucket/output_s3_uri exactly one of the two must be given"):
        build(scratch, **textract(output_s3_uri=None))


def test_textract_price_outside_the_textract_list(scratch: Stack) -> None:
    price = TaskPrice.usd("0.012")
    price.amount = Decimal("2.500")  # not reachable through usd(): the construct still checks
    with pytest.raises(
        ValueError,
        match=r"public_workforce_task_price is not a price for Textract AnalyzeDocument "
        r"forms review tasks; use one of 0.012, .*2.400 \(got '2.500'\)",
    ):
        build(scratch, **textract(public_workforce_task_price=price))


def test_textract_price_above_1_20_is_accepted_for_textract(scratch: Stack) -> None:
    build(scratch, **textract(public_workforce_task_price=TaskPrice.usd("1.320")))


def test_rekognition_price_outside_the_rekognition_list(scratch: Stack) -> None:
    with pytest.raises(
        ValueError,
        match=r"public_workforce_task_price is not a price for Rekognition "
        r"DetectModerationLabels review tasks; use one of 0.012, .*1.200 "
        r"\(got '1.320'\)",
    ):
        build(
            scratch,
            **required(
                human_loop_request_source=REKOGNITION,
                activation_conditions=MODERATION_CONDITIONS,
                public_workforce_task_price=TaskPrice.usd("1.320"),
            ),
        )


def test_custom_task_price_outside_the_custom_list(scratch: Stack) -> None:
    with pytest.raises(
        ValueError,
        match=r"public_workforce_task_price is not a price for Amazon Augmented AI custom "
        r"human review tasks; use one of .*\(got '2.400'\)",
    ):
        build(scratch, **required(public_workforce_task_price=TaskPrice.usd("2.400")))


def test_every_problem_is_reported_at_once(scratch: Stack) -> None:
    with pytest.raises(ValueError) as raised:
        build(
            scratch,
            **required(
                task_count=9,
                task_title="",
                flow_definition_name="Bad_Name",
                workteam_arn="nope",
                task_time_limit=Duration.seconds(5),
            ),
        )
    message = str(raised.value)
    assert message.startswith("FlowDefinition ScratchStack/Flow")
    assert "5 invalid properties" in message
    for prop in ("task_count", "task_title", "flow_definition_name", "workteam_arn", "task_time_limit"):
        assert f"  - {prop} " in message


def test_tokens_are_skipped(scratch: Stack) -> None:
    build(
        scratch,
        **textract(
            workteam_arn=Token.as_string({"Ref": "WorkteamArn"}),
            human_task_ui_arn=Token.as_string({"Ref": "UiArn"}),
            task_title=Token.as_string({"Ref": "Title"}),
            flow_definition_name=Token.as_string({"Ref": "Name"}),
            activation_conditions=Token.as_string({"Ref": "Conditions"}),
            output_s3_uri=Token.as_string({"Ref": "Output"}),
            role=iam.Role.from_role_arn(scratch, f"Role{next(_ids)}", "arn:aws:iam::123456789012:role/flow"),
        ),
    )


def test_cors_rule_is_the_documented_one() -> None:
    assert json.loads(INPUT_BUCKET_CORS_RULE) == [
        {"AllowedHeaders": [], "AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "ExposeHeaders": []}
    ]
    assert INPUT_BUCKET_CORS_RULE in str(flow_definition_module.__doc__)  # the docstring quotes the same rule


# --- output prefix and URI ---------------------------------------------------------------------
def output_bucket(stack: Stack) -> s3.IBucket:
    return s3.Bucket.from_bucket_name(stack, f"Out{next(_ids)}", "review-output")


def test_output_prefix_with_a_leading_slash_is_rejected(scratch: Stack) -> None:
    with pytest.raises(ValueError, match=r"output_prefix must not start with '/'.* \(got '/reviews/'\)"):
        build(scratch, **required(output_s3_uri=None, output_bucket=output_bucket(scratch), output_prefix="/reviews/"))


def test_output_prefix_beside_an_output_uri_is_rejected(scratch: Stack) -> None:
    with pytest.raises(
        ValueError, match=r"output_prefix applies to output_bucket only: put the prefix in output_s3_uri"
    ):
        build(scratch, **required(output_prefix="reviews/"))


def test_output_prefix_without_a_trailing_slash_warns() -> None:
    stack = Stack(App(), "Prefix")
    FlowDefinition(stack, "Flow", **required(output_s3_uri=None, output_bucket=output_bucket(stack), output_prefix="x"))
    Annotations.from_stack(stack).has_warning(
        "/Prefix/Flow", Match.string_like_regexp(r"output_prefix 'x' does not end in '/'")
    )


@pytest.mark.parametrize(
    ("uri", "objects"),
    [
        ("s3://review-output/results/", "review-output/results/*"),
        ("https://review-output.s3.amazonaws.com/results/", "review-output/results/*"),
        ("https://review-output.s3.eu-west-1.amazonaws.com/results/", "review-output/results/*"),
        ("https://review-output.s3-eu-west-1.amazonaws.com/results/", "review-output/results/*"),
        ("https://s3.eu-west-1.amazonaws.com/review-output/results/", "review-output/results/*"),
        ("https://s3.amazonaws.com/review-output/", "review-output/*"),
    ],
)
def test_created_role_writes_below_the_output_uri_in_every_s3_style(uri: str, objects: str) -> None:
    stack = Stack(App(), "Styles")
    flow = FlowDefinition(stack, "Flow", **required(output_s3_uri=uri))
    role_ref = {"Ref": stack.get_logical_id(flow.role.node.default_child)}  # type: ignore[arg-type]
    (policy,) = [
        p
        for p in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
        if role_ref in p["Properties"]["Roles"]
    ]
    (put,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert put["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{objects}"]]}


def test_output_uri_that_is_one_token_needs_a_role(scratch: Stack) -> None:
    with pytest.raises(ValueError, match=r"output_s3_uri must name its bucket .* or pass a role that can write there"):
        build(scratch, **required(output_s3_uri=Token.as_string({"Ref": "Output"})))


# --- durations --------------------------------------------------------------------------------
def test_token_durations_in_seconds_are_rendered_as_given() -> None:
    stack = Stack(App(), "Durations")
    seconds = Token.as_number({"Ref": "Seconds"})
    FlowDefinition(
        stack,
        "Flow",
        **required(task_time_limit=Duration.seconds(seconds), task_availability_lifetime=Duration.seconds(seconds)),
    )
    (flow,) = Template.from_stack(stack).find_resources("Custom::SageMakerFlowDefinition").values()
    loop = flow["Properties"]["HumanLoopConfig"]
    assert loop["TaskTimeLimitInSeconds"] == {"Ref": "Seconds"}
    assert loop["TaskAvailabilityLifetimeInSeconds"] == {"Ref": "Seconds"}


def test_token_duration_in_hours_is_rejected_as_it_cannot_be_converted(scratch: Stack) -> None:
    hours = Token.as_number({"Ref": "Hours"})
    with pytest.raises(
        ValueError, match=r"task_availability_lifetime must be Duration\.seconds\(\.\.\.\) when it comes"
    ):
        build(scratch, **required(task_availability_lifetime=Duration.hours(hours)))


def test_token_request_source_is_sent_as_given_and_not_checked() -> None:
    stack = Stack(App(), "SourceToken")
    source = Token.as_string({"Ref": "Source"})
    FlowDefinition(
        stack,
        "Flow",
        **required(
            human_loop_request_source=source,
            activation_conditions=MODERATION_CONDITIONS,
            public_workforce_task_price=TaskPrice.usd("2.400"),  # on the Textract list only
        ),
    )
    (flow,) = Template.from_stack(stack).find_resources("Custom::SageMakerFlowDefinition").values()
    assert flow["Properties"]["HumanLoopRequestSource"] == {"AwsManagedHumanLoopRequestSource": {"Ref": "Source"}}
