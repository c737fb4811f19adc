"""An A2I flow definition the way crhelper's README shows it: the baseline.

Create calls CreateFlowDefinition and returns the name; poll_create describes
it until Active (crhelper's default polling: ``rate(2 minutes)``).
"""

from __future__ import annotations

from typing import Any

from crhelper import CfnResource

helper = CfnResource()
# In Lambda: boto3.client("sagemaker"). The benchmark assigns its fake SageMaker.
sagemaker: Any = None

_API_FIELDS = ("FlowDefinitionName", "HumanLoopConfig", "OutputConfig", "RoleArn")


def _request(props: dict[str, Any]) -> dict[str, Any]:
    request = {key: props[key] for key in _API_FIELDS}
    loop = dict(request["HumanLoopConfig"])
    loop["TaskCount"] = int(loop["TaskCount"])
    request["HumanLoopConfig"] = loop
    return request


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    request = _request(event["ResourceProperties"])
    sagemaker.create_flow_definition(**request)
    return str(request["FlowDefinitionName"])


@helper.poll_create
def poll_create(event: dict[str, Any], context: Any) -> str | None:
    name = event["CrHelperData"]["PhysicalResourceId"]
    flow = sagemaker.describe_flow_definition(FlowDefinitionName=name)
    if flow["FlowDefinitionStatus"] == "Active":
        helper.Data.update({"FlowDefinitionArn": flow["FlowDefinitionArn"]})
        return str(name)
    if flow["FlowDefinitionStatus"] == "Failed":
        raise RuntimeError(f"{name} Failed: {flow.get('FailureReason', '')}")
    return None


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    try:
        sagemaker.delete_flow_definition(FlowDefinitionName=event["PhysicalResourceId"])
    except Exception:  # noqa: BLE001 - already gone, or crhelper's generated id
        return


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
