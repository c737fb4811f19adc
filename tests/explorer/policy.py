"""The handler role's policy, as the construct renders it, for one stack version.

The statements come from the app :mod:`tests.explorer.app` synthesizes; the
placeholder's ARN there stands for the explicit names a version holds (one
ARN per name, or none). The evaluator is :mod:`tests.harness.iam`; while it
is missing, :func:`available` is False and the explorer says, in every trace,
that the policy is not enforced (it never pretends to enforce it).
"""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.explorer.app import Synthesized
from tests.explorer.kinds import SPECS
from tests.harness import FUNCTION_ARN


def available(kind: str) -> bool:
    """Whether the policy of ``kind``'s handler can be enforced."""
    return SPECS[kind].handler_id is not None and importlib.util.find_spec("tests.harness.iam") is not None


def _expand(resources: Any, placeholder: str, arns: dict[str, str]) -> list[str]:
    """Each resource naming the placeholder becomes one per explicit name."""
    out: list[str] = []
    for resource in resources if isinstance(resources, list) else [resources]:
        if placeholder in resource:
            out.extend(resource.replace(placeholder, name) for name in arns)
        else:
            out.append(resource)
    return out


def documents(synthesized: Synthesized, kind: str) -> list[dict[str, Any]]:
    """The handler role's policy documents, intrinsics resolved (the function's own ARN is the harness's)."""
    from tests.harness import iam

    template = synthesized.template
    handler_id = SPECS[kind].handler_id
    assert handler_id is not None
    role = iam.handler_role_id(template, handler_id)
    functions = [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function" and logical_id.startswith(f"{handler_id}Function")
    ]
    resolver = iam.Resolver(template, {f"{f}.Arn": FUNCTION_ARN for f in functions})
    return [resolver.resolve(d) for d in iam.role_documents(template, role)]


@dataclass
class VersionPolicy:
    """The policy of one version of the stack: ``explicit_names`` are the names it holds."""

    base: list[dict[str, Any]]
    placeholder: str
    explicit_names: tuple[str, ...]
    _policy: Any = field(default=None, repr=False)

    def policy(self) -> Any:
        from tests.harness import iam

        if self._policy is None:
            docs = []
            for document in self.base:
                document = copy.deepcopy(document)
                statements = []
                for statement in (
                    document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
                ):
                    for key in ("Resource", "NotResource"):
                        if key in statement:
                            statement[key] = _expand(
                                statement[key], self.placeholder, {n: n for n in self.explicit_names}
                            )
                    if statement.get("Resource", ["kept"]):
                        statements.append(statement)
                document["Statement"] = statements
                docs.append(document)
            self._policy = iam.Policy.from_documents(*docs)
        return self._policy


class Authorizer:
    """The policy CloudFormation has in place, as every fake sees it: SageMaker through
    its ``enforce`` (:mod:`tests.harness.iam`), the handler's own Lambda and
    CloudFormation through their ``authorize`` hooks. None once the role's policy
    is deleted: everything is denied."""

    def __init__(self, enforced: bool, sagemaker: Any) -> None:
        self.enforced = enforced
        self.sagemaker = sagemaker
        self.current: VersionPolicy | None = None
        self.denials: list[tuple[str, str]] = []

    def set(self, version_policy: VersionPolicy | None) -> None:
        self.current = version_policy
        if self.enforced:
            from tests.harness import iam

            self.sagemaker.enforce(version_policy.policy() if version_policy else iam.Policy([]))

    def __call__(self, action: str, resource: str, context: dict[str, Any]) -> str | None:
        if not self.enforced:
            return None
        if self.current is None:
            reason = "the handler role has no policy (deleted)"
        else:
            decision = self.current.policy().decide(action, resource, context)
            if decision.allowed:
                return None
            reason = decision.reason
        self.denials.append((action, resource))
        return reason


def names_of(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({n.lower() for n in names}))
