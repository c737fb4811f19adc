"""The handler Lambda shared by every resource of one kind in a stack.

The asset is bundled locally, without Docker or network: the handler's own
folder, the shared modules, the wire contract and the installed crhelper
package are copied into the asset directory.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    AssetHashType,
    BundlingOptions,
    CfnWaitConditionHandle,
    DockerImage,
    Duration,
    ILocalBundling,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from . import _nag, _naming, _resource, _wire
from ._validation import is_token

PACKAGE_DIR = Path(__file__).resolve().parent
POLL_RULE_PREFIX = "smc-poll-"  # lambda/shared/cfn_resource.py RULE_PREFIX
HANDLER_TIMEOUT = Duration.minutes(15)
# cdk-nag's latest-runtime rule accepts python3.14 with aws-cdk-lib 2.275
# (Runtime.determine_latest_python_runtime still answers 3.13).
HANDLER_RUNTIME = lambda_.Runtime.PYTHON_3_14


def handler_root() -> Path:
    """Where the handler code is: inside the package when installed from the
    wheel (``sagemaker_constructs/_lambda``), ``lambda/`` in the repository."""
    for candidate in (PACKAGE_DIR / "_lambda", PACKAGE_DIR.parent / "lambda"):
        if (candidate / "shared" / "engine.py").is_file():
            return candidate
    raise FileNotFoundError(f"handler code not found in {PACKAGE_DIR / '_lambda'} or {PACKAGE_DIR.parent / 'lambda'}")


def _copy_py_files(source: Path, target: Path) -> None:
    for path in sorted(source.glob("*.py")):
        shutil.copyfile(path, target / path.name)


def bundle_handler(kind: str, output_dir: str | Path) -> Path:
    """Lay out one handler's asset in ``output_dir``; returns that directory."""
    root = handler_root()
    target = Path(output_dir)
    target.mkdir(parents=True, exist_ok=True)
    _copy_py_files(root / "shared", target)
    _copy_py_files(root / kind, target)
    shutil.copyfile(Path(_wire.__file__), target / "_wire.py")
    # Located without importing it: importing crhelper imports boto3 (~0.3 s of synth).
    spec = importlib.util.find_spec("crhelper")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("crhelper is not installed; the handler asset needs it")
    crhelper_dir = Path(spec.origin).resolve().parent
    shutil.copytree(
        crhelper_dir,
        target / "crhelper",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        dirs_exist_ok=True,
    )
    return target


@jsii.implements(ILocalBundling)
class _LocalBundler:
    def __init__(self, kind: str) -> None:
        self._kind = kind

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        bundle_handler(self._kind, output_dir)
        return True


