"""``HumanLoopActivationConditions``: checked against A2I's JSON schema for
activation conditions, and rendered as the JSON string the API takes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import Stack
from constructs import IConstruct

from .._validation import Problem, Problems, contains_token
from . import conditions_schema
from .types import HumanLoopRequestSource

ACTIVATION_CONDITIONS_MAX = 10240
# The condition types each request source allows; And/Or may nest them.
CONDITION_TYPES: dict[HumanLoopRequestSource, frozenset[str]] = {
    HumanLoopRequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE_V3: frozenset(
        {"ModerationLabelConfidenceCheck", "Sampling"}
    ),
    HumanLoopRequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS_V1: frozenset(
        {"ImportantFormKeyConfidenceCheck", "MissingImportantFormKey", "Sampling"}
    ),
}
LOGICAL_OPERATORS = ("And", "Or")
PROP = "activation_conditions"


def _condition_problems(node: Any, allowed: frozenset[str] | None, path: str) -> list[str]:
    """Walk a condition (and nested And/Or lists); return what is wrong, with its path."""
    if not isinstance(node, dict):
        return [f"{path} must be an object"]
    operators = [key for key in LOGICAL_OPERATORS if key in node]
    if operators:
        if len(node) != 1:
            return [f"{path} must hold only one of And/Or, with nothing beside it"]
        operator = operators[0]
        children = node[operator]
        if not isinstance(children, list) or not children:
            return [f"{path}.{operator} must be a non-empty array of conditions"]
        found: list[str] = []
        for i, child in enumerate(children):
            found.extend(_condition_problems(child, allowed, f"{path}.{operator}[{i}]"))
        return found
    condition_type = node.get("ConditionType")
    if not isinstance(condition_type, str):
        return [f"{path} must have a ConditionType (or be an And/Or of conditions)"]
    if allowed is not None and condition_type not in allowed:
        return [f"{path}.ConditionType {condition_type!r} is not allowed here; use one of {', '.join(sorted(allowed))}"]
    return conditions_schema.problems(node, path)


def problems(raw: Mapping[str, Any] | str, source: HumanLoopRequestSource | None) -> list[Problem]:
    """What is wrong with the conditions, for ``source`` (None: a source outside the enum,
    already reported). A token, or a mapping holding one, is checked at deploy time."""
    if contains_token(raw if isinstance(raw, str) else dict(raw)):
        return []
    found = Problems()
    if isinstance(raw, str):
        try:
            value: Any = json.loads(raw)
        except ValueError as error:
            found.add(PROP, raw, f"must be valid JSON ({error})")
            return found
    else:
        value = dict(raw)
    text = render_literal(raw)
    if len(text) > ACTIVATION_CONDITIONS_MAX:
        rule = f"must be at most {ACTIVATION_CONDITIONS_MAX} characters when serialized"
        found.add(PROP, f"<{len(text)} characters>", rule)
    conditions = value.get("Conditions") if isinstance(value, dict) else None
    if not isinstance(conditions, list) or not conditions:
        found.add(PROP, value, "must be an object with a top-level Conditions array of at least one condition")
        return found
    allowed = CONDITION_TYPES.get(source) if source is not None else None
    for i, condition in enumerate(conditions):
        for problem in _condition_problems(condition, allowed, f"Conditions[{i}]"):
            found.add(PROP, condition, problem)
    return found


def render_literal(raw: Mapping[str, Any] | str) -> str:
    """The JSON string the API takes: a string as given, a mapping compactly."""
    return raw if isinstance(raw, str) else json.dumps(dict(raw), separators=(",", ":"))


def render(scope: IConstruct, raw: Mapping[str, Any] | str) -> str:
    """:func:`render_literal`, or, for a mapping holding tokens, CloudFormation's ``Fn::Join``."""
    if not isinstance(raw, str) and contains_token(dict(raw)):
        return Stack.of(scope).to_json_string(dict(raw))
    return render_literal(raw)
