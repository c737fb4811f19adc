"""What both constructs do the same way around their custom resource: the
generated name, explicit names that must be unique, user tags, and the
``CustomResource`` itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import (
    Annotations,
    Arn,
    ArnComponents,
    ArnFormat,
    CustomResource,
    Duration,
    RemovalPolicy,
    Stack,
    TagManager,
    TagType,
)
from constructs import Construct, IConstruct, IValidation

from . import _naming, _scope, _tags, _wire
from ._typecheck import check_props
from ._validation import Problem, is_token, raise_if_any

if TYPE_CHECKING:
    from ._handler import HandlerFunction

DUPLICATE_NAME_WARNING = "sagemaker-constructs:duplicateName"
_NAMES_ATTRIBUTE = "_sagemaker_constructs_explicit_names"  # on the app's root object, like handler_for's registry


# --- generated names ------------------------------------------------------------
def naming_stack_name(stack: Stack) -> str:
    """The stack's identity that generated names are derived from (``_naming.stack_prefix``).

    A nested stack's own name is only known at deploy time (a token), so its
    names derive from ``<parent stack name>/<nested stack id>`` instead, which
    is stable, distinct per nested stack, and never a top-level stack's name
    (those have no ``/``)."""
    parts: list[str] = []
    current: Stack | None = stack
    while current is not None and current.nested_stack_parent is not None:
        parts.insert(0, current.node.id)
        current = current.nested_stack_parent
    assert current is not None
    return _naming.NESTED_STACK_SEPARATOR.join([current.stack_name, *parts])


def generated_name(handler: HandlerFunction, scope: IConstruct, construct_id: str, identity: Any) -> str:
    """``<stack prefix><path-part>-<hash>`` over the resolved ``identity`` (every
    property except tags, so tokens hash by what they reference); the path part
    is the path of ``scope``/``construct_id`` below the stack of ``handler``."""
    if scope is handler.stack:
        below = construct_id
    else:
        path, stack_path = f"{scope.node.path}/{construct_id}", handler.stack_path
        below = path[len(stack_path) + 1 :] if stack_path and path.startswith(stack_path + "/") else path
    return _naming.generated_name(handler.naming_stack_name, below, handler.stack.resolve(identity))


# --- explicit names -------------------------------------------------------------
@dataclass(frozen=True)
class _Claim:
    stack: Stack
    path: str


@dataclass
class NameCheck:
    """What an explicit name collides with: errors, and warnings (which can be acknowledged)."""

    problems: list[Problem]
    warnings: list[tuple[str, str]]  # (id, message)


def _deployed_with(stack: Stack) -> Stack:
    """The top-level stack a (nested) stack is deployed with."""
    while stack.nested_stack_parent is not None:
        stack = stack.nested_stack_parent
    return stack


def _concrete_env(stack: Stack) -> tuple[str, str] | None:
    account, region = stack.account, stack.region
    return None if is_token(account) or is_token(region) else (account, region)


def check_explicit_name(scope: IConstruct, resource_type: str, prop: str, name: str | None) -> NameCheck:
    """Names are unique per account and region (compared case-insensitively, as
    SageMaker's ARNs are). Another resource with this name in the same stack, or
    in a stack with the same concrete account and region, is an error; in stacks
    whose environment is only known at deploy time, a warning."""
    check = NameCheck([], [])
    if name is None or is_token(name):
        return check
    stack = Stack.of(scope)
    env = _concrete_env(stack)
    for claim in _claims(scope).get((resource_type, name.lower()), []):
        other_env = _concrete_env(claim.stack)
        if _deployed_with(claim.stack) is _deployed_with(stack):
            check.problems.append(Problem(prop, name, f"must be unique in a stack: {claim.path} has it too"))
        elif env is not None and env == other_env:
            where = f"account {env[0]} and region {env[1]}"
            check.problems.append(Problem(prop, name, f"must be unique in {where}: {claim.path} has it too"))
        elif env is None or other_env is None:
            message = (
                f"{prop} {name!r} is also used by {claim.path}; names are unique per account and region, so "
                "these two cannot be deployed to the same environment"
            )
            check.warnings.append((DUPLICATE_NAME_WARNING, message))
    return check


def claim_explicit_name(construct: Construct, resource_type: str, name: str | None) -> None:
    """Record an explicit name, for :func:`check_explicit_name` of the resources that follow."""
    if name is not None and not is_token(name):
        claim = _Claim(Stack.of(construct), construct.node.path)
        _claims(construct).setdefault((resource_type, name.lower()), []).append(claim)


def _claims(scope: IConstruct) -> dict[tuple[str, str], list[_Claim]]:
    # The root object carries the registry: no module-level cache outlives an app.
    claims: dict[tuple[str, str], list[_Claim]] = scope.node.root.__dict__.setdefault(_NAMES_ATTRIBUTE, {})
    return claims


# --- tags ---------------------------------------------------------------------------
def user_tag_problems(tags: Mapping[str, str]) -> list[str]:
    """What is wrong with a resource's user tags: keys the handler or AWS reserve, too many."""
    found = []
    for key, value in tags.items():
        if is_token(key):
            continue
        if key.startswith(_wire.TAG_PREFIX):
            found.append(
                f"tag {key!r}={value!r}: keys starting with {_wire.TAG_PREFIX!r} are reserved for the "
                "ownership tags the handler sets"
            )
        elif key.lower().startswith("aws:"):
            found.append(f"tag {key!r}={value!r}: keys starting with 'aws:' are reserved by AWS")
    if len(tags) > _wire.MAX_USER_TAGS:
        found.append(
            f"tags: at most {_wire.MAX_USER_TAGS} per resource (SageMaker allows "
            f"{_wire.MAX_TAGS_PER_RESOURCE}, and the handler adds {len(_wire.OWNER_TAG_KEYS)}); got "
            f"{len(tags)}: {', '.join(sorted(tags))}"
        )
    return found


@jsii.implements(IValidation)
class UserTagRules:
    """Checks the user tags of every resource one handler serves. Tags come from
    ``Tags.of(...)``, applied by an aspect late in synthesis, so they are checked
    when the construct tree is validated, after it. One validation per handler,
    not one per resource, and one ``Stack.resolve`` of every resource's rendered
    tags (the ``Tags`` property it already renders), not one ``tag_values()`` per
    resource: one jsii round trip per handler instead of one per resource
    (``python -m bench.synth`` counts them)."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._resources: list[tuple[Owner, Any, str]] = []

    def add(self, owner: Owner, rendered_tags: Any, resource_type: str) -> None:
        """``rendered_tags``: the ``TagManager.rendered_tags`` of ``owner``'s resource."""
        self._resources.append((owner, rendered_tags, resource_type))

    def validate(self) -> list[str]:
        if not self._resources:
            return []
        # Each in a dict of its own: resolving drops an undefined (no tags) from a list.
        resolved = self._stack.resolve([{"Tags": rendered} for _, rendered, _ in self._resources])
        return [
            f"{owner}: {problem}{_TAG_FIX.format(resource_type=resource_type)}"
            for (owner, _, resource_type), tags in zip(self._resources, resolved, strict=True)
            for problem in user_tag_problems(_tag_values(tags.get("Tags")))
        ]


# Tags.of(...).add is applied by an aspect at synth, after construction: a tag added before the
# construct is made is reported with its other problems; one added after can only be reported here.
_TAG_FIX = (
    " (tags from Tags.of(...).add are applied at synth: remove the tag there, or keep it off this construct "
    "with Tags.of(...).add(key, value, exclude_resource_types=[{resource_type!r}]))"
)


def _tag_values(rendered: Any) -> dict[str, Any]:
    """``[{"Key": ..., "Value": ...}]`` as a dict; a key that is a token (resolved to an
    intrinsic) keeps a token's text, so that it is counted and not checked."""
    return {
        tag["Key"] if isinstance(tag["Key"], str) else f"${{Token[{index}]}}": tag["Value"]
        for index, tag in enumerate(rendered or [])
    }


def resource_tags(resource_type: str) -> TagManager:
    """The ``TagManager`` of a resource (rendered as its ``Tags`` property, checked at synth time)."""
    return TagManager(TagType.KEY_VALUE, resource_type, None, tag_property_name=_wire.TAGS)


# --- the custom resource ----------------------------------------------------------
def create_custom_resource(
    scope: Construct,
    *,
    owner: Owner,
    handler: HandlerFunction,
    resource_type: str,
    properties: dict[str, Any],
    tags: TagManager,
    removal_policy: RemovalPolicy,
    service_timeout: Duration,
) -> CustomResource:
    """``Resource``: the custom resource the stack's handler serves; its user tags are
    checked at synth time."""
    handler.add_resource()
    rendered_tags = tags.rendered_tags
    handler.user_tags.add(owner, rendered_tags, resource_type)
    return CustomResource(
        scope,
        "Resource",
        service_token=handler.service_token,
        resource_type=resource_type,
        properties={**properties, _wire.TAGS: rendered_tags},
        removal_policy=removal_policy,
        service_timeout=service_timeout,
    )


# --- construction ---------------------------------------------------------------------
@dataclass(frozen=True)
class Owner:
    """``<kind> <path>``: how messages name a construct before it exists (the
    path is asked for only when a message is written)."""

    kind: str
    scope: IConstruct
    construct_id: str

    def __str__(self) -> str:
        parent = self.scope.node.path
        return f"{self.kind} {parent}/{self.construct_id}" if parent else f"{self.kind} {self.construct_id}"


def add_warnings(construct: IConstruct, warnings: list[tuple[str, str]]) -> None:
    """Each ``(id, message)`` as a warning that ``Annotations.of(construct).acknowledge_warning(id, reason)``
    acknowledges."""
    for warning_id, message in warnings:
        Annotations.of(construct).add_warning_v2(warning_id, message)


# --- imports --------------------------------------------------------------------------
def check_imported_name(method: str, prop: str, name: str, pattern: re.Pattern[str], rule: str) -> None:
    """A name given to an importer matches the service's pattern (a token is used as given)."""
    if not is_token(name) and not pattern.match(name):
        raise ValueError(f"{method}: {prop} {rule} (got {name!r})")


def arn_of(scope: IConstruct, arn_resource: str, name: str) -> str:
    """``arn:<partition>:sagemaker:<region>:<account>:<arn_resource>/<name>``. SageMaker
    lowercases names in ARNs; a token cannot be lowercased at synth time."""
    return Stack.of(scope).format_arn(
        service="sagemaker", resource=arn_resource, resource_name=name if is_token(name) else name.lower()
    )


def name_from_arn(method: str, arn: str, arn_resource: str) -> str:
    """The resource name in a SageMaker ``<arn_resource>/<name>`` ARN; the ARN's parts are
    checked unless it is a token (then the name is a token too)."""
    if is_token(arn):
        return str(Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME).resource_name)
    try:
        parts: ArnComponents | None = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME)
    except RuntimeError:  # jsii: not an ARN at all
        parts = None
    if parts is None or parts.service != "sagemaker" or parts.resource != arn_resource or not parts.resource_name:
        raise ValueError(
            f"{method}: arn must be arn:<partition>:sagemaker:<region>:<account>:{arn_resource}/<name> (got {arn!r})"
        )
    return parts.resource_name


