"""What the fakes assume about SageMaker, checked against the real service (``pytest -m aws``).

The handler code runs as it ships (bundled, then imported: ``tests.harness.load_handler``);
the lifecycle engine (``lambda/shared/engine.py``) gets real boto3 clients configured
as the handler's, and no CloudFormation (no still-wanted checks, no answers sent).
Each test names the entry of ASSUMPTIONS.md it checks (A1, A2 …) and prints what it
observed, which ``pytest -rA`` shows and ``make integ`` records.

Costs: two Neo compilation jobs of a 486-byte model (minutes each), and, with a work
team, one flow definition. Everything made here is removed at the end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from integ.integ_compilation_job import INPUT_SHAPE
from integ.integ_flow_definition import TEMPLATE
from tests.harness import cfn_stringify
from tests.integ.aws.account import Account

pytestmark = pytest.mark.aws

JOB_FINAL = ("COMPLETED", "FAILED", "STOPPED")
POLL_SECONDS = 5.0
GONE_WITHIN_SECONDS = 600.0


# --- driving the engine -----------------------------------------------------------------
class Recording:
    """A client that records the names of the methods called, then calls them."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return method(*args, **kwargs)

        return call


def run(handler: Any, account: Account, event: dict[str, Any], sagemaker: Any = None) -> Any:
    """One invocation of the engine (15 minutes, as the handler function has)."""
    env = handler.engine.Env(
        sagemaker=sagemaker or account.client("sagemaker"),
        clock=handler.adapter.Clock(),
        stack_id=account.stack_id,
        invocation_end=time.time() + 900.0,
        describe_interval=POLL_SECONDS,
        validate=handler.clients.request_problems,
        extra={"s3": account.client("s3")},
    )
    return handler.engine.handle(handler.index.KIND, env, event)


def event(
    handler: Any, account: Account, request_type: str, props: dict[str, Any], physical_id: str | None = None
) -> dict[str, Any]:
    """A CloudFormation-shaped request (properties stringified as CloudFormation sends them)."""
    request: dict[str, Any] = {
        "RequestType": request_type,
        "StackId": account.stack_id,
        "LogicalResourceId": "Resource",
        "ResourceType": handler.index.KIND.resource_type,
        "ResourceProperties": cfn_stringify(props),
    }
    if physical_id is not None:
        request["PhysicalResourceId"] = physical_id
    return request


def error_of(call: Callable[[], Any]) -> Any:
    """The botocore error ``call`` raised, or None."""
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as error:
        return error
    return None


def tolerated(handler: Any, error: Any) -> bool:
    """Whether the engine's Stop/Delete treats ``error`` as "changed state or gone: look again"."""
    aws_calls = handler.aws_calls
    return aws_calls.error_code(error) in ("ValidationException", "ConflictException") or aws_calls.is_not_found(error)


def wait_until_gone(describe: Callable[[], Any], handler: Any) -> tuple[float, Any]:
    """Seconds until ``describe`` says "not found", and that error."""
    start = time.time()
    while time.time() - start < GONE_WITHIN_SECONDS:
        error = error_of(describe)
        if error is not None and handler.aws_calls.is_not_found(error):
            return time.time() - start, error
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"still describable {GONE_WITHIN_SECONDS:.0f} s after the delete")


def observed(what: str, value: Any) -> None:
    print(f"OBSERVED {what}: {json.dumps(value, default=str)}")


def described_error(handler: Any, error: Any) -> str:
    return str(handler.aws_calls.describe_error(error))


# --- compilation jobs -----------------------------------------------------------------------
@dataclass
class Job:
    name: str
    props: dict[str, Any]
    answer: Any
    calls: list[str] = field(default_factory=list)


