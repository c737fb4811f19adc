"""Kind specs: what the explorer needs to know of one resource kind.

A spec makes a version's properties, sets the fake's script for a name,
lists the resources of its kind that exist, plants foreign ones, and checks
an answer's attributes. The model, the schedules and the invariants use
nothing else of a kind, so another kind plugs in as one more spec in
:data:`SPECS` (with a fake that serves it, and its handler in ``lambda/<kind>``).
A kind no construct renders has ``handler_id = None``: its runs enforce no
policy, and each trace says so. ``weight``: how often schedules pick the kind
(adding a kind changes what each seed means; the regression tests check the
shape of their schedules). A kind outside the default mix is in :data:`OTHER_SPECS`
and runs only when chosen (``make explore KIND=widget``): the test-only widget
kind (``tests/lambda/third_kind``), whose API has no Delete and no FailureReason.
"""

from __future__ import annotations

import importlib
import json
import types
from dataclasses import dataclass
from typing import Any, Protocol

from sagemaker_constructs import _wire
from tests.harness import load_handler
from tests.harness.fake_sagemaker import FakeSageMaker, Script
from tests.harness.properties import compilation_job_properties, flow_definition_properties
from tests.harness.world import World


@dataclass(frozen=True)
class Version:
    """One version of the user's input for the resource.

    ``name``: "generated" or an explicit name's letter; ``content`` changes a
    property that needs a new resource; ``form`` only its form (same after
    normalizing); ``tags`` the user's tags (changed in place); ``valid``: the
    resource the version describes ends well; ``duration``: seconds until it ends.
    """

    name: str
    content: int
    form: int
    tags: int
    valid: bool
    duration: float

    def content_key(self) -> tuple[object, ...]:
        """What the properties are made of (the duration is SageMaker's, not the user's)."""
        return (self.name, self.content, self.form, self.tags, self.valid)

    def describe(self) -> str:
        validity = "" if self.valid else " INVALID"
        return (
            f"name={self.name} content={self.content} form={self.form} tags={self.tags}{validity} {self.duration:.0f}s"
        )


@dataclass(frozen=True)
class Existing:
    """A resource of the kind as the fake holds it."""

    name: str
    tags: dict[str, str]
    status: str
    running: bool  # would go on costing or serving (not ended, not on its way out)
    # Ended, and the API has no Delete: as removed as it can be (it stays, owned or not).
    ended_for_good: bool = False


class KindSpec(Protocol):
    kind: str  # the handler's folder in lambda/
    weight: int
    handler_id: str | None  # the construct id of the library's handler, for its policy
    placeholder: str  # the explicit name the synthesized app gives one resource of this kind
    generated_name: str  # used when the synthesized app has none of this kind
    resource_type: str
    name_property: str
    arn_attribute: str
    max_duration: float  # of a valid version

    def explicit_name(self, letter: str) -> str: ...
    def properties(self, version: Version, name: str) -> dict[str, Any]: ...
    def install(self, fake: FakeSageMaker, name: str, version: Version) -> None: ...
    def existing(self, fake: FakeSageMaker) -> list[Existing]: ...
    def plant(self, fake: FakeSageMaker, name: str, tags: list[dict[str, str]]) -> None: ...
    def attribute_problem(self, fake: FakeSageMaker, physical_id: str, data: dict[str, Any]) -> str | None: ...
    def new_fake(self) -> Any: ...
    def handler(self) -> types.SimpleNamespace: ...
    def configure(self, fake: Any, faults: Any) -> None: ...
    def stopped_at(self, fake: Any, name: str) -> float | None: ...


class SageMakerKind:
    """What the two SageMaker kinds share: the fake, the bundled handler, the fault knobs."""

    kind: str

    def new_fake(self) -> Any:
        return FakeSageMaker()

    def handler(self) -> types.SimpleNamespace:
        return load_handler(self.kind)

    def configure(self, fake: Any, faults: Any) -> None:
        fake.STOP_SECONDS = faults.stop_seconds
        fake.delete_linger_seconds = faults.delete_linger_seconds
        fake.DELETE_FLOW_SECONDS = faults.flow_deleting_seconds

    def stopped_at(self, fake: Any, name: str) -> float | None:
        return getattr(fake.jobs.get(name), "stopped_at", None)


def user_tags(version: Version) -> list[dict[str, str]]:
    return [{"Key": "team", "Value": f"team-{version.tags}"}] + [
        {"Key": f"extra-{i}", "Value": "x"} for i in range(version.tags)
    ]


def _arn_names(data: dict[str, Any], attribute: str, physical_id: str) -> str | None:
    arn = str(data.get(attribute, ""))
    if not arn.endswith("/" + physical_id.lower()):
        return f"{attribute} {arn!r} does not name {physical_id}"
    return None


