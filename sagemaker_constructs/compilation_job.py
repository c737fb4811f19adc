"""CompilationJob: compile a trained model with SageMaker Neo during ``cdk deploy``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import jsii
from aws_cdk import (
    Annotations,
    ArnFormat,
    CfnOutput,
    CustomResource,
    Duration,
    ITaggableV2,
    RemovalPolicy,
    Stack,
    TagManager,
    TagType,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from . import _nag, _naming, _resource, _wire
from ._handler import handler_for
from ._validation import Problems, contains_token, is_token
from .model_source import ModelSource, grant_object_write
from .targets import (
    Framework,
    TargetDevice,
    TargetPlatform,
    TargetPlatformAccelerator,
    TargetPlatformArch,
    TargetPlatformOs,
)

MAX_RUNTIME_LIMIT_SECONDS = 55 * 60
DEFAULT_MAX_RUNTIME_SECONDS = 15 * 60
# CloudFormation waits at most one hour for a custom resource (ServiceTimeout);
# the handler keeps this margin beyond max_runtime to stop the job and answer.
SERVICE_TIMEOUT_MARGIN_SECONDS = 300
SERVICE_TIMEOUT_MAX_SECONDS = 3600
DATA_INPUT_CONFIG_MAX = 16384
NEEDS_DATA_INPUT_CONFIG = {Framework.TENSORFLOW, Framework.KERAS, Framework.MXNET, Framework.ONNX, Framework.DARKNET}
EXPECTS_NCHW = {Framework.KERAS, Framework.MXNET, Framework.ONNX, Framework.PYTORCH}
CHANNEL_COUNTS = {1, 3, 4}
COREML_RANGE = re.compile(r"^[1-9][0-9]*\.\.([1-9][0-9]*|-1)$")


class ICompilationJob(Protocol):
    """A compilation job: created by this app, or imported by name."""

    @property
    def compilation_job_name(self) -> str: ...

    @property
    def compilation_job_arn(self) -> str: ...

    @property
    def model_artifacts_s3_uri(self) -> str: ...


# --- data_input_config ------------------------------------------------------
def _is_shape(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in value)
    )


def _is_coreml_dim(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value > 0
    return isinstance(value, str) and bool(COREML_RANGE.match(value))


def _coreml_problem(value: Any) -> str | None:
    """The documented CoreML object: shape (static, ranges "1..10", or a list of
    enumerated shapes), optional default_shape, type Image|Tensor, bias, scale."""
    if _is_shape(value):
        return None
    if not isinstance(value, dict) or "shape" not in value:
        return 'must be a shape or a {"shape": [...], "default_shape": [...]} object'
    unknown = set(value) - {"shape", "default_shape", "type", "bias", "scale"}
    if unknown:
        return f"has unknown keys {sorted(unknown)}"
    shape = value["shape"]
    flexible = isinstance(shape, list) and shape and all(_is_coreml_dim(d) for d in shape)
    enumerated = isinstance(shape, list) and shape and all(_is_shape(s) for s in shape)
    if not (flexible or enumerated):
        return 'shape must be a list of positive integers or ranges like "1..10", or a list of shapes'
    if "default_shape" in value and not _is_shape(value["default_shape"]):
        return "default_shape must be a list of positive integers"
    if value.get("type", "Tensor") not in ("Image", "Tensor"):
        return "type must be Image or Tensor"
    return None


def _shape_problem(value: Any, coreml: bool) -> str | None:
    if coreml:
        return _coreml_problem(value)
    if _is_shape(value):
        return None
    return "must be a shape: a list of positive integers"


def _shapes_of(config: Any) -> list[tuple[str, Any]]:
    if isinstance(config, dict):
        return [(str(k), v) for k, v in config.items()]
    return [(f"[{i}]", v) for i, v in enumerate(config)]


def _check_data_input_config(problems: Problems, raw: Any, framework: Framework | None, coreml: bool) -> Any:
    """Validate and return the parsed value (dict or list), or None."""
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError as error:
            problems.add("data_input_config", raw, f"must be valid JSON ({error})")
            return None
    elif isinstance(raw, Mapping):
        value = dict(raw)
    elif isinstance(raw, tuple):
        value = list(raw)
    if isinstance(value, list):
        if framework is not Framework.PYTORCH:
            problems.add(
                "data_input_config",
                raw,
                "may be a list of shapes only for PYTORCH; use a mapping of input name to shape",
            )
            return None
        if not value:
            problems.add("data_input_config", raw, "must name at least one input")
            return None
    elif isinstance(value, dict):
        if not value:
            problems.add("data_input_config", raw, "must name at least one input")
            return None
        for key in value:
            if not isinstance(key, str) or not key:
                problems.add("data_input_config", raw, "input names must be non-empty strings")
                return None
    else:
        problems.add(
            "data_input_config", raw, "must be a mapping of input name to shape (or, for PYTORCH, a list of shapes)"
        )
        return None
    for name, shape in _shapes_of(value):
        problem = _shape_problem(shape, coreml)
        if problem:
            problems.add(f"data_input_config[{name}]", shape, problem)
    # A string is sent as given, so its own length counts.
    serialized = raw if isinstance(raw, str) else json.dumps(value, separators=(",", ":"))
    if len(serialized) > DATA_INPUT_CONFIG_MAX:
        problems.add(
            "data_input_config",
            f"<{len(serialized)} characters>",
            f"must be at most {DATA_INPUT_CONFIG_MAX} characters when serialized",
        )
    return value


def _layout_warnings(scope: Construct, parsed: Any, framework: Framework | None) -> None:
    """Warn on a 4-D shape whose layout looks wrong for the framework (the
    reference: TensorFlow NHWC; Keras, MXNet, ONNX, PyTorch NCHW)."""
    if framework is None or parsed is None:
        return
    for name, shape in _shapes_of(parsed):
        if not _is_shape(shape) or len(shape) != 4:
            continue
        _, second, _, last = shape
        looks_nhwc = last in CHANNEL_COUNTS and second not in CHANNEL_COUNTS
        looks_nchw = second in CHANNEL_COUNTS and last not in CHANNEL_COUNTS
        if framework in EXPECTS_NCHW and looks_nhwc:
            Annotations.of(scope).add_warning_v2(
                "sagemaker-constructs:dataInputLayout",
                f"data_input_config[{name}] {shape} looks NHWC; {framework.value} expects NCHW "
                "(channels second), e.g. [1, 3, 224, 224]",
            )
        elif framework is Framework.TENSORFLOW and looks_nchw:
            Annotations.of(scope).add_warning_v2(
                "sagemaker-constructs:dataInputLayout",
                f"data_input_config[{name}] {shape} looks NCHW; TENSORFLOW expects NHWC "
                "(channels last), e.g. [1, 224, 224, 3]",
            )


def _framework_version_at_least_2(version: str | None) -> bool:
    if version is None:
        return False
    match = re.match(r"^(\d+)", version)
    return match is not None and int(match.group(1)) >= 2


# --- the construct ------------------------------------------------------------
@jsii.implements(ITaggableV2)
class CompilationJob(Construct):
    """A SageMaker Neo compilation job, created and awaited during deploy.

    Backed by ``Custom::SageMakerCompilationJob`` and one handler Lambda per
    stack. The job's name is generated (``<stack prefix><path>-<hash>``) unless
    ``compilation_job_name`` is given; any change except tags replaces the job.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model: ModelSource,
        framework: Framework | str,
        output_bucket: s3.IBucket,
        data_input_config: Mapping[str, Any] | Sequence[Any] | str | None = None,
        target_device: TargetDevice | str | None = None,
        target_platform: TargetPlatform | None = None,
        output_prefix: str = "",
        role: iam.IRole | None = None,
        max_runtime: Duration | None = None,
        compilation_job_name: str | None = None,
        framework_version: str | None = None,
        compiler_options: Mapping[str, Any] | str | None = None,
        vpc_subnets: Sequence[ec2.ISubnet] | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        kms_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        stack_outputs: bool = True,
    ) -> None:
        """
        :param model: where the trained model is (``ModelSource.from_*``).
        :param framework: ``InputConfig.Framework``.
        :param output_bucket: bucket for the compiled artifacts (``OutputConfig.S3OutputLocation``).
        :param data_input_config: ``InputConfig.DataInputConfig``: a mapping of input name to
            shape, a list of shapes (PyTorch only) or a JSON string. Default: none (required for
            TENSORFLOW, KERAS, MXNET, ONNX, DARKNET, and PYTORCH before 2.0).
        :param target_device: ``OutputConfig.TargetDevice``. Exactly one of this and ``target_platform``.
        :param target_platform: ``OutputConfig.TargetPlatform``.
        :param output_prefix: key prefix below which each job writes to ``<prefix><job name>/``. Default: "".
        :param role: the role SageMaker assumes (``RoleArn``). Default: one with least privilege.
        :param max_runtime: ``StoppingCondition.MaxRuntimeInSeconds``, 1 s to 55 min. Default: 15 minutes.
        :param compilation_job_name: ``CompilationJobName``. Default: generated.
        :param framework_version: ``InputConfig.FrameworkVersion``. Default: none.
        :param compiler_options: ``OutputConfig.CompilerOptions`` (mapping or JSON string). Default: none.
        :param vpc_subnets: ``VpcConfig.Subnets`` (with ``security_groups``). Default: no VPC.
        :param security_groups: ``VpcConfig.SecurityGroupIds``. Default: no VPC.
        :param kms_key: ``OutputConfig.KmsKeyId`` for the artifacts. Default: the bucket's encryption.
        :param removal_policy: DESTROY stops and deletes the job on delete; RETAIN leaves it
            (SNAPSHOT is rejected). Default: DESTROY.
        :param stack_outputs: add CfnOutputs for the ARN and the artifact URI. Default: True.
        """
        super().__init__(scope, construct_id)
        stack = scope if isinstance(scope, Stack) else Stack.of(self)
        path = self.node.path
        problems = Problems(f"CompilationJob {path}")

        fw = self._framework(problems, framework)
        device = self._device(problems, target_device, target_platform)
        self._check_platform(problems, target_platform)
        coreml = device is not None and device.name == "coreml"
        parsed_inputs = None
        if data_input_config is not None and not contains_token(data_input_config):
            parsed_inputs = _check_data_input_config(problems, data_input_config, fw, coreml)
        elif data_input_config is None and fw is not None and model.kind != "model_package":
            needs = fw in NEEDS_DATA_INPUT_CONFIG or (
                fw is Framework.PYTORCH and not _framework_version_at_least_2(framework_version)
            )
            if needs:
                rule = (
                    "is required for "
                    + fw.value
                    + (" unless framework_version is 2.0 or newer" if fw is Framework.PYTORCH else "")
                )
                problems.add("data_input_config", None, rule)
        if compilation_job_name is not None:
            problems.check_pattern(
                "compilation_job_name",
                compilation_job_name,
                _naming.COMPILATION_JOB_NAME_PATTERN.pattern[1:-1],
                "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} (1 to 63 letters, digits and hyphens)",
            )
        problems.check_pattern("framework_version", framework_version, r"[0-9]\.[A-Za-z0-9.]+", "[0-9].[A-Za-z0-9.]+")
        problems.check_length("framework_version", framework_version, 3, 10)
        rendered_options = self._compiler_options(problems, compiler_options)
        runtime_seconds = (
            self._check_runtime(problems, max_runtime) if max_runtime is not None else DEFAULT_MAX_RUNTIME_SECONDS
        )
        self._check_vpc(problems, vpc_subnets, security_groups)
        if removal_policy is RemovalPolicy.SNAPSHOT:
            # CloudFormation supports DeletionPolicy Snapshot only for resources with snapshots.
            problems.add("removal_policy", "SNAPSHOT", "must be DESTROY or RETAIN (a compilation job has no snapshot)")
        for prop, value, rule in model.problems():
            problems.add(prop, value, rule)
        problems.raise_if_any()

        if fw is Framework.XGBOOST and data_input_config is not None:
            Annotations.of(self).add_warning_v2(
                "sagemaker-constructs:xgboostDataInput",
                "data_input_config is not used for XGBOOST models; SageMaker ignores it",
            )
        _layout_warnings(self, parsed_inputs, fw)
        if model.kind == "model_package" and (data_input_config is not None or framework_version is not None):
            Annotations.of(self).add_warning_v2(
                "sagemaker-constructs:modelPackageInputIgnored",
                "data_input_config and framework_version are not sent with a model package: "
                "SageMaker takes the input configuration from the model package version",
            )

        self.output_bucket = output_bucket
        self.output_prefix = output_prefix
        self.kms_key = kms_key
        self._handler = handler = handler_for(
            stack, "compilation_job", "sagemaker-constructs: SageMaker Neo compilation jobs"
        )
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SageMaker Neo compilation job role (sagemaker-constructs)",
        )
        binding = model.bind(
            self,
            role=self.role,
            staging_bucket=output_bucket,
            staging_prefix=output_prefix,
            handler=self._handler,
        )

        input_config: dict[str, Any] = {}
        if binding.model_package_arn is None:
            input_config = {"Framework": fw.value if fw is not None else framework}
            if binding.s3_uri is not None:
                input_config["S3Uri"] = binding.s3_uri
            if data_input_config is not None:
                input_config["DataInputConfig"] = (
                    data_input_config
                    if isinstance(data_input_config, str)
                    else json.dumps(
                        parsed_inputs if parsed_inputs is not None else data_input_config, separators=(",", ":")
                    )
                )
            if framework_version is not None:
                input_config["FrameworkVersion"] = framework_version
        output_config: dict[str, Any] = {}
        if device is not None:
            output_config["TargetDevice"] = device.name
        if target_platform is not None:
            output_config["TargetPlatform"] = target_platform.to_api()
        if rendered_options is not None:
            output_config["CompilerOptions"] = rendered_options
        if kms_key is not None:
            output_config["KmsKeyId"] = kms_key.key_arn
        base_location = f"s3://{handler.bucket_name(output_bucket)}/{output_prefix}"

        properties: dict[str, Any] = {_wire.ROLE_ARN: handler.role_arn(self.role)}
        if binding.model_package_arn is not None:
            properties[_wire.MODEL_PACKAGE_VERSION_ARN] = binding.model_package_arn
        if input_config:
            properties[_wire.INPUT_CONFIG] = input_config
        properties[_wire.OUTPUT_CONFIG] = {**output_config, "S3OutputLocation": base_location}
        properties[_wire.STOPPING_CONDITION] = {"MaxRuntimeInSeconds": runtime_seconds}
        if vpc_subnets:
            properties[_wire.VPC_CONFIG] = {
                "Subnets": [subnet.subnet_id for subnet in vpc_subnets],
                "SecurityGroupIds": [group.security_group_id for group in security_groups or []],
            }
        options: dict[str, Any] = {}
        if binding.stage_from is not None:
            options[_wire.OPT_STAGE_MODEL_FROM] = binding.stage_from
        if binding.deploy_time_source is not None:
            options[_wire.OPT_MODEL_SOURCE] = _wire.encode_model_source(binding.deploy_time_source)

        if compilation_job_name is not None:
            name = compilation_job_name
            options[_wire.OPT_EXPLICIT_NAME] = "true"
        else:
            name = _naming.generated_name(
                handler.stack_name,
                _resource.relative_path(path, handler.stack_path),
                stack.resolve({"p": properties, "o": options, "v": binding.version, "i": binding.identity}),
            )
        self.compilation_job_name = name
        self.artifacts_prefix = f"{output_prefix}{name}/"
        properties[_wire.OUTPUT_CONFIG]["S3OutputLocation"] = f"{base_location}{name}/"
        properties = {_wire.COMPILATION_JOB_NAME: name, **properties}
        if options:
            properties[_wire.OPTIONS] = options

        self._grant_job_role(role is None, output_bucket, kms_key, vpc_subnets is not None, compilation_job_name)
        self._grant_handler(name, compilation_job_name is not None, kms_key, binding.stage_from is not None)

        self.tags = TagManager(TagType.KEY_VALUE, _wire.COMPILATION_JOB_RESOURCE_TYPE, None, tag_property_name="Tags")
        properties[_wire.TAGS] = self.tags.rendered_tags
        service_timeout = min(SERVICE_TIMEOUT_MAX_SECONDS, runtime_seconds + SERVICE_TIMEOUT_MARGIN_SECONDS)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=handler.memo("function-arn", lambda: handler.function.function_arn),
            resource_type=_wire.COMPILATION_JOB_RESOURCE_TYPE,
            properties=properties,
            removal_policy=removal_policy,
            service_timeout=handler.memo(("timeout", service_timeout), lambda: Duration.seconds(service_timeout)),
        )
        # The job needs its role's policies (model read, output write) and the
        # handler's polling policy in place before the handler starts it.
        if role is None:
            self.resource.node.add_dependency(self._polling_policy, self.role)
        else:
            self.resource.node.add_dependency(handler.ready_after(self.role, name))
        if stack_outputs:
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

    # --- attributes (GetAtt tokens, made on first use) ------------------------------
    @property
    def compilation_job_arn(self) -> str:
        """GetAtt ``CompilationJobArn``."""
        return self._attribute(_wire.ATTR_COMPILATION_JOB_ARN)

    @property
    def model_artifacts_s3_uri(self) -> str:
        """GetAtt ``S3ModelArtifacts``: the compiled artifact."""
        return self._attribute(_wire.ATTR_S3_MODEL_ARTIFACTS)

    @property
    def compilation_job_status(self) -> str:
        """GetAtt ``CompilationJobStatus``."""
        return self._attribute(_wire.ATTR_COMPILATION_JOB_STATUS)

    @property
    def inference_image(self) -> str:
        """GetAtt ``InferenceImage``: the Neo serving image for ``ml_*`` targets, empty otherwise."""
        return self._attribute(_wire.ATTR_INFERENCE_IMAGE)

    @property
    def source_training_job_name(self) -> str:
        """GetAtt ``SourceTrainingJobName`` (training-job sources; empty otherwise)."""
        return self._attribute(_wire.ATTR_SOURCE_TRAINING_JOB_NAME)

    @property
    def source_model_s3_uri(self) -> str:
        """GetAtt ``SourceModelS3Uri`` (training-job sources; empty otherwise)."""
        return self._attribute(_wire.ATTR_SOURCE_MODEL_S3_URI)

    def _attribute(self, name: str) -> str:
        cache: dict[str, str] = self.__dict__.setdefault("_attributes", {})
        if name not in cache:
            cache[name] = self.resource.get_att_string(name)
        return cache[name]

    # --- ITaggableV2 -------------------------------------------------------------
    @property
    def cdk_tag_manager(self) -> TagManager:
        return self.tags

    # --- grants ------------------------------------------------------------------
    def grant_read_artifacts(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read access to this job's compiled artifacts: GetObject on its prefix,
        ListBucket only below that prefix, and decrypt with the bucket's key.
        (``bucket.grant_read`` would let the grantee list the whole bucket.)"""
        objects = f"{self.artifacts_prefix}*"
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["s3:GetObject", "s3:GetObjectVersion"],
            resource_arns=[self.output_bucket.arn_for_objects(objects)],
        )
        if isinstance(grantee, Construct):
            _nag.acknowledge_wildcard_resource(
                grantee,
                self.output_bucket.arn_for_objects(objects),
                f"Read of the compiled artifacts of job {self.compilation_job_name} only: SageMaker Neo "
                "names the artifact object below the job's own prefix, so the grant names that prefix.",
            )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:ListBucket"],
                resource_arns=[self.output_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [objects]}},
            )
        )
        if self.output_bucket.encryption_key is not None:
            grant = grant.combine(self.output_bucket.encryption_key.grant_decrypt(grantee))
        if self.kms_key is not None:
            # The artifacts are encrypted with OutputConfig.KmsKeyId.
            grant = grant.combine(self.kms_key.grant_decrypt(grantee))
        return grant

    @staticmethod
    def from_compilation_job_name(scope: Construct, construct_id: str, name: str) -> ICompilationJob:
        """An existing job. Its artifact URI is read at deploy time with
        DescribeCompilationJob (through ``AwsCustomResource``), on first use."""
        return _ImportedCompilationJob(scope, construct_id, name)

    # --- internals -----------------------------------------------------------------
    @staticmethod
    def _framework(problems: Problems, framework: Framework | str) -> Framework | None:
        if is_token(framework):
            return None  # checked by SageMaker at deploy time
        try:
            return Framework(framework)
        except ValueError:
            problems.add("framework", framework, f"must be one of {', '.join(f.value for f in Framework)}")
            return None

    @staticmethod
    def _device(
        problems: Problems, device: TargetDevice | str | None, platform: TargetPlatform | None
    ) -> TargetDevice | None:
        if (device is None) == (platform is None):
            problems.add(
                "target_device/target_platform",
                {"target_device": str(device) if device else None, "target_platform": platform},
                "exactly one of the two must be given",
            )
        if device is None:
            return None
        if isinstance(device, str):
            if is_token(device):
                return TargetDevice.of(device)
            if device not in TargetDevice.KNOWN:
                problems.add(
                    "target_device", device, "must be a known device; use TargetDevice.of(name) for a newer one"
                )
                return None
            return TargetDevice(device)
        return device

    @staticmethod
    def _check_platform(problems: Problems, platform: TargetPlatform | None) -> None:
        if platform is None:
            return
        checks: list[tuple[str, Any, type[Any]]] = [
            ("target_platform.os", platform.os, TargetPlatformOs),
            ("target_platform.arch", platform.arch, TargetPlatformArch),
        ]
        if platform.accelerator is not None:
            checks.append(("target_platform.accelerator", platform.accelerator, TargetPlatformAccelerator))
        for prop, value, enum in checks:
            if is_token(value):
                continue
            try:
                enum(value)
            except ValueError:
                problems.add(prop, value, f"must be one of {', '.join(m.value for m in enum)}")

    @staticmethod
    def _compiler_options(problems: Problems, options: Mapping[str, Any] | str | None) -> str | None:
        if options is None:
            return None
        rendered = options if isinstance(options, str) else json.dumps(dict(options), separators=(",", ":"))
        problems.check_length("compiler_options", rendered, 3, 1024)
        return rendered

    @staticmethod
    def _check_runtime(problems: Problems, runtime: Duration) -> int:
        """Check ``max_runtime``; return it in whole seconds."""
        # to_seconds() raises on a fraction of a second: measure in milliseconds.
        millis = runtime.to_milliseconds()
        seconds = millis / 1000
        if seconds < 1:
            problems.add("max_runtime", f"{seconds:g} s", "must be at least 1 second")
        elif seconds > MAX_RUNTIME_LIMIT_SECONDS:
            problems.add(
                "max_runtime",
                f"{seconds:g} s",
                "must be at most 55 minutes: CloudFormation waits at most one hour for a custom "
                "resource (ServiceTimeout), and the handler needs the rest to stop the job and answer",
            )
        elif millis % 1000:
            problems.add("max_runtime", f"{seconds:g} s", "must be a whole number of seconds")
        return int(seconds)

    @staticmethod
    def _check_vpc(
        problems: Problems,
        subnets: Sequence[ec2.ISubnet] | None,
        groups: Sequence[ec2.ISecurityGroup] | None,
    ) -> None:
        if (subnets is None) != (groups is None):
            problems.add("vpc_subnets/security_groups", None, "must be given together")
            return
        if subnets is not None and not 1 <= len(subnets) <= 16:
            problems.add("vpc_subnets", len(subnets), "must hold 1 to 16 subnets")
        if groups is not None and not 1 <= len(groups) <= 5:
            problems.add("security_groups", len(groups), "must hold 1 to 5 security groups")

    def _grant_job_role(
        self, created: bool, bucket: s3.IBucket, key: kms.IKey | None, vpc: bool, explicit_name: str | None
    ) -> None:
        # A given role gets the same grants on the model (ModelSource.bind), the
        # output prefix and the key as a created one (an immutable role ignores them).
        handler = self._handler
        if key is not None and handler.once("job-key", self.role, key):
            # Read the model and write the artifacts with OutputConfig.KmsKeyId: the data-key
            # actions S3 and SageMaker use, not kms:ReEncrypt* or kms:GenerateDataKey*.
            key.grant(self.role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
        if created or explicit_name is not None:
            pattern = f"{self.artifacts_prefix}*"
            reason = (
                "SageMaker Neo writes the compiled artifact below this job's own output prefix, under an "
                "object name it chooses (<model>-<target>.tar.gz); PutObject covers that one job's prefix only."
            )
        elif handler.once("job-output", self.role, bucket, self.output_prefix):
            # A role shared by many jobs: one statement for all their generated names,
            # instead of one per job (each name starts with the stack prefix).
            pattern = f"{self.output_prefix}{_naming.stack_prefix(handler.stack_name)}*"
            reason = (
                "Jobs sharing this role write their compiled artifacts below <output_prefix><job name>/; "
                "every generated job name starts with this stack's prefix, so the pattern covers exactly "
                "the output prefixes of this stack's jobs."
            )
        else:
            pattern = ""
        if pattern:
            grant_object_write(self.role, bucket, pattern, handler)
            _nag.acknowledge_wildcard_resource(self.role, bucket.arn_for_objects(pattern), reason)
        if not created:
            return
        stack = Stack.of(self)
        log_streams = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws/sagemaker/CompilationJobs:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[
                    stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="/aws/sagemaker/CompilationJobs",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    ),
                    log_streams,
                ],
            )
        )
        _nag.acknowledge_wildcard_resource(
            self.role,
            log_streams,
            "The log streams SageMaker creates, and names, for compilation jobs in its own log group "
            "/aws/sagemaker/CompilationJobs; no other log group is writable.",
        )
        # PutMetricData has no resource type in IAM; the namespace condition scopes it.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "AWS/SageMaker"}},
            )
        )
        if vpc:
            # The ENI actions SageMaker needs in a VPC (from the SageMaker VPC
            # documentation); the Describe* actions cannot be resource-scoped.
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                    ],
                    resources=["*"],
                )
            )
        _nag.acknowledge_wildcard_resource(
            self.role,
            "*",
            "cloudwatch:PutMetricData has no resource type in IAM, so it needs Resource *; the condition "
            "cloudwatch:namespace = AWS/SageMaker limits it to SageMaker's metrics."
            + (
                " In a VPC, the EC2 Describe* actions SageMaker needs have no resource type either, and the "
                "network-interface actions act on interfaces SageMaker creates with generated ids."
                if vpc
                else ""
            ),
        )

    def _grant_handler(self, name: str, explicit: bool, key: kms.IKey | None, staged: bool) -> None:
        actions = [
            "sagemaker:CreateCompilationJob",
            "sagemaker:DescribeCompilationJob",
            "sagemaker:StopCompilationJob",
            "sagemaker:DeleteCompilationJob",
            "sagemaker:AddTags",
            "sagemaker:DeleteTags",
            "sagemaker:ListTags",
        ]
        self._handler.allow_on_names(
            "compilation-job",
            actions,
            name if explicit else None,
            "The handler acts only on compilation jobs whose names it generates; every such name starts "
            "with this stack's prefix and ends in a per-job hash, so the pattern names this stack's jobs "
            "and no job of another stack (see the naming scheme in the README).",
        )
        self._handler.allow_pass_role(self.role)
        if key is not None and staged and self._handler.once("staging-key", key):
            # Copying the model asset to its staged key with SSE-KMS (multipart copies need Decrypt).
            key.grant(self._handler.role, "kms:Decrypt", "kms:GenerateDataKey")
        self._polling_policy = self._handler.allow_polling()


class _ImportedCompilationJob(Construct):
    def __init__(self, scope: Construct, construct_id: str, name: str) -> None:
        super().__init__(scope, construct_id)
        self.compilation_job_name = name
        self.compilation_job_arn = Stack.of(self).format_arn(
            service="sagemaker", resource="compilation-job", resource_name=name if is_token(name) else name.lower()
        )
        self._lookup: cr.AwsCustomResource | None = None

    @property
    def model_artifacts_s3_uri(self) -> str:
        if self._lookup is None:
            call = cr.AwsSdkCall(
                service="SageMaker",
                action="describeCompilationJob",
                parameters={"CompilationJobName": self.compilation_job_name},
                physical_resource_id=cr.PhysicalResourceId.of(self.compilation_job_name),
                output_paths=["ModelArtifacts.S3ModelArtifacts"],
            )
            self._lookup = cr.AwsCustomResource(
                self,
                "Describe",
                on_create=call,
                on_update=call,
                policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[self.compilation_job_arn]),
                install_latest_aws_sdk=False,
            )
        return self._lookup.get_response_field("ModelArtifacts.S3ModelArtifacts")
