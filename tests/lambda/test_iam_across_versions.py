"""The handler's policy, as each version of the app renders it, enforced by the fake
(tests/harness/iam.py), across the changes CloudFormation makes between versions.

CloudFormation updates the handler's policy before the custom resources that depend
on it, and cleans up (deletes the old physical resources) last, under the new policy.
A rollback restores the old policy and cleans up the new resources under it. So
whatever names the current app holds, the policy must let the handler clean up every
name this stack ever held (issue 15, defect 1)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_constructs import FlowDefinition
from sagemaker_constructs._naming import stack_prefix
from sagemaker_constructs._wire import OWNER_TAG_KEYS

# It renders the construct (aws_cdk): left out of the Python 3.14 run (make test-py314), which has no aws_cdk.
pytestmark = pytest.mark.needs_cdk
from tests.constructs.builders import small_job
from tests.constructs.flow_definition.inputs import required
from tests.harness import ACCOUNT, REGION, Lifecycle, as_made_by_handler
from tests.harness.fake_sagemaker import FakeSageMaker, Script
from tests.harness.iam import Policy, handler_policy
from tests.harness.properties import (
    FLOW_ROLE,
    JOB_ROLE,
    api_request,
    compilation_job_properties,
    flow_definition_properties,
)

ENV = Environment(account=ACCOUNT, region=REGION)
JOB_HANDLER = "SmcCompilationJobHandler"
FLOW_HANDLER = "SmcFlowDefinitionHandler"


@functools.cache
def job_app_policy(*names: str) -> Policy:
    """The compilation-job handler's policy of an app with an explicit-name job per name."""
    stack = Stack(App(), "TestStack", env=ENV)
    role = iam.Role.from_role_arn(stack, "JobRole", JOB_ROLE)
    bucket = s3.Bucket(stack, "Bucket")
    small_job(stack, "Generated", bucket, role=role)  # one generated name, as apps have
    for index, name in enumerate(names):
        small_job(stack, f"Job{index}", bucket, role=role, compilation_job_name=name)
    return handler_policy(Template.from_stack(stack).to_json(), JOB_HANDLER)


@functools.cache
def flow_app_policy(*names: str) -> Policy:
    stack = Stack(App(), "TestStack", env=ENV)
    role = iam.Role.from_role_arn(stack, "FlowRole", FLOW_ROLE)
    FlowDefinition(stack, "Generated", **required(role=role))
    for index, name in enumerate(names):
        FlowDefinition(stack, f"Flow{index}", **required(role=role, flow_definition_name=name))
    return handler_policy(Template.from_stack(stack).to_json(), FLOW_HANDLER)


KINDS: dict[str, tuple[Callable[..., Policy], Callable[..., dict[str, Any]], str]] = {
    "compilation_job": (job_app_policy, compilation_job_properties, "jobs"),
    "flow_definition": (flow_app_policy, flow_definition_properties, "flows"),
}


def enforced(make_lifecycle: Any, kind: str, policy: Policy) -> Lifecycle:
    life: Lifecycle = make_lifecycle(kind, sagemaker=FakeSageMaker(policy=policy))
    return life


def held(life: Lifecycle, kind: str) -> set[str]:
    return set(getattr(life.sagemaker, KINDS[kind][2]))


