"""The one type check of construct props, at call time.

A construct's props are declared once, as a ``TypedDict``; :func:`check_props`
reads its annotations and checks every value given, the way aws-cdk-lib's
generated Python checks its arguments (``TypeError: type of argument versioned
must be ...``). A generic checker is not enough (typeguard accepts a ``str``
for a jsii interface, ``"image"`` for ``Sequence[str]`` and ``True`` for
``int``, and rejects a number token for ``int``), so the rules are explicit:

- a jsii interface (``s3.IBucket``, ``iam.IRole``, ...) rejects ``str``,
  numbers and containers with a message naming the importer to use. It is
  never checked with ``isinstance`` (jsii interfaces are not runtime-checkable
  protocols): the value's class must have the interface's marker attribute;
- ``Sequence[X]`` rejects a bare ``str`` and checks each item;
- ``int`` accepts ``int`` but not ``bool``, and any unresolved token;
- ``str`` accepts any ``str`` (tokens are strings);
- any other class (``Duration``, enums, this library's value types) is
  checked with ``isinstance``, and ``hints`` say how to make one.

Unknown keys and missing required keys are ``TypeError`` too, as Python says
for a function's keyword arguments.
"""

from __future__ import annotations

import collections.abc
import difflib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.interfaces import aws_sagemaker as sagemaker_refs

from ._validation import is_token, shown


@dataclass(frozen=True)
class Interface:
    """How to recognize a jsii interface without ``isinstance``, and what to use instead of a string."""

    name: str
    marker: str  # an attribute every implementation has
    importer: str
    advice: str | None = None  # for a str given instead: what to do (default: import it with ``importer``)


INTERFACES: dict[Any, Interface] = {
    s3.IBucket: Interface("s3.IBucket", "bucket_arn", "s3.Bucket.from_bucket_name(scope, id, bucket_name)"),
    iam.IRole: Interface("iam.IRole", "role_arn", "iam.Role.from_role_arn(scope, id, role_arn)"),
    iam.IGrantable: Interface(
        "iam.IGrantable (a role, user, group or function)",
        "grant_principal",
        "iam.Role.from_role_arn(scope, id, role_arn)",
    ),
    kms.IKey: Interface("kms.IKey", "key_arn", "kms.Key.from_key_arn(scope, id, key_arn)"),
    ec2.ISubnet: Interface("ec2.ISubnet", "subnet_id", "ec2.Subnet.from_subnet_id(scope, id, subnet_id)"),
    ec2.ISecurityGroup: Interface(
        "ec2.ISecurityGroup",
        "security_group_id",
        "ec2.SecurityGroup.from_security_group_id(scope, id, security_group_id)",
    ),
    events.IRuleTarget: Interface(
        "events.IRuleTarget",
        "bind",
        "",
        "use a target from aws_cdk.aws_events_targets, e.g. targets.LambdaFunction(fn)",
    ),
    # The *_ref protocols of aws-cdk-lib's L1s (CfnHumanTaskUi, CfnWorkteam and anything else
    # with the attribute): an ARN string has a property of its own.
    sagemaker_refs.IHumanTaskUiRef: Interface(
        "an IHumanTaskUiRef (sagemaker.CfnHumanTaskUi, or anything with human_task_ui_ref)",
        "human_task_ui_ref",
        "",
        "for an ARN, use human_task_ui_arn instead",
    ),
    sagemaker_refs.IWorkteamRef: Interface(
        "an IWorkteamRef (sagemaker.CfnWorkteam, or anything with workteam_ref)",
        "workteam_ref",
        "",
        "for an ARN, use workteam_arn instead",
    ),
}
HINTS: dict[Any, str] = {
    Duration: "Duration.seconds(n) or Duration.minutes(n)",
    RemovalPolicy: "RemovalPolicy.DESTROY or RemovalPolicy.RETAIN",
}
_PLAIN = (str, bytes, int, float, bool, collections.abc.Mapping, collections.abc.Sequence)


