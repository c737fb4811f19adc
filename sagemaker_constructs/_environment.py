"""Region and account: what a resource's ARN or environment says, against the stack's.

Only what is known at synth time is compared: a stack without ``env`` (environment
agnostic) has a token region and account, and nothing can be checked; so has an
ARN that is a token. A KMS key, a work team and a human task UI of another
account are allowed (cross-account keys, the public workforce's work team); one
of another region is not: SageMaker uses them in the region of the call. A bucket
must be in the job's region too, and a bucket of another stack in another region
or account cannot be referenced at all (CDK's ``CannotUseCrossEnvironment``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Stack
from constructs import IConstruct

from ._validation import Problem, is_token

SAME_REGION = "SageMaker uses it in the region of the stack"


def _known(value: str | None) -> str | None:
    return None if value is None or is_token(value) or value == "" else value


def arn_region(arn: str | None) -> str | None:
    """The region of a literal ARN (``arn:partition:service:region:account:...``)."""
    if arn is None or is_token(arn):
        return None
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 5 and parts[0] == "arn" else None


_ENV_ATTRIBUTE = "_sagemaker_constructs_environment"  # on the stack object, like handler_for's registry


def stack_environment(scope: IConstruct) -> tuple[Stack, str | None, str | None]:
    """(stack, account, region); account and region None where they are tokens. A stack's
    environment is fixed when it is created, so it is asked of jsii once per stack."""
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    known: tuple[str | None, str | None] | None = stack.__dict__.get(_ENV_ATTRIBUTE)
    if known is None:
        known = (_known(stack.account), _known(stack.region))
        stack.__dict__[_ENV_ATTRIBUTE] = known
    return stack, known[0], known[1]


def arn_problems(region: str | None, arns: Mapping[str, str | None]) -> list[Problem]:
    """An ARN (``prop``: value) whose region is known and is not ``region``."""
    if region is None:
        return []
    found = []
    for prop, arn in arns.items():
        theirs = arn_region(arn)
        if theirs is not None and theirs != region:
            rule = f"must be in this stack's region {region}, not {theirs}: {SAME_REGION}"
            found.append(Problem(prop, arn, rule))
    return found


def key_problems(region: str | None, prop: str, key: Any) -> list[Problem]:
    """A KMS key whose region (from its ARN, or its stack's) is known and is not ``region``;
    a key of another account is allowed."""
    if key is None or region is None:
        return []
    theirs = _known(key.env.region)
    if theirs is None or theirs == region:
        return []
    shown = key.key_arn if not is_token(key.key_arn) else key.node.path
    rule = (
        f"must be a key in this stack's region {region}, not {theirs}: {SAME_REGION} (a key of another "
        "account is fine); use a key of this region, e.g. a multi-Region replica"
    )
    return [Problem(prop, shown, rule)]


def bucket_problems(stack: Stack, account: str | None, region: str | None, prop: str, bucket: Any) -> list[Problem]:
    """A bucket in another region, and a bucket of another stack in another region or
    account (which CDK cannot reference: ``CannotUseCrossEnvironment``)."""
    if bucket is None or (account is None and region is None):
        return []  # an environment-agnostic stack: nothing to compare with
    env = bucket.env
    theirs_region, theirs_account = _known(env.region), _known(env.account)
    other_region = region is not None and theirs_region is not None and theirs_region != region
    other_account = account is not None and theirs_account is not None and theirs_account != account
    if not (other_region or other_account):
        return []
    other_stack = bucket.stack
    shown = bucket.node.path if is_token(bucket.bucket_name) else bucket.bucket_name
    if other_region:
        fix = f"SageMaker needs the bucket in the stack's region: use a bucket of {region}"
    else:
        fix = (
            "to use a bucket of another account, import it by name (s3.Bucket.from_bucket_attributes(scope, id, "
            "bucket_name=..., account=...)) and allow this account in its bucket policy"
        )
    if other_stack is not stack:
        rule = (
            f"is a bucket of stack {other_stack.stack_name} (account {theirs_account}, region {theirs_region}), "
            f"which this stack (account {account}, region {region}) cannot reference (CDK: "
            f"CannotUseCrossEnvironment); {fix}"
        )
        return [Problem(prop, shown, rule)]
    if other_region:
        return [Problem(prop, shown, f"must be a bucket in this stack's region {region}, not {theirs_region}")]
    return []
