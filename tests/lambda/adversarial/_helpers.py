"""Small helpers for the adversarial tests: CloudFormation behaviour the shared
harness does not model by itself (a cancelled request whose late answer
CloudFormation ignores, a cleanup Delete that leaves the logical resource
UPDATE_COMPLETE), and a SageMaker whose CreateCompilationJob response is lost."""

from __future__ import annotations

import datetime
from typing import Any

from botocore.exceptions import ReadTimeoutError

from tests.harness import REGION, StackResource, url_path
from tests.harness.fake_sagemaker import READ_TIMEOUT_SECONDS, FakeSageMaker

OTHER_STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/OtherStack/11111111-2222-3333-4444-555555555555"


def signed_now(life: Any, event: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's ResponseURL is pre-signed when it sends the request (X-Amz-Date)."""
    stamp = datetime.datetime.fromtimestamp(life.clock.now(), tz=datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    event["ResponseURL"] += f"&X-Amz-Date={stamp}"
    return event


def ignore_later_answers(life: Any, event: dict[str, Any]) -> None:
    """CloudFormation stopped waiting for ``event``'s request (cancelled, timed out):
    whatever is sent to its URL from now on changes nothing in the stack."""
    life._answered.add(url_path(event["ResponseURL"]))


def stack_resource(life: Any, status: str, physical_id: str = "", logical_id: str = "Resource") -> None:
    life.cloudformation.resources[logical_id] = StackResource(status, physical_id)


def cancel_update(life: Any, event: dict[str, Any], logical_id: str = "Resource") -> None:
    """Another resource failed during the stack update: CloudFormation cancels
    this in-flight Update (UPDATE_FAILED, 'Resource update cancelled')."""
    life.cloudformation.resources.setdefault(logical_id, StackResource("")).status = "UPDATE_FAILED"
    ignore_later_answers(life, event)


def cleanup_delete(life: Any, event: dict[str, Any], current_physical_id: str, logical_id: str = "Resource") -> Any:
    """UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: CloudFormation deletes the replaced
    physical resource; the logical resource itself stays UPDATE_COMPLETE with
    the new physical id (the shared fake would mark it DELETE_COMPLETE)."""
    answer = life.run_until_answered(event)
    stack_resource(life, "UPDATE_COMPLETE", current_physical_id, logical_id)
    return answer


class LostCreateResponse(FakeSageMaker):
    """CreateCompilationJob reaches SageMaker and makes the job, but the response
    is lost (a read timeout): botocore, or the handler, tries again and gets
    ResourceInUse for the job its own first attempt made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lose_create_responses = 1

    def create_compilation_job(self, **params: Any) -> dict[str, Any]:
        answer = super().create_compilation_job(**params)
        if self.lose_create_responses > 0:
            self.lose_create_responses -= 1
            self.clock.sleep(READ_TIMEOUT_SECONDS)
            raise ReadTimeoutError(endpoint_url=f"https://api.sagemaker.{REGION}.amazonaws.com/")
        return answer
