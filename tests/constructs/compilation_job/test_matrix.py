"""CompilationMatrix: one model, many targets; each target its own job, one job role,
one copy of an asset model."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_constructs import (
    CompilationJob,
    CompilationMatrix,
    Framework,
    ModelSource,
    TargetDevice,
    TargetPlatform,
    TargetPlatformArch,
    TargetPlatformOs,
)
from tests.constructs import MODEL_FILE

ENV = Environment(account="123456789012", region="us-east-1")
ARM64_LINUX = TargetPlatform(os=TargetPlatformOs.LINUX, arch=TargetPlatformArch.ARM64)
TARGETS = [TargetDevice.ML_C5, TargetDevice.JETSON_NANO, ARM64_LINUX]


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def build(targets: list[Any] | None = None, **overrides: Any) -> tuple[Stack, CompilationMatrix]:
    stack = Stack(App(), "Matrix", env=ENV)
    bucket = s3.Bucket(stack, "Models")
    props: dict[str, Any] = {
        "model": ModelSource.from_asset(MODEL_FILE),
        "framework": Framework.PYTORCH,
        "framework_version": "2.0",
        "output_bucket": bucket,
        "output_prefix": "compiled/",
        **overrides,
    }
    return stack, CompilationMatrix(stack, "Resnet", targets=TARGETS if targets is None else targets, **props)


@pytest.fixture(scope="module")
def built() -> tuple[Stack, CompilationMatrix, dict[str, Any]]:
    stack, matrix = build()
    return stack, matrix, Template.from_stack(stack).to_json()


def test_each_target_is_its_own_job_resource(built: tuple[Stack, CompilationMatrix, dict[str, Any]]) -> None:
    _, _, template = built
    jobs = of_type(template, "Custom::SageMakerCompilationJob")
    assert len(jobs) == 3
    rendered = sorted(
        json.dumps(
            j["Properties"]["OutputConfig"].get("TargetDevice") or j["Properties"]["OutputConfig"]["TargetPlatform"]
        )
        for j in jobs.values()
    )
    assert rendered == sorted(['"ml_c5"', '"jetson_nano"', json.dumps({"Os": "LINUX", "Arch": "ARM64"})])
    assert len({j["Properties"]["CompilationJobName"] for j in jobs.values()}) == 3


def test_the_jobs_share_one_job_role(built: tuple[Stack, CompilationMatrix, dict[str, Any]]) -> None:
    stack, matrix, template = built
    role_id = stack.get_logical_id(matrix.role.node.default_child)  # type: ignore[arg-type]
    for job in of_type(template, "Custom::SageMakerCompilationJob").values():
        assert job["Properties"]["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    sagemaker_roles = [
        r
        for r in of_type(template, "AWS::IAM::Role").values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "sagemaker.amazonaws.com"}
    ]
    assert len(sagemaker_roles) == 1
    # The shared role writes logs and metrics like a job's own created role.
    statements = [
        s
        for p in of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {"logs:PutLogEvents", "cloudwatch:PutMetricData", "s3:PutObject", "s3:GetObject"} <= actions


def test_an_asset_model_is_staged_once(built: tuple[Stack, CompilationMatrix, dict[str, Any]]) -> None:
    stack, _, template = built
    jobs = of_type(template, "Custom::SageMakerCompilationJob").values()
    assert len({json.dumps(j["Properties"]["InputConfig"]["S3Uri"]) for j in jobs}) == 1  # one staged key
    assert len({json.dumps(j["Properties"]["Options"]["StageModelFrom"]) for j in jobs}) == 1  # one asset
    assets = [c for c in stack.node.find_all() if c.node.id == "ModelAsset"]
    assert len(assets) == 1


def test_job_for_finds_each_target_by_member_name_or_platform(
    built: tuple[Stack, CompilationMatrix, dict[str, Any]],
) -> None:
    _, matrix, _ = built
    nano = matrix.job_for(TargetDevice.JETSON_NANO)
    assert isinstance(nano, CompilationJob)
    assert matrix.job_for("jetson_nano") is nano
    assert matrix.job_for(TargetPlatform(os="LINUX", arch="ARM64")) is matrix.jobs[ARM64_LINUX]
    assert nano.node.path == "Matrix/Resnet/jetson_nano"
    assert matrix.jobs[ARM64_LINUX].node.id == "LINUX-ARM64"


def test_artifacts_map_each_target_to_its_jobs_artifact(built: tuple[Stack, CompilationMatrix, dict[str, Any]]) -> None:
    stack, matrix, _ = built
    assert list(matrix.artifacts) == [TargetDevice.ML_C5, TargetDevice.JETSON_NANO, ARM64_LINUX]
    for target, uri in matrix.artifacts.items():
        job_id = stack.get_logical_id(matrix.job_for(target).resource.node.default_child)  # type: ignore[arg-type]
        assert stack.resolve(uri) == {"Fn::GetAtt": [job_id, "S3ModelArtifacts"]}


def test_job_for_an_unknown_target_names_the_targets(built: tuple[Stack, CompilationMatrix, dict[str, Any]]) -> None:
    _, matrix, _ = built
    with pytest.raises(
        ValueError, match=r"target must be one of this matrix's targets \(ml_c5, jetson_nano, LINUX-ARM64\)"
    ):
        matrix.job_for(TargetDevice.RASP4B)


def test_hand_offs_work_on_the_matrix_jobs() -> None:
    stack, matrix = build()
    matrix.job_for(TargetDevice.ML_C5).to_model(stack, "Model")
    matrix.job_for(TargetDevice.JETSON_NANO).to_greengrass_component(stack, "Nano", component_name="com.example.Resnet")
    template = Template.from_stack(stack).to_json()
    assert len(of_type(template, "AWS::SageMaker::Model")) == 1
    assert len(of_type(template, "AWS::GreengrassV2::ComponentVersion")) == 1


def test_a_given_role_is_shared_and_no_role_is_created() -> None:
    stack = Stack(App(), "Given", env=ENV)
    bucket = s3.Bucket(stack, "Models")
    role = iam.Role(stack, "JobRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    matrix = CompilationMatrix(
        stack,
        "Xgb",
        targets=[TargetDevice.ML_C5, TargetDevice.RASP4B],
        model=ModelSource.from_bucket(bucket, "models/xgb.tar.gz"),
        framework=Framework.XGBOOST,
        output_bucket=bucket,
        role=role,
    )
    assert matrix.role is role
    assert all(job.role is role for job in matrix.jobs.values())
    assert stack.node.find_child("Xgb").node.try_find_child("Role") is None


def test_grant_read_artifacts_covers_every_target() -> None:
    stack, matrix = build()
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    matrix.grant_read_artifacts(reader)
    text = json.dumps(Template.from_stack(stack).to_json())
    for job in matrix.jobs.values():
        assert f"/{job.artifacts_prefix}*" in text


# --- validation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("targets", "overrides", "message"),
    [
        ([], {}, r"targets must hold at least one TargetDevice or TargetPlatform \(got \[\]\)"),
        (
            [TargetDevice.ML_C5, "ml_c5"],
            {},
            r"targets must name each target once \(got \['ml_c5'\]\)",
        ),
        (
            [TargetDevice.ML_C5],
            {"target_device": TargetDevice.ML_C5},
            r"target_device is set per target: list the targets in targets",
        ),
        (
            [TargetDevice.ML_C5],
            {"compilation_job_name": "one-name"},
            r"compilation_job_name is set per target: .*each job gets a generated name",
        ),
        (["no_such_board"], {}, r"target_device must be a known device; use TargetDevice\.of\(name\)"),
    ],
    ids=["empty", "repeated", "target_device", "job-name", "unknown-device"],
)
def test_invalid_matrix_raises_one_error_before_anything_is_added(
    targets: list[Any], overrides: dict[str, Any], message: str
) -> None:
    stack = Stack(App(), "Bad")
    bucket = s3.Bucket(stack, "Models")
    with pytest.raises(ValueError, match=rf"CompilationMatrix Bad/Resnet: 1 invalid property:\n  - {message}"):
        CompilationMatrix(
            stack,
            "Resnet",
            targets=targets,
            model=ModelSource.from_bucket(bucket, "models/m.tar.gz"),
            framework=Framework.PYTORCH,
            framework_version="2.0",
            output_bucket=bucket,
            **overrides,
        )
    assert stack.node.try_find_child("Resnet") is None


def test_a_problem_shared_by_every_target_is_listed_once() -> None:
    stack = Stack(App(), "Bad")
    bucket = s3.Bucket(stack, "Models")
    with pytest.raises(ValueError) as raised:
        CompilationMatrix(
            stack,
            "Resnet",
            targets=[TargetDevice.ML_C5, TargetDevice.JETSON_NANO],
            model=ModelSource.from_bucket(bucket, "models/m.tar.gz"),
            framework=Framework.TENSORFLOW,  # needs data_input_config
            output_bucket=bucket,
        )
    assert str(raised.value).count("data_input_config") == 1


def test_targets_of_the_wrong_type_are_a_type_error() -> None:
    stack = Stack(App(), "Bad")
    bucket = s3.Bucket(stack, "Models")
    with pytest.raises(
        TypeError, match=r"targets\[1\] must be a TargetDevice, a TargetPlatform or a str \(got int 5\)"
    ):
        CompilationMatrix(
            stack,
            "Resnet",
            targets=[TargetDevice.ML_C5, 5],  # type: ignore[list-item]
            model=ModelSource.from_bucket(bucket, "models/m.tar.gz"),
            framework=Framework.XGBOOST,
            output_bucket=bucket,
        )


def test_shared_props_of_the_wrong_type_are_a_type_error() -> None:
    stack = Stack(App(), "Bad")
    with pytest.raises(TypeError, match=r"output_bucket must be s3\.IBucket \(got str 'models'\)"):
        CompilationMatrix(
            stack,
            "Resnet",
            targets=[TargetDevice.ML_C5],
            model=ModelSource.from_s3_uri("s3://models/m.tar.gz"),
            framework=Framework.XGBOOST,
            output_bucket="models",  # type: ignore[arg-type]
        )