def renamed(make_lifecycle: Any, kind: str) -> tuple[Lifecycle, dict[str, Any], dict[str, Any]]:
    """An explicit-name resource created as ``resnet-v1`` under v1's policy, then renamed to
    ``resnet-v2`` under v2's (CloudFormation updates the policy first): (life, v1, v2)."""
    app_policy, properties, _ = KINDS[kind]
    v1, v2 = properties("resnet-v1"), properties("resnet-v2")
    life = enforced(make_lifecycle, kind, app_policy("resnet-v1"))
    assert life.run_until_answered(life.event("Create", v1)).status == "SUCCESS"
    life.sagemaker.enforce(app_policy("resnet-v2"))
    update = life.run_until_answered(life.event("Update", v2, physical_id="resnet-v1", old_properties=v1))
    assert update.status == "SUCCESS", update.reason
    return life, v1, v2


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_cleanup_after_a_rename_deletes_the_old_name_under_the_new_policy(make_lifecycle: Any, kind: str) -> None:
    life, v1, _ = renamed(make_lifecycle, kind)
    cleanup = life.run_until_answered(life.event("Delete", v1, physical_id="resnet-v1"))
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert held(life, kind) == {"resnet-v2"}
    assert life.sagemaker.denied == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_rollback_of_a_rename_deletes_the_new_name_under_the_old_policy(make_lifecycle: Any, kind: str) -> None:
    life, v1, v2 = renamed(make_lifecycle, kind)
    # A sibling fails: CloudFormation restores the old policy, updates back, and cleans up the new name.
    life.sagemaker.enforce(KINDS[kind][0]("resnet-v1"))
    back = life.run_until_answered(life.event("Update", v1, physical_id="resnet-v2", old_properties=v2))
    assert back.status == "SUCCESS", back.reason
    assert back.physical_id == "resnet-v1"
    cleanup = life.run_until_answered(life.event("Delete", v2, physical_id="resnet-v2"))
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert held(life, kind) == {"resnet-v1"}
    assert life.sagemaker.denied == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_removing_an_explicit_name_resource_from_the_app_deletes_it(make_lifecycle: Any, kind: str) -> None:
    app_policy, properties, _ = KINDS[kind]
    keep, gone = properties("keep-me"), properties("remove-me")
    life = enforced(make_lifecycle, kind, app_policy("keep-me", "remove-me"))
    for logical_id, props in (("Keep", keep), ("Gone", gone)):
        assert life.run_until_answered(life.event("Create", props, logical_id=logical_id)).status == "SUCCESS"
    life.sagemaker.enforce(app_policy("keep-me"))
    delete = life.run_until_answered(life.event("Delete", gone, logical_id="Gone", physical_id="remove-me"))
    assert delete.status == "SUCCESS", delete.reason
    assert held(life, kind) == {"keep-me"}
    assert life.sagemaker.denied == []


def test_a_running_job_of_an_old_name_is_stopped_and_deleted_under_the_new_policy(make_lifecycle: Any) -> None:
    life = enforced(make_lifecycle, "compilation_job", job_app_policy("resnet-v2"))
    life.sagemaker.job_scripts["resnet-v1"] = Script([(0, "INPROGRESS")])
    old = compilation_job_properties("resnet-v1")
    life.sagemaker.enforce(None)
    life.sagemaker.create_compilation_job(**as_made_by_handler(api_request(old)))
    life.sagemaker.enforce(job_app_policy("resnet-v2"))
    cleanup = life.run_until_answered(life.event("Delete", old, physical_id="resnet-v1"))
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert life.sagemaker.called("stop_compilation_job") == [{"CompilationJobName": "resnet-v1"}]
    assert held(life, "compilation_job") == set()


@pytest.mark.parametrize("kind", list(KINDS))
def test_what_another_stack_made_is_still_left_alone(make_lifecycle: Any, kind: str) -> None:
    """The policy denies the destructive calls on what this stack does not own, whatever
    the engine decides: a Delete of a name the app holds, made by another stack."""
    from tests.harness import OTHER_STACK_ID

    app_policy, properties, pool = KINDS[kind]
    props = properties("shared-name")
    life = enforced(make_lifecycle, kind, app_policy("shared-name"))
    request = as_made_by_handler(api_request(props), stack_id=OTHER_STACK_ID)
    life.sagemaker.enforce(None)
    create = (
        life.sagemaker.create_compilation_job if kind == "compilation_job" else life.sagemaker.create_flow_definition
    )
    create(**request)
    policy = app_policy("shared-name")
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{'compilation-job' if kind == 'compilation_job' else 'flow-definition'}/shared-name"
    others = {f"aws:ResourceTag/{t['Key']}": t["Value"] for t in request["Tags"]}
    action = "sagemaker:DeleteCompilationJob" if kind == "compilation_job" else "sagemaker:DeleteFlowDefinition"
    assert not policy.allows(action, arn, others)
    assert not policy.allows("sagemaker:AddTags", arn, {**others, "aws:TagKeys": ["team"]})
    life.sagemaker.enforce(policy)
    answer = life.run_until_answered(life.event("Delete", props, physical_id="shared-name"))
    assert answer.status == "SUCCESS", answer.reason
    assert "shared-name" in getattr(life.sagemaker, pool)


