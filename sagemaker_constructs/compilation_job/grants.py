"""The IAM of a compilation job, in one place: what its job role may do,
what the stack's handler may do for it, and who may read its artifacts."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .. import _nag, _wire
from .._handler import HandlerActions, HandlerFunction
from ..model_source import grant_object_write

HANDLER_ACTIONS = HandlerActions(
    *_wire.COMPILATION_JOB.handler_actions(),
    create_reason="The handler creates only compilation jobs whose names it generates (every such name starts "
    "with this stack's prefix and ends in a per-job hash) or the exact explicit names of this app, and only "
    "with this stack's ownership tags in the request (aws:RequestTag condition).",
    every_reason="Stop, Delete, AddTags and DeleteTags apply only to compilation jobs that carry this stack's "
    "sagemaker-constructs:stack-id tag (aws:ResourceTag condition), whatever their name, so that a rename or "
    "removal can clean up a name the app no longer holds; Describe and ListTags are read only, because a name "
    "that does not exist or is another stack's has no tag to match.",
)
LOG_GROUP = "/aws/sagemaker/CompilationJobs"
# The ENI actions SageMaker needs in a VPC (from the SageMaker VPC documentation).
VPC_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
]


@dataclass(frozen=True)
class JobOutput:
    """Where one job writes: its bucket, its ``<output_prefix><name>/`` prefix and the keys involved."""

    bucket: s3.IBucket
    output_prefix: str
    artifacts_prefix: str
    kms_key: kms.IKey | None


def grant_job_role(
    scope: Construct,
    role: iam.IRole,
    output: JobOutput,
    handler: HandlerFunction,
    *,
    created: bool,
    own_prefix: bool,
    vpc: bool,
) -> None:
    """The job role: write its artifacts, use the output key; a role the construct
    created also writes SageMaker's logs and metrics, and uses ENIs in a VPC.
    (Read on the model is the model source's grant, made when it is bound.)"""
    if output.kms_key is not None:
        # Read the model and write the artifacts with OutputConfig.KmsKeyId: the data-key
        # actions S3 and SageMaker use, not kms:ReEncrypt* or kms:GenerateDataKey*.
        output.kms_key.grant(role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
    if own_prefix:
        _allow_output(
            role,
            output.bucket,
            f"{output.artifacts_prefix}*",
            "SageMaker Neo writes the compiled artifact below this job's own output prefix, under an "
            "object name it chooses (<model>-<target>.tar.gz); PutObject covers that one job's prefix only.",
        )
    elif handler.first_time("job-output", role, output.bucket, output.output_prefix):
        # A role shared by many jobs: one statement for all their generated names,
        # instead of one per job (each name starts with the stack prefix).
        _allow_output(
            role,
            output.bucket,
            f"{output.output_prefix}{handler.name_prefix}*",
            "Jobs sharing this role write their compiled artifacts below <output_prefix><job name>/; "
            "every generated job name starts with this stack's prefix, so the pattern covers exactly "
            "the output prefixes of this stack's jobs.",
        )
    if created:
        grant_created_role(scope, role, vpc=vpc)


def grant_created_role(scope: Construct, role: iam.IRole, *, vpc: bool) -> None:
    """What a job role this library creates may do besides S3 and KMS: SageMaker's logs and
    metrics, and ENIs in a VPC (a job's own role, or the one role of a CompilationMatrix)."""
    _allow_logs_and_metrics(scope, role)
    if vpc:
        _allow_vpc(role)
    _acknowledge_unscoped(role, vpc)


def _allow_output(role: iam.IRole, bucket: s3.IBucket, pattern: str, reason: str) -> None:
    grant_object_write(role, bucket, pattern)
    _nag.acknowledge_wildcard_resource(role, bucket.arn_for_objects(pattern), reason)


def _allow_logs_and_metrics(scope: Construct, role: iam.IRole) -> None:
    stack = Stack.of(scope)
    log_group, log_streams = (
        stack.format_arn(
            service="logs", resource="log-group", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        for name in (LOG_GROUP, f"{LOG_GROUP}:*")
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[log_group, log_streams],
        )
    )
    _nag.acknowledge_wildcard_resource(
        role,
        log_streams,
        "The log streams SageMaker creates, and names, for compilation jobs in its own log group "
        f"{LOG_GROUP}; no other log group is writable.",
    )
    # PutMetricData has no resource type in IAM; the namespace condition scopes it.
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": "AWS/SageMaker"}},
        )
    )


