"""FlowDefinition: an Amazon Augmented AI (A2I) human review workflow, created
during ``cdk deploy``, and imported flow definitions."""

from __future__ import annotations

from typing import Any, Protocol, Unpack

import jsii
from aws_cdk import CfnOutput, CustomResource, ITaggableV2, RemovalPolicy, TagManager
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct, Node

from .. import _resource, _wire
from .._handler import handler_for
from .._typecheck import check_arguments
from . import grants
from .props import TYPE_HINTS, FlowDefinitionProps, validate, warnings
from .request import SERVICE_TIMEOUT, name_identity, render_properties, with_name

KIND = "flow_definition"
HANDLER_DESCRIPTION = "sagemaker-constructs: Augmented AI flow definitions"
RESOURCE_TYPE = _wire.FLOW_DEFINITION_RESOURCE_TYPE
ARN_RESOURCE = "flow-definition"
NAME_RULE = "must match [a-z0-9](-*[a-z0-9]){0,62} (1 to 63 lowercase letters, digits and hyphens)"


class IFlowDefinition(Protocol):
    """A flow definition, created in this app or imported: what another construct,
    in this stack or another, may use."""

    @property
    def node(self) -> Node: ...

    @property
    def flow_definition_name(self) -> str: ...

    @property
    def flow_definition_arn(self) -> str: ...

    def grant_start_human_loop(self, grantee: iam.IGrantable) -> iam.Grant: ...


class _FlowDefinitionBase(Construct):
    flow_definition_arn: str

    def grant_start_human_loop(self, grantee: iam.IGrantable) -> iam.Grant:
        """``sagemaker:StartHumanLoop`` on this flow definition (custom task types)."""
        return grants.grant_start_human_loop(grantee, self.flow_definition_arn)


