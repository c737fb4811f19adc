"""The skeleton both resource constructs follow, in one place (as aws-cdk's
``TaskStateBase`` is for ``create-training-job.ts`` and the other SageMaker tasks).

:class:`ResourceConstruct` runs the steps in order: owner, checks, handler, the
construct's own attributes and role, bind, render, name, grant, resource, order,
outputs, the stack's limits. Each construct (``compilation_job/construct.py``,
``flow_definition/construct.py``) declares its kind (:mod:`._wire`) and writes its own steps; what every kind does the
same way around its custom resource is in :mod:`._resource`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from aws_cdk import CustomResource, Duration, RemovalPolicy, TagManager
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _limits, _resource, _wire
from ._handler import handler_for
from ._validation import Problem

P = TypeVar("P", bound=Mapping[str, Any])


class ResourceConstruct(Construct, Generic[P]):
    """A custom resource of one declared kind, served by the stack's handler for that kind.

    Subclasses set the class attributes and write the steps marked "this kind's own"."""

    declared: ClassVar[_wire.Declaration]
    props_type: ClassVar[Any]  # the props TypedDict (types are checked against it)
    type_hints: ClassVar[Mapping[Any, str]]  # how a TypeError names each expected type
    role_description: ClassVar[str]  # of a role the construct creates

    role: iam.IRole
    tags: TagManager
    resource: CustomResource

    def __init__(self, scope: Construct, construct_id: str, props: P) -> None:
        declared = self.declared
        owner = _resource.Owner(declared.api_noun, scope, construct_id)
        names = _resource.check_before_construction(
            owner,
            props,
            self.props_type,
            self.type_hints,
            self._problems,
            declared.resource_type,
            declared.name_prop,
            in_scope=self._in_scope,
        )
        handler = handler_for(scope, declared)
        super().__init__(scope, construct_id)
        self._handler = handler
        _resource.add_warnings(self, [*self._warnings(props), *names.warnings])
        self._take(props)
        self.role = props.get("role") or self._create_role()
        binding = self._bind(props)
        properties = self._render(props, binding)
        explicit = props.get(declared.name_prop)
        name = _resource.resource_name(
            self, handler, owner, declared.resource_type, explicit, self._name_identity(properties, binding, props)
        )
        self._named(name)
        self._grant(props, binding, properties)
        self.tags = _resource.resource_tags(declared.resource_type)
        self.resource = _resource.create_custom_resource(
            self,
            owner=owner,
            handler=handler,
            resource_type=declared.resource_type,
            properties=self._with_name(properties, name, explicit=explicit is not None),
            tags=self.tags,
            removal_policy=props.get("removal_policy", RemovalPolicy.DESTROY),
            service_timeout=self._service_timeout(properties),
        )
        self._created()
        self._order(props)
        if props.get("stack_outputs", True):
            self._add_outputs()
        _limits.register(self, handler, declared.api_noun, outputs=self._outputs(props), shared_role=props.get("role"))

    def _create_role(self) -> iam.Role:
        return iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=self.role_description,
        )

    # --- this kind's own steps ---------------------------------------------------------
    @classmethod
    def _problems(cls, props: Any) -> list[Problem]:
        """Every problem of the props (before the construct is added to the tree)."""
        raise NotImplementedError

    @classmethod
    def _in_scope(cls, scope: Any, props: Any) -> list[Problem]:
        """The problems that depend on the stack (its region and account), before the construct is added."""
        return []

    @staticmethod
    def _outputs(props: Any) -> int:
        """How many stack outputs :meth:`_add_outputs` adds (counted against the stack's limit)."""
        return 0

    def _warnings(self, props: P) -> list[tuple[str, str]]:
        """(id, message) of each acknowledgeable warning the props deserve."""
        return []

    def _take(self, props: P) -> None:
        """The construct's own attributes, from the validated props (before the role)."""

    def _bind(self, props: P) -> Any:
        """What the resource's inputs contribute (a model source's binding); None by default."""
        return None

    def _render(self, props: P, binding: Any) -> dict[str, Any]:
        """Every property except the name and the tags."""
        raise NotImplementedError

    def _name_identity(self, properties: dict[str, Any], binding: Any, props: P) -> Any:
        """What a generated name hashes."""
        raise NotImplementedError

    def _named(self, name: str) -> None:
        """The resource's name is known (explicit or generated)."""

    def _grant(self, props: P, binding: Any, properties: dict[str, Any]) -> None:
        """The IAM of the resource's role and of the handler."""
        raise NotImplementedError

    def _with_name(self, properties: dict[str, Any], name: str, explicit: bool) -> dict[str, Any]:
        raise NotImplementedError

    def _service_timeout(self, properties: dict[str, Any]) -> Duration:
        return Duration.seconds(self.declared.default_service_timeout)

    def _created(self) -> None:
        """The custom resource exists (attributes from it)."""

    def _order(self, props: P) -> None:
        """What the resource must be created after (its role's policies, the handler's)."""

    def _add_outputs(self) -> None:
        """The stack outputs (``stack_outputs``, on by default)."""
