"""scripts/integ.py offline: the one-line failure without credentials, and how it reads results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import integ as runner

REPO = Path(__file__).resolve().parents[2]


def test_without_credentials_it_fails_with_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",  # no instance-metadata lookup from a test
    }
    result = subprocess.run(
        [sys.executable, "-m", "scripts.integ", "--no-record"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [runner.NO_CREDENTIALS]


def test_an_unknown_app_is_refused_before_anything_else() -> None:
    assert runner.main(["integ_nothing", "--no-record"]) == 2


def test_apps_that_need_inputs_are_skipped_without_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    flow = importlib.import_module("integ.integ_flow_definition")
    monkeypatch.delenv("SMC_INTEG_WORKTEAM_ARN", raising=False)
    assert runner.missing_inputs(flow, {}) and runner.missing_inputs(flow, {"workteam_arn": "arn:x"}) == []
    assert runner.missing_inputs(importlib.import_module("integ.integ_compilation_job"), {}) == []


def test_assertions_are_read_from_the_synthesized_template() -> None:
    template = {
        "Resources": {
            "JobCompleted": {"Type": "Custom::DeployAssert@AssertEquals", "Properties": {"failDeployment": True}},
            "AwsApiCallSageMakerlistTagsab": {
                "Type": "Custom::DeployAssert@SdkCallSageMakerlistTags",
                "Properties": {"expected": "{}", "stateMachineArn": "x"},
            },
            "AwsApiCallS3headObjectcd": {"Type": "Custom::DeployAssert@SdkCallS3headObject", "Properties": {}},
            "Bucket": {"Type": "AWS::S3::Bucket"},
        }
    }
    assert runner.expected_assertions(template) == ["AwsApiCallSageMakerlistTagsab", "JobCompleted"]


def test_each_assertion_is_pass_fail_or_not_run() -> None:
    outputs = {
        "AssertionResultsJobCompleted": '{"status":"success"}',
        "AssertionResultsAwsApiCallSageMakerlistTagsab": '"{\\"status\\":\\"fail\\",\\"message\\":\\"no tag\\"}"',
    }
    checks = runner.assertion_checks(
        "app",
        ["JobCompleted", "AwsApiCallSageMakerlistTagsab", "ArtifactObjectExists", "TaskUiActive"],
        outputs,
        {"ArtifactObjectExists": "Received response status [FAILED]: NotFound"},
    )
    assert [(c.name, c.status) for c in checks] == [
        ("app JobCompleted", "PASS"),
        ("app AwsApiCallSageMakerlistTagsab", "FAIL"),
        ("app ArtifactObjectExists", "FAIL"),
        ("app TaskUiActive", "NOT RUN"),
    ]
    assert "NotFound" in checks[2].detail


def test_pytest_results_are_read_from_the_junit_report() -> None:
    xml = """<testsuites><testsuite>
      <testcase name="test_a1"/>
      <testcase name="test_a2"><failure message="assert 1 == 2&#10;more">x</failure></testcase>
      <testcase name="test_a10"><skipped message="needs a work team"/></testcase>
    </testsuite></testsuites>"""
    assert [c.line() for c in runner.junit_checks(xml)] == [
        "PASS     aws test_a1",
        "FAIL     aws test_a2: assert 1 == 2",
        "SKIPPED  aws test_a10: needs a work team",
    ]


def test_results_replace_the_not_run_row_and_keep_the_rest() -> None:
    text = "# A\n\n## Results\n\nintro\n\n| date | where | check | outcome |\n|---|---|---|---|\n| not run | | | |\n\n## Next\nkept\n"
    once = runner.recorded(text, "2026-12-01", "…1234 eu-west-1", [runner.Check("app JobCompleted", "PASS")])
    assert "| not run | | | |" not in once
    assert "| 2026-12-01 | …1234 eu-west-1 | app JobCompleted | PASS |\n\n## Next\nkept\n" in once
    twice = runner.recorded(once, "2026-12-02", "…1234 eu-west-1", [runner.Check("b", "FAIL", "why")])
    assert twice.index("app JobCompleted") < twice.index("| b | FAIL: why |")


def test_the_assumptions_file_has_a_results_table_to_record_into() -> None:
    text = (REPO / "ASSUMPTIONS.md").read_text(encoding="utf-8")
    assert runner.RESULTS_HEADING in text.splitlines()
    assert runner.recorded(text, "d", "w", [runner.Check("x", "PASS")]).count("| d | w | x | PASS |") == 1
