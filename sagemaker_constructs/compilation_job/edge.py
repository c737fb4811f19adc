"""The edge hand-off: an AWS IoT Greengrass V2 component version whose recipe ships a
job's compiled artifact from S3 to the core devices.

Neo's artifacts are ``.tar.gz`` archives, and a recipe's ``Unarchive`` takes only
``NONE`` or ``ZIP``: the artifact is downloaded as it is (``Unarchive: NONE``), and
the Install step unpacks it into the component's work folder.

Component versions are immutable: a replacement under the same name and version
fails. The artifact's URI changes whenever the job does (its name, which is in
the URI, hashes every property), so the default version is derived from the
artifact's location, and changes with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_cdk import Aws, Fn, Stack
from aws_cdk import aws_greengrassv2 as greengrassv2
from constructs import Construct

from .. import _naming, _resource
from .._validation import Problem, Problems, contains_token, is_token
from ..targets import TargetDevice, TargetPlatform, TargetPlatformOs

if TYPE_CHECKING:
    from .construct import CompilationJob

RESOURCE_TYPE = "AWS::GreengrassV2::ComponentVersion"
RECIPE_FORMAT_VERSION = "2020-01-25"
# ComponentNameString is 1 to 128 characters (botocore greengrassv2); the component's ARN
# separates name and version with ':' (components:<name>:versions:<version>).
COMPONENT_NAME_PATTERN = r"[^:]{1,128}"
COMPONENT_NAME_RULE = "1 to 128 characters without ':' (e.g. com.example.Detector)"
# Greengrass takes semantic versions without pre-release or build parts; at most 64 characters.
COMPONENT_VERSION_PATTERN = r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
COMPONENT_VERSION_RULE = "MAJOR.MINOR.PATCH (three numbers without leading zeros, e.g. 1.0.0)"
COMPONENT_VERSION_MAX = 64
DERIVED_MAJOR_MINOR = "1.0"
DERIVED_PATCH_LIMIT = 1_000_000  # the derived patch number is below this
CLOUD_HAND_OFF = "job.to_model(scope, id)"


# --- checks ------------------------------------------------------------------------------------
def target_problems(device: TargetDevice | None) -> list[Problem]:
    """Why a job's target is not a device that Greengrass could run the artifact on."""
    if device is None or is_token(device.name) or device.is_edge_device:
        return []  # a target platform is a device, too
    if device.name == "lambda":
        rule = "must be an edge device or a target platform for a Greengrass component: lambda runs on AWS Lambda"
    else:
        rule = (
            "must be an edge device or a target platform for a Greengrass component: an ml_* instance type is "
            f"served by SageMaker; hand it to SageMaker hosting with {CLOUD_HAND_OFF}"
        )
    return [Problem("target_device", device.name, rule)]


def component_problems(
    component_name: str, component_version: str | None, platform: Mapping[str, str] | None
) -> list[Problem]:
    found = Problems()
    found.check_pattern("component_name", component_name, COMPONENT_NAME_PATTERN, COMPONENT_NAME_RULE)
    found.check_pattern("component_version", component_version, COMPONENT_VERSION_PATTERN, COMPONENT_VERSION_RULE)
    found.check_length("component_version", component_version, 1, COMPONENT_VERSION_MAX)
    for key, value in (platform or {}).items():
        if not isinstance(key, str) or not isinstance(value, str) or not key or not value:
            found.add(f"platform[{key!r}]", value, "must map a non-empty str to a non-empty str (e.g. 'os': 'linux')")
    return found


def artifact_problems(job: CompilationJob) -> list[Problem]:
    """The Install step names the artifact file, which follows the job's own prefix in its URI:
    the prefix must be known at synth time (CloudFormation's Fn::Split takes a literal)."""
    if not contains_token(job.artifacts_prefix):
        return []
    return [
        Problem(
            "artifacts_prefix",
            job.artifacts_prefix,
            "must be known at synth time for a Greengrass component (output_prefix and the job name without "
            "tokens): the Install step names the artifact file that follows it",
        )
    ]


