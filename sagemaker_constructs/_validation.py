"""Collect-then-raise validation at synth time.

A construct's validation is a function of its props that returns a list of
:class:`Problem`; each names the property, the value and the rule. Values that
are unresolved tokens are skipped (they can only be checked at deploy time).
:func:`raise_if_any` raises one ``ValueError`` listing them all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Token

MAX_VALUE_SHOWN = 200  # longer values are cut, so that one line stays readable


# CDK encodes string tokens as "${Token[...]}" (lists: "#{Token[...]}") and
# number tokens as doubles near -1.888e+289. Recognizing them here costs no
# round trip to the jsii kernel; Token.is_unresolved stays the fallback for
# anything else (Lazy values, IResolvable objects).
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


def shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`MAX_VALUE_SHOWN` characters."""
    text = repr(value)
    if len(text) > MAX_VALUE_SHOWN:
        text = f"{text[: MAX_VALUE_SHOWN - 30]}... ({len(text)} characters)"
    return text


@dataclass(frozen=True)
class Problem:
    """One invalid property: ``<prop> <rule> (got <value>)``."""

    prop: str
    value: Any
    rule: str

    def __str__(self) -> str:
        return f"{self.prop} {self.rule} (got {shown(self.value)})"


class Problems(list[Problem]):
    """The problems found so far, with the checks most properties share."""

    def add(self, prop: str, value: Any, rule: str) -> None:
        self.append(Problem(prop, value, rule))

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

    def check_range(self, prop: str, value: float | None, low: float, high: float) -> None:
        if value is None or is_token(value):
            return
        if value < low:
            self.add(prop, value, f"must be at least {low:g}")
        elif value > high:
            self.add(prop, value, f"must be at most {high:g}")

    def check_seconds(
        self, prop: str, duration: Duration | None, minimum: int, maximum: int | None = None, why_maximum: str = ""
    ) -> None:
        """A whole number of seconds in ``[minimum, maximum]``. A token is
        skipped, but it must be ``Duration.seconds(token)``: other units cannot
        be converted until deploy time."""
        if duration is None:
            return
        if duration.is_unresolved():
            if seconds_of(duration) is None:
                self.add(prop, duration.to_human_string(), "must be Duration.seconds(...) when it comes from a token")
            return
        seconds = duration.to_milliseconds() / 1000  # to_seconds() raises on a fraction of a second
        unit = "second" if minimum == 1 else "seconds"
        if seconds < minimum:
            self.add(prop, f"{seconds:g} s", f"must be at least {minimum} {unit}")
        elif maximum is not None and seconds > maximum:
            self.add(prop, f"{seconds:g} s", f"must be at most {maximum // 60} minutes{why_maximum}")
        elif seconds != math.floor(seconds):
            self.add(prop, f"{seconds:g} s", "must be a whole number of seconds")

    def check_output_prefix(self, prop: str, prefix: str, max_length: int) -> None:
        """An S3 key prefix: no leading ``/`` (``s3://bucket//key`` is another key)."""
        if is_token(prefix):
            return
        if prefix.startswith("/"):
            self.add(prop, prefix, "must not start with '/': S3 keys have no leading slash (s3://bucket//key)")
        self.check_length(prop, prefix, 0, max_length)


def seconds_of(duration: Duration) -> int | float | None:
    """Whole seconds to render: an int, a number token for ``Duration.seconds(token)``,
    or None for a token in another unit (which cannot be converted at synth time)."""
    if duration.is_unresolved():
        try:
            return duration.to_seconds()
        except RuntimeError:  # jsii: "Duration must be specified as 'Duration.seconds()' here"
            return None
    return int(duration.to_seconds(integral=False))


OUTPUT_PREFIX_WARNING = "sagemaker-constructs:outputPrefixSeparator"


def output_prefix_warning(prop: str, prefix: str) -> tuple[str, str] | None:
    """The warning (id, message) for a prefix that does not end in ``/`` (the job's
    or flow's name is appended to it). A token prefix is used as given."""
    if prefix and not is_token(prefix) and not prefix.endswith("/"):
        return OUTPUT_PREFIX_WARNING, (
            f"{prop} {prefix!r} does not end in '/': keys are written to {prefix}<name>/..., "
            f"not below {prefix}/; add the '/' unless that is intended"
        )
    return None


def raise_if_any(owner: object, problems: Iterable[Problem]) -> None:
    """One ``ValueError`` naming ``str(owner)`` and listing every problem."""
    lines = [str(problem) for problem in problems]
    if lines:
        listing = "\n".join(f"  - {line}" for line in lines)
        count = f"{len(lines)} invalid propert{'y' if len(lines) == 1 else 'ies'}"
        raise ValueError(f"{owner}: {count}:\n{listing}")
