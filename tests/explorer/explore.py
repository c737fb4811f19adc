"""Run schedules by seed: one (:func:`run_seed`) or thousands (``python -m tests.explorer``).

make explore N=10000 SEED=0      # seeds 0..9999, progress, the first failure in full
.venv/bin/python -m tests.explorer --seed 1234 --n 1 --trace   # replay one seed
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.explorer import policy
from tests.explorer.app import Synthesized, synthesize
from tests.explorer.invariants import Violation, check
from tests.explorer.model import Run
from tests.explorer.schedule import Schedule, generate
from tests.harness import STACK_ID, ResponseServer


@dataclass
class Result:
    schedule: Schedule
    violation: Violation | None
    trace: list[str]
    invocations: list[str]
    error: BaseException | None = None
    run: Run | None = field(default=None, repr=False)

    def summary(self) -> str:
        if self.violation is None:
            return f"raised {self.error!r}"
        return f"invariant {self.violation.invariant}: {self.violation.problems[0]}"

    @property
    def failed(self) -> bool:
        return self.violation is not None or self.error is not None

    def report(self) -> str:
        lines = [self.schedule.describe()]
        if not policy.available(self.schedule.kind):
            lines.append(f"  IAM: NOT enforced for {self.schedule.kind} (no evaluator, or no construct renders it)")
        lines.append("trace:")
        lines += self.trace
        lines.append("invocations:")
        lines += self.invocations
        if self.error is not None:
            lines.append(f"the run raised {type(self.error).__name__}: {self.error}")
        if self.violation is not None:
            lines.append("violated: " + self.violation.describe())
        lines.append(f"replay: make explore N=1 SEED={self.schedule.seed} TRACE=1")
        return "\n".join(lines)


def run_seed(seed: int, synthesized: Synthesized, server: ResponseServer) -> Result:
    schedule = generate(seed, synthesized.generated_name)
    run = Run(schedule, synthesized, server)
    try:
        run.run()
    except Exception as error:  # noqa: BLE001 - a crash of the handler or the model is a finding too
        return Result(schedule, None, run.trace, run.invocation_lines(), error, run)
    return Result(schedule, check(run), run.trace, run.invocation_lines(), run=run)


@contextlib.contextmanager
def environment() -> Iterator[ResponseServer]:
    """What tests/conftest.py sets up for a pytest session, for the command line."""
    from sagemaker_constructs import _wire

    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    for key, value in (("AWS_REGION", "us-east-1"), ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ[key] = value
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ[_wire.ENV_STACK_ID] = STACK_ID
    server = ResponseServer()
    os.environ["SSL_CERT_FILE"] = server.ca_file
    try:
        yield server
    finally:
        server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="how many seeds")
    parser.add_argument("--seed", type=int, default=0, help="the first seed")
    parser.add_argument("--trace", action="store_true", help="print every schedule's trace")
    parser.add_argument("--keep-going", action="store_true", help="go on after a failure; list every failing seed")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # the handler logs every step
    with environment() as server:
        synthesized = synthesize()
        return _explore(args, synthesized, server)


def _explore(args: argparse.Namespace, synthesized: Synthesized, server: ResponseServer) -> int:
    start = time.monotonic()
    failing: list[tuple[int, str]] = []
    for i, seed in enumerate(range(args.seed, args.seed + args.n), 1):
        result = run_seed(seed, synthesized, server)
        if args.trace:
            print(result.report(), flush=True)
        if result.failed:
            failing.append((seed, result.summary()))
            if not args.keep_going:
                print(result.report(), flush=True)
                break
        if i % 100 == 0 or i == args.n:
            print(f"{i} schedules, {len(failing)} failing, {time.monotonic() - start:.0f}s", flush=True)
    for seed, what in failing:
        print(f"FAILED seed {seed}: {what}")
    if failing:
        print(f"replay one: make explore N=1 SEED={failing[0][0]} TRACE=1")
    print(f"ran {i} schedules in {time.monotonic() - start:.0f}s; {len(failing)} failed")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