def check_before_construction(
    owner: Owner,
    props: Mapping[str, Any],
    declared: Any,
    hints: Mapping[Any, str],
    validate: Callable[[Any], list[Problem]],
    resource_type: str,
    name_prop: str,
    in_scope: Callable[[IConstruct, Any], list[Problem]] | None = None,
) -> NameCheck:
    """A ``TypeError`` for a wrong type, then one ``ValueError`` for every other problem:
    ``validate(props)``'s, ``in_scope(scope, props)``'s (what depends on the stack: its
    region and account) and an explicit name that is taken. Runs before the construct
    is added to the tree, so a failed construction leaves nothing behind."""
    _scope.check_scope(owner.kind, owner.scope, owner.construct_id)
    check_props(owner, props, declared, hints)
    names = check_explicit_name(owner.scope, resource_type, name_prop, props.get(name_prop))
    in_stack = in_scope(owner.scope, props) if in_scope is not None else []
    tags = _tags.tag_problems(owner.scope, resource_type, user_tag_problems)
    raise_if_any(owner, [*validate(props), *in_stack, *tags, *names.problems])
    return names


def resource_name(
    construct: Construct,
    handler: HandlerFunction,
    owner: Owner,
    resource_type: str,
    explicit: str | None,
    identity: Any,
) -> str:
    """The explicit name, recorded so that no later resource takes it, or one generated from ``identity``."""
    if explicit is not None:
        claim_explicit_name(construct, resource_type, explicit)
        return explicit
    return generated_name(handler, owner.scope, owner.construct_id, identity)
