"""The small app the explorer takes the handler's policy and names from.

One stack (named as the harness's ``STACK_ID``) with, per kind, one resource
with a generated name and one with an explicit placeholder name. The handler
role's policy for a stack version is derived from it (:mod:`tests.explorer.policy`):
the placeholder's ARN stands for whatever explicit names that version has.
Synthesized once per process (about 2.5 s).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from tests.explorer.kinds import ALL_SPECS, SPECS
from tests.harness import STACK_ID
from tests.harness.properties import FLOW_ROLE, JOB_ROLE

STACK_NAME = STACK_ID.split("/")[1]
JOB_PLACEHOLDER = SPECS["compilation_job"].placeholder
FLOW_PLACEHOLDER = SPECS["flow_definition"].placeholder


@dataclass(frozen=True)
class Synthesized:
    template: dict[str, Any]
    generated_names: dict[str, str]  # kind -> the generated name of its resource

    def generated_name(self, kind: str) -> str:
        return self.generated_names.get(kind, ALL_SPECS[kind].generated_name)


def _generated_name(template: dict[str, Any], resource_type: str, name_property: str, placeholder: str) -> str:
    names = [
        resource["Properties"][name_property]
        for resource in template["Resources"].values()
        if resource["Type"] == resource_type and resource["Properties"].get(name_property) != placeholder
    ]
    (name,) = names
    return str(name)


@functools.cache
def synthesize() -> Synthesized:
    from aws_cdk import App, Environment, Stack
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_s3 as s3

    from sagemaker_constructs import (
        CompilationJob,
        FlowDefinition,
        Framework,
        HumanLoopRequestSource,
        ModelSource,
        TargetDevice,
        _wire,
    )

    app = App()
    stack = Stack(app, STACK_NAME, env=Environment(account="123456789012", region="us-east-1"))
    bucket = s3.Bucket.from_bucket_name(stack, "Out", "out")
    job_role = iam.Role.from_role_arn(stack, "JobRole", JOB_ROLE, mutable=False)
    flow_role = iam.Role.from_role_arn(stack, "FlowRole", FLOW_ROLE, mutable=False)
    job: dict[str, Any] = {
        "model": ModelSource.from_s3_uri("s3://models/resnet18.tar.gz"),
        "framework": Framework.XGBOOST,
        "target_device": TargetDevice.ML_C5,
        "output_bucket": bucket,
        "role": job_role,
    }
    CompilationJob(stack, "Compile", **job)
    CompilationJob(stack, "Named", compilation_job_name=JOB_PLACEHOLDER, **job)
    flow: dict[str, Any] = {
        "workteam_arn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers",
        "human_task_ui_arn": "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/forms-ui",
        "task_title": "Review",
        "task_description": "Review the form",
        "output_s3_uri": "s3://out/reviews/",
        "role": flow_role,
        "human_loop_request_source": HumanLoopRequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS_V1,
        "activation_conditions": {
            "Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}}]
        },
    }
    FlowDefinition(stack, "Review", **flow)
    FlowDefinition(stack, "NamedReview", flow_definition_name=FLOW_PLACEHOLDER, **flow)
    template = app.synth().get_stack_by_name(STACK_NAME).template
    return Synthesized(
        template,
        {
            "compilation_job": _generated_name(
                template, _wire.COMPILATION_JOB.resource_type, _wire.COMPILATION_JOB_NAME, JOB_PLACEHOLDER
            ),
            "flow_definition": _generated_name(
                template, _wire.FLOW_DEFINITION.resource_type, _wire.FLOW_DEFINITION_NAME, FLOW_PLACEHOLDER
            ),
        },
    )
