"""Composing the constructs into larger apps: imports, grants, model sources,
several stacks, cross-stack references. One app, built once for the module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, CfnOutput, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Template

from sagemaker_constructs import (
    CompilationJob,
    FlowDefinition,
    Framework,
    ICompilationJob,
    IFlowDefinition,
    ModelSource,
    TargetDevice,
)
from tests.constructs import MODEL_FILE

ENV = Environment(account="111111111111", region="eu-west-1")
IMPORTED_JOB_NAME = "Existing-Neo-Job"
IMPORTED_FLOW_NAME = "existing-review"
MODEL_KEY = "models/resnet/model.tar.gz"
JOB_HANDLER = "sagemaker-constructs: SageMaker Neo compilation jobs"
FLOW_HANDLER = "sagemaker-constructs: Augmented AI flow definitions"


@dataclass
class Composed:
    app: App
    producer: Stack
    consumer: Stack
    artifacts: s3.Bucket
    models: s3.Bucket
    from_asset: CompilationJob
    from_bucket: CompilationJob
    consumer_job: CompilationJob
    imported_job: ICompilationJob
    imported_unused: ICompilationJob
    imported_flow: IFlowDefinition
    flow: FlowDefinition
    reader: iam.Role
    starter: iam.Role
    imported_starter: iam.Role
    imported_uri_output: CfnOutput
    producer_template: Template
    consumer_template: Template


def build_app() -> Composed:
    """The composition app; also linted by tests/test_cfn_lint.py."""
    app = App()
    producer = Stack(app, "Producer", env=ENV)
    artifacts = s3.Bucket(producer, "Artifacts")
    models = s3.Bucket(producer, "Models")
    common: dict[str, Any] = {
        "framework": Framework.PYTORCH,
        "framework_version": "2.0",
        "target_device": TargetDevice.ML_C5,
        "output_bucket": artifacts,
        "output_prefix": "compiled/",
    }
    from_asset = CompilationJob(producer, "FromAsset", model=ModelSource.from_asset(MODEL_FILE), **common)
    from_bucket = CompilationJob(producer, "FromBucket", model=ModelSource.from_bucket(models, MODEL_KEY), **common)

    imported_job = CompilationJob.from_compilation_job_name(producer, "ImportedJob", IMPORTED_JOB_NAME)
    imported_unused = CompilationJob.from_compilation_job_name(producer, "ImportedUnused", "Never-Read")
    imported_uri_output = CfnOutput(producer, "ImportedArtifacts", value=imported_job.model_artifacts_s3_uri)

    flow = FlowDefinition(
        producer,
        "Review",
        workteam_arn=producer.format_arn(service="sagemaker", resource="workteam", resource_name="private-crowd/team"),
        human_task_ui_arn=producer.format_arn(service="sagemaker", resource="human-task-ui", resource_name="ui"),
        task_title="Review the prediction",
        task_description="Check the label",
        output_bucket=artifacts,
        output_prefix="reviews/",
    )
    imported_flow = FlowDefinition.from_flow_definition_name(producer, "ImportedFlow", IMPORTED_FLOW_NAME)

    reader = iam.Role(producer, "Reader", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    from_bucket.grant_read_artifacts(reader)
    starter = iam.Role(producer, "Starter", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    flow.grant_start_human_loop(starter)
    imported_starter = iam.Role(producer, "ImportedStarter", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    imported_flow.grant_start_human_loop(imported_starter)

    consumer = Stack(app, "Consumer", env=ENV)
    consumer_job = CompilationJob(
        consumer,
        "OwnJob",
        model=ModelSource.from_s3_uri("s3://shared-models/resnet/model.tar.gz"),
        framework=Framework.PYTORCH,
        framework_version="2.0",
        target_device=TargetDevice.ML_INF2,
        output_bucket=s3.Bucket(consumer, "Out"),
    )
    serving_role = iam.Role(consumer, "Serving", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    sagemaker.CfnModel(
        consumer,
        "ServeProducerBuild",
        execution_role_arn=serving_role.role_arn,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
            image=from_bucket.inference_image,
            model_data_url=from_bucket.model_artifacts_s3_uri,
        ),
    )
    return Composed(
        app=app,
        producer=producer,
        consumer=consumer,
        artifacts=artifacts,
        models=models,
        from_asset=from_asset,
        from_bucket=from_bucket,
        consumer_job=consumer_job,
        imported_job=imported_job,
        imported_unused=imported_unused,
        imported_flow=imported_flow,
        flow=flow,
        reader=reader,
        starter=starter,
        imported_starter=imported_starter,
        imported_uri_output=imported_uri_output,
        producer_template=Template.from_stack(producer),
        consumer_template=Template.from_stack(consumer),
    )


@pytest.fixture(scope="module")
def composed() -> Composed:
    return build_app()


# --- helpers ------------------------------------------------------------------------------
def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements_of(template: Template, stack: Stack, role: iam.IRole) -> list[dict[str, Any]]:
    """Every statement of the inline policies attached to ``role``."""
    role_ref = stack.resolve(role.role_name)
    statements: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if role_ref in policy["Properties"].get("Roles", []):
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _with_action(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if action in _as_list(s["Action"])]


def _flat(value: Any) -> str:
    """A resolved ARN with its tokens spelled out: ``Fn::Join`` pieces joined, refs named."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_flat(p) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "{" + value["Ref"] + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "{" + ".".join(value["Fn::GetAtt"]) + "}"
    return repr(value)


def _functions(template: Template, description: str) -> dict[str, Any]:
    return {
        name: resource
        for name, resource in template.find_resources("AWS::Lambda::Function").items()
        if resource["Properties"].get("Description") == description
    }


# --- imported compilation jobs -------------------------------------------------------------
def test_imported_job_arn_is_formatted_with_the_name_lowercased(composed: Composed) -> None:
    arn = _flat(composed.producer.resolve(composed.imported_job.compilation_job_arn))
    assert arn == "arn:{AWS::Partition}:sagemaker:eu-west-1:111111111111:compilation-job/existing-neo-job"


def test_imported_job_keeps_its_name(composed: Composed) -> None:
    assert composed.imported_job.compilation_job_name == IMPORTED_JOB_NAME


def _describe_calls(composed: Composed) -> dict[str, Any]:
    return composed.producer_template.find_resources("Custom::AWS")


def test_imported_job_artifacts_are_read_with_describe_compilation_job(composed: Composed) -> None:
    calls = _describe_calls(composed)
    assert len(calls) == 1, "only the imported job whose artifacts are used needs a lookup"
    ((logical_id, lookup),) = calls.items()
    create = _flat(lookup["Properties"]["Create"])
    assert '"service":"SageMaker"' in create and '"action":"describeCompilationJob"' in create
    assert f'"CompilationJobName":"{IMPORTED_JOB_NAME}"' in create
    assert (
        '"outputPaths":["ModelArtifacts.S3ModelArtifacts","InferenceImage","OutputConfig.S3OutputLocation"]' in create
    )
    output = composed.producer.resolve(composed.imported_uri_output.value)
    assert output == {"Fn::GetAtt": [logical_id, "ModelArtifacts.S3ModelArtifacts"]}


def test_imported_job_lookup_may_describe_only_that_job(composed: Composed) -> None:
    statements = [
        statement
        for policy in composed.producer_template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sagemaker:DescribeCompilationJob" in _as_list(statement["Action"])
        and any("existing-neo-job" in _flat(r) for r in _as_list(statement["Resource"]))
    ]
    assert len(statements) == 1
    assert _as_list(statements[0]["Action"]) == ["sagemaker:DescribeCompilationJob"]
    assert [_flat(r) for r in _as_list(statements[0]["Resource"])] == [
        "arn:{AWS::Partition}:sagemaker:eu-west-1:111111111111:compilation-job/existing-neo-job"
    ]


def test_imported_job_without_artifacts_access_adds_no_lookup(composed: Composed) -> None:
    node = composed.imported_unused.node  # type: ignore[attr-defined]
    assert node.children == []
    assert not any("never-read" in _flat(p) for p in _describe_calls(composed).values())


# --- imported flow definitions ---------------------------------------------------------------
def test_imported_flow_definition_arn(composed: Composed) -> None:
    arn = _flat(composed.producer.resolve(composed.imported_flow.flow_definition_arn))
    assert arn == "arn:{AWS::Partition}:sagemaker:eu-west-1:111111111111:flow-definition/existing-review"
    assert composed.imported_flow.flow_definition_name == IMPORTED_FLOW_NAME


def test_imported_flow_grant_start_human_loop_names_its_arn(composed: Composed) -> None:
    statements = _statements_of(composed.producer_template, composed.producer, composed.imported_starter)
    arn = "arn:{AWS::Partition}:sagemaker:eu-west-1:111111111111:flow-definition/existing-review"
    assert [(s["Action"], _flat(s["Resource"])) for s in statements] == [("sagemaker:StartHumanLoop", arn)]


# --- model sources grant exactly their object ----------------------------------------------
def _object_reads(composed: Composed, job: CompilationJob) -> list[str]:
    statements = _statements_of(composed.producer_template, composed.producer, job.role)
    return [_flat(r) for s in _with_action(statements, "s3:GetObject") for r in _as_list(s["Resource"])]


def test_from_bucket_job_role_reads_exactly_the_model_object(composed: Composed) -> None:
    models_arn = _flat(composed.producer.resolve(composed.models.bucket_arn))
    assert _object_reads(composed, composed.from_bucket) == [f"{models_arn}/{MODEL_KEY}"]


def test_from_asset_job_role_reads_exactly_the_staged_model(composed: Composed) -> None:
    artifacts_arn = _flat(composed.producer.resolve(composed.artifacts.bucket_arn))
    (read,) = _object_reads(composed, composed.from_asset)
    assert read.startswith(f"{artifacts_arn}/compiled/model-inputs/") and read.endswith(".tar.gz")
    assert "*" not in read


@pytest.mark.parametrize("job", ["from_asset", "from_bucket"])
def test_job_role_has_no_bucket_wide_object_read(composed: Composed, job: str) -> None:
    construct: CompilationJob = getattr(composed, job)
    statements = _statements_of(composed.producer_template, composed.producer, construct.role)
    reads = [
        _flat(r)
        for s in statements
        for r in _as_list(s["Resource"])
        if any(a.startswith(("s3:GetObject", "s3:List")) or a in ("s3:*", "s3:Get*") for a in _as_list(s["Action"]))
    ]
    assert reads, "the job role reads its model"
    assert not [r for r in reads if r.endswith(("/*", "}"))], reads


# --- grants ---------------------------------------------------------------------------------
def test_grant_read_artifacts_reads_objects_only_below_the_job_prefix(composed: Composed) -> None:
    statements = _statements_of(composed.producer_template, composed.producer, composed.reader)
    artifacts_arn = _flat(composed.producer.resolve(composed.artifacts.bucket_arn))
    object_resources = [
        _flat(r)
        for s in statements
        if any(a.startswith("s3:GetObject") for a in _as_list(s["Action"]))
        for r in _as_list(s["Resource"])
    ]
    assert object_resources == [f"{artifacts_arn}/compiled/{composed.from_bucket.compilation_job_name}/*"]


def test_grant_read_artifacts_lists_only_below_the_job_prefix(composed: Composed) -> None:
    statements = _statements_of(composed.producer_template, composed.producer, composed.reader)
    listing = [s for s in statements if any(a.startswith("s3:List") for a in _as_list(s["Action"]))]
    assert [(s["Action"], _as_list(s["Condition"]["StringLike"]["s3:prefix"])) for s in listing] == [
        ("s3:ListBucket", [f"compiled/{composed.from_bucket.compilation_job_name}/*"])
    ]
    assert all(list(s["Condition"]) == ["StringLike"] for s in listing)


def test_grant_read_artifacts_grants_nothing_to_write(composed: Composed) -> None:
    statements = _statements_of(composed.producer_template, composed.producer, composed.reader)
    actions = {a for s in statements for a in _as_list(s["Action"])}
    assert not [a for a in actions if a.startswith("s3:") and ("Put" in a or "Delete" in a or a == "s3:*")]


def test_grant_start_human_loop_on_the_flow_definition_arn(composed: Composed) -> None:
    statements = _statements_of(composed.producer_template, composed.producer, composed.starter)
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("sagemaker:StartHumanLoop", composed.producer.resolve(composed.flow.flow_definition_arn))
    ]
    assert composed.producer.resolve(composed.flow.flow_definition_arn)["Fn::GetAtt"][1] == "FlowDefinitionArn"


