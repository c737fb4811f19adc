"""One cold synth, run as its own ``python`` process by :mod:`bench.synth`.

``python -m bench.synth_app <variant> <jobs> <outdir>`` synthesizes one stack
of ``<jobs>`` compilation jobs into ``<outdir>`` and prints a JSON line with
the template's path, size and resource count. Variants:

* ``project``: :class:`sagemaker_constructs.CompilationJob`, one shared job
  role, ``stack_outputs=False``, ``ModelSource.from_bucket`` on one bucket.
* ``provider``: the same custom resources behind one shared
  ``custom_resources.Provider`` (onEvent + isComplete, inline dummy code).
* ``naive``: one inline Lambda function (and its role) per custom resource.
* ``plain``: the same custom resources with a literal service token and
  nothing else: what CDK itself costs per resource.
* ``empty``: the bucket and the job role only, for the fixed costs.

The context is the repository's ``cdk.json`` context (minimizePolicies on),
with CDK's own 500-resource check off so the naive stack can be counted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, CustomResource, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr

REPO = Path(__file__).resolve().parents[1]
STACK = "BenchStack"
DUMMY_CODE = "def handler(event, context):\n    return {'IsComplete': True}\n"


def _job_properties(stack: Stack, bucket: s3.IBucket, role: iam.IRole, index: int) -> dict[str, Any]:
    name = f"benchstack-job{index}-0123456789abcdef"
    return {
        "CompilationJobName": name,
        "RoleArn": role.role_arn,
        "InputConfig": {
            "S3Uri": f"s3://{bucket.bucket_name}/models/model{index}.tar.gz",
            "Framework": "PYTORCH",
            "DataInputConfig": '{"input0":[1,3,224,224]}',
        },
        "OutputConfig": {
            "S3OutputLocation": f"s3://{bucket.bucket_name}/compiled/{name}/",
            "TargetDevice": "sitara_am57x",
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
    }


def _grant_like_the_project(bucket: s3.IBucket, role: iam.IRole, index: int) -> None:
    """The job role's grants per job: read its model, write its output prefix."""
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"models/model{index}.tar.gz")])
    )
    bucket.grant_put(role, f"compiled/benchstack-job{index}-0123456789abcdef/*")


def _grant_handler(function: lambda_.IFunction, stack: Stack, role: iam.IRole) -> None:
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["sagemaker:CreateCompilationJob", "sagemaker:DescribeCompilationJob"],
            resources=[stack.format_arn(service="sagemaker", resource="compilation-job", resource_name="benchstack-*")],
        )
    )
    function.add_to_role_policy(iam.PolicyStatement(actions=["iam:PassRole"], resources=[role.role_arn]))


def _inline_function(stack: Stack, construct_id: str) -> lambda_.Function:
    return lambda_.Function(
        stack,
        construct_id,
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline(DUMMY_CODE),
        timeout=Duration.minutes(15),
    )


def build(variant: str, jobs: int, outdir: str) -> dict[str, Any]:
    context = dict(json.loads((REPO / "cdk.json").read_text())["context"])
    context["@aws-cdk/core:stackResourceLimit"] = 0
    app = App(outdir=outdir, context=context)
    stack = Stack(app, STACK)
    bucket = s3.Bucket(stack, "Models")
    role = iam.Role(stack, "JobRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))

    if variant == "project":
        from sagemaker_constructs import CompilationJob, Framework, ModelSource, TargetDevice

        for index in range(jobs):
            CompilationJob(
                stack,
                f"Job{index}",
                model=ModelSource.from_bucket(bucket, f"models/model{index}.tar.gz"),
                framework=Framework.PYTORCH,
                data_input_config={"input0": [1, 3, 224, 224]},
                target_device=TargetDevice.SITARA_AM57X,
                output_bucket=bucket,
                output_prefix="compiled/",
                role=role,
                stack_outputs=False,
            )
    elif variant == "provider":
        if jobs:
            on_event = _inline_function(stack, "OnEvent")
            is_complete = _inline_function(stack, "IsComplete")
            _grant_handler(on_event, stack, role)
            _grant_handler(is_complete, stack, role)
            provider = cr.Provider(
                stack,
                "Provider",
                on_event_handler=on_event,
                is_complete_handler=is_complete,
                query_interval=Duration.seconds(30),
                total_timeout=Duration.hours(1),
            )
        for index in range(jobs):
            _grant_like_the_project(bucket, role, index)
            CustomResource(
                stack,
                f"Job{index}",
                service_token=provider.service_token,
                resource_type="Custom::SageMakerCompilationJob",
                properties=_job_properties(stack, bucket, role, index),
            )
    elif variant == "naive":
        for index in range(jobs):
            function = _inline_function(stack, f"Handler{index}")
            _grant_handler(function, stack, role)
            _grant_like_the_project(bucket, role, index)
            CustomResource(
                stack,
                f"Job{index}",
                service_token=function.function_arn,
                resource_type="Custom::SageMakerCompilationJob",
                properties=_job_properties(stack, bucket, role, index),
            )
    elif variant == "plain":
        # CDK's own floor: the same custom resources with a literal service token,
        # no handler, no grants, no validation.
        for index in range(jobs):
            CustomResource(
                stack,
                f"Job{index}",
                service_token=f"arn:aws:lambda:us-east-1:123456789012:function:{STACK}-handler",
                resource_type="Custom::SageMakerCompilationJob",
                properties=_job_properties(stack, bucket, role, index),
            )
    elif variant != "empty":
        raise SystemExit(f"unknown variant {variant}")

    assembly = app.synth()
    template_path = Path(assembly.get_stack_artifact(STACK).template_full_path)
    template = json.loads(template_path.read_text())
    return {
        "template": str(template_path),
        "bytes": template_path.stat().st_size,
        "resources": len(template.get("Resources", {})),
    }


def _count_jsii_round_trips() -> list[int]:
    """Count the requests this process sends to the jsii kernel (node)."""
    from jsii._kernel.providers import process

    count = [0]
    send = process._NodeProcess.send

    def counting_send(self: Any, request: Any, response_type: Any) -> Any:
        count[0] += 1
        return send(self, request, response_type)

    process._NodeProcess.send = counting_send  # type: ignore[method-assign]
    return count


if __name__ == "__main__":
    round_trips = _count_jsii_round_trips()
    result = build(sys.argv[1], int(sys.argv[2]), sys.argv[3])
    result["jsii_round_trips"] = round_trips[0]
    print(json.dumps(result))
