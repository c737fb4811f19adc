"""An A2I flow definition the way crhelper's README shows it: the baseline.

Create calls CreateFlowDefinition and returns the name; poll_create describes
it until Active. ``build()`` takes crhelper's polling options (defaults:
``rate(2 minutes)``, a 120 s sleep before a Delete's answer).
"""

from __future__ import annotations

import types
from typing import Any

from crhelper import CfnResource

_API_FIELDS = ("FlowDefinitionName", "HumanLoopConfig", "OutputConfig", "RoleArn")


def build(polling_interval: int = 2, sleep_on_delete: int = 120) -> types.SimpleNamespace:
    helper = CfnResource(polling_interval=polling_interval, sleep_on_delete=sleep_on_delete)
    module = types.SimpleNamespace(helper=helper, sagemaker=None)

    def request_of(props: dict[str, Any]) -> dict[str, Any]:
        request = {key: props[key] for key in _API_FIELDS}
        loop = dict(request["HumanLoopConfig"])
        loop["TaskCount"] = int(loop["TaskCount"])
        request["HumanLoopConfig"] = loop
        return request

    @helper.create
    def create(event: dict[str, Any], context: Any) -> str:
        request = request_of(event["ResourceProperties"])
        module.sagemaker.create_flow_definition(**request)
        return str(request["FlowDefinitionName"])

    @helper.poll_create
    def poll_create(event: dict[str, Any], context: Any) -> str | None:
        name = event["CrHelperData"]["PhysicalResourceId"]
        flow = module.sagemaker.describe_flow_definition(FlowDefinitionName=name)
        if flow["FlowDefinitionStatus"] == "Active":
            helper.Data.update({"FlowDefinitionArn": flow["FlowDefinitionArn"]})
            return str(name)
        if flow["FlowDefinitionStatus"] == "Failed":
            raise RuntimeError(f"{name} Failed: {flow.get('FailureReason', '')}")
        return None

    @helper.delete
    def delete(event: dict[str, Any], context: Any) -> None:
        try:
            module.sagemaker.delete_flow_definition(FlowDefinitionName=event["PhysicalResourceId"])
        except Exception:  # noqa: BLE001 - already gone, or crhelper's generated id
            return

    module.handler = lambda event, context: helper(event, context)
    return module


_default = build()
helper = _default.helper
handler = _default.handler
