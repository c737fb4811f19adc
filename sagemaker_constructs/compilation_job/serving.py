"""The cloud hand-off: a SageMaker model (``CfnModel``) that hosts a job's compiled
artifact in the Neo inference image, and the container definition for a model
you build yourself.

Only jobs for an ``ml_*`` instance have a serving image (``InferenceImage``); for
any other target these raise, and an edge device's artifact goes to
:mod:`.edge` (AWS IoT Greengrass) instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from .. import _nag
from .._service_model import check_string
from .._validation import Problem, Problems, is_token
from ..targets import TargetDevice, TargetPlatform

if TYPE_CHECKING:
    from .construct import CompilationJob

MAX_ENVIRONMENT_ENTRIES = 100  # ContainerDefinition.Environment
ENDPOINT_LOG_GROUPS = "/aws/sagemaker/Endpoints"
EDGE_HAND_OFF = "job.to_greengrass_component(scope, id, component_name=...)"


def target_problems(device: TargetDevice | None, platform: TargetPlatform | None) -> list[Problem]:
    """Why a job's target has no SageMaker serving image (none for an ``ml_*`` device or a token)."""
    if platform is not None:
        return [
            Problem(
                "target_platform",
                platform,
                "must not be set to serve the model on SageMaker: a target platform is a device outside AWS, "
                f"and its job has no serving image (InferenceImage); hand it to the edge with {EDGE_HAND_OFF}",
            )
        ]
    if device is None or is_token(device.name) or device.is_cloud_instance:
        return []
    if device.name == "lambda":
        rule = (
            "must be an ml_* instance type to serve the model on SageMaker: a job for lambda has no serving "
            "image (InferenceImage); run its artifact in your own AWS Lambda function"
        )
    else:
        rule = (
            "must be an ml_* instance type to serve the model on SageMaker: an edge device's job has no serving "
            f"image (InferenceImage); hand it to the edge with {EDGE_HAND_OFF}"
        )
    return [Problem("target_device", device.name, rule)]


def container_problems(environment: Mapping[str, str] | None, container_hostname: str | None) -> list[Problem]:
    found = Problems()
    check_string(found, "container_hostname", container_hostname, "CreateModel.PrimaryContainer.ContainerHostname")
    if environment is None:
        return found
    if len(environment) > MAX_ENVIRONMENT_ENTRIES:
        found.add("environment", len(environment), f"must hold at most {MAX_ENVIRONMENT_ENTRIES} variables")
    for key, value in environment.items():
        if not isinstance(key, str) or not isinstance(value, str):
            found.add(f"environment[{key!r}]", value, "must map a str to a str")
            continue
        check_string(found, f"environment[{key!r}]", key, "EnvironmentKey")
        check_string(found, f"environment[{key!r}] value", value, "EnvironmentValue")
    return found


def model_problems(model_name: str | None) -> list[Problem]:
    found = Problems()
    check_string(found, "model_name", model_name, "CreateModel.ModelName")
    return found


def render_container(
    job: CompilationJob, environment: Mapping[str, str] | None, container_hostname: str | None
) -> sagemaker.CfnModel.ContainerDefinitionProperty:
    """The job's Neo serving image with its compiled artifact as model data."""
    return sagemaker.CfnModel.ContainerDefinitionProperty(
        image=job.inference_image,
        model_data_url=job.model_artifacts_s3_uri,
        environment=dict(environment) if environment is not None else None,
        container_hostname=container_hostname,
    )


def create_model(
    job: CompilationJob,
    scope: Construct,
    construct_id: str,
    *,
    role: iam.IRole | None,
    model_name: str | None,
    environment: Mapping[str, str] | None,
    enable_network_isolation: bool | None,
) -> sagemaker.CfnModel:
    """A ``CfnModel`` with the job's container; its role reads this job's artifacts, and the
    model is created after the role's policies (SageMaker checks the role when it creates it)."""
    execution_role = role or _create_role(scope, f"{construct_id}Role")
    job.grant_read_artifacts(execution_role)
    model = sagemaker.CfnModel(
        scope,
        construct_id,
        execution_role_arn=execution_role.role_arn,
        primary_container=render_container(job, environment, None),
        model_name=model_name,
        enable_network_isolation=enable_network_isolation,
    )
    model.node.add_dependency(execution_role)
    return model


def _create_role(scope: Construct, construct_id: str) -> iam.Role:
    """SageMaker hosting's execution role: read on the artifacts (granted by the caller) and the
    endpoints' container logs. Nothing managed."""
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="SageMaker model execution role for a compiled model (sagemaker-constructs)",
    )
    # The log groups and their streams ('*' also matches ':log-stream:<name>').
    endpoint_logs = Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=f"{ENDPOINT_LOG_GROUPS}/*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[endpoint_logs],
        )
    )
    _nag.acknowledge_wildcard_resource(
        role,
        endpoint_logs,
        "SageMaker hosting writes each endpoint's container logs to a log group named after the endpoint, "
        f"{ENDPOINT_LOG_GROUPS}/<endpoint name>, and a model's endpoints are created after it; "
        "no other log group is writable.",
    )
    return role
