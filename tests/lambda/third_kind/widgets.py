"""A third, test-only kind: widgets, from an API shaped unlike SageMaker's two.

The API has no Delete (a widget, once ended, stays; removing one means stopping
it) and gives no FailureReason. It runs on the very engine the handlers bundle,
to show that the engine serves any kind a spec describes."""

from __future__ import annotations

import re
from typing import Any

from tests.harness import ACCOUNT, REGION, StrictFake, load_handler
from tests.harness.fake_sagemaker import client_error
from tests.harness.world import World

engine = load_handler("compilation_job").engine

RUN_SECONDS = 30.0
HALT_SECONDS = 10.0


class Widget(engine.Kind):  # type: ignore[misc]
    noun = "widget"
    resource_type = "Custom::Widget"
    name_property = "WidgetName"
    name_pattern = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,40}$")
    arn_field = "WidgetArn"
    statuses = engine.Statuses(
        field="WidgetState",
        succeeded=frozenset({"DONE"}),
        waiting=frozenset({"RUNNING"}),
        failed=frozenset({"BROKEN", "HALTED"}),
        stopping=frozenset({"HALTING"}),
    )
    create_operation = "CreateWidget"
    create_method = "create_widget"
    describe_method = "describe_widget"
    delete_method = None
    stop_method = "stop_widget"
    created_field = "MadeAt"
    failure_field = None
    min_describe_interval = 5.0
    deadline_margin = 60.0
    default_service_timeout = 900

    def differences(
        self, request: dict[str, Any], described: dict[str, Any], also: dict[str, Any] | None = None
    ) -> list[str]:
        return [key for key in ("Size",) if str(request.get(key)) != str(described.get(key))]

    def attributes(self, described: dict[str, Any], extra: dict[str, str]) -> dict[str, str]:
        return {"WidgetArn": str(described["WidgetArn"]), "WidgetState": str(described["WidgetState"])}


KIND = Widget()


class FakeWidgets(StrictFake):
    """Create, Describe and Stop widgets (no Delete), and tag them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.widgets: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.broken: set[str] = set()

    def _arn(self, name: str) -> str:
        return f"arn:aws:widgets:{REGION}:{ACCOUNT}:widget/{name}"

    def create_widget(self, **params: Any) -> dict[str, Any]:
        self.calls.append("create_widget")
        name = params["WidgetName"]
        if name in self.widgets:
            raise client_error("ResourceInUse", f"widget {name} exists")
        tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        self.widgets[name] = {"Size": params.get("Size"), "MadeAt": self.world.now(), "Tags": tags, "HaltedAt": None}
        return {"WidgetArn": self._arn(name)}

    def _state(self, widget: dict[str, Any], name: str) -> str:
        now = self.world.now()
        if widget["HaltedAt"] is not None:
            return "HALTING" if now - widget["HaltedAt"] < HALT_SECONDS else "HALTED"
        if now - widget["MadeAt"] < RUN_SECONDS:
            return "RUNNING"
        return "BROKEN" if name in self.broken else "DONE"

    def describe_widget(self, **params: Any) -> dict[str, Any]:
        self.calls.append("describe_widget")
        name = params["WidgetName"]
        widget = self.widgets.get(name)
        if widget is None:
            raise client_error("ResourceNotFound", f"no widget {name}")
        return {
            "WidgetName": name,
            "WidgetArn": self._arn(name),
            "WidgetState": self._state(widget, name),
            "Size": widget["Size"],
            "MadeAt": widget["MadeAt"],
        }

    def stop_widget(self, **params: Any) -> dict[str, Any]:
        self.calls.append("stop_widget")
        widget = self.widgets[params["WidgetName"]]
        if self._state(widget, params["WidgetName"]) != "RUNNING":
            raise client_error("ValidationException", "not running")
        widget["HaltedAt"] = self.world.now()
        return {}

    def _by_arn(self, arn: str) -> dict[str, Any]:
        return self.widgets[arn.rsplit("/", 1)[-1]]

    def list_tags(self, **params: Any) -> dict[str, Any]:
        tags = self._by_arn(params["ResourceArn"])["Tags"]
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    def add_tags(self, **params: Any) -> dict[str, Any]:
        self.calls.append("add_tags")
        self._by_arn(params["ResourceArn"])["Tags"].update({t["Key"]: t["Value"] for t in params["Tags"]})
        return {}

    def delete_tags(self, **params: Any) -> dict[str, Any]:
        self.calls.append("delete_tags")
        for key in params["TagKeys"]:
            self._by_arn(params["ResourceArn"])["Tags"].pop(key, None)
        return {}
