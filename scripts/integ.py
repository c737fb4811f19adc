"""``make integ``: deploy each integ app to a real account, report each assertion, destroy it.

For every ``integ/integ_*.py`` (or the ones named):

1. ``cdk synth`` into ``cdk.out/integ/<app>/`` with the pinned CLI;
2. ``cdk deploy --all`` of that assembly (the stack under test, then its
   assertion stack; an assertion that does not hold fails the deploy);
3. one line per assertion: PASS (its ``AssertionResults…`` output says
   success), FAIL (with CloudFormation's reason) or NOT RUN;
4. ``cdk destroy --all --force``, whatever happened (``--keep`` leaves the stacks).

Then the opt-in ``pytest -m aws`` suite (``tests/integ/aws``), unless ``--no-pytest``.
Every outcome is appended to the Results table of ``ASSUMPTIONS.md``
(``--no-record`` leaves it alone), to be committed with the date and region.

Without credentials (or without a region) it fails with one line and exit
status 2, before anything is synthesized.

    python -m scripts.integ                                   # every app, then the aws suite
    python -m scripts.integ integ_compilation_job --no-pytest # one app
    python -m scripts.integ -c workteam_arn=arn:aws:sagemaker:eu-west-1:123456789012:workteam/private-crowd/me
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parents[1]
APPS_DIR = REPO / "integ"
ASSEMBLIES = REPO / "cdk.out" / "integ"  # ignored by git; make synth removes it
ASSUMPTIONS = REPO / "ASSUMPTIONS.md"
AWS_SUITE = "tests/integ/aws"
CDK = ["npx", "--no-install", "cdk"]
ASSERTION_OUTPUT_PREFIX = "AssertionResults"  # integ/common.py
ASSERTION_RESOURCE_PREFIX = "Custom::DeployAssert@"
EQUALS_RESOURCE = ASSERTION_RESOURCE_PREFIX + "AssertEquals"
RESULTS_HEADING = "## Results"
NOT_RUN_ROW = "| not run | | | |"
NO_CREDENTIALS = (
    "make integ: no AWS credentials (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); "
    "nothing was deployed"
)


@dataclass(frozen=True)
class Check:
    """One reported outcome: an assertion of an app, an app as a whole, or an aws-marked test."""

    name: str
    status: str  # PASS, FAIL, NOT RUN, SKIPPED
    detail: str = ""

    def line(self) -> str:
        return f"{self.status:8} {self.name}" + (f": {self.detail}" if self.detail else "")


# --- credentials ---------------------------------------------------------------------------
def credentials_problem() -> tuple[str | None, str, str]:
    """(one-line problem or None, account, region) of the default credential chain."""
    import boto3
    from botocore.config import Config

    session = boto3.Session()
    if session.get_credentials() is None:
        return NO_CREDENTIALS, "", ""
    region = session.region_name or ""
    if not region:
        return "make integ: no AWS region (set AWS_REGION or the profile's region); nothing was deployed", "", ""
    config = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 2})
    try:
        account = str(session.client("sts", config=config).get_caller_identity()["Account"])
    except Exception as error:  # noqa: BLE001 - one line, whatever it was
        return (
            f"make integ: the credentials do not work ({type(error).__name__}: {error}); nothing was deployed",
            "",
            "",
        )
    return None, account, region


# --- apps ---------------------------------------------------------------------------------------
def discover_apps() -> list[str]:
    return sorted(path.stem for path in APPS_DIR.glob("integ_*.py"))


def missing_inputs(module: Any, context: Mapping[str, str]) -> list[str]:
    """The required inputs of an app module that neither ``context`` nor the environment gives."""
    return [
        f"{item.context_key} (-c {item.context_key}=... or {item.env_var}: {item.help})"
        for item in module.REQUIRED
        if not item.given(context)
    ]


def expected_assertions(template: Mapping[str, Any]) -> list[str]:
    """The logical ids of the assertions of a synthesized assertion stack that fail the
    deploy: EqualsAssertions, and API calls with an expected result."""
    names = []
    for logical_id, resource in sorted((template.get("Resources") or {}).items()):
        kind = str(resource.get("Type", ""))
        props = resource.get("Properties") or {}
        if kind == EQUALS_RESOURCE or (kind.startswith(ASSERTION_RESOURCE_PREFIX) and "expected" in props):
            names.append(logical_id)
    return names


def _status_of(value: Any) -> str:
    """The ``status`` inside an AssertionResults output (JSON, possibly nested in strings)."""
    for _ in range(4):
        if isinstance(value, dict):
            if "status" in value:
                return str(value["status"])
            value = value.get("assertion", value.get("data"))
        elif isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return str(value)
        else:
            break
    return ""


def assertion_checks(
    app: str, names: Sequence[str], outputs: Mapping[str, str], failures: Mapping[str, str]
) -> list[Check]:
    """One check per assertion: its output (deployed), its CloudFormation failure, or neither."""
    checks = []
    for name in names:
        output = next((v for k, v in outputs.items() if k.startswith(ASSERTION_OUTPUT_PREFIX + name)), None)
        label = f"{app} {name}"
        if name in failures:
            checks.append(Check(label, "FAIL", failures[name]))
        elif output is not None:
            status = _status_of(output)
            checks.append(
                Check(label, "PASS" if status == "success" else "FAIL", "" if status == "success" else output)
            )
        else:
            checks.append(Check(label, "NOT RUN", "the deploy stopped before it"))
    return checks


def failed_resources(stack_name: str) -> dict[str, str]:
    """Logical id -> reason of every resource that failed in the stack's latest events."""
    import boto3

    try:
        events = boto3.client("cloudformation").describe_stack_events(StackName=stack_name)["StackEvents"]
    except Exception:  # noqa: BLE001 - the stack may never have been created
        return {}
    reasons: dict[str, str] = {}
    for event in events:  # newest first
        status = str(event.get("ResourceStatus", ""))
        reason = str(event.get("ResourceStatusReason", ""))
        if status.endswith("_FAILED") and "cancelled" not in reason.lower():
            reasons.setdefault(str(event["LogicalResourceId"]), reason)
    return reasons


