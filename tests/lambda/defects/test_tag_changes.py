"""Issue 15 defect 7: a tag change removes the tags that go before it adds the
new ones (SageMaker allows 50 tags on a resource), never removes the ownership
tags, and a tag call SageMaker rejects becomes a reason that names the tags."""

from __future__ import annotations

from typing import Any

from tests.harness import owner_tag_dict
from tests.harness.fake_sagemaker import FakeSageMaker, client_error
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props

LIMIT = 50


class FiftyTags(FakeSageMaker):
    """SageMaker's limit: AddTags that would leave more than 50 tags on a resource is rejected."""

    def add_tags(self, **params: Any) -> dict[str, Any]:
        tags = self._tagged(params["ResourceArn"]).tags
        after = {**tags, **{t["Key"]: t["Value"] for t in params["Tags"]}}
        if len(after) > LIMIT:
            self.calls.append(("add_tags", params))
            raise client_error("ResourceLimitExceeded", f"a resource can have at most {LIMIT} tags ({len(after)})")
        return super().add_tags(**params)


def _tags(prefix: str, count: int) -> list[dict[str, str]]:
    return [{"Key": f"{prefix}{i}", "Value": "v"} for i in range(count)]


def test_renaming_30_of_40_tags_stays_within_50(make_lifecycle: Any) -> None:
    life = make_lifecycle(sagemaker=FiftyTags())
    before = props(Tags=_tags("keep", 10) + _tags("old", 30))
    after = props(Tags=_tags("keep", 10) + _tags("new", 30))
    assert life.run_until_answered(life.event("Create", before)).status == "SUCCESS"

    answer = life.run_until_answered(life.event("Update", after, physical_id=JOB_NAME, old_properties=before))

    assert answer.status == "SUCCESS", answer.reason
    expected = {t["Key"]: t["Value"] for t in after["Tags"]} | owner_tag_dict()
    assert life.sagemaker.jobs[JOB_NAME].tags == expected


def test_a_rejected_tag_call_fails_with_a_reason_naming_the_tags(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    before = props(Tags=[{"Key": "team", "Value": "a"}])
    after = props(Tags=[{"Key": "team", "Value": "b"}, {"Key": "cost-centre", "Value": "42"}])
    assert life.run_until_answered(life.event("Create", before)).status == "SUCCESS"
    life.sagemaker.fail("add_tags", client_error("ValidationException", "tag value not allowed"))

    answer = life.run_until_answered(life.event("Update", after, physical_id=JOB_NAME, old_properties=before))

    assert answer.status == "FAILED"
    assert "team" in answer.reason and "cost-centre" in answer.reason, answer.reason
    assert "tag value not allowed" in answer.reason
    assert "Unexpected" not in answer.reason
