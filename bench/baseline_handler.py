"""A Neo compilation job the way crhelper's README shows it: the baseline.

``helper = CfnResource()`` with its defaults (polling_interval=2, so
``rate(2 minutes)``; sleep_on_delete=120), or with the best settings a user
who read crhelper's options would choose (``build(polling_interval=1,
sleep_on_delete=0)``). Create starts the job and returns its name;
poll_create describes it and returns the name once it has ended; delete
stops or deletes it.
"""

from __future__ import annotations

import types
from typing import Any

from crhelper import CfnResource


def build(polling_interval: int = 2, sleep_on_delete: int = 120) -> types.SimpleNamespace:
    """One handler module's worth: ``helper``, ``handler`` and the ``sagemaker`` client slot."""
    helper = CfnResource(polling_interval=polling_interval, sleep_on_delete=sleep_on_delete)
    # In Lambda: boto3.client("sagemaker"). The benchmark assigns its fake SageMaker.
    module = types.SimpleNamespace(helper=helper, sagemaker=None)

    def request_of(props: dict[str, Any]) -> dict[str, Any]:
        return {
            "CompilationJobName": props["CompilationJobName"],
            "RoleArn": props["RoleArn"],
            "InputConfig": props["InputConfig"],
            "OutputConfig": props["OutputConfig"],
            "StoppingCondition": {"MaxRuntimeInSeconds": int(props["StoppingCondition"]["MaxRuntimeInSeconds"])},
        }

    @helper.create
    def create(event: dict[str, Any], context: Any) -> str:
        request = request_of(event["ResourceProperties"])
        module.sagemaker.create_compilation_job(**request)
        return str(request["CompilationJobName"])

    @helper.poll_create
    def poll_create(event: dict[str, Any], context: Any) -> str | None:
        name = event["CrHelperData"]["PhysicalResourceId"]
        job = module.sagemaker.describe_compilation_job(CompilationJobName=name)
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
            job = module.sagemaker.describe_compilation_job(CompilationJobName=name)
        except Exception:  # noqa: BLE001 - not a job (e.g. crhelper's generated id)
            return
        if job["CompilationJobStatus"] in ("STARTING", "INPROGRESS"):
            module.sagemaker.stop_compilation_job(CompilationJobName=name)
        elif job["CompilationJobStatus"] != "STOPPING":
            module.sagemaker.delete_compilation_job(CompilationJobName=name)

    module.handler = lambda event, context: helper(event, context)
    return module


_default = build()
helper = _default.helper
handler = _default.handler
