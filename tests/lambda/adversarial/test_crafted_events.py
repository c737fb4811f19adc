"""Adversarial: events crafted by anyone allowed lambda:InvokeFunction on the
handler. They must not stop, delete or answer for anything this stack's
resources did not ask for, and must not start chains that never end."""

from __future__ import annotations

from typing import Any

from sagemaker_constructs import _wire
from tests.harness import STACK_ID, FakeContext, owner_tags, url_path
from tests.harness.existing import job_made_by_handler
from tests.harness.fake_sagemaker import Script
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props
from tests.harness.world import Invocation

NAME = JOB_NAME
LONG = Script([(0, "STARTING"), (20, "INPROGRESS"), (3000, "COMPLETED")])
YEAR_2100 = 4_102_444_800.0


def _continuation(base: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    event = {k: v for k, v in base.items() if k not in ("ResourceProperties", "OldResourceProperties")}
    event[_wire.CRHELPER_POLL_KEY] = True
    event[_wire.CONTINUATION_KEY] = state
    return event


def _run_raw(life: Any, event: dict[str, Any]) -> Invocation:
    """Invoke the handler with any payload (the harness's submit needs a ResponseURL),
    on the warm adapter the previous invocation left, as Lambda reuses a container."""

    def body(invocation: Invocation) -> None:
        adapter = life._adapter()
        invocation.on_timer = adapter._timeout
        try:
            adapter.handle(event, FakeContext(life.world, invocation))
        finally:
            life._pool.append(adapter)

    invocation: Invocation = life.world.spawn(Invocation(body, life.clock.now(), life.lambda_timeout, "crafted"))
    life.world.run(stop=lambda: invocation.done)
    return invocation


# --- the handler resists ---------------------------------------------------------------
def test_a_crafted_delete_naming_another_resources_job_leaves_it_running(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = LONG
    job_made_by_handler(life.sagemaker, props(), logical_id="OtherResource")
    answer = life.invoke(life.event("Delete", props(), physical_id=NAME, logical_id="Resource"))

    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("stop_compilation_job") == [] and NAME in life.sagemaker.jobs


def test_a_crafted_wait_continuation_for_another_resources_job_answers_without_touching_it(
    make_lifecycle: Any,
) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = LONG
    job_made_by_handler(life.sagemaker, props(), logical_id="OtherResource")
    base = life.event("Create", props())
    state = {"Phase": "wait", "Name": NAME, "Deadline": YEAR_2100, "Created": True}
    life.submit(_continuation(base, state))
    life.run_all()

    assert life.answer(base).status == "FAILED"
    assert life.sagemaker.called("stop_compilation_job") == [] and NAME in life.sagemaker.jobs
    assert life.queued() == []


def test_a_crafted_remove_continuation_with_a_job_with_only_one_ownership_tag_leaves_it(
    make_lifecycle: Any,
) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = LONG
    request = {k: v for k, v in props().items() if k != "ServiceTimeout"}
    life.sagemaker.create_compilation_job(**request, Tags=owner_tags()[:1])  # the stack tag alone
    base = life.event("Delete", props(), physical_id=NAME)
    life.submit(_continuation(base, {"Phase": "remove", "Name": NAME, "Deadline": YEAR_2100}))
    life.run_all()

    assert life.sagemaker.called("stop_compilation_job") == [] and NAME in life.sagemaker.jobs


# --- defects ------------------------------------------------------------------------------
def test_a_malformed_event_is_never_answered_to_the_previous_requests_url(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = LONG
    create = life.event("Create", props())
    first = life.invoke(create)
    assert first.body is None and len(life.lambda_.calls) == 1  # handed over: CloudFormation still waits

    _run_raw(life, {"PhysicalResourceId": "x"})  # crafted: no StackId, RequestId, ResponseURL ...

    forged = life.server.responses.get(url_path(create["ResponseURL"]), [])
    assert forged == [], f"the pending Create was answered by the crafted event: {forged}"


def test_a_crafted_answer_continuation_cannot_start_an_endless_chain(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    base = life.event("Create", props())
    life.server.dead_paths.add(url_path(base["ResponseURL"]))
    answer = {"Status": "SUCCESS", "PhysicalResourceId": NAME, "Reason": "", "Data": {}}
    start = life.clock.now()
    life.submit(_continuation(base, {"Phase": "answer", "Answer": answer, "Deadline": YEAR_2100}))
    life.run_all(until=start + 4 * 3600.0)

    latest = max(inv.start for inv in life.world.invocations)
    assert latest < start + _wire.SERVICE_TIMEOUT_MAX_SECONDS + 900.0, (
        f"{len(life.world.invocations)} invocations; the latest started {latest - start:.0f} s in"
    )


def test_a_crafted_same_name_update_does_not_change_the_live_jobs_tags(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    tagged = props(Tags=[{"Key": "team", "Value": "vision"}])
    assert life.run_until_answered(life.event("Create", tagged)).status == "SUCCESS"
    assert life.cloudformation.resources["Resource"].status == "CREATE_COMPLETE"

    crafted = props(Tags=[{"Key": "cost-center", "Value": "attacker"}])
    life.invoke(life.event("Update", crafted, physical_id=NAME, old_properties=tagged), crafted=True)

    tags = life.sagemaker.jobs[NAME].tags
    assert tags.get("team") == "vision" and "cost-center" not in tags, tags
    assert tags[_wire.OWNER_STACK_TAG] == STACK_ID


def test_a_crafted_remove_continuation_cannot_delete_the_stacks_live_job(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    assert life.run_until_answered(life.event("Create", props())).status == "SUCCESS"
    crafted = life.event("Delete", props(), physical_id=NAME)
    crafted.pop("ResourceProperties")
    crafted[_wire.CRHELPER_POLL_KEY] = True
    crafted[_wire.CONTINUATION_KEY] = {"Phase": "remove", "Name": NAME, "Deadline": life.clock.now() + 600.0}

    life.invoke(crafted, crafted=True)

    assert NAME in life.sagemaker.jobs
    assert life.sagemaker.called("delete_compilation_job") == []
