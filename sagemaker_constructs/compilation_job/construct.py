"""CompilationJob: compile a trained model with SageMaker Neo during ``cdk deploy``,
and imported compilation jobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, Unpack

import jsii
from aws_cdk import Aws, CfnOutput, Duration, Fn, ITaggableV2, TagManager
from aws_cdk import aws_greengrassv2 as greengrassv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import custom_resources as cr
from constructs import Construct, Node

from .. import _resource, _wire
from .._base import ResourceConstruct
from .._docs import documented_by
from .._typecheck import check_arguments
from .._validation import Problem, raise_if_any
from ..model_source import ModelBinding, ModelBindOptions
from ..targets import TargetDevice, TargetPlatform
from . import edge, grants, serving
from .props import TYPE_HINTS, CompilationJobProps, device_of, environment_problems, target_warnings, validate, warnings
from .request import name_identity, render_properties, render_service_timeout, with_name

DECLARED = _wire.COMPILATION_JOB


class ICompilationJob(Protocol):
    """A compilation job, created in this app or imported: what another construct,
    in this stack or another, may use."""

    @property
    def node(self) -> Node: ...

    @property
    def compilation_job_name(self) -> str: ...

    @property
    def compilation_job_arn(self) -> str: ...

    @property
    def model_artifacts_s3_uri(self) -> str: ...

    @property
    def inference_image(self) -> str: ...

    def grant_read_artifacts(self, grantee: iam.IGrantable) -> iam.Grant: ...


class _CompilationJobBase(Construct):
    """What created and imported jobs share: reading the artifacts."""

    def grant_read_artifacts(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read access to this job's compiled artifacts: GetObject on its prefix, ListBucket
        only below that prefix, and decrypt with the bucket's and the job's key, where known."""
        return grants.grant_read_artifacts(grantee, self._artifacts())

    def _artifacts(self) -> grants.Artifacts:
        raise NotImplementedError


