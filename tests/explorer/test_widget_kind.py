"""The test-only widget kind (an API with no Delete and no FailureReason) on the explorer's
schedules, through the adapter and crhelper as the real kinds run (issue 15, section 3).

Widget seeds are chosen with ``kind="widget"`` (``make explore KIND=widget``): the kind is
not in the default mix, so the mix's seeds keep their meaning. Replay one with
``make explore N=1 SEED=<n> TRACE=1 KIND=widget``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator

import pytest

from tests.explorer.app import Synthesized
from tests.explorer.explore import Result, run_seed
from tests.explorer.kinds import SPECS
from tests.explorer.regression import holds, shaped
from tests.explorer.schedule import generate
from tests.harness import Lifecycle, ResponseServer

Explore = Callable[[int], Result]
handler = importlib.import_module("tests.lambda.third_kind.handler")
widgets = importlib.import_module("tests.lambda.third_kind.widgets")

# Widget seeds whose schedules hold every invariant (found by `make explore KIND=widget`).
PASSING_WIDGET_SEEDS = tuple(range(12))


@pytest.fixture
def explore(synthesized: Synthesized, response_server: ResponseServer) -> Iterator[Explore]:
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)

    def run(seed: int) -> Result:
        return run_seed(seed, synthesized, response_server, kind="widget")

    yield run
    logging.disable(previous)


@pytest.mark.parametrize("seed", PASSING_WIDGET_SEEDS)
def test_widget_schedule_holds_every_invariant(explore: Explore, seed: int) -> None:
    result = explore(seed)
    assert result.schedule.kind == "widget" and result.run is not None
    assert isinstance(result.run.sagemaker, widgets.FakeWidgets)  # the widget fake, not SageMaker's
    assert result.run.life.handler.index.KIND is handler.KIND  # through the adapter, on the widget kind
    holds(result)


def test_the_default_mix_never_picks_the_widget_kind(synthesized: Synthesized) -> None:
    assert "widget" not in SPECS
    kinds = {generate(seed, synthesized.generated_name).kind for seed in range(300)}
    assert kinds == {"compilation_job", "flow_definition"}


def test_a_chosen_kind_keeps_the_rest_of_the_seeds_schedule(synthesized: Synthesized) -> None:
    """``--kind`` replaces the mix's pick; the stack operations are drawn as before."""
    for seed in range(20):
        mixed = generate(seed, synthesized.generated_name)
        widget = generate(seed, synthesized.generated_name, "widget")
        assert widget.kind == "widget"
        assert [(op.action, op.change) for op in widget.ops] == [(op.action, op.change) for op in mixed.ops]


def test_widget_runs_widgets_and_says_iam_is_not_enforced(explore: Explore) -> None:
    result = explore(PASSING_WIDGET_SEEDS[0])
    run = result.run
    assert run is not None and run.sagemaker.widgets, "no widget was made"
    assert "IAM: NOT enforced for widget" in result.report()
    assert "KIND=widget" in result.report()


def test_the_widget_invariants_can_fail(explore: Explore) -> None:
    """A running widget owned by the stack but not held, and a stopped foreign widget, are caught."""
    from tests.explorer.invariants import foreign_untouched, owned_is_held
    from tests.explorer.model import LOGICAL_ID
    from tests.harness import STACK_ID, owner_tags

    run = explore(PASSING_WIDGET_SEEDS[0]).run
    assert run is not None
    run.sagemaker.interfere = None
    assert owned_is_held(run) == [] and foreign_untouched(run) == []
    run.spec.plant(run.sagemaker, run.spec.explicit_name("z"), owner_tags(LOGICAL_ID, STACK_ID))
    assert any("explorer-widget-z" in p and "still running" in p for p in owned_is_held(run))
    run._plant(run.spec.explicit_name("y"), "none")
    run.sagemaker.stop_widget(WidgetName=run.spec.explicit_name("y"))
    assert foreign_untouched(run) == ["foreign explorer-widget-y was stopped"]


# --- defects the widget kind shows -------------------------------------------------------------------
def test_the_widget_kind_as_written_creates_through_the_adapter(response_server: ResponseServer) -> None:
    life = Lifecycle(
        handler.load(widgets.Widget()),
        response_server,
        widgets.FakeWidgets(widgets.World()),
        resource_type=widgets.Widget.resource_type,
    )
    try:
        answer = life.run_until_answered(life.event("Create", {"WidgetName": "widget-1", "Size": "3"}))
    finally:
        life.close()
    assert answer.status == "SUCCESS", answer.reason


def test_widget_rollback_delete_stopped_mid_call_answers_failed_seed_213(explore: Explore) -> None:
    holds(shaped(explore(213), "hang=", "create v0, a sibling fails"))


def test_widget_rollback_update_stopped_mid_call_answers_failed_seed_377(explore: Explore) -> None:
    holds(shaped(explore(377), "hang=", "update v1 (rename), a sibling fails"))


def test_widget_stack_delete_stopped_mid_call_answers_failed_seed_783(explore: Explore) -> None:
    holds(shaped(explore(783), "hang=", "delete v0"))


def test_widget_rollback_delete_unanswered_within_its_service_timeout_seed_967(explore: Explore) -> None:
    holds(shaped(explore(967), "hang=", "drop=", "create v0, a sibling fails"))


def test_widget_create_hung_until_the_lambda_timeout_outlives_its_service_timeout_seed_301(explore: Explore) -> None:
    holds(shaped(explore(301), "hang=", "duplicate=", "create v0, a sibling fails"))