def _allow_vpc(role: iam.IRole) -> None:
    """The ENI actions a job in a VPC needs (a role the construct created)."""
    # The Describe* actions have no resource type in IAM, and the network-interface
    # actions act on interfaces SageMaker creates with generated ids: Resource "*".
    role.add_to_principal_policy(iam.PolicyStatement(actions=VPC_ACTIONS, resources=["*"]))


def _acknowledge_unscoped(role: iam.IRole, vpc: bool) -> None:
    _nag.acknowledge_wildcard_resource(
        role,
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


def grant_handler(
    handler: HandlerFunction, role_arn: str, explicit_name: str | None, kms_key: kms.IKey | None, staged: bool
) -> None:
    """The stack's handler: the job actions (creating this stack's job names and an explicit
    one; stopping, deleting and tagging what this stack owns), passing the job role to
    SageMaker, and the key of a staged model copy."""
    handler.allow_resource_type(HANDLER_ACTIONS, explicit_name)
    handler.allow_pass_role(role_arn)
    if kms_key is not None and staged:
        # Copying the model asset to its staged key with SSE-KMS (multipart copies need Decrypt).
        kms_key.grant(handler.role, "kms:Decrypt", "kms:GenerateDataKey")


# --- reading the artifacts ----------------------------------------------------------------
@dataclass(frozen=True)
class Artifacts:
    """What a reader of a job's artifacts needs, as far as it is known at synth time."""

    objects: str  # ARN pattern of the artifact objects
    bucket: s3.IBucket | None = None  # known: ListBucket below the prefix
    prefix_pattern: str | None = None
    keys: tuple[kms.IKey, ...] = ()
    acknowledge: str | None = None  # the reason for the wildcard, when it is this library's to give


def grant_read_artifacts(grantee: iam.IGrantable, artifacts: Artifacts) -> iam.Grant:
    """GetObject on the artifacts prefix, ListBucket only below it, and decrypt
    with the keys. (``bucket.grant_read`` would let the grantee list the whole bucket.)"""
    grant = iam.Grant.add_to_principal(
        grantee=grantee, actions=["s3:GetObject", "s3:GetObjectVersion"], resource_arns=[artifacts.objects]
    )
    if artifacts.acknowledge and isinstance(grantee, Construct):
        _nag.acknowledge_wildcard_resource(grantee, artifacts.objects, artifacts.acknowledge)
    if artifacts.bucket is not None and artifacts.prefix_pattern is not None:
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:ListBucket"],
                resource_arns=[artifacts.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [artifacts.prefix_pattern]}},
            )
        )
    for key in artifacts.keys:
        grant = grant.combine(key.grant_decrypt(grantee))
    return grant


def keys_of(bucket: s3.IBucket, kms_key: kms.IKey | None) -> tuple[kms.IKey, ...]:
    """The keys that readers of a job's artifacts decrypt with: the bucket's and the job's."""
    return tuple(key for key in (bucket.encryption_key, kms_key) if key is not None)


def artifacts_in(bucket: s3.IBucket, artifacts_prefix: str, kms_key: kms.IKey | None, job_name: str) -> Artifacts:
    """The artifacts of a job whose bucket and prefix are known."""
    pattern = f"{artifacts_prefix}*"
    keys = keys_of(bucket, kms_key)
    return Artifacts(
        objects=bucket.arn_for_objects(pattern),
        bucket=bucket,
        prefix_pattern=pattern,
        keys=keys,
        acknowledge=f"Read of the compiled artifacts of job {job_name} only: SageMaker Neo names the artifact "
        "object below the job's own prefix, so the grant names that prefix.",
    )
