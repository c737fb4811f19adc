"""Tests of ``sagemaker-constructs jobs`` (offline: a fake client or moto)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)
from moto import mock_aws

from sagemaker_constructs import cli
from sagemaker_constructs._naming import generated_name, stack_prefix

REPO_ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region, and no socket may connect anywhere."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def job(
    name: str,
    status: str = "COMPLETED",
    *,
    created: datetime = T0,
    started: datetime | None = T0,
    ended: datetime | None = None,
    device: str | None = "ml_c5",
    **extra: Any,
) -> dict[str, Any]:
    """A ListCompilationJobs summary."""
    summary: dict[str, Any] = {
        "CompilationJobName": name,
        "CompilationJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:compilation-job/{name}",
        "CreationTime": created,
        "LastModifiedTime": ended or started or created,
        "CompilationJobStatus": status,
    }
    if started is not None:
        summary["CompilationStartTime"] = started
    if ended is None and status in ("COMPLETED", "FAILED", "STOPPED") and started:
        ended = started + timedelta(minutes=4, seconds=12)
    if ended is not None:
        summary["CompilationEndTime"] = ended
    if device is not None:
        summary["CompilationTargetDevice"] = device
    summary.update(extra)
    return summary


class FakeSageMaker:
    """Records calls; serves canned jobs in pages of at most ``page_limit``.

    ``listings`` holds what each refresh sees: a list call without NextToken
    starts the next listing (the last one repeats). Any other method fails.
    """

    def __init__(
        self,
        *listings: list[dict[str, Any]],
        page_limit: int = 100,
        descriptions: dict[str, dict[str, Any]] | None = None,
        error: Exception | None = None,
    ) -> None:
        self.listings = list(listings) or [[]]
        self.page_limit = page_limit
        self.descriptions = descriptions or {}
        self.error = error
        self.list_calls: list[dict[str, Any]] = []
        self.describe_calls: list[str] = []
        self.listing = -1

    def list_compilation_jobs(self, **kwargs: Any) -> dict[str, Any]:
        self.list_calls.append(kwargs)
        if self.error is not None:
            raise self.error
        assert 1 <= kwargs["MaxResults"] <= 100
        if "NextToken" not in kwargs:
            self.listing = min(self.listing + 1, len(self.listings) - 1)
        jobs = self.listings[self.listing]
        start = int(kwargs.get("NextToken", "0"))
        end = start + min(kwargs["MaxResults"], self.page_limit)
        response: dict[str, Any] = {"CompilationJobSummaries": jobs[start:end]}
        if end < len(jobs):
            response["NextToken"] = str(end)
        return response

    def describe_compilation_job(self, **kwargs: Any) -> dict[str, Any]:
        assert set(kwargs) == {"CompilationJobName"}
        self.describe_calls.append(kwargs["CompilationJobName"])
        return self.descriptions[kwargs["CompilationJobName"]]

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected client call: {name}")


class FakeClock:
    """``now`` and ``sleep`` that move together, without sleeping."""

    def __init__(self, start: datetime = T0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += timedelta(seconds=seconds)


def run(
    argv: list[str],
    client: FakeSageMaker,
    clock: FakeClock | None = None,
    regions: list[str | None] | None = None,
) -> int:
    clock = clock or FakeClock(T0 + timedelta(minutes=10))

    def factory(options: cli.ClientOptions) -> FakeSageMaker:
        if regions is not None:
            regions.append(options.region)
        return client

    return cli.main(argv, client_factory=factory, sleep=clock.sleep, now=clock.now)


def table_names(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines()[1:] if line.strip()]


# --------------------------------------------------------------------------
# Listing, pagination, --max
# --------------------------------------------------------------------------


def test_follows_next_token_and_prints_every_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    jobs = [job(f"job-{i:02d}") for i in range(7)]
    client = FakeSageMaker(jobs, page_limit=3)

    assert run(["jobs"], client) == 0

    out = capsys.readouterr().out
    assert table_names(out) == [f"job-{i:02d}" for i in range(7)]
    assert [call.get("NextToken") for call in client.list_calls] == [None, "3", "6"]
    assert all(call["MaxResults"] == 100 for call in client.list_calls)


def test_max_stops_early(capsys: pytest.CaptureFixture[str]) -> None:
    jobs = [job(f"job-{i:02d}") for i in range(10)]
    client = FakeSageMaker(jobs, page_limit=3)

    assert run(["jobs", "--max", "4"], client) == 0

    assert table_names(capsys.readouterr().out) == [f"job-{i:02d}" for i in range(4)]
    assert [call["MaxResults"] for call in client.list_calls] == [4, 1]
    assert len(client.list_calls) == 2  # not the 4 pages a full listing needs


def test_max_with_one_page_asks_for_just_that_many() -> None:
    client = FakeSageMaker([job(f"job-{i}") for i in range(5)])
    assert run(["jobs", "--max", "2"], client) == 0
    assert client.list_calls == [{"MaxResults": 2}]


def test_table_columns(capsys: pytest.CaptureFixture[str]) -> None:
    jobs = [
        job("done", ended=T0 + timedelta(minutes=4, seconds=12)),
        job(
            "running",
            "INPROGRESS",
            device=None,
            started=T0 + timedelta(minutes=5),
            CompilationTargetPlatformOs="LINUX",
            CompilationTargetPlatformArch="ARM64",
            CompilationTargetPlatformAccelerator="NVIDIA",
        ),
        job(
            "waiting",
            "STARTING",
            device=None,
            started=None,
            CompilationTargetPlatformOs="LINUX",
            CompilationTargetPlatformArch="X86_64",
        ),
        job("long", ended=T0 + timedelta(hours=1, minutes=2, seconds=3)),
    ]
    clock = FakeClock(T0 + timedelta(minutes=10))
    assert run(["jobs"], FakeSageMaker(jobs), clock) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "TARGET", "CREATED", "DURATION"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["done"] == [
        "done",
        "COMPLETED",
        "ml_c5",
        "2024-05-01",
        "12:00:00",
        "4m12s",
    ]
    assert rows["running"][1:3] == ["INPROGRESS", "LINUX/ARM64/NVIDIA"]
    assert rows["running"][-1] == "5m00s"  # now - start
    assert rows["waiting"][2] == "LINUX/X86_64"
    assert rows["waiting"][-1] == "-"
    assert rows["long"][-1] == "1h02m"


def test_created_is_shown_in_utc(capsys: pytest.CaptureFixture[str]) -> None:
    plus_two = datetime(2024, 5, 1, 16, 30, 0, tzinfo=timezone(timedelta(hours=2)))
    assert run(["jobs"], FakeSageMaker([job("a", created=plus_two)])) == 0
    assert "2024-05-01 14:30:00" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (42, "42s"), (252, "4m12s"), (3725, "1h02m"), (93600, "1d02h")],
)
def test_format_duration(seconds: int, text: str) -> None:
    assert cli.format_duration(timedelta(seconds=seconds)) == text


def test_no_jobs_prints_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["jobs"], FakeSageMaker([])) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no compilation jobs matched" in captured.err


# --------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------


def test_stack_sends_prefix_and_keeps_only_prefix_matches(
    capsys: pytest.CaptureFixture[str],
) -> None:
    prefix = stack_prefix("Prod")
    assert prefix.startswith("prod-") and prefix.endswith("--")  # changed (issue 15, defect 8): was "prod--"
    jobs = [
        job(f"{prefix}model-aaaa"),
        job(f"other{prefix}model-bbbb"),  # contains the prefix but not at the start
        job(f"{prefix}model-cccc"),
    ]
    client = FakeSageMaker(jobs, page_limit=2)

    assert run(["jobs", "--stack", "Prod"], client) == 0

    assert table_names(capsys.readouterr().out) == [
        f"{prefix}model-aaaa",
        f"{prefix}model-cccc",
    ]
    assert all(call["NameContains"] == prefix for call in client.list_calls)


def test_stack_with_max_counts_kept_rows_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    prefix = stack_prefix("prod")
    jobs = [job(f"x-{prefix}a"), job(f"{prefix}b"), job(f"y-{prefix}c"), job(f"{prefix}d")]
    client = FakeSageMaker(jobs, page_limit=100)
    assert run(["jobs", "--stack", "prod", "--max", "2"], client) == 0
    assert table_names(capsys.readouterr().out) == [f"{prefix}b", f"{prefix}d"]


def test_long_stack_name_uses_hashed_prefix() -> None:
    stack = "A-Very-Long-Stack-Name-For-Production"
    client = FakeSageMaker([])
    assert run(["jobs", "--stack", stack], client) == 0
    sent = client.list_calls[0]["NameContains"]
    assert sent == stack_prefix(stack)
    assert len(sent) <= 63


def test_name_contains_status_sort_and_order_are_passed_through() -> None:
    client = FakeSageMaker([])
    argv = [
        "jobs",
        "--name-contains",
        "resnet-50",
        "--status",
        "failed",
        "--sort-by",
        "Name",
        "--order",
        "Ascending",
    ]
    assert run(argv, client) == 0
    assert client.list_calls == [
        {
            "NameContains": "resnet-50",
            "StatusEquals": "FAILED",
            "SortBy": "Name",
            "SortOrder": "Ascending",
            "MaxResults": 100,
        }
    ]


@pytest.mark.parametrize(
    ("given", "sent"),
    [("name", "Name"), ("CREATIONTIME", "CreationTime"), ("creationTime", "CreationTime"), ("Status", "Status")],
)
def test_sort_by_takes_any_case(given: str, sent: str) -> None:
    client = FakeSageMaker([])
    assert run(["jobs", "--sort-by", given], client) == 0
    assert client.list_calls[0]["SortBy"] == sent


@pytest.mark.parametrize(("given", "sent"), [("ascending", "Ascending"), ("DESCENDING", "Descending")])
def test_order_takes_any_case(given: str, sent: str) -> None:
    client = FakeSageMaker([])
    assert run(["jobs", "--order", given], client) == 0
    assert client.list_calls[0]["SortOrder"] == sent


def test_an_unknown_sort_key_is_still_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["jobs", "--sort-by", "size"], FakeSageMaker([])) == 2
    assert "invalid choice: 'size'" in capsys.readouterr().err


def test_name_contains_is_not_filtered_client_side(
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = FakeSageMaker([job("a-resnet-b"), job("resnet-c")])
    assert run(["jobs", "--name-contains", "resnet"], client) == 0
    assert table_names(capsys.readouterr().out) == ["a-resnet-b", "resnet-c"]


def test_created_after_and_before() -> None:
    client = FakeSageMaker([])
    argv = [
        "jobs",
        "--created-after",
        "2024-05-01",
        "--created-before",
        "2024-05-02T10:30:00+02:00",
    ]
    assert run(argv, client) == 0
    call = client.list_calls[0]
    assert call["CreationTimeAfter"] == datetime(2024, 5, 1, tzinfo=UTC)
    assert call["CreationTimeBefore"] == datetime(2024, 5, 2, 8, 30, tzinfo=UTC)
    assert call["CreationTimeBefore"].utcoffset() == timedelta(hours=2)


def test_created_naive_datetime_and_z_mean_utc() -> None:
    client = FakeSageMaker([])
    argv = [
        "jobs",
        "--created-after",
        "2024-05-01T06:00:00",
        "--created-before",
        "2024-05-01T07:00:00Z",
    ]
    assert run(argv, client) == 0
    call = client.list_calls[0]
    assert call["CreationTimeAfter"] == datetime(2024, 5, 1, 6, tzinfo=UTC)
    assert call["CreationTimeAfter"].tzinfo is not None
    assert call["CreationTimeBefore"] == datetime(2024, 5, 1, 7, tzinfo=UTC)


@pytest.mark.parametrize("option", ["--created-after", "--created-before"])
def test_bad_iso_is_one_line_exit_2(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeSageMaker([])
    assert run(["jobs", option, "yesterday"], client) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: {option}: 'yesterday'")
    assert client.list_calls == []


def test_bad_name_contains_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["jobs", "--name-contains", "under_score"], FakeSageMaker([])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: --name-contains")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["jobs", "--stack", "a", "--name-contains", "b"],
        ["jobs", "--status", "DONE"],
        ["jobs", "--sort-by", "Target"],
        ["jobs", "--max", "0"],
        ["jobs", "--interval", "-1"],
        ["nope"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeSageMaker([])
    assert run(argv, client) == 2
    assert "usage:" in capsys.readouterr().err
    assert client.list_calls == []


def test_region_goes_to_the_client_factory() -> None:
    regions: list[str | None] = []
    assert run(["jobs", "--region", "eu-west-1"], FakeSageMaker([]), regions=regions) == 0
    assert run(["jobs"], FakeSageMaker([]), regions=regions) == 0
    assert regions == ["eu-west-1", None]


def test_profile_and_endpoint_url_go_to_the_client_factory() -> None:
    seen: list[cli.ClientOptions] = []

    def factory(options: cli.ClientOptions) -> FakeSageMaker:
        seen.append(options)
        return FakeSageMaker([])

    argv = [
        "jobs",
        "--profile",
        "ml-admin",
        "--endpoint-url",
        "https://sagemaker.example.test",
        "--region",
        "us-west-2",
    ]
    assert cli.main(argv, client_factory=factory, sleep=FakeClock().sleep, now=FakeClock().now) == 0
    assert seen == [
        cli.ClientOptions(region="us-west-2", profile="ml-admin", endpoint_url="https://sagemaker.example.test")
    ]


def test_the_default_client_uses_the_profile_and_the_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    config = tmp_path / "config"
    config.write_text("[profile ml-admin]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    client = cli.default_client_factory(
        cli.ClientOptions(profile="ml-admin", endpoint_url="https://sagemaker.example.test")
    )
    assert client.meta.region_name == "eu-central-1"
    assert client.meta.endpoint_url == "https://sagemaker.example.test"


def test_an_unknown_profile_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert cli.main(["jobs", "--profile", "nope"], sleep=FakeClock().sleep, now=FakeClock().now) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no AWS profile named 'nope'" in err


# --------------------------------------------------------------------------
# --json and --details
# --------------------------------------------------------------------------


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    jobs = [job("a"), job("b", "INPROGRESS")]
    assert run(["jobs", "--json"], FakeSageMaker(jobs)) == 0

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["CompilationJobName"] for r in records] == ["a", "b"]
    assert records[0]["CompilationJobStatus"] == "COMPLETED"
    assert records[0]["CreationTime"] == "2024-05-01T12:00:00+00:00"
    assert datetime.fromisoformat(records[0]["CompilationEndTime"]) == T0 + timedelta(minutes=4, seconds=12)


def _details_client() -> FakeSageMaker:
    jobs = [
        job("ok"),
        job("bad", "FAILED"),
        job("busy", "INPROGRESS"),
        job("hidden-ok"),
        job("hidden-bad", "FAILED"),
    ]
    descriptions = {
        "ok": {
            "CompilationJobName": "ok",
            "CompilationJobStatus": "COMPLETED",
            "ModelArtifacts": {"S3ModelArtifacts": "s3://bucket/out/model-ml_c5.tar.gz"},
        },
        "bad": {
            "CompilationJobName": "bad",
            "CompilationJobStatus": "FAILED",
            "FailureReason": "ClientError: InputConfiguration:\nbad shape",
        },
    }
    return FakeSageMaker(jobs, page_limit=2, descriptions=descriptions)


def test_details_describes_only_shown_ended_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = _details_client()

    assert run(["jobs", "--details", "--max", "3"], client) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "DETAILS"
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"ok", "bad", "busy"}
    assert rows["ok"].endswith("s3://bucket/out/model-ml_c5.tar.gz")
    assert rows["bad"].endswith("ClientError: InputConfiguration: bad shape")
    assert rows["busy"].endswith(" -")
    assert sorted(client.describe_calls) == ["bad", "ok"]


def test_details_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    client = _details_client()
    assert run(["jobs", "--details", "--json", "--max", "2"], client) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[0]["S3ModelArtifacts"] == "s3://bucket/out/model-ml_c5.tar.gz"
    assert "FailureReason" not in records[0]
    assert records[1]["FailureReason"] == "ClientError: InputConfiguration: bad shape"
    assert sorted(client.describe_calls) == ["bad", "ok"]


def test_without_details_describe_is_never_called() -> None:
    client = _details_client()
    assert run(["jobs"], client) == 0
    assert client.describe_calls == []


# --------------------------------------------------------------------------
# --watch
# --------------------------------------------------------------------------


def _watch_listings(final: str) -> list[list[dict[str, Any]]]:
    started = T0 + timedelta(minutes=1)
    running = job("w", "INPROGRESS", started=started)
    done = job("w", final, started=started, ended=started + timedelta(seconds=70))
    other = job("other")
    return [[running, other], [running, other], [done, other]]


@pytest.mark.parametrize(("final", "code"), [("COMPLETED", 0), ("FAILED", 1), ("STOPPED", 1)])
def test_watch_until_end(final: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeSageMaker(*_watch_listings(final))
    clock = FakeClock(T0 + timedelta(minutes=1, seconds=30))

    assert run(["jobs", "--watch", "--interval", "2"], client, clock) == code

    assert clock.sleeps == [2, 2]
    assert len(client.list_calls) == 3
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # not a TTY: frames one after another
    frames = out.split("\n\n")
    assert len(frames) == 3
    assert "INPROGRESS" in frames[0] and "30s" in frames[0]
    assert "INPROGRESS" in frames[1] and "32s" in frames[1]  # elapsed time goes up
    assert "1 of 2 job(s) still running" in frames[1]
    assert final in frames[2] and "1m10s" in frames[2]
    assert "still running" not in frames[2]


def test_watch_uses_default_interval() -> None:
    client = FakeSageMaker(*_watch_listings("COMPLETED"))
    clock = FakeClock()
    assert run(["jobs", "--watch"], client, clock) == 0
    assert clock.sleeps == [5.0, 5.0]


def test_watch_clears_screen_on_a_tty(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    client = FakeSageMaker(*_watch_listings("COMPLETED"))
    assert run(["jobs", "--watch"], client, FakeClock()) == 0
    assert capsys.readouterr().out.count(cli.CLEAR_SCREEN) == 3


def test_watch_already_ended_does_not_sleep(capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeSageMaker([job("a"), job("b", "FAILED")])
    clock = FakeClock()
    assert run(["jobs", "--watch"], client, clock) == 1
    assert clock.sleeps == []
    assert table_names(capsys.readouterr().out) == ["a", "b"]


def test_watch_no_jobs_waits_for_them_up_to_the_appear_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    client = FakeSageMaker([])
    assert run(["jobs", "--watch", "--stack", "prod", "--interval", "10", "--appear-timeout", "60"], client, clock) == 1
    err = capsys.readouterr().err
    assert "waiting for compilation jobs to appear (up to 60s" in err
    assert "no compilation jobs matched within 60s" in err
    assert sum(clock.sleeps) == 60 and len(client.list_calls) == 7


def test_watch_that_never_sees_a_job_fails_so_a_ci_step_cannot_pass_with_nothing_compiled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["jobs", "--watch", "--appear-timeout", "30"], FakeSageMaker([]), FakeClock()) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1] == "error: no compilation jobs matched within 30s (--allow-none accepts that)"


def test_watch_allow_none_accepts_no_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    assert run(["jobs", "--watch", "--allow-none", "--appear-timeout", "30"], FakeSageMaker([]), clock) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "no compilation jobs matched within 30s"
    assert sum(clock.sleeps) == 30  # it still waits for them


def test_allow_none_is_documented_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["jobs", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--allow-none" in text and "exit 0" in text
    assert "or if no job matched" in text


def test_listing_without_watch_still_exits_0_for_no_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["jobs"], FakeSageMaker([])) == 0
    assert capsys.readouterr().err == "no compilation jobs matched\n"


def test_watch_started_before_the_deploy_follows_the_jobs_once_they_appear(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    client = FakeSageMaker([], [], *_watch_listings("COMPLETED"))
    assert run(["jobs", "--watch", "--interval", "5"], client, clock) == 0
    assert clock.sleeps[:2] == [5.0, 5.0]  # two empty listings, then the jobs
    assert "COMPLETED" in capsys.readouterr().out


def test_watch_with_appear_timeout_zero_does_not_wait(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    assert run(["jobs", "--watch", "--appear-timeout", "0"], FakeSageMaker([]), clock) == 1
    assert "no compilation jobs matched" in capsys.readouterr().err
    assert clock.sleeps == []


def test_watch_default_appear_timeout_is_ten_minutes() -> None:
    clock = FakeClock()
    assert run(["jobs", "--watch", "--allow-none"], FakeSageMaker([]), clock) == 0
    assert sum(clock.sleeps) == pytest.approx(cli.DEFAULT_APPEAR_TIMEOUT, abs=cli.DEFAULT_INTERVAL)


def test_watch_details_describes_each_ended_job_once() -> None:
    listings = _watch_listings("COMPLETED")
    descriptions = {
        name: {
            "CompilationJobStatus": "COMPLETED",
            "ModelArtifacts": {"S3ModelArtifacts": f"s3://b/{name}"},
        }
        for name in ("w", "other")
    }
    client = FakeSageMaker(*listings, descriptions=descriptions)
    assert run(["jobs", "--watch", "--details"], client, FakeClock()) == 0
    assert sorted(client.describe_calls) == ["other", "w"]


def test_watch_json_prints_each_refresh(capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeSageMaker(*_watch_listings("FAILED"))
    assert run(["jobs", "--watch", "--json"], client, FakeClock()) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["CompilationJobStatus"] for r in records if r["CompilationJobName"] == "w"] == [
        "INPROGRESS",
        "INPROGRESS",
        "FAILED",
    ]


def test_interrupt_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    client = FakeSageMaker(*_watch_listings("COMPLETED"))
    code = cli.main(
        ["jobs", "--watch"],
        client_factory=lambda _options: client,
        sleep=interrupted,
        now=FakeClock().now,
    )
    assert code == 130
    assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def _assert_one_error_line(capsys: pytest.CaptureFixture[str], start: str) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(start), captured.err
    return captured.err


def test_no_credentials_with_the_real_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    for name in (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))

    assert cli.main(["jobs"]) == 2
    _assert_one_error_line(capsys, "error: no AWS credentials found (set AWS_PROFILE")


def test_no_credentials_from_the_api(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["jobs"], FakeSageMaker(error=NoCredentialsError())) == 2
    _assert_one_error_line(capsys, "error: no AWS credentials found")


def test_no_region_with_the_real_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))

    assert cli.main(["jobs"]) == 2
    _assert_one_error_line(
        capsys,
        "error: no AWS region set (use --region or AWS_REGION/AWS_DEFAULT_REGION)",
    )


@pytest.mark.parametrize("code", ["AccessDeniedException", "AccessDenied"])
def test_access_denied(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    message = "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sagemaker:ListCompilationJobs"
    error = ClientError({"Error": {"Code": code, "Message": message}}, "ListCompilationJobs")

    assert run(["jobs"], FakeSageMaker(error=error)) == 2
    err = _assert_one_error_line(capsys, "error: access denied calling sagemaker:ListCompilationJobs: ")
    assert message in err


def test_access_denied_on_describe_names_that_operation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class DeniedDescribe(FakeSageMaker):
        def describe_compilation_job(self, **kwargs: Any) -> dict[str, Any]:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                "DescribeCompilationJob",
            )

    assert run(["jobs", "--details"], DeniedDescribe([job("a")])) == 2
    _assert_one_error_line(capsys, "error: access denied calling sagemaker:DescribeCompilationJob: no")


def test_other_client_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    error = ClientError(
        {
            "Error": {
                "Code": "ValidationException",
                "Message": "1 validation error\ndetected",
            }
        },
        "ListCompilationJobs",
    )
    assert run(["jobs"], FakeSageMaker(error=error)) == 2
    _assert_one_error_line(
        capsys,
        "error: sagemaker:ListCompilationJobs failed: ValidationException: 1 validation error detected",
    )


def test_endpoint_connection_error_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = EndpointConnectionError(endpoint_url="https://api.sagemaker.xx-nowhere-1.amazonaws.com/")
    assert run(["jobs"], FakeSageMaker(error=error)) == 2
    err = _assert_one_error_line(capsys, "error: Could not connect to the endpoint URL")
    assert "xx-nowhere-1" in err


@pytest.mark.parametrize(
    "url", ["not a url", "sagemaker.example.test", "https://", "http://exa mple.test", "://sagemaker.example.test"]
)
def test_a_malformed_endpoint_url_is_one_line_with_the_real_client(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["jobs", "--endpoint-url", url]) == 2
    err = _assert_one_error_line(capsys, f"error: --endpoint-url: {url!r} is not a URL")
    assert "http://" in err and "https://" in err


def test_unexpected_errors_are_not_hidden() -> None:
    with pytest.raises(ZeroDivisionError):
        run(["jobs"], FakeSageMaker(error=ZeroDivisionError()))


# --------------------------------------------------------------------------
# End to end with moto, and the module entry point
# --------------------------------------------------------------------------


def _create_job(client: Any, name: str) -> None:
    client.create_compilation_job(
        CompilationJobName=name,
        RoleArn="arn:aws:iam::123456789012:role/neo",
        InputConfig={
            "S3Uri": "s3://models/model.tar.gz",
            "DataInputConfig": '{"input0": [1, 3, 224, 224]}',
            "Framework": "PYTORCH",
        },
        OutputConfig={
            "S3OutputLocation": f"s3://compiled/{name}/",
            "TargetDevice": "ml_c5",
        },
        StoppingCondition={"MaxRuntimeInSeconds": 900},
    )


@mock_aws
def test_end_to_end_with_moto(capsys: pytest.CaptureFixture[str]) -> None:
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    mine = [generated_name("Prod", f"Prod/Model{i}", {"i": i}) for i in range(3)]
    for name in [
        *mine,
        generated_name("Prod-2", "Prod-2/Model", {}),
        "someprod--thing",
    ]:
        _create_job(sagemaker, name)

    assert (
        cli.main(
            [
                "jobs",
                "--stack",
                "Prod",
                "--details",
                "--sort-by",
                "Name",
                "--order",
                "Ascending",
            ]
        )
        == 0
    )

    lines = capsys.readouterr().out.splitlines()
    assert table_names("\n".join(lines)) == sorted(mine)
    for line, name in zip(lines[1:], sorted(mine), strict=True):
        assert "COMPLETED" in line and "ml_c5" in line
        assert line.endswith(f"s3://compiled/{name}/")


@mock_aws
def test_moto_pagination_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    for i in range(5):
        _create_job(sagemaker, f"job-{i}")

    assert cli.main(["jobs", "--json", "--max", "3", "--region", "us-east-1"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 3
    assert all(isinstance(r["CreationTime"], str) for r in records)


def test_python_dash_m_help() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "sagemaker_constructs", "jobs", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--stack" in result.stdout and "--watch" in result.stdout
    assert "Traceback" not in result.stderr


def test_cli_does_not_import_aws_cdk_or_boto3_for_help() -> None:
    code = (
        "import sys; from sagemaker_constructs import cli; "
        "assert cli.main(['jobs', '--help']) == 0; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'boto3', 'botocore')]; "
        "sys.exit(f'imported {bad}' if bad else 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_readme_watching_jobs_section_names_every_option() -> None:
    from tests.test_readme import README, section

    text = section(README.read_text(encoding="utf-8"), "## Watching jobs: `sagemaker-constructs jobs`")
    jobs = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices["jobs"]
    options = [o for action in jobs._actions for o in action.option_strings if o.startswith("--") and o != "--help"]
    assert [o for o in options if o not in text] == []
