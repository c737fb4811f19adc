"""cdk-nag 3.x AwsSolutionsChecks on the example app: no unacknowledged finding,
and every acknowledgment is an exact wildcard finding with a reason.

cdk-nag 3.x is a policy-validation plugin (``Validations.of(app).add_plugins``):
a finding makes ``app.synth()`` raise and lands in ``validation-report.json``
in the cloud assembly. Acknowledgments are construct metadata recorded by
``Validations.of(scope).acknowledge``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from example.pipeline import ModelPipelineStack
from sagemaker_constructs._nag import flatten
from sagemaker_constructs._naming import stack_prefix

ACK_KEY = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
FINDING = re.compile(r"^(?:annotation::)?(?P<rule>AwsSolutions-IAM5)\[Resource::(?P<resource>.+)\]$", re.IGNORECASE)
HANDLER_DESCRIPTION = re.compile(r"^sagemaker-constructs: ")
# Resource "*" is acceptable only for actions that have no resource type in IAM.
UNSCOPABLE_ACTIONS = {"cloudwatch:PutMetricData"}


@dataclass
class Checked:
    app: App
    stacks: list[Stack]
    synth_error: str | None
    report: dict[str, Any] | None


def _violations(report: dict[str, Any] | None) -> list[str]:
    if report is None:
        return []
    return [
        f"{violation['ruleName']} ({violation['severity']}) at {construct['constructPath']}"
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]


def _synth_with_nag(app: App, outdir: Path) -> tuple[str | None, dict[str, Any] | None]:
    Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    error = None
    try:
        app.synth()
    except RuntimeError as raised:  # jsii surfaces ValidationFailed as RuntimeError
        error = str(raised)
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.is_file() else None
    return error, report


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    """The example stack as ``app.py`` makes it without an environment, and pinned to one."""
    outdir = tmp_path_factory.mktemp("nag")
    app = App(outdir=str(outdir))
    stacks = [
        ModelPipelineStack(app, "ModelPipeline"),
        ModelPipelineStack(app, "PinnedPipeline", env=Environment(account="111111111111", region="eu-west-1")),
    ]
    error, report = _synth_with_nag(app, outdir)
    return Checked(app, stacks, error, report)


def test_example_app_has_no_unacknowledged_finding(checked: Checked) -> None:
    assert _violations(checked.report) == []
    assert checked.synth_error is None, checked.synth_error


def test_nag_check_reports_a_known_finding(tmp_path: Path) -> None:
    """The same harness, on a bucket without TLS enforcement or access logs: the check is live."""
    app = App(outdir=str(tmp_path))
    s3.Bucket(Stack(app, "Canary"), "Bare")
    error, report = _synth_with_nag(app, tmp_path)
    found = _violations(report)
    assert error is not None
    assert "AwsSolutions-S10 (error) at Canary/Bare/Resource" in found


# --- the acknowledgments ---------------------------------------------------------------------
def _walk(node: IConstruct) -> list[IConstruct]:
    found = [node]
    for child in node.node.children:
        found.extend(_walk(child))
    return found


def _acknowledgments(checked: Checked) -> list[tuple[IConstruct, str, str]]:
    """The cdk-nag acknowledgments (aws-cdk-lib records its own, e.g. CloudFormation-Validate::W3045
    for an access-log bucket's AccessControl; those are not cdk-nag's)."""
    return [
        (construct, rule_id, reason)
        for construct in _walk(checked.app)
        for entry in construct.node.metadata
        if entry.type == ACK_KEY
        for rule_id, reason in dict(entry.data).items()
        if re.sub(r"^annotation::", "", rule_id, flags=re.IGNORECASE).startswith("AwsSolutions")
    ]


def _statements_below(construct: IConstruct) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for node in _walk(construct):
        if isinstance(node, iam.CfnPolicy):
            document = Stack.of(node).resolve(node.policy_document)
            statements.extend(document["Statement"])
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_there_are_acknowledgments_to_audit(checked: Checked) -> None:
    assert len(_acknowledgments(checked)) >= 8


def test_every_acknowledgment_is_one_exact_wildcard_resource_finding(checked: Checked) -> None:
    """Never a whole rule and never an action wildcard: those could be scoped."""
    loose = [rule_id for _, rule_id, _ in _acknowledgments(checked) if not FINDING.match(rule_id)]
    assert loose == []


def test_every_acknowledgment_has_a_reason_a_reviewer_can_check(checked: Checked) -> None:
    short = [(rule_id, reason) for _, rule_id, reason in _acknowledgments(checked) if len(reason.split()) < 12]
    assert short == []


def test_every_acknowledged_resource_is_in_a_policy_below_it(checked: Checked) -> None:
    """No stale acknowledgment: each names a wildcard resource that a policy under its construct grants."""
    stale = []
    for construct, rule_id, _ in _acknowledgments(checked):
        match = FINDING.match(rule_id)
        assert match, rule_id
        granted = {flatten(r) for s in _statements_below(construct) for r in _as_list(s["Resource"])}
        if match["resource"] not in granted:
            stale.append((construct.node.path, rule_id))
    assert stale == []


def test_acknowledged_bare_wildcards_cover_only_actions_without_resource_types(checked: Checked) -> None:
    bare = [construct for construct, rule_id, _ in _acknowledgments(checked) if rule_id.endswith("[Resource::*]")]
    assert bare, "the job roles acknowledge PutMetricData's Resource *"
    for construct in bare:
        for statement in _statements_below(construct):
            if "*" in _as_list(statement["Resource"]):
                assert set(_as_list(statement["Action"])) <= UNSCOPABLE_ACTIONS, statement
                assert statement.get("Condition"), statement


def test_sagemaker_wildcards_are_the_stack_prefix_patterns_and_the_tag_scoped_types(checked: Checked) -> None:
    """The handler acknowledgments name `<stack prefix>*` ARNs (Create) and `<type>/*` (changed, issue 15
    defect 1: the actions scoped by the ownership tag, and the reads), nothing else."""
    sagemaker = {
        FINDING.match(rule_id)["resource"]  # type: ignore[index]
        for _, rule_id, _ in _acknowledgments(checked)
        if ":sagemaker:" in rule_id
    }
    assert sorted(r.rsplit(":", 1)[1] for r in sagemaker) == sorted(
        f"{kind}/{name}"
        for stack in ("ModelPipeline", "PinnedPipeline")
        for kind in ("compilation-job", "flow-definition")
        for name in (f"{stack_prefix(stack)}*", "*")
    )


def test_sagemaker_type_wildcards_are_read_only_or_need_the_ownership_tag(checked: Checked) -> None:
    for stack in checked.stacks:
        for statement in _statements_below(stack):
            resources = [flatten(r) for r in _as_list(statement["Resource"])]
            if not any(re.search(r":(compilation-job|flow-definition)/\*$", r) for r in resources):
                continue
            actions = set(_as_list(statement["Action"]))
            if "Condition" not in statement:
                assert all(re.match(r"sagemaker:(Describe|List)", a) for a in actions), statement
            else:
                assert statement["Condition"]["StringEquals"] == {
                    "aws:ResourceTag/sagemaker-constructs:stack-id": {"Ref": "AWS::StackId"}
                }, statement


# --- the handler: runtime, role, logs ----------------------------------------------------------
def _handlers(template: Template) -> dict[str, Any]:
    return {
        name: resource
        for name, resource in template.find_resources("AWS::Lambda::Function").items()
        if HANDLER_DESCRIPTION.match(resource["Properties"].get("Description", ""))
    }


@pytest.fixture(scope="module")
def template(checked: Checked) -> Template:
    return Template.from_stack(checked.stacks[0])


def test_handlers_run_on_python_3_14(template: Template) -> None:
    handlers = _handlers(template)
    assert len(handlers) == 2
    assert {h["Properties"]["Runtime"] for h in handlers.values()} == {"python3.14"}


def test_handler_roles_use_no_managed_policy(template: Template) -> None:
    roles = template.find_resources("AWS::IAM::Role")
    for handler in _handlers(template).values():
        role_id = handler["Properties"]["Role"]["Fn::GetAtt"][0]
        assert "ManagedPolicyArns" not in roles[role_id]["Properties"]


def test_handlers_log_to_a_log_group_with_retention(template: Template) -> None:
    groups = template.find_resources("AWS::Logs::LogGroup")
    for handler in _handlers(template).values():
        group_id = handler["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group_id]["Properties"]["RetentionInDays"] > 0