# --- several stacks ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stack", "description", "count"),
    [
        ("producer", JOB_HANDLER, 1),
        ("producer", FLOW_HANDLER, 1),
        ("consumer", JOB_HANDLER, 1),
        ("consumer", FLOW_HANDLER, 0),
    ],
)
def test_each_stack_has_one_handler_per_kind_it_uses(
    composed: Composed, stack: str, description: str, count: int
) -> None:
    template: Template = getattr(composed, f"{stack}_template")
    assert len(_functions(template, description)) == count


def test_jobs_of_a_stack_share_its_handler(composed: Composed) -> None:
    (handler_id,) = _functions(composed.producer_template, JOB_HANDLER)
    jobs = composed.producer_template.find_resources("Custom::SageMakerCompilationJob")
    assert len(jobs) == 2
    assert {j["Properties"]["ServiceToken"]["Fn::GetAtt"][0] for j in jobs.values()} == {handler_id}


def test_consumer_job_uses_the_consumer_handler(composed: Composed) -> None:
    (handler_id,) = _functions(composed.consumer_template, JOB_HANDLER)
    (job,) = composed.consumer_template.find_resources("Custom::SageMakerCompilationJob").values()
    assert job["Properties"]["ServiceToken"] == {"Fn::GetAtt": [handler_id, "Arn"]}


def test_artifacts_uri_crosses_stacks_through_an_export(composed: Composed) -> None:
    job_id = composed.producer.get_logical_id(composed.from_bucket.resource.node.default_child)  # type: ignore[arg-type]
    exports = {
        output["Export"]["Name"]: output["Value"]
        for output in composed.producer_template.find_outputs("*").values()
        if "Export" in output
    }
    exported = [name for name, value in exports.items() if value == {"Fn::GetAtt": [job_id, "S3ModelArtifacts"]}]
    assert len(exported) == 1, exports
    (model,) = composed.consumer_template.find_resources("AWS::SageMaker::Model").values()
    assert model["Properties"]["PrimaryContainer"]["ModelDataUrl"] == {"Fn::ImportValue": exported[0]}


def test_consumer_stack_depends_on_the_producer(composed: Composed) -> None:
    assert composed.producer in composed.consumer.dependencies