@jsii.implements(ITaggableV2)
@documented_by(CompilationJobProps, "a SageMaker Neo compilation job")
class CompilationJob(ResourceConstruct[CompilationJobProps], _CompilationJobBase):
    """A SageMaker Neo compilation job, created and awaited during deploy.

    ``CompilationJob(scope, id, **props)``: the constructor's documentation below lists each prop
    with its type, API field and default (the props are also a TypedDict,
    :class:`~sagemaker_constructs.compilation_job.CompilationJobProps`). A wrong type raises
    ``TypeError``; invalid values raise one ``ValueError`` listing every problem.

    Backed by ``Custom::SageMakerCompilationJob`` and one handler Lambda per stack.
    The job's name is generated (``<stack prefix><path>-<hash>``) unless
    ``compilation_job_name`` is given; any change except tags replaces the job.

    Attributes:
        compilation_job_name: the job's name, a plain string known at synth time
            (a token only for a token ``compilation_job_name``).
        compilation_job_arn, model_artifacts_s3_uri, compilation_job_status, inference_image,
        source_training_job_name, source_model_s3_uri: GetAtt tokens (see each property).
        role: the role SageMaker assumes for the job (given, or created with least privilege).
        output_bucket, output_prefix, kms_key: where the artifacts go, as given.
        artifacts_prefix: the key prefix of this job's artifacts, ``<output_prefix><job name>/``.
        target_device, target_platform: the target, as given (one of them is None).
        resource: the ``CustomResource``.
        tags: the ``TagManager`` (``Tags.of(job)``; also ``cdk_tag_manager``).

    Hand-offs: :meth:`to_model` and :meth:`container_definition` serve a job for an ``ml_*``
    instance on SageMaker; :meth:`to_greengrass_component` and :meth:`grant_device_read` ship
    a job for an edge device with AWS IoT Greengrass.
    """

    declared = DECLARED
    props_type = CompilationJobProps
    type_hints = TYPE_HINTS
    role_description = "SageMaker Neo compilation job role (sagemaker-constructs)"

    def __init__(self, scope: Construct, construct_id: str, **props: Unpack[CompilationJobProps]) -> None:
        super().__init__(scope, construct_id, props)

    # --- this kind's own steps (the skeleton, _base.ResourceConstruct, runs them in order) ---
    @classmethod
    def _problems(cls, props: Any) -> list[Problem]:
        return validate(props)

    @classmethod
    def _in_scope(cls, scope: Any, props: Any) -> list[Problem]:
        return environment_problems(scope, props)

    @staticmethod
    def _outputs(props: CompilationJobProps) -> int:
        return 2 if props.get("stack_outputs", True) else 0  # _add_outputs: the ARN and the artifact URI

    def _warnings(self, props: CompilationJobProps) -> list[tuple[str, str]]:
        return [*warnings(props), *target_warnings(props, lambda: self._handler.stack.region)]

    def _take(self, props: CompilationJobProps) -> None:
        self.output_bucket: s3.IBucket = props["output_bucket"]
        self.output_prefix: str = props.get("output_prefix", "")
        self.kms_key: kms.IKey | None = props.get("kms_key")
        self.target_device: TargetDevice | None = device_of(props)
        self.target_platform: TargetPlatform | None = props.get("target_platform")

    def _bind(self, props: CompilationJobProps) -> ModelBinding:
        """The model's input fields, and read on it for the job role (and the handler, for an asset)."""
        return props["model"].bind(
            self, ModelBindOptions(self.role, self.output_bucket, self.output_prefix, self._handler)
        )

    def _render(self, props: CompilationJobProps, binding: ModelBinding) -> dict[str, Any]:
        return render_properties(props, binding, self.role.role_arn)

    def _name_identity(self, properties: dict[str, Any], binding: ModelBinding, props: CompilationJobProps) -> Any:
        return name_identity(properties, binding)

    def _named(self, name: str) -> None:
        self.compilation_job_name: str = name
        self.artifacts_prefix = f"{self.output_prefix}{name}/"

    def _with_name(self, properties: dict[str, Any], name: str, explicit: bool) -> dict[str, Any]:
        return with_name(properties, name, explicit=explicit)

    def _service_timeout(self, properties: dict[str, Any]) -> Duration:
        return render_service_timeout(properties)

    def _grant(self, props: CompilationJobProps, binding: ModelBinding, properties: dict[str, Any]) -> None:
        created_role = props.get("role") is None
        explicit_name = props.get("compilation_job_name")
        output = grants.JobOutput(self.output_bucket, self.output_prefix, self.artifacts_prefix, self.kms_key)
        grants.grant_job_role(
            self,
            self.role,
            output,
            self._handler,
            created=created_role,
            own_prefix=created_role or explicit_name is not None,
            vpc=props.get("vpc_subnets") is not None,
        )
        grants.grant_handler(
            self._handler,
            properties[_wire.ROLE_ARN],
            explicit_name,
            self.kms_key,
            staged=binding.stage_from is not None,
        )

    def _order(self, props: CompilationJobProps) -> None:
        """The job needs its role's policies (model read, output write) and the
        handler's hand-over policy in place before the handler starts it."""
        if props.get("role") is None:
            self.resource.node.add_dependency(self._handler.handover_policy, self.role)
        else:
            self.resource.node.add_dependency(self._handler.ready_after(self.role, self.compilation_job_name))

    def _add_outputs(self) -> None:
        name = self.compilation_job_name
        CfnOutput(
            self,
            "CompilationJobArnOutput",
            value=self.compilation_job_arn,
            description=f"ARN of compilation job {name}",
        )
        CfnOutput(
            self,
            "ModelArtifactsOutput",
            value=self.model_artifacts_s3_uri,
            description=f"Compiled model artifacts of {name}",
        )

    def _artifacts(self) -> grants.Artifacts:
        return grants.artifacts_in(self.output_bucket, self.artifacts_prefix, self.kms_key, self.compilation_job_name)

    # --- attributes (GetAtt tokens) -----------------------------------------------------
    @property
    def compilation_job_arn(self) -> str:
        """GetAtt ``CompilationJobArn``."""
        return self.resource.get_att_string(_wire.ATTR_COMPILATION_JOB_ARN)

    @property
    def model_artifacts_s3_uri(self) -> str:
        """GetAtt ``S3ModelArtifacts``: the compiled artifact."""
        return self.resource.get_att_string(_wire.ATTR_S3_MODEL_ARTIFACTS)

    @property
    def compilation_job_status(self) -> str:
        """GetAtt ``CompilationJobStatus``: ``COMPLETED`` after a successful deploy."""
        return self.resource.get_att_string(_wire.ATTR_COMPILATION_JOB_STATUS)

    @property
    def inference_image(self) -> str:
        """GetAtt ``InferenceImage``: the Neo serving image for ``ml_*`` targets, empty otherwise."""
        return self.resource.get_att_string(_wire.ATTR_INFERENCE_IMAGE)

    @property
    def source_training_job_name(self) -> str:
        """GetAtt ``SourceTrainingJobName`` (training-job sources; empty otherwise)."""
        return self.resource.get_att_string(_wire.ATTR_SOURCE_TRAINING_JOB_NAME)

    @property
    def source_model_s3_uri(self) -> str:
        """GetAtt ``SourceModelS3Uri`` (training-job sources; empty otherwise)."""
        return self.resource.get_att_string(_wire.ATTR_SOURCE_MODEL_S3_URI)

    @property
    def cdk_tag_manager(self) -> TagManager:
        """``ITaggableV2``: the same ``TagManager`` as :attr:`tags`."""
        return self.tags

    # --- hand-offs: serving (ml_* instances) -------------------------------------------------
    def container_definition(
        self, *, environment: Mapping[str, str] | None = None, container_hostname: str | None = None
    ) -> sagemaker.CfnModel.ContainerDefinitionProperty:
        """This job's container for a ``CfnModel`` you build (``primary_container``, or one of
        ``containers``): ``Image`` is GetAtt ``InferenceImage``, ``ModelDataUrl`` GetAtt
        ``S3ModelArtifacts``. Grant the model's role :meth:`grant_read_artifacts` yourself.
        Raises ``ValueError`` for a target without a serving image (anything but ``ml_*``).

        :param environment: ``ContainerDefinition.Environment``: at most 100 variables. Default: none.
        :param container_hostname: ``ContainerDefinition.ContainerHostname`` (multi-container models).
            Default: none.
        """
        method = self._method("container_definition")
        check_arguments(
            method, CompilationJob.container_definition, environment=environment, container_hostname=container_hostname
        )
        problems = [
            *serving.target_problems(self.target_device, self.target_platform),
            *serving.container_problems(environment, container_hostname),
        ]
        raise_if_any(method, problems)
        return serving.render_container(self, environment, container_hostname)

    def to_model(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role: iam.IRole | None = None,
        model_name: str | None = None,
        environment: Mapping[str, str] | None = None,
        enable_network_isolation: bool | None = None,
    ) -> sagemaker.CfnModel:
        """A SageMaker model (``AWS::SageMaker::Model``) ready for hosting: this job's Neo serving
        image with its compiled artifact. Raises ``ValueError`` for an edge device, ``lambda`` or a
        target platform, which have no serving image: use :meth:`to_greengrass_component`.

        :param scope: where the model (and a created role, ``<construct_id>Role``) go.
        :param construct_id: the model's construct id.
        :param role: ``ExecutionRoleArn``; it is granted read on exactly this job's artifacts.
            Default: a new role with that read and the endpoints' container logs, nothing managed.
        :param model_name: ``ModelName``. A new artifact (any change to the job) replaces the model,
            and a replacement under the same name fails: leave it out unless it changes with the job.
            Default: generated by CloudFormation.
        :param environment: the container's ``Environment``. Default: none.
        :param enable_network_isolation: ``EnableNetworkIsolation``. Default: SageMaker's (off).
        """
        method = self._method("to_model")
        check_arguments(
            method,
            CompilationJob.to_model,
            scope=scope,
            construct_id=construct_id,
            role=role,
            model_name=model_name,
            environment=environment,
            enable_network_isolation=enable_network_isolation,
        )
        problems = [
            *serving.target_problems(self.target_device, self.target_platform),
            *serving.model_problems(model_name),
            *serving.container_problems(environment, None),
        ]
        raise_if_any(method, problems)
        return serving.create_model(
            self,
            scope,
            construct_id,
            role=role,
            model_name=model_name,
            environment=environment,
            enable_network_isolation=enable_network_isolation,
        )

    # --- hand-offs: the edge (AWS IoT Greengrass) ------------------------------------------------
    def to_greengrass_component(
        self,
        scope: Construct,
        construct_id: str,
        *,
        component_name: str,
        component_version: str | None = None,
        component_description: str | None = None,
        component_publisher: str | None = None,
        platform: Mapping[str, str] | None = None,
    ) -> greengrassv2.CfnComponentVersion:
        """An AWS IoT Greengrass V2 component version (``AWS::GreengrassV2::ComponentVersion``)
        whose inline recipe downloads the compiled artifact from S3 (``Unarchive: NONE``) and
        unpacks it in its Install step: ``tar -xzf "{artifacts:path}/<file>" -C "{work:path}"``.
        The core devices' token exchange role needs :meth:`grant_device_read`. Raises
        ``ValueError`` for an ``ml_*`` instance type or ``lambda``: use :meth:`to_model`.

        :param scope: where the component version goes.
        :param construct_id: its construct id.
        :param component_name: the recipe's ``ComponentName``, 1 to 128 characters without ``:``.
            Required.
        :param component_version: the recipe's ``ComponentVersion``, ``MAJOR.MINOR.PATCH``. Component
            versions are immutable, so a version you give must change whenever the job does (a
            replacement under the same name and version fails the deploy). Default: ``1.0.<n>``, n
            derived from the artifact's location, which changes with every change to the job.
        :param component_description: ``ComponentDescription``. Default: names the job.
        :param component_publisher: ``ComponentPublisher``. Default: none.
        :param platform: the manifest's ``Platform`` (``{"os": "linux", "architecture": "aarch64"}``).
            Default: ``{"os": "windows"}`` for x86_win32/x86_win64, ``{"os": "linux"}`` for other
            devices and LINUX platforms, none (any core device) for ANDROID.
        """
        method = self._method("to_greengrass_component")
        check_arguments(
            method,
            CompilationJob.to_greengrass_component,
            scope=scope,
            construct_id=construct_id,
            component_name=component_name,
            component_version=component_version,
            component_description=component_description,
            component_publisher=component_publisher,
            platform=platform,
        )
        version = component_version if component_version is not None else edge.derived_version(self)
        problems = [
            *edge.target_problems(self.target_device),
            *edge.component_problems(component_name, component_version, platform),
            *edge.artifact_problems(self),
        ]
        if not problems:
            problems = edge.duplicate_problems(scope, component_name, version)
        raise_if_any(method, problems)
        recipe = edge.render_recipe(
            self,
            component_name=component_name,
            component_version=version,
            component_description=component_description,
            component_publisher=component_publisher,
            platform=platform
            if platform is not None
            else edge.default_platform(self.target_device, self.target_platform),
        )
        return edge.create_component(self, scope, construct_id, recipe)

    def grant_device_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """For AWS IoT Greengrass core devices (their token exchange role, which downloads component
        artifacts): ``s3:GetObject`` on exactly the compiled artifact object, and decrypt with the
        bucket's key and ``kms_key``. (:meth:`grant_read_artifacts` grants the whole job prefix.)"""
        check_arguments(self._method("grant_device_read"), CompilationJob.grant_device_read, grantee=grantee)
        artifact = edge.artifact_object_arn(self.model_artifacts_s3_uri)
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"], resource_arns=[artifact])
        for key in grants.keys_of(self.output_bucket, self.kms_key):
            grant = grant.combine(key.grant_decrypt(grantee))
        return grant

    def _method(self, name: str) -> str:
        return f"CompilationJob {self.node.path}: {name}"

    # --- importers ------------------------------------------------------------------------
    @staticmethod
    def from_compilation_job_name(scope: Construct, construct_id: str, name: str) -> ICompilationJob:
        """An existing job of this account and region, by name. Its artifact URI, inference
        image and output location are read at deploy time with DescribeCompilationJob
        (through ``AwsCustomResource``, created on first use)."""
        check_arguments("CompilationJob.from_compilation_job_name", CompilationJob.from_compilation_job_name, name=name)
        _check_name("CompilationJob.from_compilation_job_name", name)
        return _ImportedCompilationJob(
            scope, construct_id, name=name, arn=_resource.arn_of(scope, DECLARED.arn_resource, name)
        )

    @staticmethod
    def from_compilation_job_arn(scope: Construct, construct_id: str, arn: str) -> ICompilationJob:
        """An existing job by ARN (``arn:<partition>:sagemaker:<region>:<account>:compilation-job/<name>``);
        its name is the ARN's, which SageMaker lowercases."""
        method = "CompilationJob.from_compilation_job_arn"
        check_arguments(method, CompilationJob.from_compilation_job_arn, arn=arn)
        name = _resource.name_from_arn(method, arn, DECLARED.arn_resource)
        _check_name(method, name)
        return _ImportedCompilationJob(scope, construct_id, name=name, arn=arn)

    @staticmethod
    def from_compilation_job_attributes(
        scope: Construct,
        construct_id: str,
        *,
        compilation_job_name: str,
        output_bucket: s3.IBucket | None = None,
        artifacts_prefix: str | None = None,
        kms_key: kms.IKey | None = None,
        model_artifacts_s3_uri: str | None = None,
        inference_image: str | None = None,
    ) -> ICompilationJob:
        """An existing job with what is known of it; nothing given is looked up at deploy time.

        :param compilation_job_name: the job's name.
        :param output_bucket: the bucket of its ``S3OutputLocation``, with ``artifacts_prefix``:
            ``grant_read_artifacts`` then grants as for a created job (ListBucket below the prefix,
            decrypt with the bucket's key). Default: the location is read at deploy time.
        :param artifacts_prefix: the key prefix of its ``S3OutputLocation`` (for a job of this
            library, ``<output_prefix><job name>/``). Required with ``output_bucket``.
        :param kms_key: ``OutputConfig.KmsKeyId``, which readers need to decrypt. Default: none.
        :param model_artifacts_s3_uri: ``ModelArtifacts.S3ModelArtifacts``. Default: read at deploy time.
        :param inference_image: ``InferenceImage`` (``ml_*`` targets). Default: read at deploy time.
        """
        method = "CompilationJob.from_compilation_job_attributes"
        check_arguments(
            method,
            CompilationJob.from_compilation_job_attributes,
            compilation_job_name=compilation_job_name,
            output_bucket=output_bucket,
            artifacts_prefix=artifacts_prefix,
            kms_key=kms_key,
            model_artifacts_s3_uri=model_artifacts_s3_uri,
            inference_image=inference_image,
        )
        _check_name(method, compilation_job_name)
        if (output_bucket is None) != (artifacts_prefix is None):
            raise ValueError(
                f"{method}: output_bucket and artifacts_prefix must be given together "
                f"(got output_bucket={output_bucket!r}, artifacts_prefix={artifacts_prefix!r})"
            )
        known = (
            grants.artifacts_in(output_bucket, artifacts_prefix, kms_key, compilation_job_name)
            if output_bucket is not None and artifacts_prefix is not None
            else None
        )
        return _ImportedCompilationJob(
            scope,
            construct_id,
            name=compilation_job_name,
            arn=_resource.arn_of(scope, DECLARED.arn_resource, compilation_job_name),
            artifacts=known,
            kms_key=kms_key,
            model_artifacts_s3_uri=model_artifacts_s3_uri,
            inference_image=inference_image,
        )