class CompilationJobSpec(SageMakerKind):
    kind = "compilation_job"
    weight = 2
    handler_id: str | None = "SmcCompilationJobHandler"
    placeholder = "explorer-placeholder-job"
    generated_name = "teststack--compile-0123456789"
    resource_type = _wire.COMPILATION_JOB.resource_type
    name_property = _wire.COMPILATION_JOB_NAME
    arn_attribute = _wire.ATTR_COMPILATION_JOB_ARN
    max_duration = 800.0
    _DEVICES = ("ml_c5", "ml_m5", "sitara_am57x")

    def explicit_name(self, letter: str) -> str:
        return f"explorer-job-{letter}"

    def properties(self, version: Version, name: str) -> dict[str, Any]:
        shape = '{"input0":[1,3,224,224]}' if version.form == 0 else '{"input0": [1, 3, 224, 224]}'
        model = "resnet18" if version.valid else "broken"
        return compilation_job_properties(
            name,
            InputConfig={
                "S3Uri": f"s3://models/{model}-{version.content}.tar.gz",
                "Framework": "PYTORCH",
                "DataInputConfig": shape,
            },
            OutputConfig={
                "S3OutputLocation": f"s3://out/compiled/{name}/",
                "TargetDevice": self._DEVICES[version.content % 3],
            },
            Tags=user_tags(version),
        )

    def install(self, fake: FakeSageMaker, name: str, version: Version) -> None:
        end = "COMPLETED" if version.valid else "FAILED"
        fake.job_scripts[name] = Script(
            [(0, "STARTING"), (min(20.0, version.duration / 2), "INPROGRESS"), (version.duration, end)],
            failure_reason="" if version.valid else "ClientError: the model does not load",
        )

    def existing(self, fake: FakeSageMaker) -> list[Existing]:
        now = fake.clock.now()
        out = []
        for name, job in fake.jobs.items():
            if job.deleted_at is not None and now - job.deleted_at >= 0:
                continue
            status = fake._job_status(job)
            out.append(Existing(name, dict(job.tags), status, status in ("STARTING", "INPROGRESS", "STOPPING")))
        return out

    def plant(self, fake: FakeSageMaker, name: str, tags: list[dict[str, str]]) -> None:
        version = Version("foreign", 0, 0, 0, True, 3000.0)
        self.install(fake, name, version)
        props = self.properties(version, name)
        request = {k: v for k, v in props.items() if k not in ("ServiceTimeout", "Tags")}
        fake.create_compilation_job(**request, Tags=tags)

    def attribute_problem(self, fake: FakeSageMaker, physical_id: str, data: dict[str, Any]) -> str | None:
        problem = _arn_names(data, self.arn_attribute, physical_id)
        if problem:
            return problem
        if data.get(_wire.ATTR_COMPILATION_JOB_NAME) != physical_id:
            return (
                f"{_wire.ATTR_COMPILATION_JOB_NAME} {data.get(_wire.ATTR_COMPILATION_JOB_NAME)!r} is not {physical_id}"
            )
        artifacts = str(data.get(_wire.ATTR_S3_MODEL_ARTIFACTS, ""))
        if not artifacts.startswith(f"s3://out/compiled/{physical_id}/"):
            return f"{_wire.ATTR_S3_MODEL_ARTIFACTS} {artifacts!r} is not below {physical_id}'s output"
        return None


