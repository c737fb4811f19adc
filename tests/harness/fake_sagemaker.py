"""A strict fake SageMaker for the lifecycle tests and the benchmark.

Strict means:
* any method it does not implement fails the test (``StrictFake``);
* every request is checked against the installed botocore service model:
  types, required members and minimums (botocore's own validator), plus
  enums, patterns and maximum lengths, which botocore does not check;
* jobs and flow definitions move through their statuses on the simulated
  clock, following a per-name script.

Faults are injected per operation: ``fake.fail("create_compilation_job",
client_error("ThrottlingException"), times=2)``. Slow calls too:
``fake.latency["describe_compilation_job"] = 45.0`` makes each call take that
long on the simulated clock, the way a botocore client configured like the
handler's (``clients.CONFIG``) would: a call slower than the read timeout
takes every attempt's timeout and ends in ``ReadTimeoutError``.

IAM, opt in: ``FakeSageMaker(policy=...)`` or ``fake.enforce(policy)`` (a
:class:`tests.harness.iam.Policy`, e.g. ``iam.handler_policy(template)``) makes
every call answer ``AccessDeniedException`` that the policy does not allow, for
the request context SageMaker would evaluate: the resource's ARN, its current
tags (``aws:ResourceTag/<k>``), the request's ``Tags`` (``aws:RequestTag/<k>``,
``aws:TagKeys``), and a Create's dependent actions: ``iam:PassRole`` of its
``RoleArn`` and, when it has tags, ``sagemaker:AddTags`` with
``sagemaker:TaggingAction`` set to the Create's name. Denied calls
are in ``fake.denied``. Without a policy, everything is allowed.

One more optional hook (off by default; the explorer in ``tests/explorer`` sets it):
``fake.interfere(operation, params)`` runs before each call is served, and may
sleep on the clock or raise (throttling, a call that hangs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.exceptions import ClientError, ParamValidationError, ReadTimeoutError
from botocore.validate import ParamValidator

from tests.harness import ACCOUNT, REGION, StrictFake
from tests.harness.iam import ContextValue, Policy, tag_context
from tests.harness.world import World

# The handler's botocore configuration (lambda/shared/clients.py), as the fake models it.
READ_TIMEOUT_SECONDS = 10.0
TOTAL_MAX_ATTEMPTS = 2

_MODEL = botocore.session.get_session().get_service_model("sagemaker")
# The request member that names the resource, and its IAM resource type.
_RESOURCE_OF = {
    "CompilationJobName": "compilation-job",
    "FlowDefinitionName": "flow-definition",
    "TrainingJobName": "training-job",
}


def client_error(code: str, message: str = "", status: int = 400, operation: str = "Operation") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message or code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


def _python_pattern(pattern: str | None) -> str | None:
    """Service-model patterns are Java regexes; translate the \\p{...} classes
    the tag shapes use, and skip any other pattern Python cannot compile."""
    if not pattern:
        return None
    translated = pattern.replace(r"\p{L}", "a-zA-Z\u00c0-\uffff").replace(r"\p{Z}", " ").replace(r"\p{N}", "0-9")
    try:
        re.compile(translated)
    except re.error:
        return None
    return translated


def _check_shape(shape: Any, value: Any, path: str, problems: list[str]) -> None:
    meta = shape.metadata
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in value:
                _check_shape(member, value[name], f"{path}.{name}", problems)
    elif shape.type_name == "list":
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{path}: more than {meta['max']} items")
        for i, item in enumerate(value):
            _check_shape(shape.member, item, f"{path}[{i}]", problems)
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {shape.enum}")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{path}: longer than {meta['max']}")
        pattern = _python_pattern(meta.get("pattern"))
        if pattern and not re.fullmatch(pattern, value, flags=re.DOTALL):
            problems.append(f"{path}: {value!r} does not match {pattern}")
    elif shape.type_name in ("integer", "long") and "max" in meta and value > meta["max"]:
        problems.append(f"{path}: more than {meta['max']}")


def validate_request(operation: str, params: dict[str, Any]) -> None:
    """Raise AssertionError when the request would not pass SageMaker's model."""
    input_shape = _MODEL.operation_model(operation).input_shape
    report = ParamValidator().validate(params, input_shape)
    if report.has_errors():
        raise AssertionError(f"{operation}: {ParamValidationError(report=report.generate_report())}")
    problems: list[str] = []
    _check_shape(input_shape, params, operation, problems)
    if problems:
        raise AssertionError(f"{operation}: " + "; ".join(problems))


