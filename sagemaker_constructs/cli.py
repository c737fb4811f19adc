"""The ``sagemaker-constructs`` command-line tool.

``sagemaker-constructs jobs`` lists SageMaker Neo compilation jobs
(ListCompilationJobs), optionally only those a given stack created
(``--stack``: the generated-name prefix from
:func:`sagemaker_constructs._naming.stack_prefix`), and can watch them until
they end (``--watch``). Started before CloudFormation has created the jobs,
``--watch`` waits for them to appear, up to ``--appear-timeout`` seconds
(default :data:`DEFAULT_APPEAR_TIMEOUT`). ``--profile`` and ``--endpoint-url``
work as in the AWS CLI.

Exit codes: 0 on success (with ``--watch``: every listed job ended
COMPLETED; or no job matched, with ``--allow-none``), 1 with ``--watch`` when
a listed job ended FAILED or STOPPED, or when no job matched within
``--appear-timeout`` (a CI step must not pass with nothing compiled), 2 for
usage errors, a malformed ``--endpoint-url`` and AWS errors (one line on
stderr), 130 when interrupted.

This module must not import aws_cdk (the tool has to start fast), and it
imports boto3/botocore only once a command actually runs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sagemaker_constructs._naming import stack_prefix


@dataclass(frozen=True)
class ClientOptions:
    """How to reach SageMaker: ``--region``, ``--profile``, ``--endpoint-url``."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None


ClientFactory = Callable[[ClientOptions], Any]
Clock = Callable[[], datetime]
Sleep = Callable[[float], None]

