"""Adversarial: a SageMaker call of a Delete hangs until Lambda stops the invocation.
crhelper's timer answered FAILED ("Execution timed out"): DELETE_FAILED or
ROLLBACK_FAILED (explorer seed 213). The Delete hands its removal over instead."""

from __future__ import annotations

from typing import Any

from tests.harness.existing import job_made_by_handler
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props


def test_a_delete_whose_call_hangs_until_the_lambda_timeout_hands_the_removal_over(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    job_made_by_handler(life.sagemaker, props())
    hangs = [True]

    def interfere(operation: str, params: dict[str, Any]) -> None:
        if hangs and hangs.pop():
            life.world.sleep(life.lambda_timeout + 1.0)  # Lambda stops the invocation mid-call

    life.sagemaker.interfere = interfere
    answer = life.run_until_answered(life.event("Delete", props(), physical_id=JOB_NAME))

    assert answer.status == "SUCCESS", f"DELETE_FAILED: {answer.reason}"
    assert JOB_NAME not in life.sagemaker.jobs
