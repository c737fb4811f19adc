"""Helpers shared by the constructs that render a custom resource."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from . import _naming


def relative_path(path: str, stack_path: str) -> str:
    """``path`` without the stack's own path in front."""
    return path[len(stack_path) + 1 :] if stack_path and path.startswith(stack_path + "/") else path


def path_below_stack(construct: Construct) -> str:
    """The construct path without the stack's own path in front."""
    return relative_path(construct.node.path, Stack.of(construct).node.path)


def naming_stack_name(stack: Stack) -> str:
    """The stack name that generated names are derived from.

    A nested stack's own name is only known at deploy time (a token), so its
    names derive from ``<parent stack name>-<nested stack id>`` instead, which
    is stable and distinct per nested stack."""
    parts: list[str] = []
    current: Stack | None = stack
    while current is not None and current.nested_stack_parent is not None:
        parts.insert(0, current.node.id)
        current = current.nested_stack_parent
    assert current is not None
    return "-".join([current.stack_name, *parts])


def generated_name(construct: Construct, identity: Any) -> str:
    """``<stack prefix><path-part>-<hash>`` over the resolved ``identity``
    (every property except tags), so tokens hash by what they reference."""
    stack = Stack.of(construct)
    return _naming.generated_name(naming_stack_name(stack), path_below_stack(construct), stack.resolve(identity))