def duplicate_problems(scope: Construct, component_name: str, component_version: str) -> list[Problem]:
    """A name and version is one immutable component version per account and region."""
    check = _resource.check_explicit_name(
        scope, RESOURCE_TYPE, "component_name/component_version", f"{component_name}:{component_version}"
    )
    return check.problems


# --- rendering ---------------------------------------------------------------------------------
def derived_version(job: CompilationJob) -> str:
    """``1.0.<n>``: n is a digest of where the artifact is (the bucket, as the template references
    it, and the job's own prefix, which holds the job's name), so a new artifact is a new version."""
    location = Stack.of(job).resolve({"bucket": job.output_bucket.bucket_name, "prefix": job.artifacts_prefix})
    patch = int(_naming.fingerprint(location)[:12], 16) % DERIVED_PATCH_LIMIT
    return f"{DERIVED_MAJOR_MINOR}.{patch}"


def default_platform(device: TargetDevice | None, platform: TargetPlatform | None) -> dict[str, str]:
    """The manifest's ``Platform``: Windows for the x86_win* devices, Linux for other devices
    and LINUX platforms, any core device otherwise."""
    if device is not None:
        if is_token(device.name):
            return {}
        return {"os": "windows"} if device.name.startswith("x86_win") else {"os": "linux"}
    if platform is not None and platform.os in (TargetPlatformOs.LINUX, TargetPlatformOs.LINUX.value):
        return {"os": "linux"}
    return {}


def artifact_file(job: CompilationJob) -> str:
    """The artifact's file name: what follows ``/<artifacts prefix>`` in its URI, at deploy time."""
    return Fn.select(1, Fn.split(f"/{job.artifacts_prefix}", job.model_artifacts_s3_uri))


def install_step(job: CompilationJob) -> str:
    return f'tar -xzf "{{artifacts:path}}/{artifact_file(job)}" -C "{{work:path}}"'


def render_recipe(
    job: CompilationJob,
    *,
    component_name: str,
    component_version: str,
    component_description: str | None,
    component_publisher: str | None,
    platform: Mapping[str, str],
) -> dict[str, Any]:
    manifest: dict[str, Any] = {}
    if platform:
        manifest["Platform"] = dict(platform)
    manifest["Artifacts"] = [{"URI": job.model_artifacts_s3_uri, "Unarchive": "NONE"}]
    manifest["Lifecycle"] = {"Install": install_step(job)}
    recipe: dict[str, Any] = {
        "RecipeFormatVersion": RECIPE_FORMAT_VERSION,
        "ComponentName": component_name,
        "ComponentVersion": component_version,
        "ComponentDescription": component_description
        or f"Model compiled by SageMaker Neo job {job.compilation_job_name}",
    }
    if component_publisher is not None:
        recipe["ComponentPublisher"] = component_publisher
    recipe["Manifests"] = [manifest]
    return recipe


def create_component(
    job: CompilationJob, scope: Construct, construct_id: str, recipe: dict[str, Any]
) -> greengrassv2.CfnComponentVersion:
    component = greengrassv2.CfnComponentVersion(
        scope, construct_id, inline_recipe=Stack.of(scope).to_json_string(recipe)
    )
    _resource.claim_explicit_name(component, RESOURCE_TYPE, f"{recipe['ComponentName']}:{recipe['ComponentVersion']}")
    return component


# --- the devices' read ----------------------------------------------------------------------------
def artifact_object_arn(s3_uri: str) -> str:
    """``s3://bucket/key`` (a deploy-time value) as ``arn:<partition>:s3:::bucket/key``."""
    return Fn.join("", [f"arn:{Aws.PARTITION}:s3:::", Fn.select(1, Fn.split("s3://", s3_uri))])
