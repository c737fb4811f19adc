"""The runner: it owns the pauses, the deadline and the hand-overs of every wait.

The creation wait and the removal wait are the same loop: poll the step; an
answer ends it, another step replaces it; otherwise pause one describe
interval, or hand over to the next invocation when this one runs out, or let
the step answer at the deadline. (Re-sending an answer that did not get
through is the adapter's part of the runner: it needs the HTTP sender.)
"""

from __future__ import annotations

from invocation import Run
from outcomes import Answer, HandOver, Outcome, OutOfTime
from steps import Step


def drive(run: Run, step: Step) -> Outcome:
    """Run ``step`` (and the steps it turns into) until an answer or a hand-over."""
    step.begin(run)
    while True:
        try:
            result = step.poll(run)
        except OutOfTime:
            if run.now() < run.deadline:
                return HandOver(step.save(run, interrupted=True).dump())
            return step.at_deadline(run)
        if isinstance(result, Answer):
            return result
        if result is not None:
            step = result
            step.begin(run)
            continue
        if run.now() >= run.deadline:
            return step.at_deadline(run)
        if not run.pause_or_stop():
            return HandOver(step.save(run, interrupted=False).dump())
