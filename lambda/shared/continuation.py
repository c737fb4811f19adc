"""The continuation: what one invocation hands the next, as one typed value.

It is serialized (:meth:`Continuation.dump`) and parsed
(:meth:`Continuation.parse`) here and nowhere else; the adapter puts the
serialized value under ``_wire.CONTINUATION_KEY`` of the event it invokes
its own function with. Parsing is lenient: a continuation can be crafted
by anyone who may invoke the function, so every field has a safe default
and the engine checks ownership before it acts on one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

PHASE_WAIT = "wait"  # wait for the resource to reach a final status
PHASE_REMOVE = "remove"  # stop and delete, then answer
PHASE_ANSWER = "answer"  # deliver an answer that did not get through

# Field name -> key on the wire. The keys are written here only.
_KEYS = {
    "phase": "Phase",
    "name": "Name",
    "deadline": "Deadline",
    "started": "Started",
    "created": "Created",
    "extra": "Extra",
    "next_describe": "NextDescribe",
    "final": "Final",
    "sent": "Sent",
    "target": "Target",
    "deleting_since": "DeletingSince",
    "forward": "Forward",
    "answer": "Answer",
}


def number(value: Any) -> float | None:
    """A JSON number as a float; None for anything else (booleans included)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


@dataclass
class Continuation:
    """One request's state between invocations."""

    phase: str
    name: str = ""
    deadline: float | None = None  # when the request must be answered (engine's deadline)
    started: float | None = None  # when CloudFormation sent the request
    created: bool = False  # wait: this request made the resource (not adopted)
    extra: dict[str, str] = field(default_factory=dict)  # wait: the kind's extra attributes
    next_describe: float | None = None  # wait: where the describe cadence left off
    final: dict[str, Any] = field(default_factory=dict)  # remove: the answer it ends with
    sent: dict[str, bool] = field(default_factory=dict)  # remove: Stop / Delete accepted
    target: dict[str, str] = field(default_factory=dict)  # remove: the resource it set out to remove
    deleting_since: float | None = None  # remove: first seen deleting
    forward: bool = False  # the request began while its stack went forward (not in a rollback)
    answer: dict[str, Any] = field(default_factory=dict)  # answer: the body to deliver

    def dump(self) -> dict[str, Any]:
        """The wire form: every field that is set, under its key."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "phase" or not (value is None or value is False or value == {} or value == ""):
                out[_KEYS[item.name]] = value
        return out

    @classmethod
    def parse(cls, value: Any) -> Continuation | None:
        """The continuation an event carries; None when it carries none."""
        if not isinstance(value, dict):
            return None
        sent = value.get("Sent")
        return cls(
            phase=str(value.get("Phase", "")),
            name=str(value.get("Name", "")),
            deadline=number(value.get("Deadline")),
            started=number(value.get("Started")),
            created=value.get("Created") is True,
            extra=_strings(value.get("Extra")),
            next_describe=number(value.get("NextDescribe")),
            final=dict(value["Final"]) if isinstance(value.get("Final"), dict) else {},
            sent={str(k): v is True for k, v in sent.items()} if isinstance(sent, dict) else {},
            target=_strings(value.get("Target")),
            deleting_since=number(value.get("DeletingSince")),
            forward=value.get("Forward") is True,
            answer=dict(value["Answer"]) if isinstance(value.get("Answer"), dict) else {},
        )
