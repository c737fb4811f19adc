"""Rules read from botocore's SageMaker service model: the pattern and the length
of each string member the constructs send, the members of a shape, the enum
values. Nothing here is copied by hand: a newer botocore brings newer rules.

The model is loaded on first use (about 0.3 s with botocore's import) and kept
for the process: it is the installed package's data, not state of an app. A
check whose value is a token, or absent, returns before asking for it, so a
stack whose names are generated, whose ARNs are tokens and whose models are
``from_bucket`` keys of ordinary length never loads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from ._validation import Problem, Problems, is_token

SERVICE = "sagemaker"


@cache
def service_model() -> Any:
    """botocore's SageMaker ``ServiceModel``: what ``botocore.session.get_session().
    get_service_model("sagemaker")`` answers, read with the loader alone (a session
    costs another 0.1 s of imports)."""
    import botocore.loaders  # type: ignore[import-untyped, unused-ignore]
    import botocore.model  # type: ignore[import-untyped, unused-ignore]

    loader = botocore.loaders.Loader()
    return botocore.model.ServiceModel(loader.load_service_model(SERVICE, "service-2"), SERVICE)


def shape_at(path: str) -> Any:
    """The shape of ``Operation.Member.Member...`` (the operation's input), or of a
    shape by name when ``path`` has no dot; a list member descends into its item."""
    model = service_model()
    first, *members = path.split(".")
    shape = model.operation_model(first).input_shape if members else model.shape_for(first)
    for member in members:
        if shape.type_name == "list":
            shape = shape.member
        shape = shape.members[member]
    if shape.type_name == "list":
        shape = shape.member
    return shape


@dataclass(frozen=True)
class StringRule:
    """A string member's constraints, as the service model gives them."""

    where: str  # "CreateCompilationJob.ModelPackageVersionArn (shape ModelPackageArn)"
    pattern: str | None
    compiled: re.Pattern[str] | None  # None: no pattern, or one Python's re cannot read (\p{L})
    low: int | None
    high: int | None


@cache
def string_rule(path: str) -> StringRule:
    shape = shape_at(path)
    pattern = shape.metadata.get("pattern")
    try:
        compiled = re.compile(pattern) if pattern else None
    except re.error:
        compiled = None
    return StringRule(
        where=f"{path} (shape {shape.name})",
        pattern=pattern,
        compiled=compiled,
        low=shape.metadata.get("min"),
        high=shape.metadata.get("max"),
    )


def string_problems(prop: str, value: str | None, path: str) -> list[Problem]:
    """A problem for each of the length and the pattern of the service model's ``path``
    that ``value`` breaks; a token or None is skipped."""
    if value is None or not isinstance(value, str) or is_token(value):
        return []
    rule = string_rule(path)
    source = f"as botocore's SageMaker model has {rule.where}"
    low, high = rule.low or 0, rule.high
    found = []
    if len(value) < low or (high is not None and len(value) > high):
        bounds = f"{low} to {high}" if high is not None else f"at least {low}"
        found.append(Problem(prop, value, f"must be {bounds} characters long ({len(value)} given), {source}"))
    if rule.compiled is not None and not rule.compiled.fullmatch(value):
        found.append(Problem(prop, value, f"must match {rule.pattern}, {source}"))
    return found


def check_string(found: Problems, prop: str, value: str | None, path: str) -> None:
    """:func:`string_problems`, added to ``found``."""
    found.extend(string_problems(prop, value, path))


def key_and_role_problems(api: str, key: Any, role: Any) -> list[Problem]:
    """The ARNs of an imported KMS key (``OutputConfig.KmsKeyId``) and role (``RoleArn``) of
    operation ``api``. A key or role created in this app has a token ARN: it is not asked for
    (one jsii round trip less per construct)."""
    found = []
    if key is not None and not isinstance(key, kms.Key):
        found.extend(string_problems("kms_key", key.key_arn, f"{api}.OutputConfig.KmsKeyId"))
    if role is not None and not isinstance(role, iam.Role):
        found.extend(string_problems("role", role.role_arn, f"{api}.RoleArn"))
    return found


def members_of(shape_name: str) -> dict[str, Any]:
    """The members of a structure shape, by name."""
    return dict(service_model().shape_for(shape_name).members)


def integer_bounds(path: str) -> tuple[int | None, int | None]:
    """(min, max) of an integer member."""
    shape = shape_at(path)
    return shape.metadata.get("min"), shape.metadata.get("max")


def documentation(path: str) -> str:
    """The member's documentation (HTML), as the model holds it."""
    model = service_model()
    first, *members = path.split(".")
    shape = model.operation_model(first).input_shape if members else model.shape_for(first)
    for member in members[:-1]:
        shape = shape.members[member]
    return str(shape.members[members[-1]].documentation if members else shape.documentation)
