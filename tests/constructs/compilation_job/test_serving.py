"""The cloud hand-off, on the rendered template: job.to_model and job.container_definition."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Template

from sagemaker_constructs import TargetDevice, TargetPlatform
from tests.constructs.builders import small_job
from tests.constructs.cfn import flat

ENV = Environment(account="123456789012", region="us-east-1")


@pytest.fixture
def stack() -> Stack:
    return Stack(App(), "Serving", env=ENV)


def model_of(template: dict[str, Any]) -> dict[str, Any]:
    (model,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Model"]
    return model


def statements_of(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template["Resources"].values()
        if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- to_model ------------------------------------------------------------------------------------
def test_model_image_is_the_jobs_inference_image_and_its_data_the_compiled_artifact(stack: Stack) -> None:
    job = small_job(stack, "Job")
    job.to_model(stack, "Model")
    container = model_of(Template.from_stack(stack).to_json())["Properties"]["PrimaryContainer"]
    job_id = stack.get_logical_id(job.resource.node.default_child)  # type: ignore[arg-type]
    assert container == {
        "Image": {"Fn::GetAtt": [job_id, "InferenceImage"]},
        "ModelDataUrl": {"Fn::GetAtt": [job_id, "S3ModelArtifacts"]},
    }


def test_created_role_reads_exactly_this_jobs_artifact_prefix(stack: Stack) -> None:
    bucket = s3.Bucket(stack, "Bucket")
    job = small_job(stack, "Job", bucket=bucket, output_prefix="compiled/")
    other = small_job(stack, "Other", bucket=bucket, output_prefix="compiled/")
    job.to_model(stack, "Model")
    template = Template.from_stack(stack).to_json()
    model = model_of(template)
    role_id = model["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    statements = statements_of(template, role_id)
    reads = [s for s in statements if "s3:GetObject" in as_list(s["Action"])]
    assert [flat(r) for s in reads for r in as_list(s["Resource"])] == [
        "${" + stack.get_logical_id(bucket.node.default_child) + ".Arn}" + f"/{job.artifacts_prefix}*"  # type: ignore[arg-type]
    ]
    (listing,) = [s for s in statements if "s3:ListBucket" in as_list(s["Action"])]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{job.artifacts_prefix}*"]}}
    assert other.artifacts_prefix not in str(statements)
    assert all(s["Resource"] != "*" for s in statements)
    # SageMaker checks the role when it creates the model: the model waits for the role's policy.
    policy_ids = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Policy"]
    assert set(model["DependsOn"]) & set(policy_ids)


def test_created_role_writes_only_the_endpoint_log_groups_and_has_no_managed_policy(stack: Stack) -> None:
    small_job(stack, "Job").to_model(stack, "Model")
    template = Template.from_stack(stack).to_json()
    role_id = model_of(template)["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    assert "ManagedPolicyArns" not in template["Resources"][role_id]["Properties"]
    (logs,) = [s for s in statements_of(template, role_id) if "logs:PutLogEvents" in as_list(s["Action"])]
    assert [flat(r) for r in as_list(logs["Resource"])] == [
        "arn:${AWS::Partition}:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/*"
    ]


def test_a_given_role_is_used_and_granted_the_read(stack: Stack) -> None:
    role = iam.Role(stack, "MyRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    job = small_job(stack, "Job")
    job.to_model(stack, "Model", role=role)
    template = Template.from_stack(stack).to_json()
    role_id = stack.get_logical_id(role.node.default_child)  # type: ignore[arg-type]
    assert model_of(template)["Properties"]["ExecutionRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert any(f"/{job.artifacts_prefix}*" in flat(s["Resource"]) for s in statements_of(template, role_id))
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) == 3  # the job's, the handler's and this one: no role is created for the model


def test_keys_of_the_bucket_and_the_job_are_granted_decrypt(stack: Stack) -> None:
    bucket_key, job_key = kms.Key(stack, "BucketKey"), kms.Key(stack, "JobKey")
    bucket = s3.Bucket(stack, "Bucket", encryption=s3.BucketEncryption.KMS, encryption_key=bucket_key)
    small_job(stack, "Job", bucket=bucket, kms_key=job_key).to_model(stack, "Model")
    template = Template.from_stack(stack).to_json()
    role_id = model_of(template)["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    decrypt = [s for s in statements_of(template, role_id) if "kms:Decrypt" in as_list(s["Action"])]
    keys = {flat(r) for s in decrypt for r in as_list(s["Resource"])}
    assert keys == {"${" + stack.get_logical_id(k.node.default_child) + ".Arn}" for k in (bucket_key, job_key)}  # type: ignore[arg-type]


def test_model_options_are_rendered(stack: Stack) -> None:
    small_job(stack, "Job").to_model(
        stack,
        "Model",
        model_name="resnet-c5",
        environment={"SAGEMAKER_PROGRAM": "inference.py"},
        enable_network_isolation=True,
    )
    properties = model_of(Template.from_stack(stack).to_json())["Properties"]
    assert properties["ModelName"] == "resnet-c5"
    assert properties["EnableNetworkIsolation"] is True
    assert properties["PrimaryContainer"]["Environment"] == {"SAGEMAKER_PROGRAM": "inference.py"}


@pytest.mark.parametrize(
    ("target", "rule"),
    [
        (
            {"target_device": TargetDevice.JETSON_NANO},
            (
                r"target_device must be an ml_\* instance type .*edge device's job has no serving image "
                r"\(InferenceImage\); hand it to the edge with job\.to_greengrass_component\(.*\(got 'jetson_nano'\)"
            ),
        ),
        (
            {"target_device": None, "target_platform": TargetPlatform(os="LINUX", arch="ARM64")},
            r"target_platform must not be set .*device outside AWS.*job\.to_greengrass_component",
        ),
        (
            {"target_device": TargetDevice.LAMBDA},
            r"target_device must be .*: a job for lambda has no serving image .*\(got 'lambda'\)",
        ),
    ],
    ids=["edge-device", "platform", "lambda"],
)
def test_a_target_without_a_serving_image_raises_and_points_to_the_edge(
    stack: Stack, target: dict[str, Any], rule: str
) -> None:
    job = small_job(stack, "Job", **target)
    with pytest.raises(ValueError, match=rf"CompilationJob Serving/Job: to_model: 1 invalid property:\n  - {rule}"):
        job.to_model(stack, "Model")
    with pytest.raises(ValueError, match=rf"CompilationJob Serving/Job: container_definition: .*\n  - {rule}"):
        job.container_definition()
    assert stack.node.try_find_child("Model") is None
    assert stack.node.try_find_child("ModelRole") is None


def test_a_token_target_device_is_not_checked(stack: Stack) -> None:
    job = small_job(stack, "Job", target_device=Token.as_string({"Ref": "Target"}))
    assert job.to_model(stack, "Model") is not None


def test_every_bad_model_option_is_listed_in_one_error(stack: Stack) -> None:
    job = small_job(stack, "Job")
    with pytest.raises(ValueError, match=r"3 invalid properties") as raised:
        job.to_model(stack, "Model", model_name="-bad-", environment={"1X": "v", "OK": "x" * 1025})
    text = str(raised.value)
    assert "model_name must match" in text and "(got '-bad-')" in text
    assert "environment['1X'] must match [a-zA-Z_][a-zA-Z0-9_]*" in text
    assert "environment['OK'] value must be 0 to 1024 characters long (1025 given)" in text


def test_token_options_are_skipped(stack: Stack) -> None:
    name = Token.as_string({"Ref": "ModelName"})
    model = small_job(stack, "Job").to_model(stack, "Model", model_name=name)
    assert model.model_name == name


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"role": "arn:aws:iam::123456789012:role/serving"}, r"role must be iam\.IRole or None .*from_role_arn"),
        ({"environment": [("A", "b")]}, r"environment must be a mapping or None \(got list"),
        ({"enable_network_isolation": "yes"}, r"enable_network_isolation must be a bool or None \(got str 'yes'\)"),
        ({"model_name": 7}, r"model_name must be a str or None \(got int 7\)"),
    ],
    ids=["role", "environment", "network-isolation", "model_name"],
)
def test_a_wrong_type_is_a_type_error_naming_the_argument(
    stack: Stack, arguments: dict[str, Any], message: str
) -> None:
    job = small_job(stack, "Job")
    with pytest.raises(
        TypeError, match=rf"CompilationJob Serving/Job: to_model: 1 property of the wrong type:\n.*{message}"
    ):
        job.to_model(stack, "Model", **arguments)


# --- container_definition ----------------------------------------------------------------------------
def test_container_definition_feeds_a_users_own_multi_container_model(stack: Stack) -> None:
    first, second = small_job(stack, "First"), small_job(stack, "Second", target_device=TargetDevice.ML_M5)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    for job in (first, second):
        job.grant_read_artifacts(role)
    sagemaker.CfnModel(
        stack,
        "Pipeline",
        execution_role_arn=role.role_arn,
        containers=[
            first.container_definition(container_hostname="first"),
            second.container_definition(container_hostname="second", environment={"MODE": "b"}),
        ],
        inference_execution_config=sagemaker.CfnModel.InferenceExecutionConfigProperty(mode="Serial"),
    )
    containers = model_of(Template.from_stack(stack).to_json())["Properties"]["Containers"]
    ids = [stack.get_logical_id(j.resource.node.default_child) for j in (first, second)]  # type: ignore[arg-type]
    assert containers == [
        {
            "ContainerHostname": "first",
            "Image": {"Fn::GetAtt": [ids[0], "InferenceImage"]},
            "ModelDataUrl": {"Fn::GetAtt": [ids[0], "S3ModelArtifacts"]},
        },
        {
            "ContainerHostname": "second",
            "Environment": {"MODE": "b"},
            "Image": {"Fn::GetAtt": [ids[1], "InferenceImage"]},
            "ModelDataUrl": {"Fn::GetAtt": [ids[1], "S3ModelArtifacts"]},
        },
    ]


def test_container_definition_checks_the_hostname(stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"container_hostname must match .*\(got 'no_underscores'\)"):
        small_job(stack, "Job").container_definition(container_hostname="no_underscores")


def test_a_model_in_another_stack_imports_the_jobs_attributes() -> None:
    app = App()
    producer, consumer = Stack(app, "Producer", env=ENV), Stack(app, "Consumer", env=ENV)
    job = small_job(producer, "Job")
    job.to_model(consumer, "Model")
    container = model_of(Template.from_stack(consumer).to_json())["Properties"]["PrimaryContainer"]
    assert set(container) == {"Image", "ModelDataUrl"}
    assert all("Fn::ImportValue" in value for value in container.values())
    assert producer in consumer.dependencies
