"""Cold-synth time and template size, each from its own ``python`` process."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESOURCE_LIMIT = 500


@dataclass
class Synth:
    variant: str
    jobs: int
    seconds: float  # wall time of the cold process (best of its runs)
    bytes: int
    resources: int
    jsii_round_trips: int
    template: dict[str, Any]

    @property
    def over_limit(self) -> bool:
        return self.resources > RESOURCE_LIMIT


def cold_synth(variant: str, jobs: int, runs: int = 1) -> Synth:
    """``python -m bench.synth_app`` in a fresh process; the fastest of ``runs``."""
    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    best: Synth | None = None
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix=f"bench-{variant}-{jobs}-") as outdir:
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "bench.synth_app", variant, str(jobs), outdir],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                raise RuntimeError(f"synth {variant} {jobs} failed:\n{done.stderr[-3000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            template = json.loads(Path(result["template"]).read_text())
        run = Synth(variant, jobs, seconds, result["bytes"], result["resources"], result["jsii_round_trips"], template)
        if best is None or run.seconds < best.seconds:
            best = run
    assert best is not None
    return best


def serialized_size(template: dict[str, Any]) -> int:
    """Bytes as CDK writes a template (``JSON.stringify(t, undefined, 1)``)."""
    return len(json.dumps(template, indent=1).encode())


def custom_resource_and_statement_bytes(one_job: Synth) -> tuple[int, int]:
    """The bytes one job's custom resource, and the one statement granting read
    on its model, take in the 1-job template (measured by removing each)."""
    template = one_job.template
    full = serialized_size(template)
    (logical_id,) = [k for k, v in template["Resources"].items() if v["Type"].startswith("Custom::")]
    without_resource = json.loads(json.dumps(template))
    del without_resource["Resources"][logical_id]
    resource_bytes = full - serialized_size(without_resource)

    without_statement = json.loads(json.dumps(template))
    for resource in without_statement["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        statements = resource["Properties"]["PolicyDocument"]["Statement"]
        for statement in list(statements):
            if "models/model0.tar.gz" in json.dumps(statement.get("Resource")) and "s3:GetObject" in json.dumps(
                statement["Action"]
            ):
                statement_copy = dict(statement)
                statement_copy["Resource"] = (
                    statement["Resource"][0] if isinstance(statement["Resource"], list) else statement["Resource"]
                )
                statements.remove(statement)
                statement_bytes = serialized_size(without_statement)
                statements.append(statement_copy)
                statement_bytes = serialized_size(without_statement) - statement_bytes
                return resource_bytes, statement_bytes
    raise RuntimeError("no statement granting read on models/model0.tar.gz in the 1-job template")


def synth_against_provider(jobs: int = 200, rounds: int = 5) -> tuple[list[Synth], list[Synth], float]:
    """The project's and the Provider variant's cold synth of ``jobs`` jobs, one after
    the other in each round (in turn first), and the median of the rounds' ratios: a busy
    machine slows both sides of a round alike."""
    ours: list[Synth] = []
    theirs: list[Synth] = []
    for round_number in range(rounds):
        order = ("project", "provider") if round_number % 2 == 0 else ("provider", "project")
        runs = {variant: cold_synth(variant, jobs) for variant in order}
        ours.append(runs["project"])
        theirs.append(runs["provider"])
    ratio = statistics.median(a.seconds / b.seconds for a, b in zip(ours, theirs, strict=True))
    return ours, theirs, ratio


if __name__ == "__main__":
    # python -m bench.synth [rounds]: 200 jobs, the project against the Provider, side by side.
    ours, theirs, ratio = synth_against_provider(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 5)
    one = cold_synth("project", 1)
    provider_one = cold_synth("provider", 1)
    print(
        f"200 jobs: project median {statistics.median(r.seconds for r in ours):.2f} s, Provider median "
        f"{statistics.median(r.seconds for r in theirs):.2f} s, median ratio {ratio:.2f}x; jsii round trips per "
        f"added job: project {(ours[0].jsii_round_trips - one.jsii_round_trips) / 199:.1f}, Provider "
        f"{(theirs[0].jsii_round_trips - provider_one.jsii_round_trips) / 199:.1f}"
    )
