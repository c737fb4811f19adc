"""What one invocation decides: an answer for CloudFormation, or a hand-over,
and the reasons a FAILED answer carries (CloudFormation shows 256 characters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUCCESS = "SUCCESS"
FAILED = "FAILED"
MAX_REASON = 256


@dataclass
class Answer:
    """What CloudFormation is told."""

    status: str
    physical_id: str
    reason: str = ""
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class HandOver:
    """Not finished: the next invocation continues from ``state`` (a serialized
    :class:`continuation.Continuation`)."""

    state: dict[str, Any]


Outcome = Answer | HandOver


class Failure(Exception):
    """Answer FAILED with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OutOfTime(Exception):
    """This invocation must stop starting calls: hand over or answer."""


def fit_reason(reason: str, limit: int = MAX_REASON) -> str:
    """Cut to ``limit`` characters, keeping the tail (name, status, SageMaker's reason)."""
    if len(reason) <= limit:
        return reason
    return "..." + reason[len(reason) - (limit - 3) :]


def fit_head(reason: str, limit: int = MAX_REASON) -> str:
    """Cut to ``limit`` characters, keeping the head (a list of property problems)."""
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


def compose_reason(lead: str, key: str, detail: str, limit: int = MAX_REASON) -> str:
    """``<lead> <key>: <detail>`` in at most ``limit`` characters; ``key`` (name and
    status) always survives whole, a long ``detail`` keeps its tail, ``lead`` goes first."""
    full = f"{lead} {key}: {detail}"
    if len(full) <= limit:
        return full
    room = limit - len(key) - 2
    if room < 16:
        return fit_reason(full, limit)
    if len(detail) > room:
        return f"{key}: ...{detail[len(detail) - (room - 3) :]}"
    return fit_reason(full, limit)
