"""The engine's decisions, called directly: plain dicts, a strict fake client
and a simulated clock; no crhelper, no HTTPS."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sagemaker_constructs import _wire
from tests.harness import STACK_ID, FakeCloudFormation, StackResource, cfn_stringify, load_handler, owner_tags
from tests.harness.existing import job_made_by_handler
from tests.harness.fake_sagemaker import FakeSageMaker, Script
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props
from tests.harness.world import World

bundle = load_handler("compilation_job")
engine = bundle.engine
KIND = bundle.spec.KIND


def env(sagemaker: FakeSageMaker, world: World, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "sagemaker": sagemaker,
        "clock": world,
        "stack_id": STACK_ID,
        "invocation_end": world.now() + 900.0,
        "describe_interval": 5.0,
        "rng": random.Random(7),
    }
    values.update(overrides)
    return engine.Env(**values)


def event(request_type: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "LogicalResourceId": "Resource",
        "ResourceProperties": cfn_stringify(properties),
        **extra,
    }


@pytest.mark.parametrize(
    ("status", "stack_physical_id", "expected"),
    [
        ("CREATE_IN_PROGRESS", "", True),
        ("UPDATE_IN_PROGRESS", "old-job", True),
        ("CREATE_COMPLETE", JOB_NAME, True),  # a duplicate of the request that took effect
        ("CREATE_FAILED", "", False),  # cancelled, or given up
        ("UPDATE_FAILED", "old-job", False),
        ("DELETE_IN_PROGRESS", "made-up", False),
        ("DELETE_COMPLETE", "made-up", False),
        ("UPDATE_COMPLETE", "old-job", False),  # another request's answer took effect
    ],
)
def test_whether_a_request_is_still_wanted(status: str, stack_physical_id: str, expected: bool) -> None:
    assert engine.wanted(status, stack_physical_id, JOB_NAME) is expected


@pytest.mark.parametrize(
    ("resources", "budget", "expected"),
    [(1, 10.0, 5.0), (50, 10.0, 5.0), (100, 10.0, 10.0), (200, 10.0, 20.0), (200, 40.0, 5.0)],
)
def test_the_describe_interval_keeps_a_stack_within_its_budget(resources: int, budget: float, expected: float) -> None:
    assert engine.describe_interval(5.0, resources, budget) == expected


def test_a_job_that_completes_is_answered_with_its_attributes() -> None:
    world = World()
    fake = FakeSageMaker(world)
    fake.job_scripts[JOB_NAME] = Script([(0, "INPROGRESS"), (60, "COMPLETED")])
    outcome = engine.handle(KIND, env(fake, world), event("Create", props()))
    assert isinstance(outcome, engine.Answer)
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", JOB_NAME)
    assert outcome.data["CompilationJobStatus"] == "COMPLETED"
    assert 60.0 <= world.now() - 1_800_000_000.0 < 66.0  # answered within one describe interval


def test_a_job_that_outlives_the_invocation_is_handed_over_with_a_small_state() -> None:
    world = World()
    fake = FakeSageMaker(world)
    fake.job_scripts[JOB_NAME] = Script([(0, "INPROGRESS"), (5000, "COMPLETED")])
    outcome = engine.handle(KIND, env(fake, world), event("Create", props()))
    assert isinstance(outcome, engine.HandOver)
    assert outcome.state["Phase"] == "wait" and outcome.state["Name"] == JOB_NAME and outcome.state["Created"] is True
    assert world.now() - 1_800_000_000.0 <= 900.0 - engine.INVOCATION_MARGIN_SECONDS


def test_the_name_is_published_before_any_call() -> None:
    world = World()
    fake = FakeSageMaker(world)
    seen: list[tuple[str, int]] = []
    engine.handle(
        KIND, env(fake, world), event("Create", props()), on_identity=lambda n: seen.append((n, len(fake.calls)))
    )
    assert seen[0] == (JOB_NAME, 0)


def test_a_cancelled_create_creates_nothing() -> None:
    world = World()
    fake = FakeSageMaker(world)
    cloudformation = FakeCloudFormation()
    cloudformation.resources["Resource"] = StackResource("CREATE_FAILED")
    outcome = engine.handle(KIND, env(fake, world, cloudformation=cloudformation), event("Create", props()))
    assert isinstance(outcome, engine.Answer) and outcome.status == "FAILED" and "cancelled" in outcome.reason
    assert fake.calls == []


def test_an_unknown_stack_answer_counts_as_wanted() -> None:
    world = World()
    fake = FakeSageMaker(world)
    cloudformation = FakeCloudFormation()
    cloudformation.failures = [RuntimeError("network")] * 50
    outcome = engine.handle(KIND, env(fake, world, cloudformation=cloudformation), event("Create", props()))
    assert isinstance(outcome, engine.Answer) and outcome.status == "SUCCESS"


def test_delete_finds_the_job_by_the_name_in_the_properties() -> None:
    world = World()
    fake = FakeSageMaker(world)
    job_made_by_handler(fake, props())
    outcome = engine.handle(
        KIND, env(fake, world), event("Delete", props(), PhysicalResourceId="made-up-by-cloudformation")
    )
    assert isinstance(outcome, engine.Answer) and outcome.status == "SUCCESS"
    assert outcome.physical_id == "made-up-by-cloudformation"
    assert JOB_NAME not in fake.jobs


def test_update_reads_the_old_properties_only_leniently() -> None:
    world = World()
    fake = FakeSageMaker(world)
    job_made_by_handler(fake, props())
    bad_old = cfn_stringify(props(ServiceTimeout="1h", Tags=[{"Key": "team"}]))
    outcome = engine.handle(
        KIND, env(fake, world), event("Update", props(), PhysicalResourceId=JOB_NAME, OldResourceProperties=bad_old)
    )
    assert isinstance(outcome, engine.Answer) and outcome.status == "SUCCESS", outcome


def test_the_ownership_tags_come_from_the_environment() -> None:
    world = World()
    fake = FakeSageMaker(world)
    engine.handle(
        KIND,
        env(fake, world, stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/Env/1"),
        event("Create", props(), StackId=STACK_ID),
    )
    (call,) = fake.called("create_compilation_job")
    assert call["Tags"] == owner_tags("Resource", "arn:aws:cloudformation:us-east-1:123456789012:stack/Env/1")
    assert _wire.OWNER_STACK_TAG.startswith(_wire.TAG_PREFIX) and not _wire.TAG_PREFIX.startswith("aws:")


def test_reasons_keep_the_name_status_and_the_end_of_the_failure() -> None:
    reason = engine.compose_reason("Lead text.", "Job x status FAILED", "y" * 400 + " END")
    assert len(reason) <= engine.MAX_REASON
    assert reason.startswith("Job x status FAILED: ...") and reason.endswith(" END")
    assert engine.fit_head("a" * 300).endswith("...") and len(engine.fit_head("a" * 300)) == engine.MAX_REASON