def job_properties(name: str, role_arn: str, model_uri: str, bucket: str) -> dict[str, Any]:
    """As the CompilationJob construct renders them for the integ app's model."""
    return {
        "CompilationJobName": name,
        "RoleArn": role_arn,
        "InputConfig": {
            "S3Uri": model_uri,
            "Framework": "ONNX",
            "DataInputConfig": json.dumps(INPUT_SHAPE, separators=(",", ":")),
        },
        "OutputConfig": {"S3OutputLocation": f"s3://{bucket}/compiled/{name}/", "TargetDevice": "ml_c5"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
        "ServiceTimeout": 1200,
    }


@pytest.fixture(scope="module")
def job(handlers: Any, account: Account, role_arn: str, model_uri: str, bucket: str) -> Iterator[Job]:
    """One job made through the engine's Create; removed by the last test (or here)."""
    handler = handlers["compilation_job"]
    name = account.name("job")
    props = job_properties(name, role_arn, model_uri, bucket)
    recording = Recording(account.client("sagemaker"))
    answer = run(handler, account, event(handler, account, "Create", props), recording)
    try:
        yield Job(name, props, answer, recording.calls)
    finally:
        sagemaker = account.client("sagemaker")
        if error_of(lambda: sagemaker.describe_compilation_job(CompilationJobName=name)) is None:
            run(handler, account, event(handler, account, "Delete", props, physical_id=name))


def test_a1_the_engine_compiles_the_tiny_model_and_the_artifact_exists(job: Job, account: Account) -> None:
    """A1 (the Create path on real SageMaker): COMPLETED, and the artifact is in S3."""
    assert (job.answer.status, job.answer.reason) == ("SUCCESS", "")
    uri = job.answer.data["S3ModelArtifacts"]
    observed("S3ModelArtifacts", uri)
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    assert key.startswith(f"compiled/{job.name}/")
    assert account.client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_a2_describe_echoes_no_field_that_was_not_sent(job: Job, account: Account, handlers: Any) -> None:
    """A2: the adoption comparison sees no difference between the request and DescribeCompilationJob."""
    spec = handlers["compilation_job"].index.KIND
    described = account.client("sagemaker").describe_compilation_job(CompilationJobName=job.name)
    observed("InputConfig", described.get("InputConfig"))
    observed("OutputConfig", described.get("OutputConfig"))
    assert "FrameworkVersion" not in described["InputConfig"]
    assert "CompilerOptions" not in described["OutputConfig"]
    assert "KmsKeyId" not in described["OutputConfig"]
    request = {k: v for k, v in job.props.items() if k != "ServiceTimeout"}
    assert spec.differences(request, described) == []


def test_a3_create_of_an_existing_name_adopts_it_without_creating(job: Job, account: Account, handlers: Any) -> None:
    """A3: a second Create of the same resource adopts its own job (ListTags on the job works)."""
    handler = handlers["compilation_job"]
    recording = Recording(account.client("sagemaker"))
    answer = run(handler, account, event(handler, account, "Create", job.props), recording)
    observed("calls of the adopting Create", recording.calls)
    assert answer.status == "SUCCESS"
    assert "create_compilation_job" not in recording.calls
    assert "list_tags" in recording.calls


def test_a4_a_duplicate_create_is_refused_as_in_use(job: Job, account: Account, handlers: Any) -> None:
    """A4: CreateCompilationJob of an existing name answers ResourceInUse (or ConflictException)."""
    request = {k: v for k, v in job.props.items() if k != "ServiceTimeout"}
    error = error_of(lambda: account.client("sagemaker").create_compilation_job(**request))
    assert error is not None
    observed("duplicate CreateCompilationJob", described_error(handlers["compilation_job"], error))
    assert handlers["compilation_job"].aws_calls.error_code(error) in ("ResourceInUse", "ConflictException")


def test_a5_the_ownership_tags_of_the_create_call_are_listed_and_tags_change_in_place(
    job: Job, account: Account, handlers: Any
) -> None:
    """A5: tags given in CreateCompilationJob come back from ListTags on the job's ARN, and
    AddTags/DeleteTags (a tags-only update) work on that ARN."""
    wire = handlers["compilation_job"].wire
    sagemaker = account.client("sagemaker")
    arn = job.answer.data["CompilationJobArn"]
    tags = sagemaker.list_tags(ResourceArn=arn)["Tags"]
    observed("ListTags", tags)
    found = {t["Key"]: t["Value"] for t in tags}
    assert found[wire.OWNER_STACK_TAG] == account.stack_id
    assert found[wire.OWNER_LOGICAL_ID_TAG] == "Resource"
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "smc-aws-test", "Value": "added"}])
    assert {"Key": "smc-aws-test", "Value": "added"} in sagemaker.list_tags(ResourceArn=arn)["Tags"]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["smc-aws-test"])
    assert "smc-aws-test" not in {t["Key"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def test_a6_not_found_is_recognised_for_each_describe(account: Account, handlers: Any) -> None:
    """A6: a describe of a name that does not exist is an error aws_calls.is_not_found recognises."""
    sagemaker = account.client("sagemaker")
    name = account.name("absent")
    handler = handlers["compilation_job"]
    errors = {
        "DescribeCompilationJob": error_of(lambda: sagemaker.describe_compilation_job(CompilationJobName=name)),
        "DescribeFlowDefinition": error_of(lambda: sagemaker.describe_flow_definition(FlowDefinitionName=name)),
        "DescribeTrainingJob": error_of(lambda: sagemaker.describe_training_job(TrainingJobName=name)),
    }
    observed("not found", {k: described_error(handler, v) for k, v in errors.items() if v is not None})
    assert all(error is not None and handler.aws_calls.is_not_found(error) for error in errors.values())


def test_a7_stop_and_delete_in_each_state_and_reuse_of_the_name(
    account: Account, handlers: Any, role_arn: str, model_uri: str, bucket: str
) -> None:
    """A7/A8: which errors Stop and Delete give in each state (all must be ones the engine
    tolerates), how long a deleted job stays describable, and whether its name can be
    used again at once."""
    handler = handlers["compilation_job"]
    sagemaker = account.client("sagemaker")
    name = account.name("states")
    request = {k: v for k, v in job_properties(name, role_arn, model_uri, bucket).items() if k != "ServiceTimeout"}

    def status() -> str:
        return str(sagemaker.describe_compilation_job(CompilationJobName=name)["CompilationJobStatus"])

    answers: dict[str, str] = {}

    def attempt(verb: str, call: Callable[[], Any]) -> Any:
        state = status()
        error = error_of(call)
        answers[f"{verb} while {state}"] = "accepted" if error is None else described_error(handler, error)
        return error

    stop = lambda: sagemaker.stop_compilation_job(CompilationJobName=name)
    delete = lambda: sagemaker.delete_compilation_job(CompilationJobName=name)
    sagemaker.create_compilation_job(**request)
    errors = [attempt("Delete", delete), attempt("Stop", stop)]
    seen = [status()]
    while seen[-1] not in JOB_FINAL:
        if seen[-1] == "STOPPING" and "Delete while STOPPING" not in answers:
            errors += [attempt("Delete", delete), attempt("Stop", stop)]
        time.sleep(POLL_SECONDS)
        seen.append(status())
    errors.append(attempt("Stop", stop))
    final_delete = attempt("Delete", delete)
    linger, not_found = wait_until_gone(lambda: sagemaker.describe_compilation_job(CompilationJobName=name), handler)
    reuse = error_of(lambda: sagemaker.create_compilation_job(**request))
    observed("statuses", sorted(set(seen), key=seen.index))
    observed("Stop/Delete answers", answers)
    observed("seconds describable after DeleteCompilationJob", round(linger, 1))
    observed("describe after delete", described_error(handler, not_found))
    observed("create of the same name right after", "accepted" if reuse is None else described_error(handler, reuse))
    if reuse is None:  # clean up the second job
        errors.append(attempt("Stop", stop))
        while status() not in JOB_FINAL:
            time.sleep(POLL_SECONDS)
        sagemaker.delete_compilation_job(CompilationJobName=name)
    assert final_delete is None
    assert [described_error(handler, e) for e in errors if e is not None and not tolerated(handler, e)] == []
    assert reuse is None


def test_a9_delete_through_the_engine_removes_the_job(job: Job, account: Account, handlers: Any) -> None:
    """A9: the engine's Delete finds its own job by name, deletes it, and sees it gone."""
    handler = handlers["compilation_job"]
    started = time.time()
    answer = run(handler, account, event(handler, account, "Delete", job.props, physical_id=job.name))
    observed("seconds for the engine's Delete", round(time.time() - started, 1))
    assert (answer.status, answer.reason) == ("SUCCESS", "")
    error = error_of(lambda: account.client("sagemaker").describe_compilation_job(CompilationJobName=job.name))
    assert error is not None and handler.aws_calls.is_not_found(error)


# --- flow definitions -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def task_ui_arn(account: Account, workteam_arn: str) -> Iterator[str]:
    sagemaker = account.client("sagemaker")
    name = account.name("ui")
    arn = sagemaker.create_human_task_ui(
        HumanTaskUiName=name, UiTemplate={"Content": TEMPLATE.read_text(encoding="utf-8")}
    )["HumanTaskUiArn"]
    try:
        yield str(arn)
    finally:
        sagemaker.delete_human_task_ui(HumanTaskUiName=name)


def test_a10_flow_definition_lifecycle_tags_linger_and_reuse(
    account: Account, handlers: Any, role_arn: str, bucket: str, workteam_arn: str, task_ui_arn: str
) -> None:
    """A10: the engine makes a flow definition Active; ListTags works on its ARN; the
    comparison sees no difference in what DescribeFlowDefinition echoes; a duplicate create
    is refused as in use; the engine's Delete waits it out; the name can be used again
    right after."""
    handler = handlers["flow_definition"]
    sagemaker = account.client("sagemaker")
    name = account.name("flow")
    props = {
        "FlowDefinitionName": name,
        "HumanLoopConfig": {
            "WorkteamArn": workteam_arn,
            "HumanTaskUiArn": task_ui_arn,
            "TaskTitle": "Check the model's answer",
            "TaskDescription": "Say whether the model's answer fits the text",
            "TaskCount": 1,
        },
        "OutputConfig": {"S3OutputPath": f"s3://{bucket}/reviews/"},
        "RoleArn": role_arn,
        "ServiceTimeout": 600,
    }
    created = run(handler, account, event(handler, account, "Create", props))
    assert (created.status, created.reason) == ("SUCCESS", "")
    try:
        tags = sagemaker.list_tags(ResourceArn=created.data["FlowDefinitionArn"])["Tags"]
        observed("ListTags on the flow definition", tags)
        assert handler.wire.OWNER_STACK_TAG in {t["Key"] for t in tags}
        request = {k: v for k, v in props.items() if k != "ServiceTimeout"}
        described = sagemaker.describe_flow_definition(FlowDefinitionName=name)
        observed("HumanLoopConfig described", described.get("HumanLoopConfig"))
        assert handler.index.KIND.differences(request, described) == []  # defaults filled in are not compared
        duplicate = error_of(lambda: sagemaker.create_flow_definition(**request))
        assert duplicate is not None
        observed("duplicate CreateFlowDefinition", described_error(handler, duplicate))
        assert handler.aws_calls.error_code(duplicate) in ("ResourceInUse", "ConflictException")
    finally:
        started = time.time()
        deleted = run(handler, account, event(handler, account, "Delete", props, physical_id=name))
        observed("seconds for the engine's Delete (until not found)", round(time.time() - started, 1))
    assert (deleted.status, deleted.reason) == ("SUCCESS", "")
    reuse = error_of(lambda: sagemaker.create_flow_definition(**request))
    observed("create of the same name right after", "accepted" if reuse is None else described_error(handler, reuse))
    if reuse is None:
        sagemaker.delete_flow_definition(FlowDefinitionName=name)
    assert reuse is None
