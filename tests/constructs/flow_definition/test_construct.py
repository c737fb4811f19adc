"""FlowDefinition: the synthesized template for every option. One stack with
every option is synthesized once per module."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk import App, Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from sagemaker_constructs import FlowDefinition, TaskPrice
from sagemaker_constructs._naming import stack_prefix
from tests.constructs.flow_definition.inputs import (
    ENV,
    FORM_CONDITIONS,
    MODERATION_CONDITIONS,
    NAME_RE,
    REKOGNITION,
    TEXTRACT,
    UI,
    WORKTEAM,
    required,
    textract,
)


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
        assert NAME_RE.match(name) and name.startswith(stack_prefix("FlowStack"))


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
    """Changed (issue 15, defect 1): Create by name (the prefix and the explicit name);
    Delete and the tag actions by this stack's ownership tag; the reads by resource type."""
    handler = built.stack.node.find_child("SmcFlowDefinitionHandler")
    statements = policy_statements(built, handler.role)  # type: ignore[attr-defined]
    (create,) = [s for s in statements if "sagemaker:CreateFlowDefinition" in actions_of(s)]
    assert actions_of(create) == ["sagemaker:CreateFlowDefinition"]
    resources = json.dumps(create["Resource"])
    assert f":flow-definition/{stack_prefix('FlowStack')}*" in resources
    assert ":flow-definition/my-custom-review" in resources
    assert '"*"' not in resources
    assert create["Condition"]["StringEquals"] == {
        "aws:RequestTag/sagemaker-constructs:stack-id": {"Ref": "AWS::StackId"}
    }
    tag_on_create, owned = [s for s in statements if "sagemaker:AddTags" in actions_of(s)]
    assert tag_on_create["Condition"]["StringEquals"]["sagemaker:TaggingAction"] == "CreateFlowDefinition"
    assert json.dumps(tag_on_create["Resource"]) == resources
    assert sorted(actions_of(owned)) == ["sagemaker:AddTags", "sagemaker:DeleteFlowDefinition", "sagemaker:DeleteTags"]
    assert json.dumps(owned["Resource"]).endswith(':flow-definition/*"]]}')
    assert owned["Condition"]["StringEquals"] == {
        "aws:ResourceTag/sagemaker-constructs:stack-id": {"Ref": "AWS::StackId"}
    }
    (read,) = [s for s in statements if "sagemaker:DescribeFlowDefinition" in actions_of(s)]
    assert sorted(actions_of(read)) == ["sagemaker:DescribeFlowDefinition", "sagemaker:ListTags"]
    assert read["Resource"] == owned["Resource"] and "Condition" not in read
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
