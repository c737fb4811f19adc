"""An update whose new properties do not parse fails; CloudFormation then rolls
back with an Update whose OldResourceProperties are those same bad properties.
The rollback must succeed: a stack never ends in UPDATE_ROLLBACK_FAILED
because the version it leaves was bad."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props

NAME = JOB_NAME


def _bad(change: str) -> dict[str, Any]:
    bad = copy.deepcopy(props())
    if change == "max runtime 15m":
        bad["StoppingCondition"]["MaxRuntimeInSeconds"] = "15m"
    elif change == "tag without Value":
        bad["Tags"] = [{"Key": "team"}]
    elif change == "ServiceTimeout 1h":
        bad["ServiceTimeout"] = "1h"
    elif change == "Options not an object":
        bad["Options"] = "explicit"
    return bad


@pytest.mark.parametrize(
    "change", ["max runtime 15m", "tag without Value", "ServiceTimeout 1h", "Options not an object"]
)
def test_rollback_after_an_update_whose_properties_do_not_parse_succeeds(make_lifecycle: Any, change: str) -> None:
    life = make_lifecycle()
    good = props(Tags=[{"Key": "team", "Value": "vision"}])
    created = life.run_until_answered(life.event("Create", good))
    assert created.status == "SUCCESS"
    bad = _bad(change)

    failed = life.invoke(life.event("Update", bad, physical_id=NAME, old_properties=good))
    rollback = life.run_until_answered(life.event("Update", good, physical_id=NAME, old_properties=bad))

    assert failed.status == "FAILED"
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == NAME
    assert rollback.data["S3ModelArtifacts"] == created.data["S3ModelArtifacts"]
    assert life.sagemaker.called("stop_compilation_job") == []
    assert len(life.sagemaker.called("create_compilation_job")) == 1


def test_rollback_removes_a_tag_the_bad_version_named_without_a_value(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.run_until_answered(life.event("Create", props()))
    bad = _bad("tag without Value")
    life.sagemaker.add_tags(
        ResourceArn=f"arn:aws:sagemaker:us-east-1:123456789012:compilation-job/{NAME}",
        Tags=[{"Key": "team", "Value": "x"}],
    )

    rollback = life.invoke(life.event("Update", props(), physical_id=NAME, old_properties=bad))

    assert rollback.status == "SUCCESS"
    assert "team" not in life.sagemaker.jobs[NAME].tags
