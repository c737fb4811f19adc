"""The scope a construct is created in: a construct with a Stack above it.

Without this check, a ``None`` scope fails with ``AttributeError: 'NoneType' object
has no attribute 'node'`` and the App as scope with jsii's "No stack could be
identified"; neither names the construct or says what to pass instead.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import App, Stack


def check_scope(kind: str, scope: Any, construct_id: str) -> None:
    """``TypeError`` for a scope that is not a construct, ``ValueError`` for one without a Stack above it."""
    if isinstance(scope, Stack):
        return  # the common case, decided without a jsii round trip
    fix = f"pass a Stack, or a construct inside one: {kind}(stack, {construct_id!r}, ...)"
    if scope is None or not hasattr(scope, "node"):
        got = "None" if scope is None else f"{type(scope).__name__} {scope!r}"
        raise TypeError(f"{kind} {construct_id}: scope must be a construct in a Stack (got {got}); {fix}")
    try:
        Stack.of(scope)
    except (RuntimeError, jsii.errors.JSIIError):  # jsii: "No stack could be identified for the construct at path ..."
        where = "the App" if isinstance(scope, App) or scope.node.scope is None else f"{scope.node.path!r}"
        path = f"{scope.node.path}/{construct_id}" if scope.node.path else construct_id
        raise ValueError(
            f"{kind} {path}: 1 invalid property:\n  - scope must be a construct in a Stack "
            f"(got {where}, which has no Stack above it); {fix}, e.g. stack = Stack(app, 'MyStack')"
        ) from None