STATUSES = ("INPROGRESS", "COMPLETED", "FAILED", "STARTING", "STOPPING", "STOPPED")
ACTIVE_STATUSES = frozenset({"STARTING", "INPROGRESS", "STOPPING"})
BAD_END_STATUSES = frozenset({"FAILED", "STOPPED"})
SORT_KEYS = ("Name", "CreationTime", "Status")
SORT_ORDERS = ("Ascending", "Descending")
PAGE_SIZE = 100
DESCRIBE_WORKERS = 4
DEFAULT_INTERVAL = 5.0
# A deploy creates roles, policies and the handler before the first job: a few minutes.
DEFAULT_APPEAR_TIMEOUT = 600.0
NAME_CONTAINS_PATTERN = re.compile(r"^[a-zA-Z0-9\-]{1,63}$")
ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
CLEAR_SCREEN = "\x1b[H\x1b[2J"
NO_JOBS_MESSAGE = "no compilation jobs matched"
EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_NO_JOBS = 1  # --watch without --allow-none: nothing compiled is not a success
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An error reported as one ``error: ...`` line and exit code 2."""


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------
# Argument parsing
# --------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or a positive number: {text!r}")
    return value


def _any_case(choices: Sequence[str]) -> Callable[[str], str]:
    """An argparse ``type`` that maps ``creationtime`` to the choice ``CreationTime`` (others unchanged,
    so argparse's own "invalid choice" message names them)."""
    by_folded = {choice.casefold(): choice for choice in choices}
    return lambda text: by_folded.get(text.casefold(), text)


def _add_filter_arguments(jobs: argparse.ArgumentParser) -> None:
    who = jobs.add_mutually_exclusive_group()
    who.add_argument("--stack", metavar="NAME", help="only jobs created by this stack (a nested stack: PARENT/ID)")
    who.add_argument("--name-contains", metavar="TEXT", help="only jobs whose name contains TEXT")
    jobs.add_argument("--status", choices=STATUSES, type=str.upper, help="only jobs in this status")
    jobs.add_argument(
        "--created-after",
        metavar="ISO",
        help="only jobs created after this (ISO 8601; naive = UTC)",
    )
    jobs.add_argument(
        "--created-before",
        metavar="ISO",
        help="only jobs created before this (ISO 8601; naive = UTC)",
    )
    jobs.add_argument(
        "--sort-by",
        choices=SORT_KEYS,
        type=_any_case(SORT_KEYS),
        help="sort key, any case (service default: CreationTime)",
    )
    jobs.add_argument(
        "--order",
        choices=SORT_ORDERS,
        type=_any_case(SORT_ORDERS),
        help="sort order, any case (service default: Descending)",
    )
    jobs.add_argument("--max", type=_positive_int, metavar="N", help="show at most N jobs")


def _add_output_arguments(jobs: argparse.ArgumentParser) -> None:
    jobs.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    jobs.add_argument(
        "--details",
        action="store_true",
        help="add the artifacts URI (COMPLETED) or failure reason (FAILED); one Describe call per job",
    )
    jobs.add_argument(
        "--watch",
        action="store_true",
        help=(
            "refresh until no job is STARTING/INPROGRESS/STOPPING; exit 1 if any ended FAILED/STOPPED, "
            "or if no job matched within --appear-timeout"
        ),
    )
    jobs.add_argument(
        "--allow-none",
        action="store_true",
        help="with --watch, exit 0 when no job matched (default: exit 1, so a CI step cannot pass with nothing compiled)",
    )
    jobs.add_argument(
        "--interval",
        type=_positive_float,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between refreshes with --watch (default {DEFAULT_INTERVAL:g})",
    )
    jobs.add_argument(
        "--appear-timeout",
        type=_non_negative_float,
        default=DEFAULT_APPEAR_TIMEOUT,
        metavar="SECONDS",
        help=(
            "with --watch, how long to wait for a first matching job to appear "
            f"(default {DEFAULT_APPEAR_TIMEOUT:g}; 0: do not wait)"
        ),
    )
    jobs.add_argument(
        "--region",
        help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION / profile)",
    )
    jobs.add_argument("--profile", help="a named profile from your AWS config (default: AWS_PROFILE / default)")
    jobs.add_argument("--endpoint-url", metavar="URL", help="send SageMaker requests to this URL (as in the AWS CLI)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the whole tool."""
    parser = argparse.ArgumentParser(
        prog="sagemaker-constructs",
        description="Tools for stacks built with sagemaker-constructs.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    jobs = commands.add_parser(
        "jobs",
        help="list (and watch) SageMaker Neo compilation jobs",
        description="List SageMaker Neo compilation jobs (ListCompilationJobs).",
    )
    _add_filter_arguments(jobs)
    _add_output_arguments(jobs)
    return parser


# --------------------------------------------------------------------------
# The request
# --------------------------------------------------------------------------


def parse_iso_time(option: str, text: str) -> datetime:
    """An ISO 8601 date or datetime as an aware datetime; naive means UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            f"{option}: {text!r} is not an ISO 8601 date or datetime (e.g. 2024-05-01 or 2024-05-01T12:00:00Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class JobQuery:
    """What to ask ListCompilationJobs for, and which answers to keep."""

    request: dict[str, Any]
    prefix: str | None = None
    limit: int | None = None

    def keeps(self, summary: dict[str, Any]) -> bool:
        """NameContains is a substring match; ``--stack`` wants a prefix match."""
        return self.prefix is None or str(summary.get("CompilationJobName", "")).startswith(self.prefix)


def _time_filters(args: argparse.Namespace) -> dict[str, Any]:
    request: dict[str, Any] = {}
    if args.created_after is not None:
        request["CreationTimeAfter"] = parse_iso_time("--created-after", args.created_after)
    if args.created_before is not None:
        request["CreationTimeBefore"] = parse_iso_time("--created-before", args.created_before)
    return request


def build_query(args: argparse.Namespace) -> JobQuery:
    """Turn parsed arguments into a :class:`JobQuery` (raises :class:`CliError`)."""
    request = _time_filters(args)
    prefix: str | None = None
    if args.stack is not None:
        prefix = stack_prefix(args.stack)
        request["NameContains"] = prefix
    elif args.name_contains is not None:
        if not NAME_CONTAINS_PATTERN.match(args.name_contains):
            raise CliError("--name-contains: use 1 to 63 characters from [a-zA-Z0-9-]")
        request["NameContains"] = args.name_contains
    optional = {
        "StatusEquals": args.status,
        "SortBy": args.sort_by,
        "SortOrder": args.order,
    }
    request.update({key: value for key, value in optional.items() if value is not None})
    return JobQuery(request=request, prefix=prefix, limit=args.max)


# --------------------------------------------------------------------------
# Talking to SageMaker
# --------------------------------------------------------------------------


def client_options(args: argparse.Namespace) -> ClientOptions:
    """``--region``, ``--profile`` and ``--endpoint-url`` (raises :class:`CliError` for a malformed URL,
    which boto3 would report as a bare ``ValueError``)."""
    url = args.endpoint_url
    if url is not None and not is_endpoint_url(url):
        raise CliError(f"--endpoint-url: {url!r} is not a URL: give http://host[:port][/path] or https://...")
    return ClientOptions(region=args.region, profile=args.profile, endpoint_url=url)


def is_endpoint_url(url: str) -> bool:
    """An http(s) URL that botocore accepts as an endpoint."""
    from botocore.utils import (  # type: ignore[import-untyped, unused-ignore]
        is_valid_endpoint_url,
        is_valid_ipv6_endpoint_url,
    )

    scheme = url.partition("://")[0].lower()
    return scheme in ("http", "https") and bool(is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url))


def default_client_factory(options: ClientOptions) -> Any:
    """A boto3 SageMaker client (raises NoRegionError when no region is set,
    ProfileNotFound for an unknown profile)."""
    import boto3  # type: ignore[import-untyped, unused-ignore]

    session = boto3.Session(profile_name=options.profile, region_name=options.region)
    return session.client("sagemaker", endpoint_url=options.endpoint_url)


def _page_size(query: JobQuery, collected: int) -> int:
    if query.limit is None:
        return PAGE_SIZE
    return max(1, min(PAGE_SIZE, query.limit - collected))


def list_jobs(client: Any, query: JobQuery) -> list[dict[str, Any]]:
    """Every matching job summary, following NextToken until done or ``limit`` reached."""
    jobs: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        request = dict(query.request, MaxResults=_page_size(query, len(jobs)))
        if token:
            request["NextToken"] = token
        response = client.list_compilation_jobs(**request)
        for summary in response.get("CompilationJobSummaries", []):
            if query.keeps(summary):
                jobs.append(summary)
            if query.limit is not None and len(jobs) >= query.limit:
                return jobs
        token = response.get("NextToken")
        if not token:
            return jobs


def _detail_of(description: dict[str, Any]) -> str | None:
    status = description.get("CompilationJobStatus")
    if status == "COMPLETED":
        value = description.get("ModelArtifacts", {}).get("S3ModelArtifacts")
    elif status == "FAILED":
        value = description.get("FailureReason")
    else:
        value = None
    return None if value is None else " ".join(str(value).split())


@dataclass
class DetailCache:
    """Describe results of ended jobs; those never change, so ``--watch`` asks once."""

    details: dict[str, str | None] = field(default_factory=dict)

    def fetch(self, client: Any, jobs: Sequence[dict[str, Any]]) -> dict[str, str | None]:
        """Describe the COMPLETED and FAILED jobs among ``jobs`` not asked about yet."""
        wanted = [
            job["CompilationJobName"]
            for job in jobs
            if job.get("CompilationJobStatus") in ("COMPLETED", "FAILED")
            and job["CompilationJobName"] not in self.details
        ]
        if wanted:
            with ThreadPoolExecutor(max_workers=DESCRIBE_WORKERS) as pool:
                found = pool.map(lambda name: _describe(client, name), wanted)
                self.details.update(zip(wanted, found, strict=True))
        return self.details


def _describe(client: Any, name: str) -> str | None:
    return _detail_of(client.describe_compilation_job(CompilationJobName=name))


# --------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_duration(delta: timedelta) -> str:
    """``42s``, ``4m12s``, ``1h02m`` or ``2d03h``."""
    seconds = max(0, int(delta.total_seconds()))
    minutes, secs = divmod(seconds, 60)
    hours, mins = divmod(minutes, 60)
    days, hrs = divmod(hours, 24)
    if days:
        return f"{days}d{hrs:02d}h"
    if hours:
        return f"{hours}h{mins:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def job_duration(job: dict[str, Any], now: datetime) -> str:
    """End − start; now − start while running; ``-`` before the job started."""
    start = job.get("CompilationStartTime")
    if start is None:
        return "-"
    end = job.get("CompilationEndTime")
    if end is None and job.get("CompilationJobStatus") not in ACTIVE_STATUSES:
        end = job.get("LastModifiedTime")
    return format_duration(_as_utc(end or now) - _as_utc(start))


def job_target(job: dict[str, Any]) -> str:
    """The target device, or ``Os/Arch[/Accelerator]`` of the target platform."""
    device = job.get("CompilationTargetDevice")
    if device:
        return str(device)
    keys = (
        "CompilationTargetPlatformOs",
        "CompilationTargetPlatformArch",
        "CompilationTargetPlatformAccelerator",
    )
    parts = [str(job[key]) for key in keys if job.get(key)]
    return "/".join(parts) or "-"


def _created(job: dict[str, Any]) -> str:
    created = job.get("CreationTime")
    return "-" if created is None else _as_utc(created).strftime("%Y-%m-%d %H:%M:%S")


def table_rows(jobs: Sequence[dict[str, Any]], now: datetime, details: dict[str, str | None] | None) -> list[list[str]]:
    """The table, header first."""
    header = ["NAME", "STATUS", "TARGET", "CREATED", "DURATION"]
    rows = [header + (["DETAILS"] if details is not None else [])]
    for job in jobs:
        name = str(job.get("CompilationJobName", "-"))
        row = [
            name,
            str(job.get("CompilationJobStatus", "-")),
            job_target(job),
            _created(job),
            job_duration(job, now),
        ]
        if details is not None:
            row.append(details.get(name) or "-")
        rows.append(row)
    return rows


def render_table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, no trailing spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return _as_utc(value).isoformat()
    return str(value)


def render_json(jobs: Sequence[dict[str, Any]], details: dict[str, str | None] | None) -> str:
    """One JSON object per job; ``--details`` adds S3ModelArtifacts or FailureReason."""
    lines = []
    for job in jobs:
        record = dict(job)
        detail = None if details is None else details.get(job.get("CompilationJobName", ""))
        if detail is not None:
            key = "S3ModelArtifacts" if job.get("CompilationJobStatus") == "COMPLETED" else "FailureReason"
            record[key] = detail
        lines.append(json.dumps(record, default=_json_default, sort_keys=True))
    return "\n".join(lines)


# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------


@dataclass
class JobsCommand:
    """``sagemaker-constructs jobs``: one listing, or a watch loop."""

    client: Any
    query: JobQuery
    args: argparse.Namespace
    sleep: Sleep
    now: Clock
    cache: DetailCache = field(default_factory=DetailCache)

    def frame(self, jobs: Sequence[dict[str, Any]]) -> str:
        """The text of one listing of ``jobs``."""
        details = self.cache.fetch(self.client, jobs) if self.args.details else None
        if self.args.json:
            return render_json(jobs, details)
        return render_table(table_rows(jobs, self.now(), details))

    def run_once(self) -> int:
        jobs = list_jobs(self.client, self.query)
        if not jobs:
            print(NO_JOBS_MESSAGE, file=sys.stderr)
            return EXIT_OK
        print(self.frame(jobs), flush=True)
        return EXIT_OK

    def _show(self, text: str, first: bool) -> None:
        if sys.stdout.isatty() and not self.args.json:
            sys.stdout.write(CLEAR_SCREEN)
        elif not first and not self.args.json:
            sys.stdout.write("\n")
        print(text, flush=True)

    def _none_appeared(self) -> int:
        message = NO_JOBS_MESSAGE + (f" within {self.args.appear_timeout:g}s" if self.args.appear_timeout else "")
        if self.args.allow_none:
            print(message, file=sys.stderr)
            return EXIT_OK
        print(f"error: {message} (--allow-none accepts that)", file=sys.stderr)
        return EXIT_NO_JOBS

    def watch(self) -> int:
        first = True
        announced = False
        started = self.now()
        while True:
            jobs = list_jobs(self.client, self.query)
            if not jobs:
                waited = (self.now() - started).total_seconds()
                if waited + self.args.interval > self.args.appear_timeout:
                    return self._none_appeared()
                if not announced:
                    print(
                        f"waiting for compilation jobs to appear (up to {self.args.appear_timeout:g}s; Ctrl-C to stop)",
                        file=sys.stderr,
                        flush=True,
                    )
                    announced = True
                self.sleep(self.args.interval)
                continue
            active = sum(1 for job in jobs if job.get("CompilationJobStatus") in ACTIVE_STATUSES)
            text = self.frame(jobs)
            if active and not self.args.json:
                text += "\n" + _progress_line(active, len(jobs), self.args.interval)
            self._show(text, first)
            first = False
            if not active:
                return watch_exit_code(jobs)
            self.sleep(self.args.interval)


def _progress_line(active: int, total: int, interval: float) -> str:
    return f"{active} of {total} job(s) still running; refreshing every {interval:g}s (Ctrl-C to stop)"


def watch_exit_code(jobs: Iterable[dict[str, Any]]) -> int:
    """1 if any job ended FAILED or STOPPED, else 0."""
    ended_badly = any(job.get("CompilationJobStatus") in BAD_END_STATUSES for job in jobs)
    return EXIT_JOB_FAILED if ended_badly else EXIT_OK


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def describe_aws_error(exc: Exception) -> str | None:
    """The one-line message for a botocore error, or None if ``exc`` is not one."""
    from botocore import exceptions as boto_errors  # type: ignore[import-untyped, unused-ignore]

    if isinstance(exc, boto_errors.NoCredentialsError):
        return "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
    if isinstance(exc, boto_errors.NoRegionError):
        return "no AWS region set (use --region or AWS_REGION/AWS_DEFAULT_REGION)"
    if isinstance(exc, boto_errors.ProfileNotFound):
        return f"no AWS profile named {exc.kwargs.get('profile', '?')!r} in your AWS config (see --profile)"
    if isinstance(exc, boto_errors.ClientError):
        return _describe_client_error(exc)
    if isinstance(exc, boto_errors.BotoCoreError):
        return _one_line(exc)
    return None


def _describe_client_error(exc: Any) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = _one_line(error.get("Message", "")) or str(exc)
    operation = f"sagemaker:{getattr(exc, 'operation_name', None) or 'unknown operation'}"
    if code in ACCESS_DENIED_CODES:
        return f"access denied calling {operation}: {message}"
    return f"{operation} failed: {code}: {message}"


def _error(message: str) -> int:
    print(f"error: {_one_line(message)}", file=sys.stderr)
    return EXIT_ERROR


def run_jobs(args: argparse.Namespace, client_factory: ClientFactory, sleep: Sleep, now: Clock) -> int:
    """Run ``jobs`` with parsed arguments; every failure becomes one line and exit 2."""
    try:
        query = build_query(args)
        command = JobsCommand(client_factory(client_options(args)), query, args, sleep, now)
        return command.watch() if args.watch else command.run_once()
    except CliError as exc:
        return _error(str(exc))
    except Exception as exc:
        message = describe_aws_error(exc)
        if message is None:
            raise
        return _error(message)


def main(
    argv: Sequence[str] | None = None,
    *,
    client_factory: ClientFactory | None = None,
    sleep: Sleep = time.sleep,
    now: Clock = utc_now,
) -> int:
    """Entry point of ``sagemaker-constructs`` and ``python -m sagemaker_constructs``."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    try:
        return run_jobs(args, client_factory or default_client_factory, sleep, now)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