def check_props(owner: object, props: Mapping[str, Any], declared: Any, hints: Mapping[Any, str] | None = None) -> None:
    """Raise ``TypeError`` listing every value in ``props`` that does not fit the
    ``TypedDict`` ``declared``, every unknown key and every missing required one.
    The message starts with ``str(owner)``."""
    annotations = typing.get_type_hints(declared)
    all_hints = {**HINTS, **(hints or {})}
    found: list[str] = []
    for key in sorted(declared.__required_keys__ - set(props)):
        found.append(f"missing required property {key!r}")
    for key, value in props.items():
        if key not in annotations:
            close = difflib.get_close_matches(key, annotations, n=1)
            found.append(f"unexpected property {key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            continue
        problem = _problem(key, value, annotations[key], all_hints)
        if problem:
            found.append(problem)
    _raise(owner, found)


def check_arguments(owner: object, function: Callable[..., Any], **arguments: Any) -> None:
    """:func:`check_props` for the arguments of ``function`` (a factory), by its annotations."""
    annotations = typing.get_type_hints(function)
    _raise(owner, [p for key, value in arguments.items() if (p := _problem(key, value, annotations[key], HINTS))])


def _raise(owner: object, found: list[str]) -> None:
    if found:
        listing = "\n".join(f"  - {line}" for line in found)
        count = f"{len(found)} propert{'y' if len(found) == 1 else 'ies'}"
        raise TypeError(f"{owner}: {count} of the wrong type:\n{listing}")


def _problem(prop: str, value: Any, expected: Any, hints: Mapping[Any, str]) -> str | None:
    """None if ``value`` fits ``expected``; otherwise the line naming ``prop``, the rule and the value."""
    if _fits(value, expected):
        return None
    item = _first_bad_item(value, expected)
    if item is not None:
        index, item_value, item_type = item
        return _problem(f"{prop}[{index}]", item_value, item_type, hints)
    line = f"{prop} must be {describe(expected)} (got {type(value).__name__} {shown(value)})"
    advice = [_advice(option, value, hints) for option in _options(expected)]
    return line + "".join(f"; {a}" for a in advice if a)


def _options(expected: Any) -> tuple[Any, ...]:
    if isinstance(expected, types.UnionType) or typing.get_origin(expected) is typing.Union:
        return typing.get_args(expected)
    return (expected,)


def _fits(value: Any, expected: Any) -> bool:
    for option in _options(expected):
        if option is Any:
            return True
        if option is type(None):
            if value is None:
                return True
            continue
        origin = typing.get_origin(option)
        if origin is collections.abc.Sequence:
            (item_type,) = typing.get_args(option)
            if _is_sequence(value) and all(_fits(item, item_type) for item in value):
                return True
        elif origin is collections.abc.Mapping:
            if isinstance(value, collections.abc.Mapping):
                return True
        elif option in INTERFACES:
            if _implements(value, INTERFACES[option]):
                return True
        elif option is int:
            if (isinstance(value, int) and not isinstance(value, bool)) or (
                not isinstance(value, (str, bool)) and is_token(value)
            ):
                return True
        elif option is bool or option is str:
            if isinstance(value, option):
                return True
        elif isinstance(option, type) and isinstance(value, option):
            return True
    return False


def _is_sequence(value: Any) -> bool:
    return isinstance(value, collections.abc.Sequence) and not isinstance(value, (str, bytes))


def _first_bad_item(value: Any, expected: Any) -> tuple[int, Any, Any] | None:
    """For a sequence where a ``Sequence[X]`` is expected: the first item that is not an X."""
    for option in _options(expected):
        if typing.get_origin(option) is collections.abc.Sequence and _is_sequence(value):
            (item_type,) = typing.get_args(option)
            for index, item in enumerate(value):
                if not _fits(item, item_type):
                    return index, item, item_type
    return None


def _implements(value: Any, interface: Interface) -> bool:
    if value is None or isinstance(value, _PLAIN):
        return False
    # The class holds the marker as a property: no call into jsii. Imported
    # resources are jsii's dynamic proxies, which only answer on the instance.
    return hasattr(type(value), interface.marker) or hasattr(value, interface.marker)


def _advice(option: Any, value: Any, hints: Mapping[Any, str]) -> str | None:
    if option in INTERFACES and isinstance(value, str):
        interface = INTERFACES[option]
        return interface.advice or f"to use an existing one, import it with {interface.importer}"
    if typing.get_origin(option) is collections.abc.Sequence and isinstance(value, str):
        return "a str is a sequence of characters here: put it in a list"
    hint = hints.get(option)
    return f"use {hint}" if hint else None


def describe(expected: Any) -> str:
    """A type as the rule of a message: ``an s3.IBucket``, ``a sequence of str``, ``a Duration or None``."""
    names = [_name(option) for option in _options(expected)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _name(option: Any) -> str:
    if option is type(None):
        return "None"
    if option is Any:
        return "any value"
    origin = typing.get_origin(option)
    if origin is collections.abc.Sequence:
        return f"a sequence of {_name(typing.get_args(option)[0]).removeprefix('a ').removeprefix('an ')}"
    if origin is collections.abc.Mapping:
        return "a mapping"
    if option in INTERFACES:
        return INTERFACES[option].name
    if option is int:
        return "an int (not a bool) or a number token"
    name = getattr(option, "__name__", str(option))
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
