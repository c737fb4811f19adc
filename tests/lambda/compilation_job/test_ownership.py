"""Only what this stack's resource created is adopted, stopped or deleted.

The handler tags what it creates with the stack's ARN (from its function's
environment, never from the event) and the logical id. Anyone who may invoke
the function could send it an event; none can make it touch another's job."""

from __future__ import annotations

from typing import Any

import pytest

from sagemaker_constructs import _wire
from tests.harness import STACK_ID, owner_tags
from tests.harness.existing import job_made_by_handler, job_made_elsewhere
from tests.harness.fake_sagemaker import Script
from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props

NAME = JOB_NAME
OTHER_STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/OtherTeam/7d1e2f30-0000-11ef-0000-0a0b0c0d0e0f"
RUNNING = Script([(0, "INPROGRESS"), (3000, "COMPLETED")])


def test_create_tags_the_job_with_its_owner_in_the_create_call(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    event = life.event("Create", props(Tags=[{"Key": "team", "Value": "vision"}]))
    event["StackId"] = OTHER_STACK  # a crafted event: the owner still comes from the environment

    answer = life.invoke(event)

    assert answer.status == "SUCCESS"
    (call,) = life.sagemaker.called("create_compilation_job")
    assert call["Tags"] == [{"Key": "team", "Value": "vision"}, *owner_tags("Resource", STACK_ID)]
    assert life.sagemaker.called("add_tags") == []  # no tagging after the fact


@pytest.mark.parametrize(
    ("tags", "whose"),
    [
        ([], "carries no sagemaker-constructs ownership tags"),
        (owner_tags("Resource", OTHER_STACK), "belongs to another stack"),
        (owner_tags("OtherResource"), "belongs to resource OtherResource of this stack"),
    ],
)
def test_create_fails_on_a_same_named_job_it_did_not_create_and_leaves_it(
    make_lifecycle: Any, tags: list[dict[str, str]], whose: str
) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = RUNNING
    job_made_elsewhere(life.sagemaker, props(), tags=tags)  # the same configuration, even

    answer = life.invoke(life.event("Create", props()))

    assert answer.status == "FAILED"
    assert f"named {NAME} already exists and this resource did not create it" in answer.reason
    assert whose in answer.reason
    assert life.sagemaker.called("stop_compilation_job") == []
    assert life.sagemaker.called("delete_compilation_job") == []
    assert life.sagemaker.called("create_compilation_job")[1:] == []  # only the fixture's own


def test_create_adopts_the_job_this_resource_made_earlier(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    job_made_by_handler(life.sagemaker, props())
    answer = life.invoke(life.event("Create", props()))  # a duplicate Create
    assert answer.status == "SUCCESS"
    assert len(life.sagemaker.called("create_compilation_job")) == 1


def test_delete_of_a_job_this_stack_did_not_create_leaves_it_running(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = RUNNING
    job_made_elsewhere(life.sagemaker, props(), tags=owner_tags("Resource", OTHER_STACK))

    answer = life.invoke(life.event("Delete", props(), physical_id=NAME))

    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("stop_compilation_job") == []
    assert life.sagemaker.called("delete_compilation_job") == []


def test_a_crafted_continuation_cannot_stop_or_delete_a_job_of_another_stack(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    life.sagemaker.job_scripts[NAME] = RUNNING
    job_made_elsewhere(life.sagemaker, props(), tags=owner_tags("Resource", OTHER_STACK))
    for phase in ("remove", "wait"):
        event = life.event("Create", props())
        event.pop("ResourceProperties")
        event[_wire.CRHELPER_POLL_KEY] = True
        event[_wire.CONTINUATION_KEY] = {"Phase": phase, "Name": NAME, "Deadline": life.clock.now() - 1.0}

        answer = life.invoke(event)

        assert answer.status in ("SUCCESS", "FAILED")
    assert life.sagemaker.called("stop_compilation_job") == []
    assert life.sagemaker.called("delete_compilation_job") == []
    assert NAME in life.sagemaker.jobs


def test_tag_updates_never_remove_the_ownership_tags(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    job_made_by_handler(life.sagemaker, props(Tags=[{"Key": "team", "Value": "a"}]))
    crafted_old = props(Tags=[{"Key": "team", "Value": "a"}, *owner_tags()])

    answer = life.invoke(life.event("Update", props(), physical_id=NAME, old_properties=crafted_old))

    assert answer.status == "SUCCESS"
    assert life.sagemaker.called("delete_tags") == [
        {"ResourceArn": f"arn:aws:sagemaker:us-east-1:123456789012:compilation-job/{NAME}", "TagKeys": ["team"]}
    ]
    assert life.sagemaker.jobs[NAME].tags == {t["Key"]: t["Value"] for t in owner_tags()}


def test_user_tags_under_the_library_prefix_or_over_48_fail_naming_the_property(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    reserved = life.invoke(life.event("Create", props(Tags=[{"Key": "sagemaker-constructs:owner", "Value": "me"}])))
    many = life.invoke(life.event("Create", props(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])))

    assert reserved.status == "FAILED" and "Tags[0].Key 'sagemaker-constructs:owner'" in reserved.reason
    assert many.status == "FAILED" and "Tags has 49 tags; at most 48" in many.reason
    assert life.sagemaker.called("create_compilation_job") == []


def test_nothing_is_created_without_the_stack_id_in_the_environment(
    make_lifecycle: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(_wire.ENV_STACK_ID)
    life = make_lifecycle()
    answer = life.invoke(life.event("Create", props()))
    assert answer.status == "FAILED" and _wire.ENV_STACK_ID in answer.reason
    assert life.sagemaker.called("create_compilation_job") == []
