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


def generated_name(construct: Construct, identity: Any) -> str:
    """``<stack prefix><path-part>-<hash>`` over the resolved ``identity``
    (every property except tags), so tokens hash by what they reference."""
    stack = Stack.of(construct)
    return _naming.generated_name(stack.stack_name, path_below_stack(construct), stack.resolve(identity))


def name_prefix(construct: Construct) -> str:
    """The prefix every generated name in this construct's stack starts with."""
    return _naming.stack_prefix(Stack.of(construct).stack_name)
