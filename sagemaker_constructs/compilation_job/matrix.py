"""CompilationMatrix: one model compiled for many targets (a cloud instance and two
edge boards, say), each target its own :class:`CompilationJob`, with one job role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Unpack

from aws_cdk import aws_iam as iam
from constructs import Construct

from .. import _resource
from .._typecheck import check_arguments, check_props
from .._validation import Problem, raise_if_any
from ..targets import TargetDevice, TargetPlatform
from . import grants
from .construct import CompilationJob
from .props import TYPE_HINTS, CompilationJobProps, validate

Target = TargetDevice | TargetPlatform
PER_TARGET = ("target_device", "target_platform", "compilation_job_name")


def target_key(target: TargetDevice | TargetPlatform | str) -> Target:
    """A target as the matrix's mappings key it: a device name becomes its ``TargetDevice``."""
    return TargetDevice(target) if isinstance(target, str) else target


def target_props(target: TargetDevice | TargetPlatform | str) -> dict[str, Any]:
    if isinstance(target, TargetPlatform):
        return {"target_platform": target}
    return {"target_device": target}


def construct_id_of(target: Target) -> str:
    """``jetson_nano`` for a device, ``LINUX-ARM64-NVIDIA`` for a platform."""
    if isinstance(target, TargetDevice):
        return target.name
    parts = [target.os, target.arch, *([target.accelerator] if target.accelerator is not None else [])]
    return "-".join(str(getattr(part, "value", part)) for part in parts)


def validate_matrix(
    props: CompilationJobProps, targets: Sequence[TargetDevice | TargetPlatform | str]
) -> list[Problem]:
    """Every problem of the shared props with each target (each reported once), empty or
    repeated targets, and props that belong to one target only."""
    found: list[Problem] = []
    for prop in PER_TARGET:
        if props.get(prop) is not None:
            rule = "is set per target: list the targets in targets, and each job gets a generated name"
            found.append(Problem(prop, props.get(prop), rule))
    if not targets:
        found.append(Problem("targets", [], "must hold at least one TargetDevice or TargetPlatform"))
    keys = [target_key(target) for target in targets]
    repeated = [construct_id_of(key) for index, key in enumerate(keys) if key in keys[:index]]
    if repeated:
        found.append(Problem("targets", repeated, "must name each target once"))
    shared = {key: value for key, value in props.items() if key not in PER_TARGET}
    for target in targets:
        job_props: CompilationJobProps = {**shared, **target_props(target)}  # type: ignore[typeddict-item]
        for problem in validate(job_props):
            if problem not in found:
                found.append(problem)
    return found


class CompilationMatrix(Construct):
    """One model, many targets: a :class:`CompilationJob` per target, below this construct.

    ``CompilationMatrix(scope, id, targets=[...], **props)``: ``props`` are the
    :class:`CompilationJobProps` the jobs share, without ``target_device``, ``target_platform``
    and ``compilation_job_name``. The jobs share one job role (``role``, or one created
    here) and one copy of a ``ModelSource.from_asset`` model. Each job is its own
    resource, so a target that fails fails the deploy with that job's reason.

    Attributes:
        jobs: target -> its :class:`CompilationJob`, in the order given (a device name is
            keyed by its ``TargetDevice``).
        artifacts: target -> the compiled artifact's S3 URI (GetAtt ``S3ModelArtifacts``).
        role: the job role all the jobs share.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        targets: Sequence[TargetDevice | TargetPlatform | str],
        **props: Unpack[CompilationJobProps],
    ) -> None:
        owner = _resource.Owner("CompilationMatrix", scope, construct_id)
        check_arguments(owner, CompilationMatrix.__init__, targets=targets)
        check_props(owner, props, CompilationJobProps, TYPE_HINTS)
        raise_if_any(owner, validate_matrix(props, targets))
        super().__init__(scope, construct_id)
        self.role: iam.IRole = props.get("role") or self._create_role(vpc=props.get("vpc_subnets") is not None)
        self.jobs: dict[Target, CompilationJob] = {}
        for target in targets:
            key = target_key(target)
            job_props: dict[str, Any] = {**props, **target_props(target), "role": self.role}
            self.jobs[key] = CompilationJob(self, construct_id_of(key), **job_props)
        self.artifacts: dict[Target, str] = {key: job.model_artifacts_s3_uri for key, job in self.jobs.items()}

    def _create_role(self, *, vpc: bool) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SageMaker Neo compilation job role, shared by one model's targets (sagemaker-constructs)",
        )
        grants.grant_created_role(self, role, vpc=vpc)
        return role

    def job_for(self, target: TargetDevice | TargetPlatform | str) -> CompilationJob:
        """The job of ``target`` (``TargetDevice.JETSON_NANO``, ``"jetson_nano"`` or a ``TargetPlatform``)."""
        check_arguments(f"CompilationMatrix {self.node.path}: job_for", CompilationMatrix.job_for, target=target)
        job = self.jobs.get(target_key(target))
        if job is None:
            listing = ", ".join(construct_id_of(key) for key in self.jobs)
            raise ValueError(
                f"CompilationMatrix {self.node.path}: job_for: target must be one of this matrix's targets "
                f"({listing}) (got {target!r})"
            )
        return job

    def grant_read_artifacts(self, grantee: iam.IGrantable) -> iam.Grant:
        """:meth:`CompilationJob.grant_read_artifacts` for every target's job."""
        check_arguments(
            f"CompilationMatrix {self.node.path}: grant_read_artifacts",
            CompilationMatrix.grant_read_artifacts,
            grantee=grantee,
        )
        jobs = list(self.jobs.values())
        grant = jobs[0].grant_read_artifacts(grantee)
        for job in jobs[1:]:
            grant = grant.combine(job.grant_read_artifacts(grantee))
        return grant