# --- imported jobs ---------------------------------------------------------------------------
LOOKUP_PATHS = {
    "model_artifacts_s3_uri": "ModelArtifacts.S3ModelArtifacts",
    "inference_image": "InferenceImage",
    "output_location": "OutputConfig.S3OutputLocation",
}


class _ImportedCompilationJob(_CompilationJobBase):
    """A job that exists outside this app. What is not given is read at deploy
    time by one DescribeCompilationJob call, made only if something needs it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        arn: str,
        artifacts: grants.Artifacts | None = None,
        kms_key: kms.IKey | None = None,
        model_artifacts_s3_uri: str | None = None,
        inference_image: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.compilation_job_name = name
        self.compilation_job_arn = arn
        self._known_artifacts = artifacts
        self._kms_key = kms_key
        self._given = {"model_artifacts_s3_uri": model_artifacts_s3_uri, "inference_image": inference_image}
        self._lookup: cr.AwsCustomResource | None = None

    @property
    def model_artifacts_s3_uri(self) -> str:
        """``ModelArtifacts.S3ModelArtifacts``: given, or read at deploy time."""
        return self._given["model_artifacts_s3_uri"] or self._describe("model_artifacts_s3_uri")

    @property
    def inference_image(self) -> str:
        """``InferenceImage``: given, or read at deploy time (only ``ml_*`` targets have one:
        for another target the lookup fails the deploy)."""
        return self._given["inference_image"] or self._describe("inference_image")

    def _artifacts(self) -> grants.Artifacts:
        if self._known_artifacts is not None:
            return self._known_artifacts
        # s3://bucket/prefix/ -> arn:<partition>:s3:::bucket/prefix/*, at deploy time.
        location = self._describe("output_location")
        objects = f"arn:{Aws.PARTITION}:s3:::{Fn.select(1, Fn.split('s3://', location))}*"
        return grants.Artifacts(objects=objects, keys=(self._kms_key,) if self._kms_key else ())

    def _describe(self, attribute: str) -> str:
        if self._lookup is None:
            call = cr.AwsSdkCall(
                service="SageMaker",
                action="describeCompilationJob",
                parameters={"CompilationJobName": self.compilation_job_name},
                physical_resource_id=cr.PhysicalResourceId.of(self.compilation_job_name),
                output_paths=list(LOOKUP_PATHS.values()),
            )
            self._lookup = cr.AwsCustomResource(
                self,
                "Describe",
                on_create=call,
                on_update=call,
                policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[self.compilation_job_arn]),
                install_latest_aws_sdk=False,
            )
        return self._lookup.get_response_field(LOOKUP_PATHS[attribute])


def _check_name(method: str, name: str) -> None:
    _resource.check_imported_name(
        method, "compilation_job_name", name, DECLARED.name_rule.pattern, DECLARED.name_rule.rule
    )
