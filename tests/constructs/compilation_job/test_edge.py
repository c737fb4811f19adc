"""The edge hand-off, on the rendered template: job.to_greengrass_component and
job.grant_device_read. The inline recipe is evaluated as CloudFormation would,
with the job's artifact URI as SageMaker returns it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_constructs import CompilationJob, ModelSource, TargetDevice, TargetPlatform
from tests.constructs.builders import small_job
from tests.constructs.cfn import evaluate, flat

ENV = Environment(account="123456789012", region="eu-west-1")
COMPONENT = "com.example.Detector"


@pytest.fixture
def stack() -> Stack:
    return Stack(App(), "Edge", env=ENV)


def edge_job(stack: Stack, construct_id: str = "Job", **overrides: Any) -> CompilationJob:
    return small_job(stack, construct_id, **{"target_device": TargetDevice.JETSON_NANO, **overrides})


def artifact_uri(job: CompilationJob) -> str:
    """What SageMaker returns as S3ModelArtifacts: the artifact below the job's own output location."""
    return f"s3://models-bucket/{job.artifacts_prefix}model-jetson_nano.tar.gz"


def recipe_of(stack: Stack, job: CompilationJob, component_id: str = "Component") -> dict[str, Any]:
    template = Template.from_stack(stack).to_json()
    inline = template["Resources"][component_id]["Properties"]["InlineRecipe"]
    job_id = stack.get_logical_id(job.resource.node.default_child)  # type: ignore[arg-type]
    recipe: dict[str, Any] = json.loads(evaluate(inline, {f"{job_id}.S3ModelArtifacts": artifact_uri(job)}))
    return recipe


def test_recipe_ships_the_artifact_unarchived_and_unpacks_it_in_install(stack: Stack) -> None:
    job = edge_job(stack, output_prefix="compiled/")
    job.to_greengrass_component(stack, "Component", component_name=COMPONENT, component_version="2.1.0")
    recipe = recipe_of(stack, job)
    assert recipe == {
        "RecipeFormatVersion": "2020-01-25",
        "ComponentName": COMPONENT,
        "ComponentVersion": "2.1.0",
        "ComponentDescription": f"Model compiled by SageMaker Neo job {job.compilation_job_name}",
        "Manifests": [
            {
                "Platform": {"os": "linux"},
                "Artifacts": [{"URI": artifact_uri(job), "Unarchive": "NONE"}],
                "Lifecycle": {
                    "Install": 'tar -xzf "{artifacts:path}/model-jetson_nano.tar.gz" -C "{work:path}"',
                },
            }
        ],
    }


def test_recipe_artifact_is_the_jobs_getatt(stack: Stack) -> None:
    job = edge_job(stack)
    job.to_greengrass_component(stack, "Component", component_name=COMPONENT)
    inline = Template.from_stack(stack).to_json()["Resources"]["Component"]["Properties"]["InlineRecipe"]
    job_id = stack.get_logical_id(job.resource.node.default_child)  # type: ignore[arg-type]
    assert '"URI":"${' + job_id + '.S3ModelArtifacts}","Unarchive":"NONE"' in flat(inline)


def test_publisher_description_and_platform_are_rendered(stack: Stack) -> None:
    job = edge_job(stack)
    job.to_greengrass_component(
        stack,
        "Component",
        component_name=COMPONENT,
        component_description="Detector for the line cameras",
        component_publisher="Example Corp",
        platform={"os": "linux", "architecture": "aarch64"},
    )
    recipe = recipe_of(stack, job)
    assert recipe["ComponentDescription"] == "Detector for the line cameras"
    assert recipe["ComponentPublisher"] == "Example Corp"
    assert recipe["Manifests"][0]["Platform"] == {"os": "linux", "architecture": "aarch64"}