@jsii.implements(ITaggableV2)
class FlowDefinition(_FlowDefinitionBase):
    """An Amazon Augmented AI flow definition (human review workflow).

    ``FlowDefinition(scope, id, **props)``: the props are
    :class:`~sagemaker_constructs.flow_definition.FlowDefinitionProps` (``help(FlowDefinitionProps)``
    documents each, with its API field and default). A wrong type raises ``TypeError``;
    invalid values raise one ``ValueError`` listing every problem.

    Backed by ``Custom::SageMakerFlowDefinition`` and one handler Lambda per
    stack. The name is generated (``<stack prefix><path>-<hash>``, lowercase)
    unless ``flow_definition_name`` is given. Every property is immutable in
    the API, so any change except tags replaces the flow definition under a new
    name; tags are updated in place.

    Buckets holding what reviewers see need the CORS rule ``INPUT_BUCKET_CORS_RULE``
    (see :mod:`sagemaker_constructs.flow_definition`).

    Attributes:
        flow_definition_name: the name, a plain string known at synth time (a token
            only for a token ``flow_definition_name``).
        flow_definition_arn: GetAtt ``FlowDefinitionArn``.
        flow_definition_status: GetAtt ``FlowDefinitionStatus`` (``Active`` after a deploy).
        role: the role A2I assumes (given, or created with least privilege).
        output_bucket, output_prefix: where the results go, as given.
        resource: the ``CustomResource``.
        tags: the ``TagManager`` (``Tags.of(flow)``; also ``cdk_tag_manager``).
    """

    def __init__(self, scope: Construct, construct_id: str, **props: Unpack[FlowDefinitionProps]) -> None:
        owner = _resource.Owner("FlowDefinition", scope, construct_id)
        names = _resource.check_before_construction(
            owner, props, FlowDefinitionProps, TYPE_HINTS, validate, RESOURCE_TYPE, "flow_definition_name"
        )
        handler = handler_for(scope, KIND, HANDLER_DESCRIPTION)
        super().__init__(scope, construct_id)
        self._handler = handler
        _resource.add_warnings(self, [*warnings(props), *names.warnings])
        self.output_bucket: s3.IBucket | None = props.get("output_bucket")
        self.output_prefix: str = props.get("output_prefix", "")
        self.role: iam.IRole = props.get("role") or self._create_role()
        properties = render_properties(self, props, self.role.role_arn)
        explicit_name = props.get("flow_definition_name")
        self.flow_definition_name: str = _resource.resource_name(
            self, self._handler, owner, RESOURCE_TYPE, explicit_name, name_identity(properties)
        )
        grants.grant_flow_role(self.role, props, created=props.get("role") is None)
        grants.grant_handler(self._handler, properties[_wire.ROLE_ARN], explicit_name)
        self.tags = _resource.resource_tags(owner, self._handler, RESOURCE_TYPE)
        self.resource = self._create_resource(props, properties)
        self.flow_definition_arn = self.resource.get_att_string(_wire.ATTR_FLOW_DEFINITION_ARN)
        if props.get("stack_outputs", True):
            self._add_output()

    def _create_role(self) -> iam.Role:
        return iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Augmented AI flow definition role (sagemaker-constructs)",
        )

    def _create_resource(self, props: FlowDefinitionProps, properties: dict[str, Any]) -> CustomResource:
        explicit = props.get("flow_definition_name") is not None
        resource = _resource.create_custom_resource(
            self,
            handler=self._handler,
            resource_type=RESOURCE_TYPE,
            properties=with_name(properties, self.flow_definition_name, explicit=explicit),
            tags=self.tags,
            removal_policy=props.get("removal_policy", RemovalPolicy.DESTROY),
            service_timeout=SERVICE_TIMEOUT,
        )
        # SageMaker checks the role's policies when it creates the flow definition.
        resource.node.add_dependency(self.role, self._handler.handover_policy)
        return resource

    def _add_output(self) -> None:
        CfnOutput(
            self,
            "FlowDefinitionArnOutput",
            value=self.flow_definition_arn,
            description=f"ARN of flow definition {self.flow_definition_name}",
        )

    @property
    def flow_definition_status(self) -> str:
        """GetAtt ``FlowDefinitionStatus``."""
        return self.resource.get_att_string(_wire.ATTR_FLOW_DEFINITION_STATUS)

    @property
    def cdk_tag_manager(self) -> TagManager:
        """``ITaggableV2``: the same ``TagManager`` as :attr:`tags`."""
        return self.tags

    # --- importers ------------------------------------------------------------------------
    @staticmethod
    def from_flow_definition_name(scope: Construct, construct_id: str, name: str) -> IFlowDefinition:
        """An existing flow definition of this account and region, by name."""
        method = "FlowDefinition.from_flow_definition_name"
        check_arguments(method, FlowDefinition.from_flow_definition_name, name=name)
        _check_name(method, name)
        return _ImportedFlowDefinition(scope, construct_id, name, _resource.arn_of(scope, ARN_RESOURCE, name))

    @staticmethod
    def from_flow_definition_arn(scope: Construct, construct_id: str, arn: str) -> IFlowDefinition:
        """An existing flow definition by ARN
        (``arn:<partition>:sagemaker:<region>:<account>:flow-definition/<name>``)."""
        method = "FlowDefinition.from_flow_definition_arn"
        check_arguments(method, FlowDefinition.from_flow_definition_arn, arn=arn)
        name = _resource.name_from_arn(method, arn, ARN_RESOURCE)
        _check_name(method, name)
        return _ImportedFlowDefinition(scope, construct_id, name, arn)


class _ImportedFlowDefinition(_FlowDefinitionBase):
    def __init__(self, scope: Construct, construct_id: str, name: str, arn: str) -> None:
        super().__init__(scope, construct_id)
        self.flow_definition_name = name
        self.flow_definition_arn = arn


def _check_name(method: str, name: str) -> None:
    _resource.check_imported_name(method, "flow_definition_name", name, _wire.FLOW_DEFINITION_NAME_PATTERN, NAME_RULE)
