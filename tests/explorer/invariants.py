"""The invariants checked after every schedule, once the stack has settled (issue 15, section 3).

Each check returns the problems it found, each a sentence; :func:`check`
returns the first invariant that does not hold, with its problems.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.explorer.model import Chain, Request, Run
from tests.harness.world import Invocation

SLACK_SECONDS = 1.0  # the world's steps and an answer's own delivery


@dataclass(frozen=True)
class Violation:
    invariant: str
    problems: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.invariant}:\n" + "\n".join(f"    - {p}" for p in self.problems)


def answered_in_time(run: Run) -> list[str]:
    """1. Every request answered before its ServiceTimeout; the stack never needs a person."""
    problems = [
        f"{r.role} {r.request_type} v{r.version} was not answered within its ServiceTimeout"
        for r in run.requests
        if r.closed == "timed out" and not r.dropped
    ]
    if run.needs_person:
        problems.append(f"the stack is left {run.needs_person}")
    return problems


def owned_is_held(run: Run) -> list[str]:
    """2. The resources this stack owns are exactly those it holds."""
    owned = {e.name: e for e in run.owned()}
    held = {run.held} if run.held else set()
    problems = [
        f"{name} ({e.status}) is owned by the stack but not held by it" + (": still running" if e.running else "")
        for name, e in owned.items()
        if name not in held
    ]
    if not run.stack_status.endswith("_FAILED"):  # a failed Delete may have removed it: the next one ends it
        problems += [f"the stack holds {name}, which SageMaker does not have" for name in held if name not in owned]
    return problems


def foreign_untouched(run: Run) -> list[str]:
    """3. Nothing without this stack's ownership tags was stopped, deleted, re-tagged or adopted."""
    problems = []
    for name, before in run.foreign_before.items():
        after = run._snapshot(name)
        if after[0] is None:
            problems.append(f"foreign {name} was deleted")
        elif after[0] != before[0]:
            problems.append(f"foreign {name} was re-tagged: {before[0]} -> {after[0]}")
        if after[1] != before[1]:
            problems.append(f"foreign {name} was stopped")
    for request in run.requests:
        adopted = request.answer and request.answer["Status"] == "SUCCESS" and request.request_type != "Delete"
        if adopted and request.answer["PhysicalResourceId"] in run.foreign_before:  # type: ignore[index]
            problems.append(
                f"{request.role} {request.request_type} adopted foreign {request.answer['PhysicalResourceId']}"
            )  # type: ignore[index]
    return problems


def _invocation_problem(request: Request, chain: Chain, inv: Invocation) -> str | None:
    what = f"{request.role} {request.request_type} v{request.version}"
    ended = inv.ended_at or 0.0
    if inv.start < request.deadline and ended > request.deadline + SLACK_SECONDS:
        return f"an invocation of {what} ran {ended - request.deadline:.0f}s past the ServiceTimeout"
    if inv.start >= request.deadline and chain.hand_overs.get(id(inv)):
        return f"a late invocation of {what} handed over after the ServiceTimeout"
    return None


def _chain_problems(run: Run, path: str) -> list[str]:
    request = next((r for r in run.requests if r.path == path), None)
    if request is None:
        return []
    chain = run.chains[path]
    found = (_invocation_problem(request, chain, inv) for inv in chain.invocations)
    return [problem for problem in found if problem]


def within_budget(run: Run) -> list[str]:
    """4. No invocation outlived its budget; no chain outlived ServiceTimeout."""
    problems = [f"invocation {inv.label} ran into Lambda's timeout" for inv in run.timed_out_invocations()]
    for path in run.chains:
        problems += _chain_problems(run, path)
    return problems


def attributes_match(run: Run) -> list[str]:
    """5. Every answer's attributes describe the resource its physical id names."""
    return [
        f"{r.role} {r.request_type} v{r.version}: {r.attribute_problem}" for r in run.requests if r.attribute_problem
    ]


INVARIANTS: tuple[tuple[str, Callable[[Run], list[str]]], ...] = (
    ("1 answered in time, no stack left needing a person", answered_in_time),
    ("2 owned resources are exactly the held ones", owned_is_held),
    ("3 foreign resources untouched", foreign_untouched),
    ("4 invocations and chains within their budgets", within_budget),
    ("5 attributes describe the physical id", attributes_match),
)


def check(run: Run) -> Violation | None:
    for name, invariant in INVARIANTS:
        problems = invariant(run)
        if problems:
            return Violation(name, tuple(problems))
    return None
