"""Reading CloudFormation values in tests: :func:`flat` for a readable string, and
:func:`evaluate` to compute what a value becomes at deploy time from given attributes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def flat(value: Any) -> str:
    """A readable string for a CloudFormation value: Fn::Join pieces joined,
    Ref as ${Id}, GetAtt as ${Id.Attr}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::Join":
            return str(arg[0]).join(flat(part) for part in arg[1])
        if fn == "Ref":
            return "${" + arg + "}"
        if fn == "Fn::GetAtt":
            return "${" + ".".join(arg) + "}"
    return json.dumps(value, sort_keys=True)


def evaluate(value: Any, known: Mapping[str, str]) -> Any:
    """``value`` as CloudFormation computes it: Fn::Join, Fn::Select, Fn::Split, and Ref or
    Fn::GetAtt looked up in ``known`` (``"Id"`` or ``"Id.Attr"``; a missing one is a KeyError)."""
    if isinstance(value, list):
        return [evaluate(item, known) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        return {key: evaluate(item, known) for key, item in value.items()}
    ((fn, arg),) = value.items()
    if fn == "Ref":
        return known[arg]
    if fn == "Fn::GetAtt":
        return known[".".join(arg)]
    if fn == "Fn::Join":
        return str(arg[0]).join(str(evaluate(part, known)) for part in arg[1])
    if fn == "Fn::Split":
        return str(evaluate(arg[1], known)).split(arg[0])
    if fn == "Fn::Select":
        return evaluate(arg[1], known)[int(arg[0])]
    return {fn: evaluate(arg, known)}
