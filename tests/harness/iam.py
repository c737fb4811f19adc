"""A small IAM policy evaluator, for enforcing the handler's role policy in the fakes.

Enough of IAM's identity-policy evaluation for the statements this library
renders, and strict where it matters: a request is allowed when some Allow
statement matches it and no Deny statement does.

* ``Action`` / ``NotAction``: case-insensitive, with ``*`` and ``?``.
* ``Resource`` / ``NotResource``: case-sensitive, with ``*`` and ``?``.
* ``Condition``: every operator and every key in it must hold (AND); several
  policy values for one key are alternatives (OR). Operators: ``StringEquals``,
  ``StringNotEquals``, ``StringLike``, ``StringNotLike``, ``ArnEquals``,
  ``ArnLike``, ``Bool``, ``Null``, each with an ``IfExists`` form, and the set
  qualifiers ``ForAllValues:`` and ``ForAnyValue:``. Condition-key names are
  case-insensitive (``aws:ResourceTag/<k>``, ``aws:RequestTag/<k>``,
  ``aws:TagKeys``, ``iam:PassedToService``...).
* A key missing from the request context makes its condition false, except
  under ``ForAllValues:`` (true: no value fails), ``Null`` and ``...IfExists``.

The policy comes straight from a synthesized template: :func:`handler_policy`
collects the statements of every ``AWS::IAM::Policy`` attached to a role and
resolves the intrinsics in them with :class:`Resolver` (pseudo parameters of
the test account, and a deterministic ARN for each resource a statement names).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tests.harness import ACCOUNT, REGION, STACK_ID

ContextValue = str | list[str]


# --- matching ---------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's ``*`` (any run of characters) and ``?`` (one character)."""
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def arn_match(pattern: str, value: str) -> bool:
    """``ArnLike``/``ArnEquals``: each of the six colon-separated parts matched on its own."""
    pattern_parts = pattern.split(":", 5)
    value_parts = value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(wildcard_match(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- conditions -------------------------------------------------------------------------------
_VALUE_TESTS: dict[str, Callable[[str, str], bool]] = {
    "stringequals": lambda policy, value: policy == value,
    "stringequalsignorecase": lambda policy, value: policy.lower() == value.lower(),
    "stringlike": lambda policy, value: wildcard_match(policy, value),
    "arnequals": arn_match,
    "arnlike": arn_match,
    "bool": lambda policy, value: str(policy).lower() == str(value).lower(),
}
_NEGATED = {"stringnotequals": "stringequals", "stringnotlike": "stringlike", "arnnotequals": "arnequals"}


def _key_holds(operator: str, policy_values: list[Any], context_values: list[str] | None) -> bool:
    """One condition key under one operator (the operator lower-case, qualifier included)."""
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("ifexists")
    if if_exists:
        base = base[: -len("ifexists")]
    if base == "null":
        absent = context_values is None or context_values == []
        return all(absent == (str(p).lower() == "true") for p in policy_values)
    negated = base in _NEGATED
    test = _VALUE_TESTS.get(_NEGATED.get(base, base))
    if test is None:
        raise NotImplementedError(f"condition operator {operator!r} is not modelled")

    def matches(value: str) -> bool:
        hit = any(test(str(p), value) for p in policy_values)
        return not hit if negated else hit

    if qualifier == "forallvalues":
        return all(matches(v) for v in context_values or [])
    if context_values is None:
        return if_exists or (negated and qualifier != "foranyvalue")
    if qualifier == "foranyvalue":
        return any(matches(v) for v in context_values)
    if qualifier:
        raise NotImplementedError(f"condition qualifier {qualifier!r} is not modelled")
    # A plain operator on a multivalued key: true when some value matches (AND for a negation).
    return all(matches(v) for v in context_values) if negated else any(matches(v) for v in context_values)


def conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, ContextValue]) -> bool:
    """Whether a statement's ``Condition`` block holds for ``context``."""
    lowered = {key.lower(): _listed(value) for key, value in context.items()}
    for operator, keys in conditions.items():
        for key, policy_value in keys.items():
            if not _key_holds(operator.lower(), [str(v) for v in _listed(policy_value)], lowered.get(key.lower())):
                return False
    return True


# --- statements and policies --------------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sid: str = ""

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Statement:
        for key in raw:
            if key not in ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"):
                raise NotImplementedError(f"statement element {key!r} is not modelled")
        for value in (raw.get(k) for k in ("Action", "NotAction", "Resource", "NotResource")):
            if value is not None and not all(isinstance(v, str) for v in _listed(value)):
                raise ValueError(f"unresolved value in a statement: {value!r} (resolve the template first)")

        def strings(key: str) -> tuple[str, ...]:
            return tuple(_listed(raw[key])) if key in raw else ()

        return cls(
            effect=raw["Effect"],
            actions=strings("Action"),
            not_actions=strings("NotAction"),
            resources=strings("Resource"),
            not_resources=strings("NotResource"),
            conditions=raw.get("Condition", {}),
            sid=raw.get("Sid", ""),
        )

    def applies(self, action: str, resource: str, context: Mapping[str, ContextValue]) -> bool:
        if self.actions and not any(wildcard_match(a, action, ignore_case=True) for a in self.actions):
            return False
        if self.not_actions and any(wildcard_match(a, action, ignore_case=True) for a in self.not_actions):
            return False
        if self.resources and not any(wildcard_match(r, resource) for r in self.resources):
            return False
        if self.not_resources and any(wildcard_match(r, resource) for r in self.not_resources):
            return False
        return conditions_hold(self.conditions, context)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "allowed by <statement>", "explicit deny in ...", "no identity-based policy allows ..."


