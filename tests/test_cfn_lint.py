"""cfn-lint on every synthesized template: the example app (as ``app.py`` makes
it, and pinned to an environment) and the composition app of
tests/constructs/test_composition.py. No errors; a warning fails the test unless it is
listed in ALLOWED_WARNINGS with its reason and the exact place it may occur.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Environment
from cfnlint.api import ManualArgs, lint

from example.pipeline import ModelPipelineStack
from tests.constructs.test_composition import build_app

REGIONS = ["us-east-1", "eu-west-1"]
STACKS = ["ModelPipeline", "PinnedPipeline", "Producer", "Consumer"]


@dataclass(frozen=True)
class Allowed:
    reason: str
    applies: Callable[[dict[str, Any], list[Any]], bool]  # (template, match path) -> is this the known case


def _redundant_role_dependency(template: dict[str, Any], path: list[Any]) -> bool:
    """``Resources/<id>/DependsOn/<n>`` naming an IAM role that the resource also reads with GetAtt."""
    if len(path) != 4 or path[0] != "Resources" or path[2] != "DependsOn":
        return False
    depends_on = template["Resources"][path[1]]["DependsOn"]
    target = depends_on[path[3]] if isinstance(depends_on, list) else depends_on
    return bool(template["Resources"][target]["Type"] == "AWS::IAM::Role")


def _access_log_bucket_acl(template: dict[str, Any], path: list[Any]) -> bool:
    """``AccessControl: LogDeliveryWrite`` on a bucket that receives S3 server access logs."""
    if path[:1] != ["Resources"] or path[2:] != ["Properties", "AccessControl"]:
        return False
    properties = template["Resources"][path[1]]["Properties"]
    return bool(properties["AccessControl"] == "LogDeliveryWrite")


ALLOWED_WARNINGS = {
    "W3005": Allowed(
        "DependsOn a role that a GetAtt already orders. node.add_dependency(role) depends on every "
        "resource in the role construct: the role (redundant, the warning) and its DefaultPolicy, "
        "which is the dependency that matters: SageMaker and Lambda check the role's permissions when "
        "the job, flow definition, model or function is created. aws-cdk-lib's own Function and "
        "AwsCustomResource singleton do the same.",
        _redundant_role_dependency,
    ),
    "W3045": Allowed(
        "aws-cdk-lib grants S3 log delivery to a server-access-log bucket with the LogDeliveryWrite ACL "
        "(unless @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy is set), and acknowledges W3045 itself "
        "('accessControl is deprecated, but we are still using it for historical reasons').",
        _access_log_bucket_acl,
    ),
}


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    example = App()
    ModelPipelineStack(example, "ModelPipeline")
    ModelPipelineStack(example, "PinnedPipeline", env=Environment(account="111111111111", region="eu-west-1"))
    found: dict[str, dict[str, Any]] = {}
    for assembly in (example.synth(), build_app().app.synth()):
        for stack in assembly.stacks:
            found[stack.stack_name] = stack.template
    return found


def _lint(template: dict[str, Any]) -> list[Any]:
    return list(lint(json.dumps(template), config=ManualArgs(regions=REGIONS)))


def _describe(match: Any) -> str:
    return f"{match.rule.id} at {'/'.join(str(p) for p in match.path)}: {match.message}"


def test_every_synthesized_stack_is_linted(templates: dict[str, dict[str, Any]]) -> None:
    assert sorted(templates) == sorted(STACKS)


@pytest.fixture(scope="module")
def matches(templates: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: _lint(template) for name, template in templates.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_template_has_no_cfn_lint_error(matches: dict[str, list[Any]], stack: str) -> None:
    assert [_describe(m) for m in matches[stack] if m.rule.id.startswith("E")] == []


@pytest.mark.parametrize("stack", STACKS)
def test_template_has_only_listed_warnings(
    templates: dict[str, dict[str, Any]], matches: dict[str, list[Any]], stack: str
) -> None:
    unlisted = [
        _describe(m)
        for m in matches[stack]
        if m.rule.id.startswith("W")
        and not (m.rule.id in ALLOWED_WARNINGS and ALLOWED_WARNINGS[m.rule.id].applies(templates[stack], m.path))
    ]
    assert unlisted == []


def test_lint_finds_a_known_error() -> None:
    """The same call reports an error on a broken template: the check is live."""
    broken = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketNme": "x"}}}}
    assert [m.rule.id for m in _lint(broken) if m.rule.id.startswith("E")] == ["E3002"]


@pytest.mark.parametrize("rule", sorted(ALLOWED_WARNINGS))
def test_every_listed_warning_still_occurs(
    templates: dict[str, dict[str, Any]], matches: dict[str, list[Any]], rule: str
) -> None:
    """A listed warning that no longer occurs should leave the list."""
    assert any(
        m.rule.id == rule and ALLOWED_WARNINGS[rule].applies(templates[name], m.path)
        for name, found in matches.items()
        for m in found
    )
