"""Imported compilation jobs (from_compilation_job_name / _arn / _attributes):
validated like created ones, and usable through ICompilationJob like them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Template

from sagemaker_constructs import CompilationJob, ICompilationJob
from tests.constructs.builders import small_job

ENV = Environment(account="123456789012", region="us-east-1")
ARN = "arn:aws:sagemaker:us-east-1:123456789012:compilation-job/existing-neo-job"


def reader_statements(stack: Stack, reader: iam.Role) -> list[dict[str, Any]]:
    role_ref = {"Ref": stack.get_logical_id(reader.node.default_child)}  # type: ignore[arg-type]
    return [
        statement
        for policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
        if role_ref in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def new_reader(stack: Stack) -> iam.Role:
    return iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))


# --- names and ARNs are checked ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["Not_Valid!", "-leading", "x" * 64])
def test_import_by_an_invalid_name_raises_naming_it(name: str) -> None:
    stack = Stack(App(), "Importing")
    with pytest.raises(ValueError, match=r"from_compilation_job_name: compilation_job_name must match .*\(got '"):
        CompilationJob.from_compilation_job_name(stack, "Imported", name)


def test_import_by_a_name_that_is_not_a_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"name must be a str \(got int 7\)"):
        CompilationJob.from_compilation_job_name(Stack(App(), "Importing"), "Imported", 7)  # type: ignore[arg-type]


def test_import_by_a_token_name_is_not_checked() -> None:
    stack = Stack(App(), "Importing")
    name = CfnParameter(stack, "JobName").value_as_string
    assert CompilationJob.from_compilation_job_name(stack, "Imported", name).compilation_job_name == name


@pytest.mark.parametrize(
    "arn",
    [
        "existing-neo-job",
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/existing",
        "arn:aws:s3:::bucket/compilation-job/x",
    ],
)
def test_import_by_something_that_is_not_a_compilation_job_arn_raises(arn: str) -> None:
    with pytest.raises(ValueError, match=r"arn must be arn:<partition>:sagemaker:<region>:<account>:compilation-job/"):
        CompilationJob.from_compilation_job_arn(Stack(App(), "Importing"), "Imported", arn)


def test_import_by_arn_keeps_the_arn_and_takes_the_name_from_it() -> None:
    imported = CompilationJob.from_compilation_job_arn(Stack(App(), "Importing", env=ENV), "Imported", ARN)
    assert imported.compilation_job_arn == ARN
    assert imported.compilation_job_name == "existing-neo-job"


# --- imported by name: the deploy-time lookup ------------------------------------------------
def test_imported_job_reads_inference_image_and_artifacts_with_one_lookup() -> None:
    stack = Stack(App(), "Lookup", env=ENV)
    imported = CompilationJob.from_compilation_job_name(stack, "Imported", "Existing-Neo-Job")
    sagemaker.CfnModel(
        stack,
        "Model",
        execution_role_arn="arn:aws:iam::123456789012:role/serving",
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
            image=imported.inference_image, model_data_url=imported.model_artifacts_s3_uri
        ),
    )
    template = Template.from_stack(stack)
    (lookup_id,) = template.find_resources("Custom::AWS")
    (model,) = template.find_resources("AWS::SageMaker::Model").values()
    assert model["Properties"]["PrimaryContainer"] == {
        "Image": {"Fn::GetAtt": [lookup_id, "InferenceImage"]},
        "ModelDataUrl": {"Fn::GetAtt": [lookup_id, "ModelArtifacts.S3ModelArtifacts"]},
    }


def test_imported_job_grants_read_below_its_output_location_read_at_deploy_time() -> None:
    stack = Stack(App(), "Grant", env=ENV)
    imported = CompilationJob.from_compilation_job_name(stack, "Imported", "Existing-Neo-Job")
    reader = new_reader(stack)
    imported.grant_read_artifacts(reader)
    (lookup_id,) = Template.from_stack(stack).find_resources("Custom::AWS")
    (read,) = reader_statements(stack, reader)
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    location = {"Fn::GetAtt": [lookup_id, "OutputConfig.S3OutputLocation"]}
    assert read["Resource"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Fn::Select": [1, {"Fn::Split": ["s3://", location]}]}, "*"],
        ]
    }


# --- imported with attributes ---------------------------------------------------------------
def test_imported_with_bucket_and_prefix_grants_as_a_created_job_does_without_a_lookup() -> None:
    stack = Stack(App(), "Attributes", env=ENV)
    bucket = s3.Bucket(stack, "Out", encryption_key=kms.Key(stack, "BucketKey"))
    imported = CompilationJob.from_compilation_job_attributes(
        stack,
        "Imported",
        compilation_job_name="existing-neo-job",
        output_bucket=bucket,
        artifacts_prefix="compiled/existing-neo-job/",
        model_artifacts_s3_uri="s3://out/compiled/existing-neo-job/model-ml_c5.tar.gz",
    )
    reader = new_reader(stack)
    imported.grant_read_artifacts(reader)
    statements = reader_statements(stack, reader)
    text = json.dumps(statements)
    assert "/compiled/existing-neo-job/*" in text
    assert [s["Condition"] for s in statements if s["Action"] == "s3:ListBucket"] == [
        {"StringLike": {"s3:prefix": ["compiled/existing-neo-job/*"]}}
    ]
    assert any("kms:Decrypt" in json.dumps(s["Action"]) for s in statements)
    assert imported.model_artifacts_s3_uri == "s3://out/compiled/existing-neo-job/model-ml_c5.tar.gz"
    assert Template.from_stack(stack).find_resources("Custom::AWS") == {}


def test_attributes_need_bucket_and_prefix_together() -> None:
    stack = Stack(App(), "Attributes")
    with pytest.raises(ValueError, match=r"output_bucket and artifacts_prefix must be given together"):
        CompilationJob.from_compilation_job_attributes(
            stack, "Imported", compilation_job_name="existing-neo-job", artifacts_prefix="compiled/"
        )


def test_attributes_check_the_name() -> None:
    with pytest.raises(ValueError, match=r"compilation_job_name must match .*\(got 'bad_name'\)"):
        CompilationJob.from_compilation_job_attributes(Stack(App(), "A"), "I", compilation_job_name="bad_name")


# --- one interface for created and imported jobs -----------------------------------------------
def serve(scope: Stack, job: ICompilationJob) -> iam.Role:
    """A consumer that takes any compilation job, created or imported, in any stack."""
    role = iam.Role(scope, "Serving", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    job.grant_read_artifacts(role)
    sagemaker.CfnModel(
        scope,
        "Model",
        execution_role_arn=role.role_arn,
        primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
            image=job.inference_image, model_data_url=job.model_artifacts_s3_uri
        ),
    )
    return role


@pytest.mark.parametrize("source", ["created", "name", "arn", "attributes"])
def test_a_consumer_in_another_stack_takes_any_job_through_icompilationjob(source: str) -> None:
    app = App()
    producer = Stack(app, "Producer", env=ENV)
    bucket = s3.Bucket(producer, "Out")
    jobs: dict[str, Any] = {
        "created": lambda: small_job(producer, "Job", bucket),
        "name": lambda: CompilationJob.from_compilation_job_name(producer, "Job", "existing-neo-job"),
        "arn": lambda: CompilationJob.from_compilation_job_arn(producer, "Job", ARN),
        "attributes": lambda: CompilationJob.from_compilation_job_attributes(
            producer, "Job", compilation_job_name="existing-neo-job", output_bucket=bucket, artifacts_prefix="x/"
        ),
    }
    consumer = Stack(app, "Consumer", env=ENV)
    serve(consumer, jobs[source]())
    (model,) = Template.from_stack(consumer).find_resources("AWS::SageMaker::Model").values()
    assert "Fn::ImportValue" in json.dumps(model["Properties"]["PrimaryContainer"])