class HandlerFunction(Construct):
    """One Lambda per stack and kind, with its own role and log group.

    Holds the statements that grow as resources are added, so that a new
    resource adds resources to an existing statement instead of a new one.
    """

    def __init__(self, scope: Construct, construct_id: str, *, kind: str, description: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"sagemaker-constructs {kind} handler (no managed policies)",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=HANDLER_RUNTIME,
            handler="index.handler",
            code=lambda_.Code.from_asset(
                str(handler_root() / kind),
                asset_hash_type=AssetHashType.OUTPUT,
                bundling=BundlingOptions(
                    image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.14"),
                    local=_LocalBundler(kind),
                ),
            ),
            timeout=HANDLER_TIMEOUT,
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
            description=description,
            # No async retries by Lambda: a timed-out invocation has already answered (crhelper's
            # timer), and a retry could start a job after the rollback removed it. CloudFormation
            # and the polling rule are the only retries.
            retry_attempts=0,
        )
        self.log_group.grant_write(self.role)
        self._passed_roles: set[str] = set()
        self._pass_role = iam.PolicyStatement(
            actions=["iam:PassRole"],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
        self._statements: dict[str, tuple[iam.PolicyStatement, set[str]]] = {}
        self._done: set[Any] = set()
        self._keep: list[Any] = []  # objects whose id() is in a key of _done stay alive
        self._polling_policy: iam.Policy | None = None
        self._memo: dict[Any, Any] = {}
        self._ready: list[CfnWaitConditionHandle] = []
        self.bucket_keys: dict[int, kms.IKey | None] = {}
        self._bucket_names: dict[int, str] = {}
        self.stack = stack
        # Per-stack values every resource needs, fetched from jsii once.
        self.stack_name: str = _resource.naming_stack_name(stack)
        self.stack_path: str = stack.node.path

    def once(self, *key: Any) -> bool:
        """True the first time ``key`` is seen in this stack (grants and
        acknowledgments that many resources share are made once). Objects in
        the key count by identity."""
        marker = tuple(id(part) if not isinstance(part, (str, int, bool, type(None))) else part for part in key)
        if marker in self._done:
            return False
        self._done.add(marker)
        self._keep.append(key)
        return True

    def role_arn(self, role: iam.IRole) -> str:
        """``role.role_arn``, fetched from jsii once per role."""
        if self.once("role-arn", role):
            self._memo[("role-arn", id(role))] = role.role_arn
        return str(self._memo[("role-arn", id(role))])

    def bucket_name(self, bucket: s3.IBucket) -> str:
        """``bucket.bucket_name``, fetched from jsii once per bucket."""
        if self.once("bucket-name", bucket):
            self._bucket_names[id(bucket)] = bucket.bucket_name
        return self._bucket_names[id(bucket)]

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """A per-stack value (an ARN pattern token, a role's ARN) made once."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def statement(self, key: str, actions: list[str], resources: list[str]) -> iam.PolicyStatement:
        """The handler-role statement ``key``: created once, then extended."""
        entry = self._statements.get(key)
        if entry is None:
            statement = iam.PolicyStatement(actions=actions, resources=resources)
            self._statements[key] = (statement, set(resources))
            self.role.add_to_principal_policy(statement)
            return statement
        statement, known = entry
        new = [r for r in resources if r not in known]
        if new:
            statement.add_resources(*new)
            known.update(new)
        return statement

    def allow_on_names(self, resource_type: str, actions: list[str], explicit_name: str | None, reason: str) -> None:
        """``actions`` on ``<resource_type>/<stack prefix>*`` (every generated name), plus the
        exact ARN of an explicit name; the wildcard's cdk-nag finding is acknowledged once."""
        stack = self.stack
        prefix = _naming.stack_prefix(self.stack_name)
        # SageMaker lowercases names in many ARNs: keep the patterns lowercase.
        resources = [
            self.memo(
                ("arn", resource_type),
                lambda: stack.format_arn(service="sagemaker", resource=resource_type, resource_name=prefix + "*"),
            )
        ]
        if explicit_name is not None:
            # A token (e.g. a CfnParameter) cannot be lowercased at synth time: it is used as given.
            name = explicit_name if is_token(explicit_name) else explicit_name.lower()
            resources.append(stack.format_arn(service="sagemaker", resource=resource_type, resource_name=name))
        self.statement(resource_type, actions, resources)
        if self.once("ack-names", resource_type):
            _nag.acknowledge_wildcard_resource(self, resources[0], reason)

    def allow_pass_role(self, role: iam.IRole) -> None:
        """iam:PassRole on exactly this role, only to SageMaker (once per role)."""
        if not self.once("pass-role", role):
            return
        if not self._passed_roles:
            self.role.add_to_principal_policy(self._pass_role)
        self._passed_roles.add(str(id(role)))
        self._pass_role.add_resources(self.role_arn(role))

    def ready_after(self, role: iam.IRole, job_name: str) -> Construct:
        """One no-op resource per shared role that depends on the role, all its
        policies (CDK may split a long policy into overflow policies) and the
        polling policy. Each job of that role depends on this one resource
        instead of on all of them, so an added job adds one DependsOn entry.

        Its metadata is a digest of the names of the jobs that share the role,
        so whenever a job (and with it a grant on the role) is added, changed or
        removed, the handle is updated too, after the policies: a new job never
        starts before its grants are in place."""
        key = ("ready", id(role))
        if key not in self._memo:
            self.once("ready-role", role)  # keeps the role alive for id()
            handle = CfnWaitConditionHandle(self, f"RoleReady{len(self._ready)}")
            handle.node.add_dependency(role, self.allow_polling())
            self._ready.append(handle)
            self._memo[key] = (handle, [])
        handle, names = self._memo[key]
        names.append(job_name)
        digest = hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()[:16]
        handle.add_metadata("sagemaker-constructs:jobs", digest)
        ready: Construct = handle
        return ready

    def allow_polling(self) -> iam.Policy:
        """What crhelper's EventBridge polling needs, scoped to ``smc-poll-*``.

        The statement naming the function's own ARN lives in a separate
        policy: in the role's default policy it would form a dependency cycle
        (the function depends on that policy).
        """
        if self._polling_policy is not None:
            return self._polling_policy
        stack = self.stack
        rule_arn = stack.format_arn(service="events", resource="rule", resource_name=f"{POLL_RULE_PREFIX}*")
        _nag.acknowledge_wildcard_resource(
            self,
            rule_arn,
            f"crhelper names each polling rule at run time ({POLL_RULE_PREFIX} and a random suffix) and "
            "removes it when the resource is answered; the pattern covers only this library's polling "
            "rules in this account and region, and the statement holds only rule and target actions.",
        )
        policy = iam.Policy(
            self,
            "PollingPolicy",
            statements=[
                iam.PolicyStatement(
                    actions=["events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"],
                    resources=[rule_arn],
                ),
                iam.PolicyStatement(
                    actions=["lambda:AddPermission", "lambda:RemovePermission"],
                    resources=[self.function.function_arn],
                ),
            ],
        )
        policy.attach_to_role(self.role)
        self._polling_policy = policy
        return policy


def handler_for(scope: Construct, kind: str, description: str) -> HandlerFunction:
    """The stack's handler for ``kind``, created on first use."""
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    # The stack object carries its handlers (no module-level cache that could
    # outlive an app); the construct tree stays the authority.
    handlers: dict[str, HandlerFunction] = stack.__dict__.setdefault("_sagemaker_constructs_handlers", {})
    if kind in handlers:
        return handlers[kind]
    # Short ("Smc" as in the smc-poll- rules): the id is in every logical id and ServiceToken.
    construct_id = "Smc" + "".join(part.title() for part in kind.split("_")) + "Handler"
    existing = stack.node.try_find_child(construct_id)
    handler = (
        existing
        if isinstance(existing, HandlerFunction)
        else HandlerFunction(stack, construct_id, kind=kind, description=description)
    )
    handlers[kind] = handler
    return handler