@pytest.mark.parametrize(
    ("target", "platform"),
    [
        ({"target_device": TargetDevice.X86_WIN64}, {"os": "windows"}),
        ({"target_device": TargetDevice.RASP4B}, {"os": "linux"}),
        ({"target_device": None, "target_platform": TargetPlatform(os="LINUX", arch="ARM64")}, {"os": "linux"}),
        ({"target_device": None, "target_platform": TargetPlatform(os="ANDROID", arch="ARM64")}, None),
    ],
    ids=["windows", "linux-device", "linux-platform", "android"],
)
def test_default_platform_follows_the_target(
    stack: Stack, target: dict[str, Any], platform: dict[str, str] | None
) -> None:
    job = small_job(stack, "Job", **target)
    job.to_greengrass_component(stack, "Component", component_name=COMPONENT)
    assert recipe_of(stack, job)["Manifests"][0].get("Platform") == platform


# --- the version: immutable, so it follows the artifact ---------------------------------------------
def derived(model_key: str = "models/m.tar.gz", prefix: str = "compiled/") -> str:
    """The derived version in a fresh app, for a job of this model key and output prefix."""
    stack = Stack(App(), "Edge", env=ENV)
    bucket = s3.Bucket(stack, "Bucket")
    job = edge_job(stack, bucket=bucket, output_prefix=prefix, model=ModelSource.from_bucket(bucket, model_key))
    job.to_greengrass_component(stack, "Component", component_name=COMPONENT)
    return str(recipe_of(stack, job)["ComponentVersion"])


def test_derived_version_is_semantic_and_stable_across_syntheses() -> None:
    version = derived()
    assert version == derived()
    major, minor, patch = version.split(".")
    assert (major, minor) == ("1", "0") and 0 <= int(patch) < 1_000_000 and str(int(patch)) == patch


def test_derived_version_changes_when_the_artifact_does() -> None:
    assert derived("models/m-v2.tar.gz") != derived()  # a new model: a new job name, a new artifact URI
    assert derived(prefix="other/") != derived()


def test_the_same_name_and_version_twice_is_an_error(stack: Stack) -> None:
    first, second = edge_job(stack, "First"), edge_job(stack, "Second")
    first.to_greengrass_component(stack, "One", component_name=COMPONENT, component_version="1.0.0")
    with pytest.raises(ValueError, match=r"component_name/component_version must be unique in a stack: Edge/One"):
        second.to_greengrass_component(stack, "Two", component_name=COMPONENT, component_version="1.0.0")


# --- checks ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("device", "rule"),
    [
        (
            TargetDevice.ML_C5,
            r"an ml_\* instance type is served by SageMaker; hand it to SageMaker hosting with job\.to_model",
        ),
        (TargetDevice.LAMBDA, r"lambda runs on AWS Lambda"),
    ],
    ids=["ml_c5", "lambda"],
)
def test_a_cloud_target_raises_and_points_to_to_model(stack: Stack, device: TargetDevice, rule: str) -> None:
    job = small_job(stack, "Job", target_device=device)
    with pytest.raises(
        ValueError, match=rf"to_greengrass_component: 1 invalid property:\n  - target_device must be .*{rule}"
    ):
        job.to_greengrass_component(stack, "Component", component_name=COMPONENT)
    assert stack.node.try_find_child("Component") is None


def test_every_bad_name_and_version_is_listed_in_one_error(stack: Stack) -> None:
    job = edge_job(stack)
    with pytest.raises(ValueError, match=r"3 invalid properties") as raised:
        job.to_greengrass_component(
            stack, "Component", component_name="a:b", component_version="1.0", platform={"os": ""}
        )
    text = str(raised.value)
    assert "component_name must match 1 to 128 characters without ':' (e.g. com.example.Detector) (got 'a:b')" in text
    assert "component_version must match MAJOR.MINOR.PATCH (three numbers without leading zeros" in text
    assert "platform['os'] must map a non-empty str to a non-empty str" in text


