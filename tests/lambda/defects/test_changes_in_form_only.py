"""Issue 15 defect 2: an update that changes the properties only in form (subnet
order, JSON spacing, a dict instead of a JSON string, a trailing ``/``) is no
change: the forward Update and its rollback both succeed in place. One
normalizing comparison decides "changed", "a rollback" and "differences"."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.harness.properties import FLOW_CONDITIONS, FLOW_NAME, JOB_NAME
from tests.harness.properties import compilation_job_properties as job_props
from tests.harness.properties import flow_definition_properties as flow_props

VPC = {"SecurityGroupIds": ["sg-1", "sg-2"], "Subnets": ["subnet-a", "subnet-b"]}


def _reformed(change: str) -> tuple[dict[str, Any], dict[str, Any]]:
    before = job_props(VpcConfig=copy.deepcopy(VPC))
    after = copy.deepcopy(before)
    if change == "reordered subnets":
        after["VpcConfig"]["Subnets"] = ["subnet-b", "subnet-a"]
    elif change == "data input config reformatted":
        after["InputConfig"]["DataInputConfig"] = json.dumps({"input0": [1, 3, 224, 224]}, indent=2)
    elif change == "trailing slash":
        after["OutputConfig"]["S3OutputLocation"] = after["OutputConfig"]["S3OutputLocation"].rstrip("/")
    return before, after


@pytest.mark.parametrize("change", ["reordered subnets", "data input config reformatted", "trailing slash"])
def test_a_job_update_that_changes_only_the_form_succeeds_forward_and_back(make_lifecycle: Any, change: str) -> None:
    life = make_lifecycle()
    before, after = _reformed(change)
    assert life.run_until_answered(life.event("Create", before)).status == "SUCCESS"

    forward = life.run_until_answered(life.event("Update", after, physical_id=JOB_NAME, old_properties=before))
    back = life.run_until_answered(life.event("Update", before, physical_id=JOB_NAME, old_properties=after))

    assert (forward.status, forward.physical_id) == ("SUCCESS", JOB_NAME), forward.reason
    assert (back.status, back.physical_id) == ("SUCCESS", JOB_NAME), back.reason
    assert len(life.sagemaker.called("create_compilation_job")) == 1


def test_a_flow_update_from_a_json_string_to_the_same_conditions_reformatted_succeeds(make_lifecycle: Any) -> None:
    life = make_lifecycle("flow_definition")
    before = flow_props()
    after = copy.deepcopy(before)
    after["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"]["HumanLoopActivationConditions"] = (
        json.dumps(FLOW_CONDITIONS, indent=1)
    )
    assert life.run_until_answered(life.event("Create", before)).status == "SUCCESS"

    forward = life.run_until_answered(life.event("Update", after, physical_id=FLOW_NAME, old_properties=before))
    back = life.run_until_answered(life.event("Update", before, physical_id=FLOW_NAME, old_properties=after))

    assert forward.status == "SUCCESS", forward.reason
    assert back.status == "SUCCESS", back.reason
    assert len(life.sagemaker.called("create_flow_definition")) == 1
