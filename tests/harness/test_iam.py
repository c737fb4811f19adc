"""The harness's IAM evaluator (tests/harness/iam.py) and the fake's enforcement of it."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_constructs import _wire
from tests.harness import ACCOUNT, REGION, STACK_ID, owner_tags
from tests.harness.fake_sagemaker import FakeSageMaker
from tests.harness.iam import Policy, Resolver, arn_match, conditions_hold, handler_policy, wildcard_match
from tests.harness.properties import FLOW_NAME, JOB_NAME, api_request, compilation_job_properties

JOBS = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:compilation-job"


def policy(*statements: dict[str, Any]) -> Policy:
    return Policy.from_documents({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition is not None:
        statement["Condition"] = condition
    return statement


# --- wildcards ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("a*", "abc", True),
        ("a*", "ba", False),
        ("a?c", "abc", True),
        ("a?c", "abbc", False),
        ("*", "", True),
        ("a.c", "abc", False),  # regex characters are literal
        ("prod--*", "prod-2--job", False),
    ],
)
def test_wildcards(pattern: str, value: str, expected: bool) -> None:
    assert wildcard_match(pattern, value) is expected


def test_actions_ignore_case_resources_do_not() -> None:
    p = policy(allow("sagemaker:Describe*", f"{JOBS}/abc"))
    assert p.allows("sagemaker:describecompilationjob", f"{JOBS}/abc")
    assert not p.allows("sagemaker:DescribeCompilationJob", f"{JOBS}/ABC")
    assert not p.allows("sagemaker:DeleteCompilationJob", f"{JOBS}/abc")


def test_resource_wildcard_and_lists() -> None:
    p = policy(allow(["sagemaker:StopCompilationJob", "sagemaker:DeleteCompilationJob"], [f"{JOBS}/p--*", "x"]))
    assert p.allows("sagemaker:DeleteCompilationJob", f"{JOBS}/p--job-1")
    assert not p.allows("sagemaker:DeleteCompilationJob", f"{JOBS}/q--job-1")


def test_explicit_deny_wins_and_no_allow_is_a_deny() -> None:
    p = policy(allow("sagemaker:*", "*"), {"Effect": "Deny", "Action": "sagemaker:Delete*", "Resource": "*"})
    assert p.allows("sagemaker:StopCompilationJob", f"{JOBS}/a")
    decision = p.decide("sagemaker:DeleteCompilationJob", f"{JOBS}/a")
    assert not decision.allowed and "explicit deny" in decision.reason
    assert "no identity-based policy allows" in policy().decide("sagemaker:ListTags", "*").reason


def test_not_action_and_not_resource() -> None:
    p = policy({"Effect": "Allow", "NotAction": "sagemaker:Delete*", "NotResource": f"{JOBS}/secret"})
    assert p.allows("sagemaker:StopCompilationJob", f"{JOBS}/a")
    assert not p.allows("sagemaker:DeleteCompilationJob", f"{JOBS}/a")
    assert not p.allows("sagemaker:StopCompilationJob", f"{JOBS}/secret")


def test_an_unresolved_intrinsic_is_refused() -> None:
    with pytest.raises(ValueError, match="unresolved"):
        policy(allow("s3:GetObject", {"Fn::Join": ["", ["a", "b"]]}))


# --- conditions ------------------------------------------------------------------------------------
OWNER = f"aws:ResourceTag/{_wire.OWNER_STACK_TAG}"


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {OWNER: STACK_ID}}, {OWNER: STACK_ID}, True),
        ({"StringEquals": {OWNER: STACK_ID}}, {OWNER: STACK_ID + "x"}, False),
        ({"StringEquals": {OWNER: STACK_ID}}, {}, False),  # a missing key: false
        ({"StringEquals": {OWNER: ["a", STACK_ID]}}, {OWNER: STACK_ID}, True),  # values: OR
        ({"StringEquals": {OWNER.upper(): STACK_ID}}, {OWNER: STACK_ID}, True),  # key names ignore case
        ({"StringEquals": {OWNER: "a", "aws:RequestTag/k": "v"}}, {OWNER: "a"}, False),  # keys: AND
        ({"StringLike": {OWNER: "arn:aws:cloudformation:*:stack/TestStack/*"}}, {OWNER: STACK_ID}, True),
        ({"StringLike": {OWNER: "arn:aws:cloudformation:*:stack/Other/*"}}, {OWNER: STACK_ID}, False),
        ({"StringNotEquals": {OWNER: "a"}}, {}, True),  # a negation of a missing key holds
        ({"StringEqualsIfExists": {OWNER: "a"}}, {}, True),
        ({"StringEqualsIfExists": {OWNER: "a"}}, {OWNER: "b"}, False),
        ({"Null": {OWNER: "true"}}, {}, True),
        ({"Null": {OWNER: "true"}}, {OWNER: "a"}, False),
        ({"Null": {OWNER: "false"}}, {OWNER: "a"}, True),
        ({"Null": {OWNER: "false"}}, {}, False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket*"}}, {"aws:SourceArn": "arn:aws:s3:::bucket-1"}, True),
        ({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::b"}}, {"aws:SourceArn": "arn:aws:s3:::c"}, False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::b"}}, {"aws:SourceArn": "not-an-arn"}, False),
    ],
)
def test_condition_operators(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert conditions_hold(condition, context) is expected


def test_arn_like_matches_each_part_on_its_own() -> None:
    assert arn_match("arn:aws:sagemaker:*:*:compilation-job/*", f"{JOBS}/a")
    assert not arn_match("arn:aws:sagemaker:*:*:compilation-job/*", f"arn:aws:iam::{ACCOUNT}:role/r")


ALLOWED_KEYS = [_wire.OWNER_STACK_TAG, _wire.OWNER_LOGICAL_ID_TAG, "team"]


@pytest.mark.parametrize(
    ("operator", "keys", "expected"),
    [
        ("ForAllValues:StringEquals", ["team"], True),
        ("ForAllValues:StringEquals", ["team", "cost"], False),
        ("ForAllValues:StringEquals", [], True),
        ("ForAllValues:StringEquals", None, True),  # no key at all: nothing fails
        ("ForAllValues:StringLike", ["sagemaker-constructs:x"], False),
        ("ForAnyValue:StringEquals", ["cost", "team"], True),
        ("ForAnyValue:StringEquals", ["cost"], False),
        ("ForAnyValue:StringEquals", None, False),
        ("ForAnyValue:StringLike", ["sagemaker-constructs:stack-id"], True),
    ],
)
def test_set_operators(operator: str, keys: list[str] | None, expected: bool) -> None:
    context = {} if keys is None else {"aws:TagKeys": keys}
    assert conditions_hold({operator: {"aws:TagKeys": ALLOWED_KEYS}}, context) is expected


def test_for_all_values_string_like_uses_wildcards() -> None:
    condition = {"ForAllValues:StringLike": {"aws:TagKeys": ["sagemaker-constructs:*", "team"]}}
    assert conditions_hold(condition, {"aws:TagKeys": [_wire.OWNER_STACK_TAG, "team"]})
    assert not conditions_hold(condition, {"aws:TagKeys": ["cost"]})


def test_an_unknown_operator_is_not_silently_true() -> None:
    with pytest.raises(NotImplementedError):
        conditions_hold({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "1"})


# --- the template resolver -----------------------------------------------------------------------
def test_resolver_uses_pseudo_parameters_known_values_and_logical_ids() -> None:
    template = {"Resources": {"JobRole1234": {"Type": "AWS::IAM::Role"}, "Fn": {"Type": "AWS::Lambda::Function"}}}
    resolver = Resolver(template, {"Bucket.Arn": "arn:aws:s3:::b"})
    value = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:", {"Ref": "AWS::Region"}, ":x"]]}
    assert resolver.resolve(value) == f"arn:aws:sagemaker:{REGION}:x"
    assert resolver.resolve({"Fn::GetAtt": ["JobRole1234", "Arn"]}) == f"arn:aws:iam::{ACCOUNT}:role/JobRole1234"
    assert resolver.resolve({"Fn::GetAtt": ["Fn", "Arn"]}) == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Fn"
    assert resolver.resolve({"Fn::GetAtt": ["Bucket", "Arn"]}) == "arn:aws:s3:::b"
    assert resolver.resolve({"Ref": "AWS::StackId"}) == STACK_ID
    assert resolver.resolve({"Fn::Sub": "${AWS::AccountId}-${Bucket.Arn}"}) == f"{ACCOUNT}-arn:aws:s3:::b"


def test_handler_policy_from_a_synthesized_template() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3
    from aws_cdk.assertions import Template

    from tests.constructs.builders import small_job

    stack = Stack(App(), "Policy", env={"account": ACCOUNT, "region": REGION})
    small_job(stack, "Job", s3.Bucket(stack, "Bucket"), stack_outputs=False)
    p = handler_policy(Template.from_stack(stack).to_json())
    assert p.allows("cloudformation:DescribeStackResource", STACK_ID)
    assert not p.allows("cloudformation:DescribeStackResource", STACK_ID.replace("TestStack", "Other"))
    assert not p.allows("sagemaker:DeleteCompilationJob", f"{JOBS}/someone-elses-job", {})


# --- the fake, enforcing -----------------------------------------------------------------------------
def job_policy(*extra: dict[str, Any]) -> Policy:
    return policy(
        allow("sagemaker:*CompilationJob", f"{JOBS}/teststack--*"),
        allow(
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/neo-job-role",
            {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        *extra,
    )


def test_without_a_policy_everything_is_allowed() -> None:
    fake = FakeSageMaker()
    fake.create_compilation_job(**api_request(compilation_job_properties("other-job")))
    assert fake.denied == []


def test_a_denied_call_raises_access_denied_and_changes_nothing() -> None:
    fake = FakeSageMaker(policy=job_policy())
    with pytest.raises(ClientError) as raised:
        fake.create_compilation_job(**api_request(compilation_job_properties("other-job")))
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "sagemaker:CreateCompilationJob" in error["Message"] and "compilation-job/other-job" in error["Message"]
    assert fake.jobs == {}
    assert fake.denied[0][:2] == ("sagemaker:CreateCompilationJob", f"{JOBS}/other-job")


def test_pass_role_is_checked_on_create() -> None:
    fake = FakeSageMaker(policy=policy(allow("sagemaker:*", "*")))
    with pytest.raises(ClientError, match="iam:PassRole"):
        fake.create_compilation_job(**api_request(compilation_job_properties()))
    fake.enforce(job_policy())
    fake.create_compilation_job(**api_request(compilation_job_properties()))
    assert JOB_NAME in fake.jobs


def test_resource_tags_are_the_current_tags_and_request_tags_the_requests() -> None:
    owned = {"StringEquals": {OWNER: STACK_ID}}
    fake = FakeSageMaker(
        policy=job_policy(
            allow(["sagemaker:DeleteCompilationJob", "sagemaker:DeleteTags"], f"{JOBS}/*", owned),
            allow(
                ["sagemaker:CreateCompilationJob", "sagemaker:AddTags"],
                f"{JOBS}/*",
                {"StringEquals": {f"aws:RequestTag/{_wire.OWNER_STACK_TAG}": STACK_ID}},
            ),
        )
    )
    ours = {**api_request(compilation_job_properties("ours")), "Tags": owner_tags()}
    fake.create_compilation_job(**ours)  # allowed by its request tags
    with pytest.raises(ClientError, match="AccessDenied"):
        fake.create_compilation_job(**api_request(compilation_job_properties("theirs")))
    fake.enforce(None)
    fake.create_compilation_job(**{**api_request(compilation_job_properties("theirs")), "Tags": []})
    fake.enforce(job_policy(allow(["sagemaker:DeleteCompilationJob", "sagemaker:DeleteTags"], f"{JOBS}/*", owned)))
    context = fake.request_context("DeleteTags", {"ResourceArn": f"{JOBS}/ours", "TagKeys": ["team"]})[1]
    assert context == {**{f"aws:ResourceTag/{t['Key']}": t["Value"] for t in owner_tags()}, "aws:TagKeys": ["team"]}
    fake.delete_tags(ResourceArn=f"{JOBS}/ours", TagKeys=[_wire.OWNER_STACK_TAG])
    with pytest.raises(ClientError, match="AccessDenied"):  # no longer carries the tag
        fake.delete_compilation_job(CompilationJobName="ours")
    with pytest.raises(ClientError, match="AccessDenied"):
        fake.delete_compilation_job(CompilationJobName="theirs")


def test_tags_in_a_create_are_authorized_as_add_tags_with_the_tagging_action() -> None:
    create_only = job_policy(allow("sagemaker:CreateCompilationJob", f"{JOBS}/*"))
    fake = FakeSageMaker(policy=create_only)
    fake.create_compilation_job(**api_request(compilation_job_properties("untagged")))  # no tags: no AddTags
    with pytest.raises(ClientError, match="sagemaker:AddTags"):
        fake.create_compilation_job(**{**api_request(compilation_job_properties("tagged")), "Tags": owner_tags()})
    action, _, context, _ = fake.denied[-1]
    assert action == "sagemaker:AddTags"
    assert context["sagemaker:TaggingAction"] == "CreateCompilationJob"
    assert context[f"aws:RequestTag/{_wire.OWNER_STACK_TAG}"] == STACK_ID
    assert not [key for key in context if key.startswith("aws:ResourceTag/")]
    on_create = {"StringEquals": {"sagemaker:TaggingAction": "CreateCompilationJob"}}
    fake.enforce(
        job_policy(allow("sagemaker:CreateCompilationJob", f"{JOBS}/*"), allow("sagemaker:AddTags", "*", on_create))
    )
    fake.create_compilation_job(**{**api_request(compilation_job_properties("tagged")), "Tags": owner_tags()})
    with pytest.raises(ClientError, match="sagemaker:AddTags"):  # a plain AddTags has no TaggingAction
        fake.add_tags(ResourceArn=f"{JOBS}/tagged", Tags=[{"Key": "team", "Value": "a"}])


def test_a_name_that_does_not_exist_has_no_resource_tags() -> None:
    fake = FakeSageMaker()
    arn, context = fake.request_context("DescribeFlowDefinition", {"FlowDefinitionName": FLOW_NAME})
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:flow-definition/{FLOW_NAME}"
    assert context == {}


def test_a_deleted_job_that_lingers_still_shows_its_tags() -> None:
    fake = FakeSageMaker()
    fake.delete_linger_seconds = 30.0
    fake.create_compilation_job(**{**api_request(compilation_job_properties("gone")), "Tags": owner_tags()})
    fake.delete_compilation_job(CompilationJobName="gone")
    context = fake.request_context("DeleteCompilationJob", {"CompilationJobName": "gone"})[1]
    assert context[OWNER] == STACK_ID
    fake.clock.sleep(31.0)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        fake.describe_compilation_job(CompilationJobName="gone")
    assert fake.request_context("DeleteCompilationJob", {"CompilationJobName": "gone"})[1] == {}