@pytest.mark.parametrize("version", ["01.0.0", "1.0.0-beta", "1.0.0+build", "v1.0.0", "1.0.0.0"])
def test_versions_greengrass_does_not_take_are_rejected(stack: Stack, version: str) -> None:
    with pytest.raises(
        ValueError, match=rf"component_version must match MAJOR\.MINOR\.PATCH .*\(got '{re.escape(version)}'\)"
    ):
        edge_job(stack).to_greengrass_component(stack, "Component", component_name=COMPONENT, component_version=version)


def test_a_name_longer_than_128_characters_is_rejected(stack: Stack) -> None:
    with pytest.raises(ValueError, match=r"component_name must match 1 to 128 characters"):
        edge_job(stack).to_greengrass_component(stack, "Component", component_name="c" * 129)


def test_a_token_name_is_used_as_given(stack: Stack) -> None:
    name = Token.as_string({"Ref": "ComponentName"})
    job = edge_job(stack)
    job.to_greengrass_component(stack, "Component", component_name=name, component_version="1.0.0")
    inline = Template.from_stack(stack).to_json()["Resources"]["Component"]["Properties"]["InlineRecipe"]
    assert '"ComponentName":"${ComponentName}"' in flat(inline)


def test_a_job_prefix_known_only_at_deploy_time_is_rejected(stack: Stack) -> None:
    job = edge_job(stack, output_prefix=Token.as_string({"Ref": "Prefix"}))
    with pytest.raises(ValueError, match=r"artifacts_prefix must be known at synth time for a Greengrass component"):
        job.to_greengrass_component(stack, "Component", component_name=COMPONENT)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"component_name": 5}, r"component_name must be a str \(got int 5\)"),
        ({"component_name": COMPONENT, "component_version": 1}, r"component_version must be a str or None"),
        ({"component_name": COMPONENT, "platform": "linux"}, r"platform must be a mapping or None \(got str"),
    ],
    ids=["name", "version", "platform"],
)
def test_a_wrong_type_is_a_type_error_naming_the_argument(
    stack: Stack, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(
        TypeError, match=rf"Edge/Job: to_greengrass_component: 1 property of the wrong type:\n.*{message}"
    ):
        edge_job(stack).to_greengrass_component(stack, "Component", **arguments)


# --- the devices' read ------------------------------------------------------------------------------
def test_device_role_reads_exactly_the_artifact_object(stack: Stack) -> None:
    key = kms.Key(stack, "Key")
    bucket = s3.Bucket(stack, "Bucket", encryption=s3.BucketEncryption.KMS, encryption_key=key)
    job = edge_job(stack, bucket=bucket)
    device_role = iam.Role.from_role_arn(
        stack, "DeviceRole", "arn:aws:iam::123456789012:role/GreengrassV2TokenExchangeRole"
    )
    job.grant_device_read(device_role)
    template = Template.from_stack(stack).to_json()
    (policy,) = [r for k, r in template["Resources"].items() if k.startswith("DeviceRolePolicy")]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    job_id = stack.get_logical_id(job.resource.node.default_child)  # type: ignore[arg-type]
    (read,) = [s for s in statements if s["Action"] == "s3:GetObject"]
    resource = evaluate(read["Resource"], {f"{job_id}.S3ModelArtifacts": artifact_uri(job), "AWS::Partition": "aws"})
    assert resource == f"arn:aws:s3:::models-bucket/{job.artifacts_prefix}model-jetson_nano.tar.gz"
    (decrypt,) = [s for s in statements if "kms:Decrypt" in s["Action"]]
    assert decrypt["Resource"] == {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]}  # type: ignore[arg-type]
    assert not [s for s in statements if "s3:ListBucket" in s["Action"]]


def test_grant_device_read_rejects_a_role_arn_string(stack: Stack) -> None:
    with pytest.raises(TypeError, match=r"grantee must be iam\.IGrantable .*\(got str"):
        edge_job(stack).grant_device_read("arn:aws:iam::123456789012:role/GreengrassV2TokenExchangeRole")  # type: ignore[arg-type]
