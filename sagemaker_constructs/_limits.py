"""CloudFormation's limits of one stack, for what this library adds to it: at most 200
outputs and 500 resources. Checked when the construct tree is validated (at synth), once
per stack, from what each construct reported when it was made: no tree walk, no jsii
round trip unless there is something to report.

The counts are the library's own (what a template of N jobs holds: 6 resources per
handler, 3 per construct that creates its role, 1 per construct with a shared role plus
one barrier per shared role of a job, 2 outputs per job, 1 per flow definition); your own
resources and outputs come on top, so the stack can reach the limits earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Stack
from constructs import IConstruct, IValidation

OUTPUTS_MAX = 200  # CloudFormation quota: outputs per stack
RESOURCES_MAX = 500  # CloudFormation quota: resources per stack (CDK's default stackResourceLimit)
CONTEXT_RESOURCE_LIMIT = "@aws-cdk/core:stackResourceLimit"  # CDK's own setting; 0 turns the check off
HANDLER_RESOURCES = 6  # function, its role, two policies, log group, event invoke config
CREATED_ROLE_RESOURCES = 2  # the role and its default policy
SHOWN = 10  # paths listed in a message
_ATTRIBUTE = "_sagemaker_constructs_limits"  # on the stack object, like handler_for's registry


@dataclass(frozen=True)
class _Entry:
    construct: IConstruct
    kind: str
    outputs: int
    shared_role: Any  # the role given, or None (the construct created one)
    barrier: bool  # a shared role adds one no-op resource per role (HandlerFunction.ready_after)


def _paths(entries: list[_Entry]) -> str:
    shown = ", ".join(entry.construct.node.path for entry in entries[:SHOWN])
    return shown + (f" and {len(entries) - SHOWN} more" if len(entries) > SHOWN else "")


@jsii.implements(IValidation)
class StackLimits:
    """What the library adds to one stack; :meth:`validate` says where it passes the limits."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._entries: list[_Entry] = []
        self._handlers: set[int] = set()

    def add(self, construct: IConstruct, handler: object, kind: str, *, outputs: int, shared_role: Any) -> None:
        self._handlers.add(id(handler))
        self._entries.append(_Entry(construct, kind, outputs, shared_role, kind == "CompilationJob"))

    def resources(self) -> int:
        barriers = {id(e.shared_role) for e in self._entries if e.shared_role is not None and e.barrier}
        own_roles = sum(CREATED_ROLE_RESOURCES for e in self._entries if e.shared_role is None)
        return HANDLER_RESOURCES * len(self._handlers) + len(self._entries) + own_roles + len(barriers)

    def validate(self) -> list[str]:
        found: list[str] = []
        with_outputs = [e for e in self._entries if e.outputs]
        outputs = sum(e.outputs for e in with_outputs)
        if outputs > OUTPUTS_MAX:
            found.append(
                f"{len(with_outputs)} constructs of sagemaker-constructs with stack_outputs=True add {outputs} "
                f"outputs to stack {self._stack.stack_name}; CloudFormation allows {OUTPUTS_MAX} per stack, and the "
                f"deploy would fail. Pass stack_outputs=False (the ARNs stay attributes of each construct) to "
                f"{outputs - OUTPUTS_MAX} or more of: {_paths(with_outputs)}"
            )
        limit = self._resource_limit()
        resources = self.resources()
        if limit and resources > limit:
            own = [e for e in self._entries if e.shared_role is None]
            fix = (
                f"pass one shared role (role=iam.Role(...), granted by each construct) to these, which each create "
                f"their own (a shared role saves {CREATED_ROLE_RESOURCES} resources per construct): {_paths(own)}"
                if own
                else "split the constructs across stacks"
            )
            found.append(
                f"sagemaker-constructs adds {resources} resources to stack {self._stack.stack_name} ({len(self._entries)} "
                f"constructs); CloudFormation allows {limit} per stack ({CONTEXT_RESOURCE_LIMIT}), and yours come on "
                f"top: {fix}"
            )
        return found

    def _resource_limit(self) -> int:
        value = self._stack.node.try_get_context(CONTEXT_RESOURCE_LIMIT)
        return RESOURCES_MAX if value is None else int(value)


def register(construct: IConstruct, handler: Any, kind: str, *, outputs: int, shared_role: Any) -> None:
    """Count ``construct`` in its handler's stack (the validation is added with the first)."""
    stack: Stack = handler.stack
    limits: StackLimits | None = stack.__dict__.get(_ATTRIBUTE)
    if limits is None:
        limits = StackLimits(stack)
        stack.__dict__[_ATTRIBUTE] = limits
        stack.node.add_validation(limits)
    limits.add(construct, handler, kind, outputs=outputs, shared_role=shared_role)
