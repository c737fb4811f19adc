"""Cold-synth time and template size, each from its own ``python`` process."""

from __future__ import annotations

import json
import os
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


def synth_ratio(small: int = 1, large: int = 200, rounds: int = 5) -> tuple[Synth, Synth]:
    """The project's cold synth of ``small`` and of ``large`` jobs, each the fastest
    of ``rounds`` runs taken in turn (so a busy machine slows both alike)."""
    best: dict[int, Synth] = {}
    for _ in range(rounds):
        for jobs in (small, large):
            run = cold_synth("project", jobs)
            if jobs not in best or run.seconds < best[jobs].seconds:
                best[jobs] = run
    return best[small], best[large]


if __name__ == "__main__":
    # python -m bench.synth [rounds]: the 1-job and 200-job cold synth, and their ratio.
    one, many = synth_ratio(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 5)
    print(
        f"1 job: {one.seconds:.2f} s, {one.jsii_round_trips} jsii round trips; "
        f"200 jobs: {many.seconds:.2f} s, {many.jsii_round_trips} round trips, {many.bytes:,} B, "
        f"{many.resources} resources; ratio {many.seconds / one.seconds:.2f}x; "
        f"{(many.jsii_round_trips - one.jsii_round_trips) / 199:.1f} round trips per added job"
    )
