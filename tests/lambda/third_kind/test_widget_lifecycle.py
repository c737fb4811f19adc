"""The third kind (no Delete, no FailureReason) through create, update, delete and
cancel, on the engine the handlers bundle, called as the adapter calls it."""

from __future__ import annotations

import random
from typing import Any

from tests.harness import STACK_ID, FakeCloudFormation, StackResource, owner_tag_dict
from tests.harness.world import World

from .widgets import HALT_SECONDS, KIND, RUN_SECONDS, FakeWidgets, engine

NAME = "widget-1"
START = 1_800_000_000.0


def _props(**overrides: Any) -> dict[str, Any]:
    return {"WidgetName": NAME, "Size": "3", **overrides}


class Setup:
    def __init__(self) -> None:
        self.world = World(START)
        self.widgets = FakeWidgets(self.world)
        self.cloudformation = FakeCloudFormation()

    def handle(self, request_type: str, props: dict[str, Any], **extra: Any) -> Any:
        env = engine.Env(
            sagemaker=self.widgets,
            clock=self.world,
            stack_id=STACK_ID,
            invocation_end=self.world.now() + 900.0,
            describe_interval=5.0,
            cloudformation=self.cloudformation,
            rng=random.Random(3),
        )
        event = {"RequestType": request_type, "LogicalResourceId": "Resource", "ResourceProperties": props, **extra}
        if "SmcContinuation" not in extra:  # CloudFormation marks the request as it sends it
            self.cloudformation.requested(request_type, "Resource")
        return engine.handle(KIND, env, event)


def test_a_widget_is_created_and_answered_with_its_attributes() -> None:
    setup = Setup()
    answer = setup.handle("Create", _props())
    assert isinstance(answer, engine.Answer)
    assert (answer.status, answer.physical_id) == ("SUCCESS", NAME), answer.reason
    assert answer.data == {"WidgetArn": setup.widgets._arn(NAME), "WidgetState": "DONE"}
    assert RUN_SECONDS <= setup.world.now() - START < RUN_SECONDS + 7.0
    assert setup.widgets.widgets[NAME]["Tags"] == owner_tag_dict()


def test_a_broken_widget_fails_saying_no_reason_was_given() -> None:
    setup = Setup()
    setup.widgets.broken.add(NAME)
    answer = setup.handle("Create", _props())
    assert answer.status == "FAILED"
    assert f"Widget {NAME} status BROKEN: no reason given" in answer.reason


def test_a_tag_update_is_made_in_place_and_a_change_is_refused() -> None:
    setup = Setup()
    setup.handle("Create", _props())
    tagged = setup.handle(
        "Update", _props(Tags=[{"Key": "team", "Value": "a"}]), PhysicalResourceId=NAME, OldResourceProperties=_props()
    )
    changed = setup.handle("Update", _props(Size="4"), PhysicalResourceId=NAME, OldResourceProperties=_props())
    assert tagged.status == "SUCCESS", tagged.reason
    assert setup.widgets.widgets[NAME]["Tags"]["team"] == "a"
    assert changed.status == "FAILED" and "Size changed" in changed.reason
    assert setup.widgets.calls.count("create_widget") == 1


def test_deleting_an_ended_widget_succeeds_without_a_delete_call() -> None:
    setup = Setup()
    setup.handle("Create", _props())
    answer = setup.handle("Delete", _props(), PhysicalResourceId=NAME)
    assert (answer.status, answer.physical_id) == ("SUCCESS", NAME)
    assert "stop_widget" not in setup.widgets.calls  # DONE: nothing to stop, nothing can delete it


def test_deleting_a_running_widget_stops_it_and_answers_once_it_halted() -> None:
    setup = Setup()
    setup.widgets.create_widget(
        WidgetName=NAME, Size="3", Tags=[{"Key": k, "Value": v} for k, v in owner_tag_dict().items()]
    )
    setup.cloudformation.resources["Resource"] = StackResource("DELETE_IN_PROGRESS", NAME)
    answer = setup.handle("Delete", _props(), PhysicalResourceId=NAME)
    assert answer.status == "SUCCESS", answer.reason
    assert setup.widgets.calls.count("stop_widget") == 1
    assert setup.widgets.describe_widget(WidgetName=NAME)["WidgetState"] == "HALTED"
    assert setup.world.now() - START >= HALT_SECONDS


def test_a_cancelled_create_stops_the_widget_it_made() -> None:
    setup = Setup()
    setup.cloudformation.resources["Resource"] = StackResource("CREATE_IN_PROGRESS")
    original = setup.widgets.create_widget

    def create_then_cancelled(**params: Any) -> dict[str, Any]:
        made = original(**params)
        setup.cloudformation.cancel("Resource")  # a sibling failed as the widget was made
        return made

    setup.widgets.create_widget = create_then_cancelled  # type: ignore[method-assign]
    answer = setup.handle("Create", _props())
    assert answer.status == "FAILED" and "cancelled" in answer.reason
    assert setup.widgets.calls.count("stop_widget") == 1
    assert setup.widgets.describe_widget(WidgetName=NAME)["WidgetState"] == "HALTED"


def test_a_widget_that_outlives_the_invocation_is_handed_over_and_continued() -> None:
    setup = Setup()
    env_end = setup.world.now() + 70.0  # a short invocation: 10 s of work before the margin
    env = engine.Env(
        sagemaker=setup.widgets, clock=setup.world, stack_id=STACK_ID, invocation_end=env_end, describe_interval=5.0
    )
    event = {"RequestType": "Create", "LogicalResourceId": "Resource", "ResourceProperties": _props()}
    setup.cloudformation.requested("Create", "Resource")
    outcome = engine.handle(KIND, env, event)
    assert isinstance(outcome, engine.HandOver) and outcome.state["Phase"] == "wait"
    answer = setup.handle("Create", _props(), SmcContinuation=outcome.state)
    assert answer.status == "SUCCESS", answer.reason
