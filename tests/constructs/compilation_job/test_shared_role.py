"""A job role shared by many jobs: one output grant, and one readiness barrier
that orders every job after all of the role's policies and the handler's hand-over policy."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_constructs import CompilationJob, Framework, ModelSource, TargetDevice


def _template(jobs: int) -> dict[str, Any]:
    app = App()
    stack = Stack(app, "Shared")
    bucket = s3.Bucket(stack, "Models")
    role = iam.Role(stack, "JobRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    for index in range(jobs):
        CompilationJob(
            stack,
            f"Job{index}",
            model=ModelSource.from_bucket(bucket, f"models/m{index}.tar.gz"),
            framework=Framework.PYTORCH,
            data_input_config={"input0": [1, 3, 224, 224]},
            target_device=TargetDevice.SITARA_AM57X,
            output_bucket=bucket,
            role=role,
            stack_outputs=False,
        )
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_jobs_of_a_shared_role_depend_on_one_barrier_that_depends_on_all_role_policies() -> None:
    template = _template(3)
    (barrier_id, barrier) = next(iter(_of_type(template, "AWS::CloudFormation::WaitConditionHandle").items()))
    for job in _of_type(template, "Custom::SageMakerCompilationJob").values():
        assert job["DependsOn"] == [barrier_id]
    policies = _of_type(template, "AWS::IAM::Policy")
    role_policies = [k for k, v in policies.items() if {"Ref": "JobRole014917C6"} in v["Properties"]["Roles"]]
    handover = [k for k in policies if "HandoverPolicy" in k]
    assert role_policies and handover
    assert set(role_policies + handover + ["JobRole014917C6"]) <= set(barrier["DependsOn"])


def test_barrier_metadata_changes_when_a_job_is_added() -> None:
    def digest(template: dict[str, Any]) -> str:
        (barrier,) = _of_type(template, "AWS::CloudFormation::WaitConditionHandle").values()
        return str(barrier["Metadata"]["sagemaker-constructs:jobs"])

    assert digest(_template(2)) == digest(_template(2))
    assert digest(_template(2)) != digest(_template(3))