# --- running -----------------------------------------------------------------------------------
def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{REPO / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
    return env


def _cdk(*args: str) -> int:
    command = [*CDK, *args, "--no-notices"]
    print("$", " ".join(command), flush=True)
    return subprocess.call(command, cwd=REPO, env=_environment())


def run_app(app: str, context: Mapping[str, str], keep: bool) -> list[Check]:
    module = importlib.import_module(f"integ.{app}")
    missing = missing_inputs(module, context)
    if missing:
        return [Check(app, "SKIPPED", "needs " + "; ".join(missing))]
    assembly = ASSEMBLIES / app
    context_args = [arg for key, value in sorted(context.items()) for arg in ("-c", f"{key}={value}")]
    python = REPO / ".venv" / "bin" / "python"
    if _cdk("synth", "--quiet", "--app", f"{python} -m integ.{app}", "--output", str(assembly), *context_args):
        return [Check(app, "FAIL", "cdk synth failed")]
    stack, assertions_stack = f"Integ{module.NAME}", f"Integ{module.NAME}Assertions"
    template = json.loads((assembly / f"{assertions_stack}.template.json").read_text(encoding="utf-8"))
    names = expected_assertions(template)
    with tempfile.TemporaryDirectory() as scratch:
        outputs_file = Path(scratch) / "outputs.json"
        deployed = _cdk(
            "deploy",
            "--app",
            str(assembly),
            "--all",
            "--require-approval",
            "never",
            "--outputs-file",
            str(outputs_file),
        )
        outputs = json.loads(outputs_file.read_text(encoding="utf-8")) if outputs_file.is_file() else {}
    failures = {} if deployed == 0 else {**failed_resources(stack), **failed_resources(assertions_stack)}
    checks = [Check(app, "PASS" if deployed == 0 else "FAIL", "deployed" if deployed == 0 else "cdk deploy failed")]
    if deployed and failures:
        checks += [Check(f"{app} {k}", "FAIL", v) for k, v in failures.items() if k not in names]
    checks += assertion_checks(app, names, outputs.get(assertions_stack, {}), failures)
    if keep:
        checks.append(Check(f"{app} destroy", "SKIPPED", f"--keep: delete {assertions_stack} and {stack} yourself"))
    elif _cdk("destroy", "--app", str(assembly), "--all", "--force"):
        checks.append(Check(f"{app} destroy", "FAIL", f"delete {assertions_stack} and {stack} by hand"))
    return checks


def run_aws_suite(region: str) -> list[Check]:
    """``pytest -m aws`` on the suite, one check per test (from its JUnit report)."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "aws.xml"
        env = {**_environment(), "SMC_AWS_REGION": region}
        command = [str(REPO / ".venv" / "bin" / "python"), "-m", "pytest", "-m", "aws", AWS_SUITE, "-rA"]
        print("$", " ".join(command), flush=True)
        subprocess.call([*command, f"--junitxml={report}"], cwd=REPO, env=env)
        if not report.is_file():
            return [Check("pytest -m aws", "FAIL", "pytest wrote no report")]
        return junit_checks(report.read_text(encoding="utf-8"))


def junit_checks(xml: str) -> list[Check]:
    checks = []
    for case in ElementTree.fromstring(xml).iter("testcase"):
        name = f"aws {case.get('name', '')}"
        problem = next((child for child in case if child.tag in ("failure", "error")), None)
        skipped = case.find("skipped")
        if problem is not None:
            checks.append(Check(name, "FAIL", (problem.get("message") or "").splitlines()[0][:300]))
        elif skipped is not None:
            checks.append(Check(name, "SKIPPED", skipped.get("message") or ""))
        else:
            checks.append(Check(name, "PASS"))
    return checks


# --- recording --------------------------------------------------------------------------------
def recorded(text: str, when: str, where: str, checks: Sequence[Check]) -> str:
    """``text`` (ASSUMPTIONS.md) with one row per check added to the Results table,
    replacing its "not run" row."""
    rows = [f"| {when} | {where} | {c.name} | {c.status}{': ' + c.detail if c.detail else ''} |" for c in checks]
    rows = [row.replace("\n", " ") for row in rows]
    lines = text.splitlines()
    if RESULTS_HEADING not in lines:
        raise ValueError(f"{ASSUMPTIONS.name} has no '{RESULTS_HEADING}' section")
    start = lines.index(RESULTS_HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = [line for line in lines[start:end] if line.strip() != NOT_RUN_ROW]
    last = max((i for i, line in enumerate(section) if line.startswith("|")), default=len(section) - 1)
    section[last + 1 : last + 1] = rows
    return "\n".join(lines[:start] + section + lines[end:]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Deploy and destroy the integ apps; report each assertion.")
    parser.add_argument("apps", nargs="*", help="app module names (default: every integ/integ_*.py)")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", action="store_true", help="do not destroy the stacks")
    parser.add_argument("--no-pytest", action="store_true", help="do not run the pytest -m aws suite")
    parser.add_argument("--no-record", action="store_true", help=f"do not add the results to {ASSUMPTIONS.name}")
    args = parser.parse_args(argv)
    context = dict(pair.split("=", 1) for pair in args.context if "=" in pair)
    apps = args.apps or discover_apps()
    unknown = sorted(set(apps) - set(discover_apps()))
    if unknown:
        print(
            f"make integ: no such integ app: {', '.join(unknown)} (have: {', '.join(discover_apps())})", file=sys.stderr
        )
        return 2
    problem, account, region = credentials_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    checks: list[Check] = []
    for app in apps:
        checks += run_app(app, context, args.keep)
    if not args.no_pytest:
        checks += run_aws_suite(region)
    print("\nResults:")
    for check in checks:
        print("  " + check.line())
    if not args.no_record:
        when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
        where = f"…{account[-4:]} {region}"
        ASSUMPTIONS.write_text(recorded(ASSUMPTIONS.read_text(encoding="utf-8"), when, where, checks), encoding="utf-8")
        print(f"recorded in {ASSUMPTIONS.name}: review and commit it")
    return 1 if any(check.status == "FAIL" for check in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
