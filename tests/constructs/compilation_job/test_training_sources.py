"""CompilationJob with ModelSource.from_training_job / from_best_training_job:
the rendered template, the IAM it grants, and the synth-time validation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_cdk import App, CfnOutput, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from sagemaker_constructs import CompilationJob, Framework, ModelSource, SearchFilter, TargetDevice

RESOURCE_TYPE = "Custom::SageMakerCompilationJob"
TRAINING_JOB = "ResNet-Train-2024"
FILTERS = [
    SearchFilter("TrainingJobName", "In", ["a", "b", "c"]),
    SearchFilter("TrainingJobStatus", "Equals", "Completed"),
]
SORT_BY = "Metrics.validation:accuracy"


@dataclass
class Synthesized:
    stack: Stack
    job: CompilationJob
    training_bucket: s3.Bucket
    template: Template = field(init=False)  # set once every stack of the app is built


def _stack_with(app: App, stack_id: str, model_for: Any) -> Synthesized:
    stack = Stack(app, stack_id)
    training_bucket = s3.Bucket(stack, "TrainingOutput")
    job = CompilationJob(
        stack,
        "Compile",
        model=model_for(training_bucket),
        framework=Framework.PYTORCH,
        framework_version="2.0",
        output_bucket=s3.Bucket(stack, "Out"),
        target_device=TargetDevice.ML_C5,
    )
    CfnOutput(stack, "SourceName", value=job.source_training_job_name)
    CfnOutput(stack, "SourceUri", value=job.source_model_s3_uri)
    return Synthesized(stack, job, training_bucket)


@pytest.fixture(scope="module")
def synthesized() -> Iterator[dict[str, Synthesized]]:
    """One app, two stacks (so each handler role shows one source's IAM alone)."""
    app = App()
    stacks = {
        "training": _stack_with(
            app,
            "FromTraining",
            lambda bucket: ModelSource.from_training_job(TRAINING_JOB, training_output_bucket=bucket),
        ),
        "best": _stack_with(
            app,
            "FromBest",
            lambda bucket: ModelSource.from_best_training_job(
                filters=FILTERS, training_output_bucket=bucket, sort_by=SORT_BY, sort_order="Descending"
            ),
        ),
    }
    for built in stacks.values():  # synthesize once, after both stacks are complete
        built.template = Template.from_stack(built.stack)
    yield stacks


def _properties(s: Synthesized) -> dict[str, Any]:
    (resource,) = s.template.find_resources(RESOURCE_TYPE).values()
    properties: dict[str, Any] = resource["Properties"]
    return properties


def _statements(s: Synthesized, role_logical_id: str) -> list[dict[str, Any]]:
    """Every statement of the IAM::Policy resources attached to that role."""
    found = []
    for policy in s.template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"].get("Roles", []):
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def _logical_id(s: Synthesized, construct: Any) -> str:
    return str(s.stack.get_logical_id(construct.node.default_child))


def _handler_role(s: Synthesized) -> str:
    return _logical_id(s, s.job._handler.role)


def _job_role(s: Synthesized) -> str:
    return _logical_id(s, s.job.role)


def _flat(value: Any) -> str:
    """An Fn::Join of strings and pseudo-parameter Refs, as text: ``arn:${AWS::Partition}:...``."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    separator, parts = value["Fn::Join"]
    return str(separator).join(_flat(p) for p in parts)


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


# --- rendering --------------------------------------------------------------------
def test_training_job_source_renders_options_model_source_json(synthesized: dict[str, Synthesized]) -> None:
    options = _properties(synthesized["training"])["Options"]
    assert json.loads(options["ModelSource"]) == {"Type": "TrainingJob", "TrainingJobName": TRAINING_JOB}


def test_best_training_job_source_renders_the_search_with_in_values_joined(
    synthesized: dict[str, Synthesized],
) -> None:
    options = _properties(synthesized["best"])["Options"]
    assert json.loads(options["ModelSource"]) == {
        "Type": "BestTrainingJob",
        "SearchExpression": {
            "Filters": [
                {"Name": "TrainingJobName", "Operator": "In", "Value": "a,b,c"},
                {"Name": "TrainingJobStatus", "Operator": "Equals", "Value": "Completed"},
            ]
        },
        "SortBy": SORT_BY,
        "SortOrder": "Descending",
    }


@pytest.mark.parametrize("which", ["training", "best"])
def test_training_sources_render_no_input_s3_uri(synthesized: dict[str, Synthesized], which: str) -> None:
    synthesized[which].template.has_resource_properties(
        RESOURCE_TYPE,
        {"InputConfig": Match.object_equals({"Framework": "PYTORCH", "FrameworkVersion": "2.0"})},
    )
    assert "S3Uri" not in _properties(synthesized[which])["InputConfig"]


@pytest.mark.parametrize("which", ["training", "best"])
def test_source_attributes_are_getatts(synthesized: dict[str, Synthesized], which: str) -> None:
    s = synthesized[which]
    resource_id = _logical_id(s, s.job.resource)
    outputs = s.template.find_outputs("*")
    assert outputs["SourceName"]["Value"] == {"Fn::GetAtt": [resource_id, "SourceTrainingJobName"]}
    assert outputs["SourceUri"]["Value"] == {"Fn::GetAtt": [resource_id, "SourceModelS3Uri"]}


# --- IAM ----------------------------------------------------------------------------
def test_training_job_source_lets_the_handler_describe_only_that_job_lowercased(
    synthesized: dict[str, Synthesized],
) -> None:
    s = synthesized["training"]
    statements = _statements(s, _handler_role(s))
    (describe,) = [st for st in statements if "sagemaker:DescribeTrainingJob" in _actions(st)]
    assert _actions(describe) == ["sagemaker:DescribeTrainingJob"]
    assert [_flat(r) for r in _resources(describe)] == [
        "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:training-job/resnet-train-2024"
    ]
    assert not [st for st in statements if "sagemaker:Search" in _actions(st)]


def test_best_training_job_source_lets_the_handler_search_everywhere_and_describe_training_jobs(
    synthesized: dict[str, Synthesized],
) -> None:
    s = synthesized["best"]
    statements = _statements(s, _handler_role(s))
    (search,) = [st for st in statements if "sagemaker:Search" in _actions(st)]
    assert _actions(search) == ["sagemaker:Search"] and search["Resource"] == "*"
    (describe,) = [st for st in statements if "sagemaker:DescribeTrainingJob" in _actions(st)]
    assert _actions(describe) == ["sagemaker:DescribeTrainingJob"]
    assert [_flat(r) for r in _resources(describe)] == [
        "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:training-job/*"
    ]


@pytest.mark.parametrize("which", ["training", "best"])
def test_job_role_reads_objects_of_the_training_output_bucket_only(
    synthesized: dict[str, Synthesized], which: str
) -> None:
    s = synthesized[which]
    bucket_arn = {"Fn::GetAtt": [_logical_id(s, s.training_bucket), "Arn"]}
    objects = {"Fn::Join": ["", [bucket_arn, "/*"]]}
    statements = _statements(s, _job_role(s))
    reads = [st for st in statements if objects in _resources(st)]
    assert len(reads) == 1
    assert _actions(reads[0]) == ["s3:GetObject", "s3:GetObjectVersion"]
    assert not [st for st in statements if bucket_arn in _resources(st)]  # no List, nothing on the bucket
    # The handler itself reads no model: the job does.
    assert not [st for st in _statements(s, _handler_role(s)) if bucket_arn in _resources(st)]


# --- generated name -------------------------------------------------------------------
def _name_for(model_for: Any) -> str:
    stack = Stack(App(), "NameStack")
    bucket = s3.Bucket(stack, "TrainingOutput")
    job = CompilationJob(
        stack,
        "Compile",
        model=model_for(bucket),
        framework=Framework.PYTORCH,
        framework_version="2.0",
        output_bucket=s3.Bucket(stack, "Out"),
        target_device=TargetDevice.ML_C5,
    )
    return job.compilation_job_name


def _best(**overrides: Any) -> Any:
    kwargs: dict[str, Any] = {"filters": FILTERS, "sort_by": SORT_BY, "sort_order": "Descending", **overrides}
    return lambda bucket: ModelSource.from_best_training_job(training_output_bucket=bucket, **kwargs)


def test_generated_name_changes_with_filters_and_sort() -> None:
    names = {
        "base": _name_for(_best()),
        "same": _name_for(_best()),
        "in values": _name_for(_best(filters=[SearchFilter("TrainingJobName", "In", ["a", "b"]), FILTERS[1]])),
        "sort_by": _name_for(_best(sort_by="Metrics.validation:loss")),
        "sort_order": _name_for(_best(sort_order="Ascending")),
        "training job": _name_for(lambda b: ModelSource.from_training_job("other", training_output_bucket=b)),
    }
    assert names["base"] == names["same"]
    changed = [names[k] for k in ("base", "in values", "sort_by", "sort_order", "training job")]
    assert len(set(changed)) == len(changed)


# --- validation: SearchFilter at creation -------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("TrainingJobName", "Like", "x"), r"operator must be one of Equals, .*In \(got 'Like'\)"),
        (("TrainingJobName", "In", "a,b"), r"operator In takes a non-empty list of values \(got 'a,b'\)"),
        (("TrainingJobName", "In", []), r"operator In takes a non-empty list of values"),
        (("TrainingJobName", "In", ["a", "b,c"]), r"operator In takes non-empty strings without commas"),
        (("TrainingJobName", "In", ["a", ""]), r"operator In takes non-empty strings without commas"),
        (("TrainingJobName", "In", ["x" * 600, "y" * 600]), r"joined with commas must be at most 1024"),
        (("Tags.project", "Exists", "yes"), r"operator Exists takes no value \(got 'yes'\)"),
        (("Tags.project", "NotExists", "yes"), r"operator NotExists takes no value"),
        (("TrainingJobStatus", "Equals", None), r"operator Equals takes one non-empty string value \(got None\)"),
        (("TrainingJobStatus", "Equals", ["Completed"]), r"operator Equals takes one non-empty string value"),
        (("Metrics.accuracy", "GreaterThan", ""), r"operator GreaterThan takes one non-empty string value"),
        (("Metrics.accuracy", "GreaterThan", 0.9), r"operator GreaterThan takes one non-empty string value"),
        (("TrainingJobName", "Contains", "x" * 1025), r"value must be at most 1024 characters \(got 1025\)"),
        (("", "Equals", "x"), r"name must be a string of 1 to 255 characters"),
    ],
)
def test_search_filter_rejects_a_bad_operator_or_value_when_created(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SearchFilter(*args)


@pytest.mark.parametrize(
    ("args", "api"),
    [
        (("TrainingJobName", "In", ["a", "b", "c"]), {"Name": "TrainingJobName", "Operator": "In", "Value": "a,b,c"}),
        (("TrainingJobName", "In", ("a",)), {"Name": "TrainingJobName", "Operator": "In", "Value": "a"}),
        (("Tags.project", "Exists"), {"Name": "Tags.project", "Operator": "Exists"}),
        (("Tags.project", "NotExists"), {"Name": "Tags.project", "Operator": "NotExists"}),
        (("TrainingJobStatus",), None),  # Equals needs a value
        (
            ("Metrics.accuracy", "GreaterThanOrEqualTo", "0.9"),
            {"Name": "Metrics.accuracy", "Operator": "GreaterThanOrEqualTo", "Value": "0.9"},
        ),
    ],
)
def test_search_filter_renders_the_api_filter(args: tuple[Any, ...], api: dict[str, str] | None) -> None:
    if api is None:
        with pytest.raises(ValueError, match="takes one non-empty string value"):
            SearchFilter(*args)
    else:
        assert SearchFilter(*args).to_api() == api


def test_search_filter_keeps_in_values_immutable() -> None:
    values = ["a", "b"]
    search_filter = SearchFilter("TrainingJobName", "In", values)
    values.append("c")
    assert search_filter.to_api()["Value"] == "a,b"


# --- validation: the construct collects the source's problems --------------------------------
@pytest.fixture(scope="module")
def validation_stack() -> Stack:
    return Stack(App(), "ValidationStack")


_ids = iter(range(10_000))


def _compile(stack: Stack, model_for: Any) -> CompilationJob:
    construct_id = f"Job{next(_ids)}"
    return CompilationJob(
        stack,
        construct_id,
        model=model_for(s3.Bucket.from_bucket_name(stack, f"{construct_id}Training", "training-out")),
        framework=Framework.PYTORCH,
        framework_version="2.0",
        output_bucket=s3.Bucket.from_bucket_name(stack, f"{construct_id}Out", "out"),
        target_device=TargetDevice.ML_C5,
    )


def test_more_than_20_filters_is_a_problem(validation_stack: Stack) -> None:
    filters = [SearchFilter(f"HyperParameters.p{i}", "Equals", "1") for i in range(21)]
    with pytest.raises(ValueError, match=r"filters must hold at most 20 filters \(got 21\)"):
        _compile(validation_stack, _best(filters=filters))


def test_exactly_20_filters_is_fine(validation_stack: Stack) -> None:
    filters = [SearchFilter(f"HyperParameters.p{i}", "Equals", "1") for i in range(20)]
    job = _compile(validation_stack, _best(filters=filters))
    assert job.compilation_job_name


def test_a_second_contains_is_a_problem(validation_stack: Stack) -> None:
    filters = [SearchFilter("TrainingJobName", "Contains", "resnet"), SearchFilter("Tags.team", "Contains", "ml")]
    with pytest.raises(
        ValueError, match=r"may use the Contains operator only once .*\['TrainingJobName', 'Tags.team'\]"
    ):
        _compile(validation_stack, _best(filters=filters))


def test_no_filters_is_a_problem(validation_stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"filters must hold at least one SearchFilter"):
        _compile(validation_stack, _best(filters=[]))


def test_a_filter_that_is_not_a_search_filter_is_a_type_error(validation_stack: Stack) -> None:
    raw = {"Name": "TrainingJobName", "Operator": "Equals", "Value": "a"}
    with pytest.raises(TypeError, match=r"filters\[0\] must be a SearchFilter \(got dict "):
        _compile(validation_stack, _best(filters=[raw]))


def test_bad_sort_order_is_a_problem(validation_stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"sort_order must be Ascending or Descending \(got 'Down'\)"):
        _compile(validation_stack, _best(sort_order="Down"))


def test_bad_sort_by_is_a_problem(validation_stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"sort_by must be a string of 1 to 255 characters"):
        _compile(validation_stack, _best(sort_by="x" * 256))


def test_bad_training_job_name_is_a_problem(validation_stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"training_job_name must match .* \(got 'my_training_job'\)"):
        _compile(validation_stack, lambda b: ModelSource.from_training_job("my_training_job", training_output_bucket=b))


def test_every_source_problem_is_listed_in_one_error(validation_stack: Stack) -> None:
    filters = [SearchFilter("TrainingJobName", "Contains", "a"), SearchFilter("Tags.x", "Contains", "b")] + [
        SearchFilter(f"HyperParameters.p{i}", "Equals", "1") for i in range(20)
    ]
    with pytest.raises(ValueError) as raised:
        _compile(validation_stack, _best(filters=filters, sort_order="Down"))
    message = str(raised.value)
    assert "3 invalid properties" in message
    assert "at most 20 filters" in message and "Contains operator only once" in message
    assert "sort_order must be Ascending or Descending" in message