class FlowDefinitionSpec(SageMakerKind):
    kind = "flow_definition"
    weight = 1
    handler_id: str | None = "SmcFlowDefinitionHandler"
    placeholder = "explorer-placeholder-flow"
    generated_name = "teststack--review-0123456789"
    resource_type = _wire.FLOW_DEFINITION.resource_type
    name_property = _wire.FLOW_DEFINITION_NAME
    arn_attribute = _wire.ATTR_FLOW_DEFINITION_ARN
    max_duration = 30.0

    def explicit_name(self, letter: str) -> str:
        return f"explorer-flow-{letter}"

    def properties(self, version: Version, name: str) -> dict[str, Any]:
        conditions = {
            "Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}}]
        }
        text = json.dumps(conditions, separators=(",", ":")) if version.form == 0 else json.dumps(conditions, indent=1)
        base = flow_definition_properties(name)
        loop = {
            **base["HumanLoopConfig"],
            "TaskTitle": f"Review {version.content}" + ("" if version.valid else " (bad)"),
        }
        return flow_definition_properties(
            name,
            HumanLoopActivationConfig={"HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": text}},
            HumanLoopConfig=loop,
            Tags=user_tags(version),
        )

    def install(self, fake: FakeSageMaker, name: str, version: Version) -> None:
        end = "Active" if version.valid else "Failed"
        fake.flow_scripts[name] = Script(
            [(0, "Initializing"), (version.duration, end)],
            failure_reason="" if version.valid else "the worker task template is not valid",
        )

    def existing(self, fake: FakeSageMaker) -> list[Existing]:
        out = []
        for name, flow in fake.flows.items():
            if name in fake.deleting_flows:
                continue  # SageMaker accepted the delete: on its way out
            status = flow.script.status_at(fake.clock.now() - flow.created)
            out.append(Existing(name, dict(flow.tags), status, status != "Failed"))
        return out

    def plant(self, fake: FakeSageMaker, name: str, tags: list[dict[str, str]]) -> None:
        version = Version("foreign", 0, 0, 0, True, 1.0)
        self.install(fake, name, version)
        props = self.properties(version, name)
        request = {k: v for k, v in props.items() if k not in ("ServiceTimeout", "Tags")}
        fake.create_flow_definition(**request, Tags=tags)

    def attribute_problem(self, fake: FakeSageMaker, physical_id: str, data: dict[str, Any]) -> str | None:
        problem = _arn_names(data, self.arn_attribute, physical_id)
        if problem:
            return problem
        if data.get(_wire.ATTR_FLOW_DEFINITION_NAME) != physical_id:
            return (
                f"{_wire.ATTR_FLOW_DEFINITION_NAME} {data.get(_wire.ATTR_FLOW_DEFINITION_NAME)!r} is not {physical_id}"
            )
        return None


class WidgetSpec:
    """The test-only widget kind (no Delete, no FailureReason) on its test-only handler."""

    kind = "widget"
    weight = 0  # not in the default mix
    handler_id: str | None = None  # no construct renders it: no policy to enforce
    placeholder = "explorer-placeholder-widget"
    generated_name = "teststack--widget-0123456789"
    resource_type = "Custom::Widget"
    name_property = "WidgetName"
    arn_attribute = "WidgetArn"
    max_duration = 300.0
    _SERVICE_TIMEOUTS = (900, 1200)  # a change in form only: the request's, not the widget's

    def explicit_name(self, letter: str) -> str:
        return f"explorer-widget-{letter}"

    def properties(self, version: Version, name: str) -> dict[str, Any]:
        size = version.content + 1 if version.valid else 0  # the fake breaks an invalid one at its end
        return {
            "WidgetName": name,
            "Size": str(size),
            "ServiceTimeout": self._SERVICE_TIMEOUTS[version.form],
            "Tags": user_tags(version),
        }

    def install(self, fake: Any, name: str, version: Version) -> None:
        fake.scripts[name] = (version.duration, not version.valid)

    def existing(self, fake: Any) -> list[Existing]:
        out = []
        for name, widget in fake.widgets.items():
            status = fake._state(widget, name)
            running = status in ("RUNNING", "HALTING")
            out.append(Existing(name, dict(widget["Tags"]), status, running, ended_for_good=not running))
        return out

    def plant(self, fake: Any, name: str, tags: list[dict[str, str]]) -> None:
        fake.scripts[name] = (3000.0, False)
        fake.create_widget(WidgetName=name, Size="1", Tags=tags)

    def attribute_problem(self, fake: Any, physical_id: str, data: dict[str, Any]) -> str | None:
        problem = _arn_names(data, self.arn_attribute, physical_id)
        if problem:
            return problem
        if data.get("WidgetState") != "DONE":
            return f"WidgetState {data.get('WidgetState')!r} of {physical_id} is not DONE"
        return None

    def new_fake(self) -> Any:
        return _third_kind("widgets").FakeWidgets(World())

    def handler(self) -> types.SimpleNamespace:
        return _third_kind("handler").load()  # type: ignore[no-any-return]

    def configure(self, fake: Any, faults: Any) -> None:
        fake.halt_seconds = faults.stop_seconds

    def stopped_at(self, fake: Any, name: str) -> float | None:
        widget = fake.widgets.get(name)
        return None if widget is None else widget["HaltedAt"]  # type: ignore[no-any-return]


def _third_kind(module: str) -> Any:
    """A module of ``tests/lambda/third_kind`` (``lambda`` is a keyword: no import statement reaches it)."""
    return importlib.import_module(f"tests.lambda.third_kind.{module}")


# The default mix: every seed of `make explore` picks one of these, by weight.
SPECS: dict[str, KindSpec] = {"compilation_job": CompilationJobSpec(), "flow_definition": FlowDefinitionSpec()}
# Kinds that run only when chosen (`make explore KIND=widget`, `--kind widget`).
OTHER_SPECS: dict[str, KindSpec] = {"widget": WidgetSpec()}
ALL_SPECS: dict[str, KindSpec] = {**SPECS, **OTHER_SPECS}
