"""The IAM of a flow definition, in one place: what its flow role may do, what
the stack's handler may do for it, and who may start human loops."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

from .. import _nag, _wire
from .._handler import HandlerActions, HandlerFunction
from .props import FlowDefinitionProps, split_output_uri

HANDLER_ACTIONS = HandlerActions(
    *_wire.FLOW_DEFINITION.handler_actions(),
    create_reason="The handler creates only flow definitions whose names it generates (every such name starts "
    "with this stack's prefix and ends in a per-definition hash) or the exact explicit names of this app, and "
    "only with this stack's ownership tags in the request (aws:RequestTag condition).",
    every_reason="Delete, AddTags and DeleteTags apply only to flow definitions that carry this stack's "
    "sagemaker-constructs:stack-id tag (aws:ResourceTag condition), whatever their name, so that a rename or "
    "removal can clean up a name the app no longer holds; Describe and ListTags are read only, because a name "
    "that does not exist or is another stack's has no tag to match.",
)


def grant_flow_role(role: iam.IRole, props: FlowDefinitionProps, *, created: bool) -> None:
    """The A2I documentation's sample policy: GetObject on the input, PutObject on the
    output, and the output KMS key. Nothing managed. A role you pass gets only the key."""
    key = props.get("kms_key")
    if key is not None:
        # The data-key actions S3 uses for the results, not kms:ReEncrypt* or kms:GenerateDataKey*.
        key.grant(role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
    if not created:
        return
    output_objects = _output_objects(props)
    role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[output_objects]))
    _nag.acknowledge_wildcard_resource(
        role,
        output_objects,
        "Augmented AI writes each human loop's results below the flow definition's output path, under "
        "object names it chooses (<flow>/<date>/<loop>/output.json); PutObject covers that prefix only.",
    )
    bucket = props.get("output_bucket")
    if bucket is not None and bucket.encryption_key is not None and key is None:
        bucket.encryption_key.grant(role, "kms:Encrypt", "kms:GenerateDataKey")
    input_buckets = props.get("input_buckets") or []
    if input_buckets:
        readable = [b.arn_for_objects("*") for b in input_buckets]
        role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=readable))
    for input_bucket in input_buckets:
        if input_bucket.encryption_key is not None:
            input_bucket.encryption_key.grant_decrypt(role)


def _output_objects(props: FlowDefinitionProps) -> str:
    """The output objects' ARN pattern, for both ``output_bucket`` and each URI style
    ``output_s3_uri`` may have (validation has made sure it is one of them)."""
    bucket = props.get("output_bucket")
    if bucket is not None:
        return bucket.arn_for_objects(f"{props.get('output_prefix', '')}*")
    split = split_output_uri(str(props.get("output_s3_uri")))
    assert split is not None
    return f"arn:{Aws.PARTITION}:s3:::{split[0]}/{split[1]}*"


def grant_handler(handler: HandlerFunction, role_arn: str, explicit_name: str | None) -> None:
    """The stack's handler: the flow-definition actions (creating this stack's names and an
    explicit one; deleting and tagging what this stack owns), and passing the flow role
    to SageMaker."""
    handler.allow_resource_type(HANDLER_ACTIONS, explicit_name)
    handler.allow_pass_role(role_arn)


def grant_start_human_loop(grantee: iam.IGrantable, flow_definition_arn: str) -> iam.Grant:
    return iam.Grant.add_to_principal(
        grantee=grantee, actions=["sagemaker:StartHumanLoop"], resource_arns=[flow_definition_arn]
    )
