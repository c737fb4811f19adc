"""Collect-then-raise validation at synth time.

Each check adds a line naming the property, the value and the rule; values
that are unresolved tokens are skipped (they can only be checked at deploy
time). :meth:`Problems.raise_if_any` raises one ``ValueError`` listing all.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Token

MAX_VALUE_SHOWN = 200  # longer values are cut, so that one line stays readable


# CDK encodes string tokens as "${Token[...]}" (lists: "#{Token[...]}") and
# number tokens as doubles near -1.888e+289. Recognizing them here costs no
# round trip to the jsii kernel, which adds up over hundreds of constructs;
# Token.is_unresolved stays the fallback for anything else.
_STRING_TOKEN_MARKERS = ("{Token[", "1.8881545897087")
_NUMBER_TOKEN_LIMIT = 1e288


def is_token(value: Any) -> bool:
    if isinstance(value, str):
        return any(marker in value for marker in _STRING_TOKEN_MARKERS)
    if isinstance(value, (bool, int)):
        return False  # jsii hands number tokens to Python as floats
    if isinstance(value, float):
        return abs(value) > _NUMBER_TOKEN_LIMIT
    if isinstance(value, (dict, list, tuple)) or value is None:
        return False
    return bool(Token.is_unresolved(value))


def contains_token(value: Any) -> bool:
    if isinstance(value, dict):
        return any(contains_token(k) or contains_token(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(contains_token(v) for v in value)
    return is_token(value)


class Problems:
    """The problems found in one construct's properties."""

    def __init__(self, construct_name: str) -> None:
        self.construct_name = construct_name
        self.lines: list[str] = []

    def add(self, prop: str, value: Any, rule: str) -> None:
        shown = repr(value)
        if len(shown) > MAX_VALUE_SHOWN:
            shown = f"{shown[: MAX_VALUE_SHOWN - 30]}... ({len(shown)} characters)"
        self.lines.append(f"{prop} {rule} (got {shown})")

    def check_pattern(self, prop: str, value: str | None, pattern: str, description: str = "") -> None:
        if value is None or is_token(value):
            return
        if not re.fullmatch(pattern, value):
            self.add(prop, value, f"must match {description or pattern}")

    def check_length(self, prop: str, value: str | None, low: int, high: int) -> None:
        if value is None or is_token(value):
            return
        if not low <= len(value) <= high:
            self.add(prop, value, f"must be {low} to {high} characters long ({len(value)} given)")

    def check_range(
        self, prop: str, value: float | None, low: float | None, high: float | None, unit: str = ""
    ) -> None:
        if value is None or is_token(value):
            return
        suffix = f" {unit}" if unit else ""
        if low is not None and value < low:
            self.add(prop, value, f"must be at least {low}{suffix}")
        elif high is not None and value > high:
            self.add(prop, value, f"must be at most {high}{suffix}")

    def raise_if_any(self) -> None:
        if self.lines:
            listing = "\n".join(f"  - {line}" for line in self.lines)
            raise ValueError(f"{self.construct_name}: {len(self.lines)} invalid properties:\n{listing}")