@dataclass
class Policy:
    """The statements of one principal's identity policies."""

    statements: list[Statement]

    @classmethod
    def from_documents(cls, *documents: Mapping[str, Any]) -> Policy:
        return cls([Statement.from_json(s) for d in documents for s in _listed(d["Statement"])])

    def decide(self, action: str, resource: str, context: Mapping[str, ContextValue] | None = None) -> Decision:
        context = context or {}
        for statement in self.statements:
            if statement.effect == "Deny" and statement.applies(action, resource, context):
                return Decision(False, f"an explicit deny in an identity-based policy ({statement.sid or 'no Sid'})")
        for statement in self.statements:
            if statement.effect == "Allow" and statement.applies(action, resource, context):
                return Decision(True, f"allowed by {statement.sid or statement.actions}")
        return Decision(False, f"no identity-based policy allows the {action} action")

    def allows(self, action: str, resource: str, context: Mapping[str, ContextValue] | None = None) -> bool:
        return self.decide(action, resource, context).allowed


def tag_context(
    *, resource_tags: Mapping[str, str] | None = None, request_tags: Iterable[Mapping[str, str]] | None = None
) -> dict[str, ContextValue]:
    """The tag condition keys of a request: ``aws:ResourceTag/<k>`` from the resource's
    current tags; ``aws:RequestTag/<k>`` and ``aws:TagKeys`` from the request's ``Tags``."""
    context: dict[str, ContextValue] = {}
    for key, value in (resource_tags or {}).items():
        context[f"aws:ResourceTag/{key}"] = value
    if request_tags is not None:
        tags = list(request_tags)
        for tag in tags:
            context[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
        context["aws:TagKeys"] = [tag["Key"] for tag in tags]
    return context


# --- from a synthesized template ------------------------------------------------------------------
PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::StackId": STACK_ID,
    "AWS::StackName": STACK_ID.split("/")[1],
    "AWS::URLSuffix": "amazonaws.com",
}
_ARN_SERVICES = {"AWS::IAM::Role": ("iam", "role/"), "AWS::Lambda::Function": ("lambda", "function:")}


@dataclass
class Resolver:
    """Resolves the intrinsics of a template's values the same way every time.

    ``known`` ("LogicalId", "LogicalId.Attr" or a pseudo parameter) wins; otherwise
    a pseudo parameter takes the test account's value, ``Ref`` of a resource its
    logical id, and ``GetAtt X.Arn`` an ARN made from the logical id (``role/X``
    for a role), so the role a template passes resolves to the same ARN in the
    policy and in the custom resource's properties."""

    template: Mapping[str, Any]
    known: Mapping[str, str] = field(default_factory=dict)

    def arn_of(self, logical_id: str) -> str:
        resource_type = self.template.get("Resources", {}).get(logical_id, {}).get("Type", "")
        service, kind = _ARN_SERVICES.get(resource_type, ("test", f"{resource_type.replace('::', '-').lower()}/"))
        region = "" if service == "iam" else REGION
        return f"arn:aws:{service}:{region}:{ACCOUNT}:{kind}{logical_id}"

    def _lookup(self, name: str) -> str:
        if name in self.known:
            return self.known[name]
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        logical_id, _, attribute = name.partition(".")
        if attribute == "Arn":
            return self.arn_of(logical_id)
        return logical_id if not attribute else f"{logical_id}.{attribute}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self._lookup(arg)
            if fn == "Fn::GetAtt":
                return self._lookup(".".join(arg) if isinstance(arg, list) else arg)
            if fn == "Fn::Join":
                return str(arg[0]).join(str(self.resolve(part)) for part in arg[1])
            if fn == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
            if fn == "Fn::Select":
                return self.resolve(arg[1])[int(arg[0])]
            if fn == "Fn::Sub" and isinstance(arg, str):
                return re.sub(r"\$\{([^}!]+)\}", lambda m: self._lookup(m.group(1)), arg)
        return {key: self.resolve(item) for key, item in value.items()}


def role_documents(template: Mapping[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    """The policy documents of every ``AWS::IAM::Policy`` in ``template`` attached to the role."""
    ref = {"Ref": role_logical_id}
    return [
        resource["Properties"]["PolicyDocument"]
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == "AWS::IAM::Policy" and ref in resource["Properties"].get("Roles", [])
    ]


def handler_role_id(template: Mapping[str, Any], handler_id: str = "SmcCompilationJobHandler") -> str:
    """The logical id of a handler's role (``<handler id>Role<hash>``)."""
    found: str
    (found,) = [
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::IAM::Role" and re.fullmatch(rf"{handler_id}Role[0-9A-F]{{8}}", logical_id)
    ]
    return found


def handler_policy(
    template: Mapping[str, Any],
    handler_id: str = "SmcCompilationJobHandler",
    known: Mapping[str, str] | None = None,
) -> Policy:
    """The handler role's policy as a synthesized ``template`` renders it, intrinsics resolved."""
    resolver = Resolver(template, known or {})
    documents = [resolver.resolve(d) for d in role_documents(template, handler_role_id(template, handler_id))]
    return Policy.from_documents(*documents)
