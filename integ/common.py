"""What the integ apps share: how each app is laid out, its inputs, and the
assertions that fail the deploy when they do not hold.

Each integ app (``integ/integ_*.py``) builds one :class:`IntegApp`: a stack
under test and an assertion stack, tied together by an ``IntegTest``. The
assertion stack holds only ``aws-cdk.integ-tests-alpha`` constructs, whose
custom resources call AWS after the stack under test is deployed:

* :func:`must_equal` is an ``EqualsAssertion`` with ``fail_deployment=True``:
  a mismatch fails the deploy with the rendered mismatch as its reason.
* :func:`must_match_eventually` is an ``AwsApiCall`` with an
  ``ExpectedResult`` and ``wait_for_assertions``: the deploy fails when the
  result does not match before the timeout. A bare ``AwsApiCall.expect``
  only *reports* a mismatch (in the ``AssertionResults…`` output) and lets the
  deploy succeed, so it is never used alone here.
* An ``AwsApiCall`` whose API call fails (``HeadObject`` of a missing object)
  fails the deploy by itself.

Every assertion's result is a stack output named ``AssertionResults…``;
``scripts/integ.py`` reads them after the deploy and reports each.

Inputs that only a real account has (a work team, a training job) come from
CDK context (``-c key=value``) or an environment variable, and fall back to a
fixed placeholder, so that the offline snapshot never changes and
``scripts/integ.py`` can tell that the app cannot run yet.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import jsii
from aws_cdk import Annotations, App, CfnOutput, CfnResource, Duration, IAspect, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.integ_tests_alpha import (
    ActualResult,
    EqualsAssertion,
    ExpectedResult,
    IApiCall,
    IDeployAssert,
    IntegTest,
    Match,
)
from constructs import IConstruct

# The ownership tags the handlers put on everything they create (sagemaker_constructs/_wire.py
# OWNER_STACK_TAG / OWNER_LOGICAL_ID_TAG; tests/integ checks these literals against it).
OWNER_STACK_TAG = "sagemaker-constructs:stack-id"
OWNER_LOGICAL_ID_TAG = "sagemaker-constructs:logical-id"
# Custom resources of integ-tests-alpha: their "salt" property is Date.now() at synth time,
# so that every deploy runs the assertions again.
ASSERTION_RESOURCE_PREFIX = "Custom::DeployAssert@"
SALT_PROPERTY = "salt"
# Every assertion's result is a stack output whose name starts with this (scripts/integ.py reads them).
ASSERTION_OUTPUT_PREFIX = "AssertionResults"
PLACEHOLDER = "integ-placeholder"


@dataclass(frozen=True)
class Input:
    """One value an app needs from the account: a CDK context key or an
    environment variable (the context wins). Without either the app uses a
    placeholder, and ``scripts/integ.py`` skips it."""

    context_key: str
    env_var: str
    help: str

    def value(self, app: App) -> str | None:
        """The given value, or None (the app then uses its placeholder)."""
        found = app.node.try_get_context(self.context_key) or os.environ.get(self.env_var, "")
        return str(found) if found else None

    def given(self, context: dict[str, str]) -> bool:
        """Whether a real value is given, in ``context`` (``-c`` pairs) or the environment."""
        return bool(context.get(self.context_key) or os.environ.get(self.env_var))


@dataclass
class IntegApp:
    """A stack under test, its assertion stack and the IntegTest over both."""

    app: App
    stack: Stack
    assertions_stack: Stack
    test: IntegTest
    inputs: tuple[Input, ...] = field(default_factory=tuple)

    @property
    def stacks(self) -> tuple[Stack, Stack]:
        return self.stack, self.assertions_stack


def integ_app(app: App, name: str, inputs: tuple[Input, ...] = ()) -> tuple[Stack, Callable[[], IntegApp]]:
    """The stack under test, named ``Integ<name>``, and a factory that finishes the
    app once the stack is built: ``finish() -> IntegApp``.

    Both stacks are environment-agnostic: ``cdk deploy`` deploys them to the
    account and region of the credentials, and the snapshot does not depend on
    who synthesized it.
    """
    stack = Stack(app, f"Integ{name}", description=f"sagemaker-constructs integration test: {name} (safe to delete)")
    assertions_stack = Stack(app, f"Integ{name}Assertions", description=f"Assertions of Integ{name}")

    def finish() -> IntegApp:
        test = IntegTest(app, name, test_cases=[stack], assertion_stack=assertions_stack)
        assertions_stack.add_stack_dependency(stack)  # deployed after it, destroyed before it
        Annotations.of(assertions_stack).acknowledge_warning(
            "@aws-cdk/core:crossStackReferencesDefaultStrong",
            "strong references (exports) are wanted: the assertion stack is always destroyed first",
        )
        return IntegApp(app, stack, assertions_stack, test, inputs)

    return stack, finish


def scratch_bucket(stack: Stack, construct_id: str = "Artifacts") -> s3.Bucket:
    """A private bucket that ``cdk destroy`` empties and removes."""
    return s3.Bucket(
        stack,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        removal_policy=RemovalPolicy.DESTROY,
        auto_delete_objects=True,
    )


# --- assertions -----------------------------------------------------------------------
def must_equal(scope: IConstruct, construct_id: str, actual: ActualResult, expected: ExpectedResult) -> EqualsAssertion:
    """An assertion that fails the deploy (in the assertion stack of ``scope``).

    Its result is the output ``AssertionResults<construct_id>``. (integ-tests-alpha
    appends a hash of the unresolved actual and expected values, which holds token
    numbers that change with whatever else the process synthesized before.)"""
    assertion = EqualsAssertion(Stack.of(scope), construct_id, actual=actual, expected=expected, fail_deployment=True)
    output = assertion.node.find_child("AssertionResults")
    assert isinstance(output, CfnOutput)
    output.override_logical_id(f"{ASSERTION_OUTPUT_PREFIX}{construct_id}")
    return assertion


def must_have(call: IApiCall, fields: dict[str, tuple[str, ExpectedResult]]) -> IApiCall:
    """One :func:`must_equal` per entry ``construct id: (dotted path in the response, expected)``."""
    for construct_id, (path, expected) in fields.items():
        must_equal(call, construct_id, ActualResult.from_aws_api_call(call, path), expected)
    return call


def must_be_owned_by(assertions: IDeployAssert, stack: Stack, arn: str) -> IApiCall:
    """``ListTags`` on ``arn`` shows the ownership tag naming ``stack`` (see :func:`owner_tags_expected`)."""
    tags = assertions.aws_api_call("SageMaker", "listTags", {"ResourceArn": arn})
    return must_match_eventually(tags, owner_tags_expected(stack))


def must_match_eventually(call: IApiCall, expected: ExpectedResult, timeout_minutes: int = 3) -> IApiCall:
    """``call`` is made until its whole result matches ``expected``; the deploy fails after ``timeout_minutes``."""
    return call.expect(expected).wait_for_assertions(
        total_timeout=Duration.minutes(timeout_minutes), interval=Duration.seconds(10)
    )


def owner_tags_expected(stack: Stack) -> ExpectedResult:
    """A ListTags result that carries the ownership tag naming ``stack``.

    The stack's ARN is known only at deploy time, and ``Ref AWS::StackId`` in
    the assertion stack would be that stack's own, so the value is matched by
    the stack name it contains."""
    return ExpectedResult.object_like(
        {
            "Tags": Match.array_with(
                [{"Key": OWNER_STACK_TAG, "Value": Match.string_like_regexp(f":stack/{stack.stack_name}/")}]
            )
        }
    )


def allow(call: IApiCall, actions: list[str], resources: list[str]) -> None:
    """Add a statement to the role of the function that makes ``call`` (integ-tests-alpha
    derives only ``<service>:<Api>`` on ``*``, which is wrong for S3's HeadObject)."""
    call.provider.add_to_role_policy({"Effect": "Allow", "Action": actions, "Resource": resources})


# --- offline snapshots --------------------------------------------------------------------
@jsii.implements(IAspect)
class PinAssertionSalts:
    """Replace the ``salt`` (Date.now() at synth) of every integ-tests-alpha custom
    resource with a fixed string. Only the snapshot tests apply it: a deployed
    app keeps its salts, so that a second deploy runs the assertions again."""

    def __init__(self, value: str = "<salt>") -> None:
        self.value = value

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource) and node.cfn_resource_type.startswith(ASSERTION_RESOURCE_PREFIX):
            node.add_property_override(SALT_PROPERTY, self.value)
