"""Issue 15 defect 3: the cleanup of a cancelled replacement must not depend on a
continuation arriving. The rollback Update knows the failed version's name (in
its OldResourceProperties) and removes what that version made; and a continuation
that arrives late, after its dead request's deadline, can still stop and delete."""

from __future__ import annotations

from typing import Any

from tests.harness.fake_sagemaker import Script
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props

from ..adversarial._helpers import cancel_update

NEW_NAME = JOB_NAME + "-v2"


def _replacement_under_way(make_lifecycle: Any) -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
    """N1 deployed; an Update to N2 is compiling and has handed over (held back)."""
    life = make_lifecycle(lambda_timeout=120.0)
    assert life.run_until_answered(life.event("Create", props())).status == "SUCCESS"
    life.sagemaker.job_scripts[NEW_NAME] = Script([(0, "INPROGRESS"), (3000, "COMPLETED")])
    held: list[dict[str, Any]] = []
    life.lambda_.on_invoke = held.append
    forward = life.event("Update", props(NEW_NAME), physical_id=JOB_NAME, old_properties=props())
    assert life.invoke(forward).body is None and held  # handed over
    return life, forward, held


def test_the_rollback_of_a_cancelled_replacement_removes_the_new_job_whose_continuation_was_dropped(
    make_lifecycle: Any,
) -> None:
    life, forward, _dropped = _replacement_under_way(make_lifecycle)
    cancel_update(life, forward)  # a sibling failed; the continuation never arrives

    rollback = life.event("Update", props(), physical_id=JOB_NAME, old_properties=props(NEW_NAME))
    answer = life.run_until_answered(rollback)
    life.run_all()

    assert (answer.status, answer.physical_id) == ("SUCCESS", JOB_NAME), answer.reason
    assert NEW_NAME not in life.sagemaker.jobs, "the failed version's job was left outside the stack"
    assert JOB_NAME in life.sagemaker.jobs


def test_a_late_continuation_of_a_cancelled_replacement_still_stops_and_deletes(make_lifecycle: Any) -> None:
    life, forward, held = _replacement_under_way(make_lifecycle)
    cancel_update(life, forward)
    life.lambda_.on_invoke = life._handed_over
    life.clock.advance(1500.0)  # queued (throttled) past the request's deadline

    life.submit(held[-1])
    life.run_all()

    assert life.sagemaker.called("stop_compilation_job"), "nothing stopped the cancelled request's job"
    assert NEW_NAME not in life.sagemaker.jobs
