"""The opt-in ``aws`` suite: the real handler code against real SageMaker, without CloudFormation.

Selection. Every test here carries the ``aws`` marker (declared in
pyproject.toml). They run only when the ``-m`` expression selects that marker
(``pytest -m aws``); otherwise they are skipped here, so plain ``pytest`` and
``make test`` never reach AWS. (pyproject's ``addopts`` has no ``-m``: were
``-m "not aws"`` ever added there, a ``-m aws`` on the command line would
still win, as the last ``-m`` does.) Selected but without credentials, they
are skipped with the reason.

Environment. ``tests/conftest.py`` sets placeholder credentials
(``testing``/``testing``), pins ``AWS_REGION`` to us-east-1 and disables the
instance-metadata credentials, for the offline suite. Once opted in, this suite
drops the placeholders and the region pin for its own session, and runs in
``SMC_AWS_REGION`` (``make integ`` sets it to the region of the credentials;
default: the profile's region, else us-east-1). Instance-metadata credentials
stay disabled: give credentials in the environment or a profile.

Resources. ``SMC_AWS_TEST_BUCKET`` and ``SMC_AWS_TEST_ROLE_ARN`` name a bucket
and a SageMaker execution role (read and write on that bucket) to use;
without them the suite creates both and removes them at the end. The flow
definition tests need ``SMC_INTEG_WORKTEAM_ARN`` and are skipped without it.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integ.aws.account import Account

AWS_MARK = "aws"
PLACEHOLDER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
CONFTEST_PINNED = ("AWS_REGION", "AWS_DEFAULT_REGION")
ROLE_PROPAGATION_SECONDS = 15.0


def selects_aws(markexpr: str) -> bool:
    """Whether a ``-m`` expression names the aws marker other than as ``not aws``."""
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", markexpr)
    return any(token == AWS_MARK and (i == 0 or tokens[i - 1] != "not") for i, token in enumerate(tokens))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if selects_aws(str(config.getoption("markexpr") or "")):
        return
    skip = pytest.mark.skip(reason="opt-in: pytest -m aws (real AWS; see tests/integ/aws/conftest.py)")
    for item in items:
        if item.get_closest_marker(AWS_MARK) is not None:
            item.add_marker(skip)


# --- the account and what the tests need in it -------------------------------------------
@pytest.fixture(scope="session")
def handlers() -> Any:
    """The handler bundles, imported from the bundle as the construct ships them."""
    from tests.harness import load_handler

    return {kind: load_handler(kind) for kind in ("compilation_job", "flow_definition")}


@pytest.fixture(scope="session")
def account(handlers: Any) -> Iterator[Account]:
    import boto3

    saved = {k: os.environ.get(k) for k in (*PLACEHOLDER_CREDENTIALS, *CONFTEST_PINNED)}
    if all(os.environ.get(k) == v for k, v in PLACEHOLDER_CREDENTIALS.items()):
        for key in PLACEHOLDER_CREDENTIALS:
            del os.environ[key]
    for key in CONFTEST_PINNED:
        os.environ.pop(key, None)
    try:
        region = os.environ.get("SMC_AWS_REGION") or boto3.Session().region_name or "us-east-1"
        session = boto3.Session(region_name=region)
        if session.get_credentials() is None:
            pytest.skip("no AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
        config = handlers["compilation_job"].clients.CONFIG
        account_id = session.client("sts", config=config).get_caller_identity()["Account"]
        yield Account(session, region, account_id, config)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def bucket(account: Account) -> Iterator[str]:
    given = os.environ.get("SMC_AWS_TEST_BUCKET")
    if given:
        yield given
        return
    s3 = account.client("s3")
    name = account.name(f"{account.account_id}-{account.region}")[:63]
    location = (
        {} if account.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": account.region}}
    )
    s3.create_bucket(Bucket=name, **location)
    try:
        yield name
    finally:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents") or []:
                s3.delete_object(Bucket=name, Key=item["Key"])
        s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="session")
def role_arn(account: Account, bucket: str) -> Iterator[str]:
    given = os.environ.get("SMC_AWS_TEST_ROLE_ARN")
    if given:
        yield given
        return
    iam = account.client("iam")
    name = account.name("role")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/*"},
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "cloudwatch:PutMetricData",
                ],
                "Resource": "*",
            },
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    try:
        iam.put_role_policy(RoleName=name, PolicyName="smc-aws-test", PolicyDocument=json.dumps(policy))
        time.sleep(ROLE_PROPAGATION_SECONDS)  # a new role is not assumable by SageMaker at once
        yield arn
    finally:
        iam.delete_role_policy(RoleName=name, PolicyName="smc-aws-test")
        iam.delete_role(RoleName=name)


@pytest.fixture(scope="session")
def model_uri(account: Account, bucket: str) -> str:
    """The integ app's tiny ONNX model, uploaded to the test bucket."""
    from integ.integ_compilation_job import MODEL

    key = f"{account.name('model')}/model.tar.gz"
    account.client("s3").upload_file(str(MODEL), bucket, key)
    return f"s3://{bucket}/{key}"


@pytest.fixture(scope="session")
def workteam_arn() -> str:
    arn = os.environ.get("SMC_INTEG_WORKTEAM_ARN", "")
    if not arn:
        pytest.skip("flow definitions need a work team: set SMC_INTEG_WORKTEAM_ARN")
    return arn