def test_a_tag_update_in_place_is_allowed_and_the_ownership_tags_cannot_change(make_lifecycle: Any) -> None:
    policy = job_app_policy("tagged-job")
    life = enforced(make_lifecycle, "compilation_job", policy)
    v1 = compilation_job_properties("tagged-job", Tags=[{"Key": "team", "Value": "a"}, {"Key": "cost", "Value": "1"}])
    v2 = compilation_job_properties("tagged-job", Tags=[{"Key": "team", "Value": "b"}])
    assert life.run_until_answered(life.event("Create", v1)).status == "SUCCESS"
    update = life.run_until_answered(life.event("Update", v2, physical_id="tagged-job", old_properties=v1))
    assert update.status == "SUCCESS", update.reason
    assert life.sagemaker.called("delete_tags") == [
        {"ResourceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:compilation-job/tagged-job", "TagKeys": ["cost"]}
    ]
    assert life.sagemaker.jobs["tagged-job"].tags["team"] == "b"
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:compilation-job/tagged-job"
    owned = {f"aws:ResourceTag/{k}": v for k, v in life.sagemaker.jobs["tagged-job"].tags.items()}
    for key in OWNER_TAG_KEYS:
        assert not policy.allows("sagemaker:DeleteTags", arn, {**owned, "aws:TagKeys": [key]})
        assert not policy.allows("sagemaker:AddTags", arn, {**owned, "aws:TagKeys": [key]})
    assert life.sagemaker.denied == []


def test_a_deleted_job_that_lingers_keeps_its_tags_for_iam(make_lifecycle: Any) -> None:
    """SageMaker keeps describing a deleted job for a while; a second Delete or Stop in that time
    is still authorized by the tags the job carries."""
    life, v1, _ = renamed(make_lifecycle, "compilation_job")
    life.sagemaker.delete_linger_seconds = 12.0
    cleanup = life.run_until_answered(life.event("Delete", v1, physical_id="resnet-v1"))
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert {"CompilationJobName": "resnet-v1"} in life.sagemaker.called("delete_compilation_job")
    life.run_all()
    assert life.sagemaker.denied == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_generated_name_is_created_tagged_and_deleted_under_the_policy(make_lifecycle: Any, kind: str) -> None:
    """The stack prefix scopes Create; a name outside it (another stack's prefix) is denied."""
    app_policy, properties, _ = KINDS[kind]
    mine = f"{stack_prefix('TestStack')}resource-0123456789"
    props = properties(mine, Tags=[{"Key": "team", "Value": "vision"}])
    life = enforced(make_lifecycle, kind, app_policy())
    assert life.run_until_answered(life.event("Create", props)).status == "SUCCESS"
    assert life.run_until_answered(life.event("Delete", props, physical_id=mine)).status == "SUCCESS"
    assert held(life, kind) == set() and life.sagemaker.denied == []
    theirs = f"{stack_prefix('teststack')}resource-0123456789"  # a stack whose name reads alike
    answer = life.run_until_answered(life.event("Create", properties(theirs)))
    assert answer.status == "FAILED" and "not authorized" in answer.reason
    assert held(life, kind) == set()
