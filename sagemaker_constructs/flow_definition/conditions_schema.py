"""The JSON schema of one simple human loop activation condition, as data, and the
small part of JSON Schema (draft-07) that reads it.

From "JSON Schema for Human Loop Activation Conditions in Amazon Augmented AI" and
its Amazon Rekognition and Amazon Textract pages (Amazon SageMaker Developer Guide):
a simple condition has a ``ConditionType`` and ``ConditionParameters``, whose keys
depend on the type; confidences and the sampling percentage are 0 to 100. And/Or
nesting is walked by :mod:`.conditions`, which calls :func:`problems` on each leaf.
"""

from __future__ import annotations

from typing import Any

PERCENT: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 100}
STRING: dict[str, Any] = {"type": "string", "minLength": 1}
STRINGS: dict[str, Any] = {"type": "array", "items": STRING}


def _confidences(prefix: str) -> dict[str, Any]:
    return {
        f"{prefix}{op}": PERCENT for op in ("Equals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals")
    }


MODERATION_CONFIDENCES = _confidences("Confidence")
FORM_CONFIDENCES = {**_confidences("KeyValueBlockConfidence"), **_confidences("WordBlockConfidence")}

PARAMETERS: dict[str, dict[str, Any]] = {
    "ModerationLabelConfidenceCheck": {
        "type": "object",
        "properties": {"ModerationLabelName": STRING, **MODERATION_CONFIDENCES},
        "required": ["ModerationLabelName"],
        "anyOf": [{"required": [key]} for key in MODERATION_CONFIDENCES],
        "additionalProperties": False,
    },
    "Sampling": {
        "type": "object",
        "properties": {"RandomSamplingPercentage": PERCENT},
        "required": ["RandomSamplingPercentage"],
        "additionalProperties": False,
    },
    "ImportantFormKeyConfidenceCheck": {
        "type": "object",
        "properties": {"ImportantFormKey": STRING, "ImportantFormKeyAliases": STRINGS, **FORM_CONFIDENCES},
        "required": ["ImportantFormKey"],
        "additionalProperties": False,
    },
    "MissingImportantFormKey": {
        "type": "object",
        "properties": {"ImportantFormKey": STRING, "ImportantFormKeyAliases": STRINGS},
        "required": ["ImportantFormKey"],
        "additionalProperties": False,
    },
}

SIMPLE_CONDITION: dict[str, Any] = {
    "type": "object",
    "properties": {"ConditionType": {"type": "string", "enum": sorted(PARAMETERS)}, "ConditionParameters": {}},
    "required": ["ConditionType", "ConditionParameters"],
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"ConditionType": {"const": name}}},
            "then": {"properties": {"ConditionParameters": parameters}},
        }
        for name, parameters in PARAMETERS.items()
    ],
}

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
}


def problems(value: Any, path: str, schema: dict[str, Any] = SIMPLE_CONDITION) -> list[str]:
    """What ``value`` breaks of ``schema``, each with its path (``Conditions[0].ConditionParameters``)."""
    expected = schema.get("type")
    if expected is not None and (
        not isinstance(value, _TYPES[expected]) or (expected == "number" and isinstance(value, bool))
    ):
        return [f"{path} must be a JSON {expected} (got {value!r})"]
    found: list[str] = []
    if "const" in schema and value != schema["const"]:
        found.append(f"{path} must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path} must be one of {', '.join(map(str, schema['enum']))} (got {value!r})")
    if "minimum" in schema and value < schema["minimum"]:
        found.append(f"{path} must be at least {schema['minimum']} (got {value!r})")
    if "maximum" in schema and value > schema["maximum"]:
        found.append(f"{path} must be at most {schema['maximum']} (got {value!r})")
    if "minLength" in schema and len(value) < schema["minLength"]:
        found.append(f"{path} must not be empty")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found.extend(problems(item, f"{path}[{i}]", schema["items"]))
    if isinstance(value, dict):
        found.extend(_object_problems(value, path, schema))
    for part in schema.get("allOf", []):
        if "if" in part:
            if not problems(value, path, part["if"]):
                found.extend(problems(value, path, part.get("then", {})))
        else:
            found.extend(problems(value, path, part))
    return found


def _object_problems(value: dict[str, Any], path: str, schema: dict[str, Any]) -> list[str]:
    found = [f"{path} must have {key}" for key in schema.get("required", []) if key not in value]
    properties = schema.get("properties", {})
    for key, item in value.items():
        if key in properties:
            found.extend(problems(item, f"{path}.{key}", properties[key]))
        elif schema.get("additionalProperties") is False:
            found.append(f"{path} must not have {key!r} (allowed: {', '.join(properties)})")
    branches = schema.get("anyOf", [])
    if branches and all(problems(value, path, branch) for branch in branches):
        # Every branch here is a "required" of one key: say which keys would do.
        keys = [key for branch in branches for key in branch.get("required", [])]
        found.append(f"{path} must have at least one of {', '.join(keys)}")
    return found
