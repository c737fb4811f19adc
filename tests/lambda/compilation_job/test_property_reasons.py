"""A malformed property fails with a reason that names it and what is wrong,
before any SageMaker call (CloudFormation shows the reason on the stack event)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.properties import JOB_NAME
from tests.harness.properties import compilation_job_properties as props


def without(key: str) -> dict[str, Any]:
    p = props()
    del p[key]
    return p


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        (props(InputConfig="s3://models/resnet18.tar.gz"), "Invalid type for parameter InputConfig"),
        (without("CompilationJobName"), "CompilationJobName is required and must be a string"),
        (props(Tags={"team": "vision"}), "Tags must be a list of {Key, Value} objects"),
        (props(Tags=["team=vision"]), "Tags[0] must be an object with Key and Value"),
        (props(Tags=[{"Key": "team"}]), "Tags[0].Value must be a string (tag 'team' got None)"),
        (props(Options=["ExplicitName"]), "Options must be an object"),
        (props(Options={"ModelSource": "{nope"}), "Options.ModelSource is not valid JSON"),
        (
            props(Options={"ModelSource": '{"Type":"Git"}'}),
            "Options.ModelSource.Type must be TrainingJob or BestTrainingJob",
        ),
        (
            props(StoppingCondition={"MaxRuntimeInSeconds": 4000}, ServiceTimeout=3600),
            "StoppingCondition.MaxRuntimeInSeconds must be at most ServiceTimeout - 300 = 3300 (got 4000)",
        ),
        (
            props(StoppingCondition={"MaxRuntimeInSeconds": "15m"}),
            "StoppingCondition.MaxRuntimeInSeconds must be an integer (got '15m')",
        ),
        (props(ServiceTimeout="1h"), "ServiceTimeout must be an integer (got '1h')"),
        (props(CompilationJobName="Not_Valid!"), "CompilationJobName 'Not_Valid!' does not match"),
        (
            props(OutputConfig={"TargetDevice": "ml_c5"}),
            'Missing required parameter in OutputConfig: "S3OutputLocation"',
        ),
        (props(Unknown="x"), 'Unknown parameter in input: "Unknown"'),
    ],
)
def test_malformed_properties_fail_naming_the_property(
    make_lifecycle: Any, properties: dict[str, Any], expected: str
) -> None:
    life = make_lifecycle()
    answer = life.invoke(life.event("Create", properties))
    assert answer.status == "FAILED"
    assert answer.reason.startswith("Invalid resource properties: ")
    assert expected in answer.reason
    assert life.sagemaker.calls == []


def test_every_problem_is_listed_at_once(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    answer = life.invoke(
        life.event("Create", props(StoppingCondition={"MaxRuntimeInSeconds": "15m"}, ServiceTimeout="1h", Tags="x"))
    )
    assert "MaxRuntimeInSeconds" in answer.reason and "ServiceTimeout" in answer.reason and "Tags" in answer.reason


def test_a_valid_name_is_the_physical_id_even_when_other_properties_are_bad(make_lifecycle: Any) -> None:
    life = make_lifecycle()
    answer = life.invoke(life.event("Create", props(Tags="x")))
    assert answer.physical_id == JOB_NAME
