"""Acknowledging cdk-nag findings on this library's own IAM statements.

cdk-nag 3.x reads acknowledgments that ``Validations.of(scope).acknowledge``
records in construct metadata, on the flagged resource or any construct above
it. Its wildcard rule (AwsSolutions-IAM5) reports one finding per wildcard
resource, named ``AwsSolutions-IAM5[Resource::<resource>]`` with references
flattened the way cdk-nag flattens them (``<Logical.Attr>``, ``<AWS::Partition>``).
Only such exact findings are acknowledged here, each for a resource pattern
the library cannot narrow further; never a whole rule. Nothing here imports
cdk-nag: it is not a dependency of the library.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

WILDCARD_RULE = "AwsSolutions-IAM5"


def flatten(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag's ``flattenCfnReference`` spells it."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict) and "Fn::Join" in value:
        delimiter, items = value["Fn::Join"]
        return str(delimiter).join(flatten(item) for item in items)
    if isinstance(value, dict) and "Fn::Sub" in value:
        return flatten(value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        resource, attribute = value["Fn::GetAtt"]
        return f"<{flatten(resource)}.{flatten(attribute)}>"
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        return flatten(value["Fn::ImportValue"])
    if isinstance(value, dict) and "Ref" in value:
        return f"<{flatten(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def wildcard_finding(scope: IConstruct, resource: str) -> str:
    """The AwsSolutions-IAM5 finding id for the wildcard ``resource`` in ``scope``'s stack."""
    return f"{WILDCARD_RULE}[Resource::{flatten(Stack.of(scope).resolve(resource))}]"


def acknowledge_wildcard_resource(scope: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge the wildcard finding for exactly ``resource`` on ``scope`` and below.

    A resource from another stack resolves differently there (``Fn::ImportValue``),
    so its finding is left for the app to see rather than guessed."""
    Validations.of(scope).acknowledge(Acknowledgment(id=wildcard_finding(scope, resource), reason=reason))
