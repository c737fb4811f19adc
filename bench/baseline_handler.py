"""A Neo compilation job the way crhelper's README shows it: the baseline.

``helper = CfnResource()`` with its defaults (polling_interval=2, so
``rate(2 minutes)``; sleep_on_delete=120). Create starts the job and returns
its name; poll_create describes it and returns the name once it has ended;
delete stops or deletes it.
"""

from __future__ import annotations

from typing import Any

from crhelper import CfnResource

helper = CfnResource()
# In Lambda: boto3.client("sagemaker"). The benchmark assigns its fake SageMaker.
sagemaker: Any = None


def _request(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "CompilationJobName": props["CompilationJobName"],
        "RoleArn": props["RoleArn"],
        "InputConfig": props["InputConfig"],
        "OutputConfig": props["OutputConfig"],
        "StoppingCondition": {"MaxRuntimeInSeconds": int(props["StoppingCondition"]["MaxRuntimeInSeconds"])},
    }


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    request = _request(event["ResourceProperties"])
    sagemaker.create_compilation_job(**request)
    return str(request["CompilationJobName"])


@helper.poll_create
def poll_create(event: dict[str, Any], context: Any) -> str | None:
    name = event["CrHelperData"]["PhysicalResourceId"]
    job = sagemaker.describe_compilation_job(CompilationJobName=name)
    status = job["CompilationJobStatus"]
    if status == "COMPLETED":
        helper.Data.update(
            {
                "CompilationJobArn": job["CompilationJobArn"],
                "S3ModelArtifacts": job["ModelArtifacts"]["S3ModelArtifacts"],
            }
        )
        return str(name)
    if status in ("FAILED", "STOPPED"):
        raise RuntimeError(f"{name} {status}: {job.get('FailureReason', '')}")
    return None


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    return create(event, context)


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    name = event["PhysicalResourceId"]
    try:
        job = sagemaker.describe_compilation_job(CompilationJobName=name)
    except Exception:  # noqa: BLE001 - not a job (e.g. crhelper's generated id)
        return
    if job["CompilationJobStatus"] in ("STARTING", "INPROGRESS"):
        sagemaker.stop_compilation_job(CompilationJobName=name)
    elif job["CompilationJobStatus"] != "STOPPING":
        sagemaker.delete_compilation_job(CompilationJobName=name)


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
