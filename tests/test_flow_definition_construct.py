"""FlowDefinition: the synthesized template for every option, and one test per
validation rule. One stack with every option is synthesized once per module."""

from __future__ import annotations

import json
import re
import types
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, RemovalPolicy, Stack, Tags, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from sagemaker_constructs import FlowDefinition, HumanLoopRequestSource, TaskPrice
from sagemaker_constructs import flow_definition as flow_definition_module
from sagemaker_constructs.flow_definition import INPUT_BUCKET_CORS_RULE

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
    '"ConditionParameters":{"ModerationLabelName":"*","ConfidenceGreaterThanOrEqual":75}}]}'
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


# --- one synthesized stack with every option ------------------------------------------
@pytest.fixture(scope="module")
def built() -> Iterator[types.SimpleNamespace]:
    app = App()
    stack = Stack(app, "FlowStack", env=ENV)
    out = s3.Bucket(stack, "Out")
    docs_key = kms.Key(stack, "DocsKey")
    docs = s3.Bucket(stack, "Docs", encryption_key=docs_key)
    out_key = kms.Key(stack, "OutKey")
    full = FlowDefinition(
        stack,
        "FormReview",
        human_loop_request_source=TEXTRACT,
        activation_conditions=FORM_CONDITIONS,
        workteam_arn=WORKTEAM,
        human_task_ui_arn=UI,
        task_title="Review the extracted form fields",
        task_description="Check each key/value pair against the document",
        task_count=2,
        task_availability_lifetime=Duration.hours(12),
        task_time_limit=Duration.minutes(30),
        task_keywords=["forms", "invoice review"],
        public_workforce_task_price=TaskPrice.usd("2.400"),
        output_bucket=out,
        output_prefix="reviews/",
        kms_key=out_key,
        input_buckets=[docs],
    )
    Tags.of(full).add("team", "forms")
    moderation = FlowDefinition(
        stack,
        "Moderation",
        **required(
            human_loop_request_source=REKOGNITION.value,
            activation_conditions=MODERATION_CONDITIONS,
            output_s3_uri=None,
            output_bucket=out,
            output_prefix="moderation/",
            public_workforce_task_price=TaskPrice.usd("0.012"),
            removal_policy=RemovalPolicy.RETAIN,
            stack_outputs=False,
        ),
    )
    custom = FlowDefinition(
        stack,
        "Custom",
        **required(
            flow_definition_name="my-custom-review",
            output_s3_uri="https://other-bucket.s3.us-east-1.amazonaws.com/custom/",
        ),
    )
    given_role = iam.Role(stack, "GivenRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    given = FlowDefinition(stack, "GivenRoleFlow", **required(role=given_role))
    caller = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    custom.grant_start_human_loop(caller)
    imported = FlowDefinition.from_flow_definition_name(stack, "Imported", "existing-review")
    imported.grant_start_human_loop(caller)
    template = Template.from_stack(stack)
    yield types.SimpleNamespace(
        stack=stack,
        template=template,
        full=full,
        moderation=moderation,
        custom=custom,
        given=given,
        given_role=given_role,
        caller=caller,
        imported=imported,
        out=out,
        docs=docs,
        out_key=out_key,
        docs_key=docs_key,
    )


def logical_id(stack: Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child)


def props_of(built: types.SimpleNamespace, flow: FlowDefinition) -> dict[str, Any]:
    resource = built.template.to_json()["Resources"][logical_id(built.stack, flow.resource)]
    assert resource["Type"] == "Custom::SageMakerFlowDefinition"
    return dict(resource["Properties"])


def policy_statements(built: types.SimpleNamespace, role: iam.IRole) -> list[dict[str, Any]]:
    role_id = logical_id(built.stack, role)
    statements: list[dict[str, Any]] = []
    for resource in built.template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in resource["Properties"]["Roles"]:
            statements.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


# --- the custom resource ----------------------------------------------------------------
def test_full_options_render_the_api_shape(built: types.SimpleNamespace) -> None:
    built.template.has_resource_properties(
        "Custom::SageMakerFlowDefinition",
        {
            "FlowDefinitionName": built.full.flow_definition_name,
            "HumanLoopRequestSource": {"AwsManagedHumanLoopRequestSource": "AWS/Textract/AnalyzeDocument/Forms/V1"},
            "HumanLoopConfig": {
                "WorkteamArn": WORKTEAM,
                "HumanTaskUiArn": UI,
                "TaskTitle": "Review the extracted form fields",
                "TaskDescription": "Check each key/value pair against the document",
                "TaskCount": 2,
                "TaskAvailabilityLifetimeInSeconds": 43200,
                "TaskTimeLimitInSeconds": 1800,
                "TaskKeywords": ["forms", "invoice review"],
                "PublicWorkforceTaskPrice": {"AmountInUsd": {"Dollars": 2, "Cents": 40, "TenthFractionsOfACent": 0}},
            },
            "OutputConfig": {
                "S3OutputPath": {"Fn::Join": ["", ["s3://", {"Ref": logical_id(built.stack, built.out)}, "/reviews/"]]},
                "KmsKeyId": {"Fn::GetAtt": [logical_id(built.stack, built.out_key), "Arn"]},
            },
            "RoleArn": {"Fn::GetAtt": [logical_id(built.stack, built.full.role), "Arn"]},
            "ServiceTimeout": "600",
            "Options": Match.absent(),
        },
    )


def test_activation_conditions_are_a_json_string(built: types.SimpleNamespace) -> None:
    props = props_of(built, built.full)
    text = props["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"]["HumanLoopActivationConditions"]
    assert isinstance(text, str)
    assert json.loads(text) == FORM_CONDITIONS


def test_activation_conditions_given_as_json_string_pass_through(built: types.SimpleNamespace) -> None:
    props = props_of(built, built.moderation)
    config = props["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"]
    assert config["HumanLoopActivationConditions"] == MODERATION_CONDITIONS
    assert props["HumanLoopRequestSource"] == {
        "AwsManagedHumanLoopRequestSource": "AWS/Rekognition/DetectModerationLabels/Image/V3"
    }
    assert props["HumanLoopConfig"]["PublicWorkforceTaskPrice"] == {
        "AmountInUsd": {"Dollars": 0, "Cents": 1, "TenthFractionsOfACent": 2}
    }


def test_custom_task_type_has_no_request_source_or_activation_config(built: types.SimpleNamespace) -> None:
    props = props_of(built, built.custom)
    assert "HumanLoopRequestSource" not in props
    assert "HumanLoopActivationConfig" not in props
    assert "TaskKeywords" not in props["HumanLoopConfig"]
    assert "PublicWorkforceTaskPrice" not in props["HumanLoopConfig"]
    assert props["OutputConfig"] == {"S3OutputPath": "https://other-bucket.s3.us-east-1.amazonaws.com/custom/"}


def test_explicit_name_is_used_and_marked(built: types.SimpleNamespace) -> None:
    props = props_of(built, built.custom)
    assert built.custom.flow_definition_name == "my-custom-review"
    assert props["FlowDefinitionName"] == "my-custom-review"
    assert props["Options"] == {"ExplicitName": "true"}


def test_generated_names_follow_the_lowercase_pattern_and_stack_prefix(built: types.SimpleNamespace) -> None:
    names = {built.full.flow_definition_name, built.moderation.flow_definition_name, built.given.flow_definition_name}
    assert len(names) == 3
    for name in names:
        assert NAME_RE.match(name) and name.startswith("flowstack--")


def test_tags_from_tags_of_are_rendered(built: types.SimpleNamespace) -> None:
    assert props_of(built, built.full)["Tags"] == [{"Key": "team", "Value": "forms"}]
    assert "Tags" not in props_of(built, built.custom)


def test_attributes_are_getatts_of_the_resource(built: types.SimpleNamespace) -> None:
    resource_id = logical_id(built.stack, built.full.resource)
    assert built.stack.resolve(built.full.flow_definition_arn) == {"Fn::GetAtt": [resource_id, "FlowDefinitionArn"]}
    assert built.stack.resolve(built.full.flow_definition_status) == {
        "Fn::GetAtt": [resource_id, "FlowDefinitionStatus"]
    }
    assert built.full.flow_definition_name == props_of(built, built.full)["FlowDefinitionName"]


def test_stack_output_for_the_arn_unless_disabled(built: types.SimpleNamespace) -> None:
    outputs = built.template.to_json()["Outputs"]
    arn_outputs = {k: v for k, v in outputs.items() if "FlowDefinitionArnOutput" in k}
    assert sorted(k.split("FlowDefinitionArnOutput")[0] for k in arn_outputs) == [
        "Custom",
        "FormReview",
        "GivenRoleFlow",
    ]
    full_output = next(v for k, v in arn_outputs.items() if k.startswith("FormReview"))
    assert full_output["Value"] == {"Fn::GetAtt": [logical_id(built.stack, built.full.resource), "FlowDefinitionArn"]}


def test_removal_policy_destroy_by_default_retain_when_asked(built: types.SimpleNamespace) -> None:
    resources = built.template.to_json()["Resources"]
    assert resources[logical_id(built.stack, built.full.resource)]["DeletionPolicy"] == "Delete"
    assert resources[logical_id(built.stack, built.moderation.resource)]["DeletionPolicy"] == "Retain"


def test_resource_depends_on_the_flow_role_and_its_policy(built: types.SimpleNamespace) -> None:
    resource = built.template.to_json()["Resources"][logical_id(built.stack, built.full.resource)]
    policy = built.full.role.node.find_child("DefaultPolicy")
    assert logical_id(built.stack, built.full.role) in resource["DependsOn"]
    assert logical_id(built.stack, policy) in resource["DependsOn"]


# --- the handler ---------------------------------------------------------------------------
def test_one_handler_function_serves_every_flow_definition(built: types.SimpleNamespace) -> None:
    functions = built.template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Description": Match.string_like_regexp("Augmented AI")}}
    )
    assert len(functions) == 1
    (function_id,) = functions
    for flow in (built.full, built.moderation, built.custom, built.given):
        assert props_of(built, flow)["ServiceToken"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert functions[function_id]["Properties"]["Timeout"] == 900


def test_handler_role_is_scoped_to_the_prefix_and_the_explicit_name(built: types.SimpleNamespace) -> None:
    handler = built.stack.node.find_child("SmcFlowDefinitionHandler")
    statements = policy_statements(built, handler.role)  # type: ignore[attr-defined]
    (flows,) = [s for s in statements if "sagemaker:CreateFlowDefinition" in actions_of(s)]
    assert sorted(actions_of(flows)) == sorted(
        [
            "sagemaker:CreateFlowDefinition",
            "sagemaker:DescribeFlowDefinition",
            "sagemaker:DeleteFlowDefinition",
            "sagemaker:AddTags",
            "sagemaker:DeleteTags",
            "sagemaker:ListTags",
        ]
    )
    resources = json.dumps(flows["Resource"])
    assert ":flow-definition/flowstack--*" in resources
    assert ":flow-definition/my-custom-review" in resources
    assert '"*"' not in resources
    assert not any("events:PutRule" in actions_of(s) for s in statements)  # no polling


def test_handler_may_pass_each_flow_role_only_to_sagemaker(built: types.SimpleNamespace) -> None:
    handler = built.stack.node.find_child("SmcFlowDefinitionHandler")
    statements = policy_statements(built, handler.role)  # type: ignore[attr-defined]
    (pass_role,) = [s for s in statements if "iam:PassRole" in actions_of(s)]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    passed = {r["Fn::GetAtt"][0] for r in pass_role["Resource"]}
    expected = {logical_id(built.stack, f.role) for f in (built.full, built.moderation, built.custom)}
    assert passed == expected | {logical_id(built.stack, built.given_role)}


# --- the flow role ----------------------------------------------------------------------------
def test_flow_role_trusts_sagemaker_and_has_no_managed_policies(built: types.SimpleNamespace) -> None:
    role = built.template.to_json()["Resources"][logical_id(built.stack, built.full.role)]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_flow_role_writes_only_below_the_output_prefix(built: types.SimpleNamespace) -> None:
    statements = policy_statements(built, built.full.role)
    (put,) = [s for s in statements if "s3:PutObject" in actions_of(s)]
    assert actions_of(put) == ["s3:PutObject"]
    assert put["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [logical_id(built.stack, built.out), "Arn"]}, "/reviews/*"]]
    }


def test_flow_role_reads_the_input_buckets_and_decrypts_with_their_key(built: types.SimpleNamespace) -> None:
    statements = policy_statements(built, built.full.role)
    (get,) = [s for s in statements if "s3:GetObject" in actions_of(s)]
    assert actions_of(get) == ["s3:GetObject"]
    assert get["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [logical_id(built.stack, built.docs), "Arn"]}, "/*"]]}
    docs_key = {"Fn::GetAtt": [logical_id(built.stack, built.docs_key), "Arn"]}
    assert any("kms:Decrypt" in actions_of(s) and s["Resource"] == docs_key for s in statements)


def test_flow_role_uses_the_output_kms_key(built: types.SimpleNamespace) -> None:
    statements = policy_statements(built, built.full.role)
    out_key = {"Fn::GetAtt": [logical_id(built.stack, built.out_key), "Arn"]}
    granted = {a for s in statements if s["Resource"] == out_key for a in actions_of(s)}
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"} <= granted
    assert not [a for a in granted if "*" in a]  # no kms:ReEncrypt* / kms:GenerateDataKey*


def test_flow_role_without_input_buckets_reads_nothing(built: types.SimpleNamespace) -> None:
    statements = policy_statements(built, built.moderation.role)
    assert not any("s3:GetObject" in actions_of(s) for s in statements)
    (put,) = [s for s in statements if "s3:PutObject" in actions_of(s)]
    assert put["Resource"]["Fn::Join"][1][1] == "/moderation/*"


def test_flow_role_for_an_https_output_uri_writes_to_its_bucket_and_prefix(built: types.SimpleNamespace) -> None:
    statements = policy_statements(built, built.custom.role)
    (put,) = [s for s in statements if "s3:PutObject" in actions_of(s)]
    assert put["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::other-bucket/custom/*"]]}


def test_given_role_is_used_and_no_role_is_created(built: types.SimpleNamespace) -> None:
    assert built.given.role is built.given_role
    assert props_of(built, built.given)["RoleArn"] == {"Fn::GetAtt": [logical_id(built.stack, built.given_role), "Arn"]}
    assert built.given.node.try_find_child("Role") is None
    assert policy_statements(built, built.given_role) == []


def test_flow_role_has_no_wildcard_resource(built: types.SimpleNamespace) -> None:
    for flow in (built.full, built.moderation, built.custom):
        for statement in policy_statements(built, flow.role):
            assert statement["Resource"] != "*"


# --- grants and imports -----------------------------------------------------------------------
def test_grant_start_human_loop_on_the_flow_definition_arn(built: types.SimpleNamespace) -> None:
    statements = policy_statements(built, built.caller)
    starts = [s for s in statements if actions_of(s) == ["sagemaker:StartHumanLoop"]]
    resources = [r for s in starts for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
    assert {"Fn::GetAtt": [logical_id(built.stack, built.custom.resource), "FlowDefinitionArn"]} in resources
    assert any("flow-definition/existing-review" in json.dumps(r) for r in resources)


def test_imported_flow_definition_has_name_and_arn(built: types.SimpleNamespace) -> None:
    assert built.imported.flow_definition_name == "existing-review"
    assert built.stack.resolve(built.imported.flow_definition_arn) == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:us-east-1:123456789012:flow-definition/existing-review"],
        ]
    }


def test_import_of_an_invalid_name_raises() -> None:
    stack = Stack(App(), "ImportStack")
    with pytest.raises(ValueError, match="Upper_Case"):
        FlowDefinition.from_flow_definition_name(stack, "Imported", "Upper_Case")


# --- generated names -----------------------------------------------------------------------
def name_of(tag: str | None = None, **overrides: Any) -> str:
    stack = Stack(App(), "NameStack")
    flow = FlowDefinition(stack, "Review", **textract(**overrides))
    if tag:
        Tags.of(flow).add("team", tag)
    return flow.flow_definition_name


def test_name_is_stable_and_ignores_tags() -> None:
    assert name_of() == name_of() == name_of(tag="forms") == name_of(tag="invoices")


@pytest.mark.parametrize(
    "change",
    [
        {"task_count": 2},
        {"task_title": "Another title"},
        {"task_keywords": ["forms"]},
        {"task_time_limit": Duration.minutes(5)},
        {"public_workforce_task_price": TaskPrice.usd("0.036")},
        {"output_s3_uri": "s3://review-output/other/"},
        {
            "activation_conditions": {
                "Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 1}}]
            }
        },
    ],
)
def test_name_changes_with_every_property(change: dict[str, Any]) -> None:
    assert name_of(**change) != name_of()


# --- TaskPrice -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "parts"),
    [
        ("0.012", (0, 1, 2)),
        ("0.036", (0, 3, 6)),
        ("0.12", (0, 12, 0)),
        ("1.080", (1, 8, 0)),
        ("2.400", (2, 40, 0)),
    ],
)
def test_task_price_splits_dollars_cents_and_tenths(amount: str, parts: tuple[int, int, int]) -> None:
    price = TaskPrice.usd(amount)
    assert (price.dollars, price.cents, price.tenth_fractions_of_a_cent) == parts
    assert price.to_api() == {
        "AmountInUsd": {"Dollars": parts[0], "Cents": parts[1], "TenthFractionsOfACent": parts[2]}
    }


@pytest.mark.parametrize("amount", ["0.05", "0.037", "2.5", "3", "-0.036", "0"])
def test_task_price_off_every_list_raises_listing_the_valid_ones(amount: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(amount))) as raised:
        TaskPrice.usd(amount)
    assert "0.012, 0.024, 0.036" in str(raised.value) and "2.400" in str(raised.value)


def test_task_price_that_is_not_a_number_raises() -> None:
    with pytest.raises(ValueError, match="not a price SageMaker accepts"):
        TaskPrice.usd("a dollar")


def test_task_price_lists_are_the_references() -> None:
    assert TaskPrice.TEXTRACT_FORMS[0] == Decimal("0.012") and TaskPrice.TEXTRACT_FORMS[-1] == Decimal("2.400")
    assert len(TaskPrice.TEXTRACT_FORMS) == 26
    assert len(TaskPrice.REKOGNITION_MODERATION) == len(TaskPrice.A2I_CUSTOM) == 16
    assert TaskPrice.SEMANTIC_SEGMENTATION == tuple(Decimal(v) for v in ("0.840", "0.960", "1.080", "1.200"))
    assert Decimal("0.012") not in TaskPrice.BOUNDING_BOX


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
                    {"Or": [{"ConditionType": "ModerationLabelConfidenceCheck"}, {"ConditionType": "Sampling"}]},
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
