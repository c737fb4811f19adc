"""Schedules: what CloudFormation, Lambda and SageMaker do in one run, drawn from a seed.

A schedule is plain data (:class:`Schedule`), made by :func:`generate` from
a seed alone, so a seed replays exactly. :meth:`Schedule.describe` is its
readable form, printed with a failure.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.explorer.kinds import SPECS, KindSpec, Version

# Lambda's default maximum event age for asynchronous invocations (the construct sets none).
MAX_EVENT_AGE_SECONDS = 21600.0
# The changes an update makes to the previous version.
CHANGES = ("tags", "content", "form", "rename", "invalid", "valid", "content-same-name")


@dataclass(frozen=True)
class Op:
    """One stack operation. ``version``: index into :attr:`Schedule.versions`;
    ``sibling_fails_at``: seconds after the operation starts, another resource fails."""

    action: str  # create | update | delete
    version: int
    change: str = ""
    sibling_fails_at: float | None = None
    gap_before: float = 0.0


@dataclass(frozen=True)
class Faults:
    duplicate: float = 0.0  # chance that Lambda delivers an event twice
    delay: float = 0.0  # chance of a delay of up to two minutes (throttling, a busy queue)
    long_delay: float = 0.0  # chance of a delay up to the maximum event age
    drop: float = 0.0  # chance that a self-invocation is never delivered
    invoke_throttled: float = 0.0  # chance that the Invoke call itself is throttled
    sagemaker_throttled: float = 0.0  # per SageMaker call
    hang: float = 0.0  # per SageMaker call: the call hangs until Lambda's timeout
    dead_url: float = 0.0  # chance that a request's response URL fails for a while
    dead_url_seconds: float = 0.0
    stop_seconds: float = 20.0  # a compilation job's STOPPING
    delete_linger_seconds: float = 0.0  # a deleted compilation job stays describable
    flow_deleting_seconds: float = 3.0  # a flow definition's Deleting

    def describe(self) -> str:
        on = [f"{k}={v:g}" for k, v in vars(self).items() if v != getattr(Faults(), k)]
        return ", ".join(on) or "none"


@dataclass(frozen=True)
class Foreign:
    """A resource made outside this stack's resource: ``owner`` is "none" (no tags),
    "other-stack" or "other-resource" (this stack, another logical id)."""

    name: str
    owner: str


@dataclass(frozen=True)
class Schedule:
    seed: int
    kind: str
    versions: tuple[Version, ...]
    ops: tuple[Op, ...]
    faults: Faults
    foreign: tuple[Foreign, ...] = field(default=())

    @property
    def spec(self) -> KindSpec:
        return SPECS[self.kind]

    def describe(self) -> str:
        lines = [f"seed {self.seed}: {self.kind}", f"  faults: {self.faults.describe()}"]
        lines += [f"  foreign: {f.name} ({f.owner})" for f in self.foreign]
        lines += [f"  v{i}: {v.describe()}" for i, v in enumerate(self.versions)]
        for op in self.ops:
            sibling = "" if op.sibling_fails_at is None else f", a sibling fails at +{op.sibling_fails_at:.0f}s"
            change = f" ({op.change})" if op.change else ""
            lines.append(f"  after {op.gap_before:.0f}s: {op.action} v{op.version}{change}{sibling}")
        return "\n".join(lines)


# --- generation -----------------------------------------------------------------------------
def _duration(rng: random.Random, spec: KindSpec, valid: bool) -> float:
    if not valid:
        return rng.uniform(0.0, spec.max_duration / 3)
    return rng.choice((rng.uniform(0.0, 10.0), rng.uniform(0.0, spec.max_duration)))


def _first_version(rng: random.Random, spec: KindSpec) -> Version:
    valid = rng.random() > 0.15
    name = rng.choice(("generated", "generated", "a"))
    return Version(name, rng.randrange(3), 0, rng.randrange(3), valid, _duration(rng, spec, valid))


def _new_name(rng: random.Random, old: Version, change: str) -> str:
    if change == "rename":
        return rng.choice([n for n in ("generated", "a", "b") if n != old.name])
    if change == "content" and old.name != "generated" and rng.random() < 0.7:
        return "b" if old.name == "a" else "a"  # the README's advice: rename with the change
    return old.name


def _changed(rng: random.Random, spec: KindSpec, old: Version, change: str) -> Version:
    """The version after ``change`` (one of :data:`CHANGES`) to ``old``."""
    content = (old.content + 1) % 3 if change in ("content", "content-same-name", "invalid") else old.content
    form = 1 - old.form if change == "form" else old.form
    tags = (old.tags + 1 + rng.randrange(2)) % 4 if change == "tags" else old.tags
    valid = old.valid if change in ("tags", "form") else change != "invalid"
    name = _new_name(rng, old, change)
    return Version(name, content, form, tags, valid, _duration(rng, spec, valid))


def _sibling(rng: random.Random, version: Version) -> float | None:
    if rng.random() > 0.3:
        return None
    return rng.uniform(0.0, version.duration * 1.3 + 30.0)


def _gap(rng: random.Random) -> float:
    return rng.choice((rng.uniform(0.0, 30.0), rng.uniform(0.0, 900.0), rng.uniform(3600.0, 8000.0)))


def _ops(rng: random.Random, spec: KindSpec) -> tuple[list[Version], list[Op]]:
    versions = [_first_version(rng, spec)]
    ops = [Op("create", 0, sibling_fails_at=_sibling(rng, versions[0]))]
    for _ in range(rng.randrange(4)):
        change = rng.choice(CHANGES)
        new = _changed(rng, spec, versions[-1], change)
        if new.content_key() == versions[-1].content_key():  # CloudFormation sends no Update for no change
            change, new = "tags", _changed(rng, spec, versions[-1], "tags")
        versions.append(new)
        index = len(versions) - 1
        ops.append(Op("update", index, change, _sibling(rng, versions[index]), _gap(rng)))
    if rng.random() < 0.8:
        ops.append(Op("delete", len(versions) - 1, gap_before=_gap(rng)))
    return versions, ops


def _faults(rng: random.Random) -> Faults:
    def maybe(chance: float, low: float, high: float) -> float:
        return rng.uniform(low, high) if rng.random() < chance else 0.0

    return Faults(
        duplicate=maybe(0.3, 0.05, 0.5),
        delay=maybe(0.3, 0.05, 0.5),
        long_delay=maybe(0.1, 0.02, 0.2),
        drop=maybe(0.15, 0.05, 0.3),
        invoke_throttled=maybe(0.2, 0.05, 0.5),
        sagemaker_throttled=maybe(0.3, 0.02, 0.3),
        hang=maybe(0.1, 0.005, 0.03),
        dead_url=maybe(0.2, 0.2, 1.0),
        dead_url_seconds=rng.uniform(5.0, 600.0),
        stop_seconds=rng.choice((20.0, 20.0, rng.uniform(20.0, 600.0))),
        delete_linger_seconds=rng.choice((0.0, 0.0, rng.uniform(0.0, 120.0))),
        flow_deleting_seconds=rng.choice((3.0, 3.0, rng.uniform(3.0, 600.0), rng.uniform(3600.0, 7200.0))),
    )


def _foreign(rng: random.Random, spec: KindSpec, versions: list[Version], generated: str) -> tuple[Foreign, ...]:
    if rng.random() > 0.4:
        return ()
    candidates = [spec.explicit_name("a"), spec.explicit_name("b"), generated[:-10] + "f0reign000"]
    candidates.append(name_of(spec, versions[0], generated))
    candidates = sorted(set(candidates))
    names = rng.sample(candidates, rng.randrange(1, 3))
    return tuple(Foreign(name, rng.choice(("none", "other-stack", "other-resource"))) for name in names)


def generate(seed: int, generated_name: Callable[[str], str]) -> Schedule:
    """The schedule of ``seed`` (``generated_name``: the synthesized app's, per kind)."""
    rng = random.Random(seed)
    kind = rng.choice(tuple(kind for kind, spec in SPECS.items() for _ in range(spec.weight)))
    spec = SPECS[kind]
    versions, ops = _ops(rng, spec)
    foreign = _foreign(rng, spec, versions, generated_name(kind))
    return Schedule(seed, kind, tuple(versions), tuple(ops), _faults(rng), foreign)


def name_of(spec: KindSpec, version: Version, generated: str) -> str:
    """The resource name a version has: an explicit one, or the generated name,
    whose hash (the last 10 characters) covers every property but the tags."""
    if version.name != "generated":
        return spec.explicit_name(version.name)
    digest = f"{version.content}{version.form}{int(version.valid)}".encode().hex()
    return generated[:-10] + digest.rjust(10, "0")[:10]