@dataclass
class Script:
    """Statuses over simulated time, relative to creation: [(0, "STARTING"), (60, "COMPLETED")]."""

    steps: list[tuple[float, str]]
    failure_reason: str = ""

    def status_at(self, elapsed: float) -> str:
        current = self.steps[0][1]
        for at, status in self.steps:
            if elapsed >= at:
                current = status
        return current


@dataclass
class _Job:
    request: dict[str, Any]
    created: float
    script: Script
    tags: dict[str, str] = field(default_factory=dict)
    stopped_at: float | None = None
    deleted_at: float | None = None


class FakeSageMaker(StrictFake):
    """Compilation jobs, flow definitions, training jobs and Search."""

    STOP_SECONDS = 20.0
    DELETE_FLOW_SECONDS = 3.0
    # How long a deleted compilation job stays describable (SageMaker is eventually consistent).
    delete_linger_seconds = 0.0

    def __init__(self, clock: World | None = None, policy: Policy | None = None) -> None:
        self.clock: World = clock or World()
        self.policy = policy
        # (action, resource ARN, context, reason) of every call the policy denied
        self.denied: list[tuple[str, str, dict[str, ContextValue], str]] = []
        # seconds per call, or a function of the time of the call
        self.latency: dict[str, Any] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_log: list[tuple[str, float]] = []
        self.jobs: dict[str, _Job] = {}
        self.flows: dict[str, _Job] = {}
        self.deleting_flows: dict[str, float] = {}
        self.training_jobs: dict[str, dict[str, Any]] = {}
        self.search_results: list[dict[str, Any]] = []
        self.default_job_script = Script([(0, "COMPLETED")])
        self.job_scripts: dict[str, Script] = {}
        self.default_flow_script = Script([(0, "Initializing"), (2, "Active")])
        self.flow_scripts: dict[str, Script] = {}
        self._faults: dict[str, list[Exception]] = {}
        self.interfere: Callable[[str, dict[str, Any]], None] | None = None

    # --- plumbing ---------------------------------------------------------
    def fail(self, operation: str, error: Exception, times: int = 1) -> None:
        self._faults.setdefault(operation, []).extend([error] * times)

    def enforce(self, policy: Policy | None) -> None:
        """Authorize every later call with ``policy`` (None: allow everything again)."""
        self.policy = policy

    def _call(self, operation: str, api_name: str, params: dict[str, Any]) -> None:
        self.calls.append((operation, params))
        self.call_log.append((operation, self.clock.now()))
        validate_request(api_name, params)
        delay = self.latency.get(operation, 0.0)
        if callable(delay):
            delay = delay(self.clock.now())
        if delay > READ_TIMEOUT_SECONDS:
            self.clock.sleep(TOTAL_MAX_ATTEMPTS * READ_TIMEOUT_SECONDS + 0.5)
            raise ReadTimeoutError(endpoint_url=f"https://api.sagemaker.{REGION}.amazonaws.com/")
        if delay:
            self.clock.sleep(delay)
        self._authorize(api_name, params)
        if self.interfere is not None:
            self.interfere(operation, params)
        queue = self._faults.get(operation)
        if queue:
            raise queue.pop(0)

    # --- IAM ----------------------------------------------------------------------
    def _resource_arn(self, params: dict[str, Any]) -> str:
        if "ResourceArn" in params:
            return str(params["ResourceArn"])
        for member, kind in _RESOURCE_OF.items():
            if member in params:
                return self._arn(kind, params[member])
        return "*"  # Search: no resource type in IAM

    def _current_tags(self, arn: str) -> dict[str, str] | None:
        """The tags IAM sees: those of the resource while the fake still holds it (a deleted job
        that lingers, a flow definition that is Deleting), none for a name that does not exist."""
        try:
            return self._tagged(arn).tags
        except ClientError:
            return None

    def request_context(self, api_name: str, params: dict[str, Any]) -> tuple[str, dict[str, ContextValue]]:
        """The resource ARN and the condition keys SageMaker evaluates for this call."""
        arn = self._resource_arn(params)
        request_tags: list[dict[str, str]] | None = None
        if api_name.startswith("Create") or api_name == "AddTags":
            request_tags = list(params.get("Tags") or [])
        context = tag_context(resource_tags=self._current_tags(arn), request_tags=request_tags)
        if api_name == "DeleteTags":
            context["aws:TagKeys"] = list(params["TagKeys"])
        return arn, context

    def _authorize(self, api_name: str, params: dict[str, Any]) -> None:
        if self.policy is None:
            return
        arn, context = self.request_context(api_name, params)
        checks = [(f"sagemaker:{api_name}", arn, context)]
        if api_name.startswith("Create") and "RoleArn" in params:
            checks.append(("iam:PassRole", params["RoleArn"], {"iam:PassedToService": "sagemaker.amazonaws.com"}))
        if api_name.startswith("Create") and params.get("Tags"):
            # Tags in a Create are authorized as sagemaker:AddTags too (the reference lists it as a
            # dependent action of CreateCompilationJob and CreateFlowDefinition), with the Create's
            # name in sagemaker:TaggingAction and no resource tags yet.
            on_create = {**tag_context(request_tags=params["Tags"]), "sagemaker:TaggingAction": api_name}
            checks.append(("sagemaker:AddTags", arn, on_create))
        for action, resource, keys in checks:
            decision = self.policy.decide(action, resource, keys)
            if not decision.allowed:
                self.denied.append((action, resource, keys, decision.reason))
                raise client_error(
                    "AccessDeniedException",
                    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/handler-role/handler-fn is not authorized to "
                    f"perform: {action} on resource: {resource} because {decision.reason}",
                    operation=api_name,
                )

    def called(self, operation: str) -> list[dict[str, Any]]:
        return [params for op, params in self.calls if op == operation]

    def call_times(self, operation: str) -> list[float]:
        """When each call of ``operation`` was made (simulated time)."""
        return [at for op, at in self.call_log if op == operation]

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name.lower()}"

    # --- compilation jobs ---------------------------------------------------
    def _job_status(self, job: _Job) -> str:
        now = self.clock.now()
        if job.stopped_at is not None:
            return "STOPPING" if now - job.stopped_at < self.STOP_SECONDS else "STOPPED"
        return job.script.status_at(now - job.created)

    def create_compilation_job(self, **params: Any) -> dict[str, Any]:
        self._call("create_compilation_job", "CreateCompilationJob", params)
        name = params["CompilationJobName"]
        if name in self.jobs:
            raise client_error("ResourceInUse", f"Compilation job {name} already exists")
        script = self.job_scripts.get(name, self.default_job_script)
        self.jobs[name] = _Job(
            request=params,
            created=self.clock.now(),
            script=script,
            tags={t["Key"]: t["Value"] for t in params.get("Tags", [])},
        )
        return {"CompilationJobArn": self._arn("compilation-job", name)}

    def describe_compilation_job(self, **params: Any) -> dict[str, Any]:
        self._call("describe_compilation_job", "DescribeCompilationJob", params)
        name = params["CompilationJobName"]
        job = self.jobs.get(name)
        if (
            job is not None
            and job.deleted_at is not None
            and self.clock.now() - job.deleted_at >= self.delete_linger_seconds
        ):
            del self.jobs[name]
            job = None
        if job is None:
            raise client_error("ResourceNotFound", f"Could not find compilation job {name}")
        status = self._job_status(job)
        request = job.request
        described: dict[str, Any] = {
            "CompilationJobName": name,
            "CompilationJobArn": self._arn("compilation-job", name),
            "CompilationJobStatus": status,
            "CreationTime": job.created,
            "RoleArn": request["RoleArn"],
            "StoppingCondition": request.get("StoppingCondition", {}),
            "OutputConfig": request["OutputConfig"],
        }
        for key in ("InputConfig", "VpcConfig", "ModelPackageVersionArn"):
            if key in request:
                described[key] = request[key]
        if status == "COMPLETED":
            location = request["OutputConfig"]["S3OutputLocation"].rstrip("/")
            described["ModelArtifacts"] = {
                "S3ModelArtifacts": f"{location}/model-{request['OutputConfig'].get('TargetDevice', 'platform')}.tar.gz"
            }
            if str(request["OutputConfig"].get("TargetDevice", "")).startswith("ml_"):
                described["InferenceImage"] = (
                    "301217895009.dkr.ecr.us-east-1.amazonaws.com/sagemaker-neo-pytorch:1.8-cpu-py3"
                )
        if status == "FAILED":
            described["FailureReason"] = job.script.failure_reason or "ClientError: compilation failed"
        return described

    def stop_compilation_job(self, **params: Any) -> dict[str, Any]:
        self._call("stop_compilation_job", "StopCompilationJob", params)
        job = self.jobs.get(params["CompilationJobName"])
        if job is None:
            raise client_error("ResourceNotFound", "no such job")
        if self._job_status(job) not in ("STARTING", "INPROGRESS"):
            raise client_error("ValidationException", f"job is {self._job_status(job)}; cannot stop")
        job.stopped_at = self.clock.now()
        return {}

    def delete_compilation_job(self, **params: Any) -> dict[str, Any]:
        self._call("delete_compilation_job", "DeleteCompilationJob", params)
        name = params["CompilationJobName"]
        job = self.jobs.get(name)
        if job is None:
            raise client_error("ResourceNotFound", "no such job")
        if self._job_status(job) not in ("COMPLETED", "FAILED", "STOPPED"):
            raise client_error("ValidationException", f"job is {self._job_status(job)}; cannot delete")
        if self.delete_linger_seconds > 0:
            job.deleted_at = job.deleted_at or self.clock.now()
        else:
            del self.jobs[name]
        return {}

    # --- tags -------------------------------------------------------------------
    def _tagged(self, arn: str) -> _Job:
        name = arn.rsplit("/", 1)[-1]
        for pool in (self.jobs, self.flows):
            for key, job in pool.items():
                if key.lower() == name:
                    return job
        raise client_error("ResourceNotFound", f"no resource {arn}")

    def list_tags(self, **params: Any) -> dict[str, Any]:
        self._call("list_tags", "ListTags", params)
        job = self._tagged(params["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in job.tags.items()]}

    def add_tags(self, **params: Any) -> dict[str, Any]:
        self._call("add_tags", "AddTags", params)
        self._tagged(params["ResourceArn"]).tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        return {"Tags": params["Tags"]}

    def delete_tags(self, **params: Any) -> dict[str, Any]:
        self._call("delete_tags", "DeleteTags", params)
        job = self._tagged(params["ResourceArn"])
        for key in params["TagKeys"]:
            job.tags.pop(key, None)
        return {}

    # --- flow definitions ---------------------------------------------------------
    def create_flow_definition(self, **params: Any) -> dict[str, Any]:
        self._call("create_flow_definition", "CreateFlowDefinition", params)
        name = params["FlowDefinitionName"]
        if name in self.flows:
            raise client_error("ResourceInUse", f"Flow definition {name} already exists")
        self.flows[name] = _Job(
            request=params,
            created=self.clock.now(),
            script=self.flow_scripts.get(name, self.default_flow_script),
            tags={t["Key"]: t["Value"] for t in params.get("Tags", [])},
        )
        return {"FlowDefinitionArn": self._arn("flow-definition", name)}

    def describe_flow_definition(self, **params: Any) -> dict[str, Any]:
        self._call("describe_flow_definition", "DescribeFlowDefinition", params)
        name = params["FlowDefinitionName"]
        flow = self.flows.get(name)
        if flow is None:
            raise client_error("ResourceNotFound", f"Flow definition {name} does not exist")
        if name in self.deleting_flows:
            if self.clock.now() - self.deleting_flows[name] >= self.DELETE_FLOW_SECONDS:
                del self.flows[name]
                del self.deleting_flows[name]
                raise client_error("ResourceNotFound", f"Flow definition {name} does not exist")
            status = "Deleting"
        else:
            status = flow.script.status_at(self.clock.now() - flow.created)
        described = {
            "FlowDefinitionName": name,
            "FlowDefinitionArn": self._arn("flow-definition", name),
            "FlowDefinitionStatus": status,
            "CreationTime": flow.created,
            **{k: v for k, v in flow.request.items() if k not in ("FlowDefinitionName", "Tags")},
        }
        if status == "Failed":
            described["FailureReason"] = flow.script.failure_reason or "flow definition failed"
        return described

    def delete_flow_definition(self, **params: Any) -> dict[str, Any]:
        self._call("delete_flow_definition", "DeleteFlowDefinition", params)
        name = params["FlowDefinitionName"]
        if name not in self.flows:
            raise client_error("ResourceNotFound", f"Flow definition {name} does not exist")
        self.deleting_flows.setdefault(name, self.clock.now())
        return {}

    # --- training jobs and Search ---------------------------------------------------
    def describe_training_job(self, **params: Any) -> dict[str, Any]:
        self._call("describe_training_job", "DescribeTrainingJob", params)
        name = params["TrainingJobName"]
        if name not in self.training_jobs:
            raise client_error("ValidationException", f"Requested resource not found: training job {name}")
        return self.training_jobs[name]

    def search(self, **params: Any) -> dict[str, Any]:
        self._call("search", "Search", params)
        return {"Results": [{"TrainingJob": r} for r in self.search_results[: params.get("MaxResults", 10)]]}


class FakeS3(StrictFake):
    """The copy the handler makes of a model asset; ``copy_seconds`` of simulated time each."""

    def __init__(self, clock: World | None = None) -> None:
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.copies: list[dict[str, Any]] = []
        self.clock: World = clock or World()
        self.copy_seconds = 0.0

    def copy(self, source: dict[str, str], bucket: str, key: str, ExtraArgs: Any = None) -> None:
        if self.copy_seconds:
            self.clock.sleep(self.copy_seconds)
        self.copies.append({"source": source, "bucket": bucket, "key": key, "extra": ExtraArgs})
        self.objects[(bucket, key)] = {"from": source}
