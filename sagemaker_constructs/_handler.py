"""The handler Lambda shared by every resource of one kind in a stack.

The asset is bundled locally, without Docker or network, by
:func:`._bundle.bundle_handler` (the handler's own folder, the shared modules,
the wire contract and the installed crhelper package).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import (
    AssetHashType,
    BundlingOptions,
    CfnWaitConditionHandle,
    DockerImage,
    Duration,
    ILocalBundling,
    IStableStringProducer,
    Lazy,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import _nag, _naming, _resource, _wire
from ._bundle import bundle_handler, handler_root
from ._validation import is_token

HANDLER_TIMEOUT = Duration.minutes(15)
# cdk-nag's latest-runtime rule accepts python3.14 with aws-cdk-lib 2.275
# (Runtime.determine_latest_python_runtime still answers 3.13).
HANDLER_RUNTIME = lambda_.Runtime.PYTHON_3_14


@jsii.implements(ILocalBundling)
class _LocalBundler:
    def __init__(self, kind: str) -> None:
        self._kind = kind

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        bundle_handler(self._kind, output_dir)
        return True


class HandlerFunction(Construct):
    """One Lambda per stack and kind, with its own role and log group.

    Holds the statements that grow as resources are added, so that a new
    resource adds resources to an existing statement instead of a new one.

    No memo caches of jsii values: what is per stack is asked of jsii once, as
    attributes (``stack_path``, ``naming_stack_name``, ``name_prefix``,
    ``service_token``), a grant many resources share is made once
    (:meth:`first_time`), and a statement many resources share is made once and
    grown (:meth:`statement`). Per added job (``python -m bench.synth`` counts them):
    13 jsii round trips, against 11 for the same custom resources behind one CDK
    ``Provider`` (18 before the model-read statement was shared and the user tags
    checked with one ``Stack.resolve`` per handler).

    The function's environment (names from :mod:`._wire`): the stack's id
    (the owner recorded on everything the handler creates), the number of
    resources it serves (counted when the template is written, after every
    construct is added) and the stack-wide Describe budget (CDK context
    ``sagemaker-constructs:describeBudget``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, kind: str, description: str) -> None:
        budget = describe_budget(scope)  # a bad context value fails before anything is added
        super().__init__(scope, construct_id)
        # What every resource of this stack needs to know of it, asked of jsii once.
        self.stack = Stack.of(self)
        self.stack_path: str = self.stack.node.path
        self.naming_stack_name = _resource.naming_stack_name(self.stack)
        # Every generated name in this stack starts with this; the handler's Create is scoped to it.
        self.name_prefix = _naming.stack_prefix(self.naming_stack_name)
        self.resource_count = 0
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"sagemaker-constructs {kind} handler (no managed policies)",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=HANDLER_RUNTIME,
            handler="index.handler",
            code=lambda_.Code.from_asset(
                str(handler_root() / kind),
                asset_hash_type=AssetHashType.OUTPUT,
                bundling=BundlingOptions(
                    image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.14"),
                    local=_LocalBundler(kind),
                ),
            ),
            timeout=HANDLER_TIMEOUT,
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
            description=description,
            environment={
                _wire.ENV_STACK_ID: self.stack.stack_id,
                _wire.ENV_RESOURCE_COUNT: Lazy.string(_Later(lambda: str(self.resource_count))),
                _wire.ENV_DESCRIBE_BUDGET: budget,
            },
            # Asynchronous invocation limits, set deliberately (they govern the hand-overs):
            # - No retries by Lambda: every path answers before the invocation ends (a timed-out
            #   one through crhelper's timer), and a retry could start a job after the rollback
            #   removed it. CloudFormation and the handler's own hand-over are the only retries.
            # - Maximum event age: the longest Lambda allows (6 h). A continuation delayed in the
            #   queue (throttling, concurrency) still arrives and stops and deletes what a
            #   cancelled request made (it gets _wire.CLEANUP_SECONDS past its dead deadline).
            # - No on-failure destination: an event that expires is dropped (Lambda counts it in
            #   AsyncEventsDropped). Cleanup never depends on it: a request whose continuation is
            #   lost times out, and the rollback removes what the failed version made.
            retry_attempts=0,
            max_event_age=Duration.seconds(_wire.HANDLER_MAX_EVENT_AGE_SECONDS),
        )
        self.log_group.grant_write(self.role)
        self.service_token = self.function.function_arn  # what each custom resource names
        self._statements: dict[tuple[iam.IRole, Hashable], tuple[iam.PolicyStatement, set[str]]] = {}
        self._made: set[tuple[object, ...]] = set()
        self._barriers: dict[iam.IRole, tuple[CfnWaitConditionHandle, list[str]]] = {}
        self.user_tags = _resource.UserTagRules(self.stack)
        self.node.add_validation(self.user_tags)
        self.handover_policy = self._allow_handover()
        self._allow_stack_check()

    def add_resource(self) -> None:
        """Count one more resource served by this handler (``SMC_RESOURCE_COUNT``)."""
        self.resource_count += 1

    def first_time(self, *parts: object) -> bool:
        """True the first time this combination of grant parts (constructs,
        strings) is seen in this stack: a grant or acknowledgment that many
        resources share is made once. The set holds the parts themselves, so
        they stay alive as long as the handler."""
        if parts in self._made:
            return False
        self._made.add(parts)
        return True

    def statement(
        self,
        key: Hashable,
        actions: list[str],
        resources: list[str],
        conditions: dict[str, Any] | None = None,
        *,
        role: iam.IRole | None = None,
    ) -> bool:
        """The statement ``key`` of ``role`` (default: the handler's own): created once,
        then extended with the resources it does not hold yet. True when it was created.
        One statement many resources share costs one jsii round trip per added resource
        (``add_resources``) instead of four (a statement, its addition and the result)."""
        principal = self.role if role is None else role
        entry = self._statements.get((principal, key))
        if entry is None:
            statement = iam.PolicyStatement(actions=actions, resources=resources, conditions=conditions)
            self._statements[(principal, key)] = (statement, set(resources))
            principal.add_to_principal_policy(statement)
            return True
        statement, known = entry
        new = [r for r in resources if r not in known]
        if new:
            statement.add_resources(*new)
            known.update(new)
        return False

    def allow_resource_type(self, actions: HandlerActions, explicit_name: str | None) -> None:
        """The handler's SageMaker statements for one resource type (``HandlerActions``).

        * Create (and the ``sagemaker:AddTags`` a tagged Create is also authorized as, with
          ``sagemaker:TaggingAction``) on ``<type>/<stack prefix>*`` and the exact ARN of each
          explicit name, only when the request carries this stack's ownership tags.
        * The destructive and tagging actions on ``<type>/*``, only on a resource that carries
          this stack's ``sagemaker-constructs:stack-id`` tag, and never on an ownership tag
          key: by ownership, not by name, so a rename, a removal or a rollback can clean up
          a name that the current app no longer holds.
        * The read-only actions on ``<type>/*``, unconditioned: see ``HandlerActions.read``.
        """
        rt = actions.resource_type
        if (self.role, f"{rt}:create") not in self._statements:
            # SageMaker lowercases names in many ARNs: keep the patterns lowercase.
            generated = self._sagemaker_arn(rt, f"{self.name_prefix}*")
            every = self._sagemaker_arn(rt, "*")
            stack_tag = {f"aws:RequestTag/{_wire.OWNER_STACK_TAG}": self.stack.stack_id}
            self.statement(
                f"{rt}:create",
                [actions.create],
                [generated],
                {"StringEquals": stack_tag, "Null": {f"aws:RequestTag/{_wire.OWNER_LOGICAL_ID_TAG}": "false"}},
            )
            tagging_action = actions.create.split(":", 1)[1]
            self.statement(
                f"{rt}:tag-on-create",
                ["sagemaker:AddTags"],
                [generated],
                {"StringEquals": {"sagemaker:TaggingAction": tagging_action, **stack_tag}},
            )
            self.statement(
                f"{rt}:owned",
                list(actions.owned),
                [every],
                {
                    "StringEquals": {f"aws:ResourceTag/{_wire.OWNER_STACK_TAG}": self.stack.stack_id},
                    "ForAllValues:StringNotLike": {"aws:TagKeys": f"{_wire.TAG_PREFIX}*"},
                },
            )
            self.statement(f"{rt}:read", list(actions.read), [every])
            _nag.acknowledge_wildcard_resource(self, generated, actions.create_reason)
            _nag.acknowledge_wildcard_resource(self, every, actions.every_reason)
        if explicit_name is not None:
            # A token (e.g. a CfnParameter) cannot be lowercased at synth time: it is used as given.
            name = self._sagemaker_arn(rt, explicit_name if is_token(explicit_name) else explicit_name.lower())
            self.statement(f"{rt}:create", [actions.create], [name])
            self.statement(f"{rt}:tag-on-create", ["sagemaker:AddTags"], [name])

    def _sagemaker_arn(self, resource_type: str, name: str) -> str:
        return self.stack.format_arn(service="sagemaker", resource=resource_type, resource_name=name)

    def allow_pass_role(self, role_arn: str) -> None:
        """iam:PassRole on exactly the job and flow roles, only to SageMaker."""
        self.statement(
            "pass-role",
            ["iam:PassRole"],
            [role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )

    def ready_after(self, role: iam.IRole, job_name: str) -> Construct:
        """One no-op resource per shared role that depends on the role, all its
        policies (CDK may split a long policy into overflow policies) and the
        hand-over policy. Each job of that role depends on this one resource
        instead of on all of them, so an added job adds one DependsOn entry.

        Its metadata is a digest of the names of the jobs that share the role,
        so whenever a job (and with it a grant on the role) is added, changed or
        removed, the handle is updated too, after the policies: a new job never
        starts before its grants are in place."""
        if role not in self._barriers:
            handle = CfnWaitConditionHandle(self, f"RoleReady{len(self._barriers)}")
            handle.node.add_dependency(role, self.handover_policy)
            names: list[str] = []
            digest = _Later(lambda: hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()[:16])
            handle.add_metadata("sagemaker-constructs:jobs", Lazy.string(digest))
            self._barriers[role] = (handle, names)
        handle, names = self._barriers[role]
        names.append(job_name)
        return handle

    def _allow_handover(self) -> iam.Policy:
        """The hand-over to a later invocation: the function invokes itself
        (``_wire.HANDOVER_ACTIONS`` on its own ARN and its qualifiers), and
        nothing else. A separate policy: in the role's default policy, the
        function's own ARN would form a dependency cycle (the function depends
        on that policy)."""
        arn = self.function.function_arn
        qualified = f"{arn}:*"
        _nag.acknowledge_wildcard_resource(
            self,
            qualified,
            "The handler hands a resource that outlives one invocation over to the next by invoking its own "
            "function; ':*' covers that one function's versions and aliases, nothing else.",
        )
        policy = iam.Policy(
            self,
            "HandoverPolicy",
            statements=[iam.PolicyStatement(actions=list(_wire.HANDOVER_ACTIONS), resources=[arn, qualified])],
        )
        policy.attach_to_role(self.role)
        return policy

    def _allow_stack_check(self) -> None:
        """Whether a request is still wanted: ``_wire.STACK_CHECK_ACTIONS`` on this
        stack only (a nested stack's own id, the StackId in its events)."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(_wire.STACK_CHECK_ACTIONS), resources=[self.stack.stack_id])
        )


@dataclass(frozen=True)
class HandlerActions:
    """The SageMaker actions a handler takes on one resource type, grouped by how IAM
    can scope them (the Service Authorization Reference for SageMaker: the resource
    types ``compilation-job`` and ``flow-definition`` have the condition key
    ``aws:ResourceTag/${TagKey}``; their Create actions have ``aws:RequestTag/${TagKey}``
    and ``aws:TagKeys`` and depend on ``sagemaker:AddTags``, which has
    ``sagemaker:TaggingAction``)."""

    resource_type: str  # "compilation-job"
    create: str  # "sagemaker:CreateCompilationJob"
    # Read only, on every resource of the type: a name that does not exist, or that another
    # stack holds, has no ownership tag to match, and the handler must tell "not there" and
    # "not ours" from "ours" (a tag condition would answer AccessDenied for both).
    read: tuple[str, ...]
    owned: tuple[str, ...]  # destructive and tagging: only on what carries this stack's tag
    create_reason: str  # why <type>/<stack prefix>* (cdk-nag)
    every_reason: str  # why <type>/* (cdk-nag)


@jsii.implements(IStableStringProducer)
class _Later:
    """A string produced when the template is written, after every construct is added."""

    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()


def describe_budget(scope: Construct) -> str:
    """The stack-wide Describe budget (calls per second) from CDK context
    ``sagemaker-constructs:describeBudget``, or the default."""
    key = _wire.CONTEXT_DESCRIBE_BUDGET
    raw = scope.node.try_get_context(key)
    if raw is None:
        return f"{_wire.DEFAULT_DESCRIBE_BUDGET:g}"
    try:
        budget = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        budget = math.nan
    if not (math.isfinite(budget) and budget > 0):
        raise ValueError(
            f"context {key} must be a positive number of Describe calls per second for the whole stack (got {raw!r})"
        )
    return f"{budget:g}"


def handler_for(scope: Construct, declared: _wire.Declaration) -> HandlerFunction:
    """The stack's handler for the ``declared`` kind, created on first use."""
    kind = declared.folder
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    # The stack object carries its handlers (no module-level cache that could
    # outlive an app); the construct tree stays the authority.
    handlers: dict[str, HandlerFunction] = stack.__dict__.setdefault("_sagemaker_constructs_handlers", {})
    if kind in handlers:
        return handlers[kind]
    # Short ("Smc": sagemaker-constructs): the id is in every logical id and ServiceToken.
    construct_id = f"Smc{declared.api_noun}Handler"
    existing = stack.node.try_find_child(construct_id)
    handler = (
        existing
        if isinstance(existing, HandlerFunction)
        else HandlerFunction(stack, construct_id, kind=kind, description=declared.handler_description)
    )
    handlers[kind] = handler
    return handler
