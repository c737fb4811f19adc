"""Inputs that passed synth silently before (issue 16, section 1), for CompilationJob and
ModelSource: each is rejected at construction with one ValueError naming the construct's
path, the property, the value and the rule. Rules come from botocore's service model
(sagemaker_constructs._service_model), S3's naming rules (_s3), the model archive (_model_archive),
and what a TrainingJob search can sort by (_search)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from sagemaker_constructs import (
    CompilationJob,
    Framework,
    ModelSource,
    SearchFilter,
    TargetPlatform,
    TargetPlatformAccelerator,
    TargetPlatformArch,
    TargetPlatformOs,
)
from sagemaker_constructs._validation import shown
from tests.constructs.builders import small_job

STACK = "Rules"
_ids = iter(range(10_000))


def job(stack: Stack | None = None, **overrides: Any) -> CompilationJob:
    """An XGBOOST job for ml_c5 in a fresh stack (or ``stack``), with ``overrides``."""
    stack = stack or Stack(App(), STACK)
    return small_job(stack, "Job", s3.Bucket(stack, f"Bucket{next(_ids)}"), **overrides)


def rejected(prop: str, value: str, rule: str) -> str:
    """The pattern of one problem line of CompilationJob Rules/Job."""
    return rf"CompilationJob {STACK}/Job: .*\n(.*\n)*  - {re.escape(prop)} {rule}.*\(got {re.escape(shown(value))}"


# --- ARNs and names by the service model --------------------------------------------------------
def test_a_model_package_that_is_not_an_arn_is_rejected() -> None:
    with pytest.raises(ValueError, match=rejected("model", "not-an-arn", r"must match arn:aws.*:model-package/")):
        job(model=ModelSource.from_model_package("not-an-arn"))


def test_a_model_package_arn_is_accepted() -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/resnet/3"
    assert job(model=ModelSource.from_model_package(arn)).compilation_job_name


def test_an_imported_kms_key_whose_arn_breaks_the_model_pattern_is_rejected() -> None:
    stack = Stack(App(), STACK)
    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:us-east-1:123456789012:key/with space")
    with pytest.raises(ValueError, match=rejected("kms_key", key.key_arn, r"must match \[a-zA-Z0-9:/_-\]\*")):
        job(stack, kms_key=key)


def test_an_imported_role_whose_arn_breaks_the_model_pattern_is_rejected() -> None:
    stack = Stack(App(), STACK)
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/with space", mutable=False)
    with pytest.raises(ValueError, match=rejected("role", role.role_arn, r"must match arn:aws\[a-z\\-\]\*:iam::")):
        job(stack, role=role)


def test_a_training_job_name_breaking_the_model_pattern_is_still_rejected() -> None:
    stack = Stack(App(), STACK)
    bucket = s3.Bucket(stack, "Training")
    with pytest.raises(ValueError, match=r"training_job_name must match"):
        job(stack, model=ModelSource.from_training_job("bad_name", training_output_bucket=bucket))


def test_uri_members_leave_room_for_the_length_the_s3_module_assumes() -> None:
    """_s3 skips loading the model for a URI of URI_ALWAYS_ALLOWED characters or fewer."""
    from sagemaker_constructs import _s3, _service_model

    for member in ("CreateCompilationJob.InputConfig.S3Uri", "CreateFlowDefinition.OutputConfig.S3OutputPath"):
        high = _service_model.string_rule(member).high
        assert high is not None and high >= _s3.URI_ALWAYS_ALLOWED


# --- S3 ---------------------------------------------------------------------------------------
def test_a_bucket_key_with_a_leading_slash_is_rejected() -> None:
    stack = Stack(App(), STACK)
    bucket = s3.Bucket(stack, "Models")
    with pytest.raises(ValueError, match=rejected("model", "/models/m.tar.gz", "must not start with '/'")):
        job(stack, model=ModelSource.from_bucket(bucket, "/models/m.tar.gz"))


@pytest.mark.parametrize("name", ["My-Models", "my_models"])
def test_an_imported_model_bucket_breaking_s3_naming_is_rejected(name: str) -> None:
    stack = Stack(App(), STACK)
    bucket = s3.Bucket.from_bucket_name(stack, "Models", name)
    out = s3.Bucket(stack, "Out")
    with pytest.raises(ValueError, match=rejected("model", name, "must hold only lowercase letters, digits")):
        job(stack, model=ModelSource.from_bucket(bucket, "m.tar.gz"), output_bucket=out)


def test_an_imported_output_bucket_breaking_s3_naming_is_rejected() -> None:
    stack = Stack(App(), STACK)
    out = s3.Bucket.from_bucket_name(stack, "Out", "Compiled_Models")
    with pytest.raises(ValueError, match=rejected("output_bucket", "Compiled_Models", "must hold only lowercase")):
        job(stack, output_bucket=out)


def test_an_imported_training_output_bucket_breaking_s3_naming_is_rejected() -> None:
    stack = Stack(App(), STACK)
    bucket = s3.Bucket.from_bucket_name(stack, "Training", "Training_Out")
    source = ModelSource.from_training_job("trained", training_output_bucket=bucket)
    with pytest.raises(ValueError, match=rejected("training_output_bucket", "Training_Out", "must hold only")):
        job(stack, model=source)


@pytest.mark.parametrize(
    ("uri", "rule"),
    [
        ("s3://My_Models/m.tar.gz", r"bucket 'My_Models' must hold only lowercase letters"),
        ("s3://models//m.tar.gz", r"must not have a key starting with '/'"),
        ("s3://models/" + "k" * 1010 + ".tar.gz", r"must be 0 to 1024 characters long \(1029 given\)"),
    ],
)
def test_a_model_uri_breaking_s3_rules_or_the_model_length_is_rejected(uri: str, rule: str) -> None:
    with pytest.raises(ValueError, match=rejected("model", uri, rule)):
        job(model=ModelSource.from_s3_uri(uri))


def test_a_bucket_key_making_the_uri_longer_than_the_model_allows_is_rejected() -> None:
    stack = Stack(App(), STACK)
    bucket = s3.Bucket.from_bucket_name(stack, "Models", "models")
    key = "k" * 1010 + ".tar.gz"
    with pytest.raises(ValueError, match=rejected("model", key, r"must leave s3://<bucket>/<key> at most 1024")):
        job(stack, model=ModelSource.from_bucket(bucket, key), output_bucket=s3.Bucket(stack, "Out"))


def test_token_keys_and_bucket_names_are_skipped() -> None:
    stack = Stack(App(), STACK)
    bucket = s3.Bucket.from_bucket_name(stack, "Models", Token.as_string({"Ref": "Bucket"}))
    job(stack, model=ModelSource.from_bucket(bucket, Token.as_string({"Ref": "Key"})), output_bucket=bucket)


# --- Search sort_by -----------------------------------------------------------------------------
def best(stack: Stack, sort_by: str) -> Any:
    bucket = s3.Bucket(stack, "Training")
    filters = [SearchFilter("TrainingJobStatus", "Equals", "Completed")]
    return ModelSource.from_best_training_job(filters=filters, training_output_bucket=bucket, sort_by=sort_by)


@pytest.mark.parametrize(
    ("sort_by", "why"),
    [
        ("Accuracy", r"TrainingJob has no property 'Accuracy'"),
        ("Metrics", r"Metrics must be followed by \.<name>"),
        ("ResourceConfig", r"ResourceConfig is an object: name one of its properties \(InstanceType"),
    ],
)
def test_a_sort_by_a_training_job_search_cannot_sort_by_is_rejected(sort_by: str, why: str) -> None:
    stack = Stack(App(), STACK)
    with pytest.raises(ValueError, match=rejected("sort_by", sort_by, rf"must name a property .*: {why}")):
        job(stack, model=best(stack, sort_by), framework=Framework.XGBOOST)


@pytest.mark.parametrize(
    "sort_by", ["Metrics.validation:accuracy", "CreationTime", "HyperParameters.eta", "ResourceConfig.InstanceType"]
)
def test_a_sort_by_a_training_job_search_can_sort_by_is_accepted(sort_by: str) -> None:
    stack = Stack(App(), STACK)
    assert job(stack, model=best(stack, sort_by)).compilation_job_name


# --- NVIDIA targets ---------------------------------------------------------------------------
NVIDIA = TargetPlatform(
    os=TargetPlatformOs.LINUX, arch=TargetPlatformArch.ARM64, accelerator=TargetPlatformAccelerator.NVIDIA
)


def test_an_nvidia_platform_without_its_compiler_options_is_rejected() -> None:
    options = {"gpu-code": "sm_72"}
    with pytest.raises(
        ValueError,
        match=r"CompilationJob Rules/Job: 1 invalid property:\n  - compiler_options must give trt-ver, cuda-ver "
        r"for an NVIDIA target platform .* \(got \{'gpu-code': 'sm_72'\}\)",
    ):
        job(target_device=None, target_platform=NVIDIA, compiler_options=options)


def test_an_nvidia_platform_without_compiler_options_names_all_three() -> None:
    with pytest.raises(ValueError, match=r"compiler_options must give gpu-code, trt-ver, cuda-ver .*\(got None\)"):
        job(target_device=None, target_platform=NVIDIA)


def test_an_nvidia_platform_with_its_compiler_options_is_accepted() -> None:
    options = '{"gpu-code": "sm_72", "trt-ver": "8.2.1", "cuda-ver": "10.2"}'
    assert job(target_device=None, target_platform=NVIDIA, compiler_options=options).compilation_job_name


def test_the_nvidia_options_are_those_the_service_model_documents() -> None:
    from sagemaker_constructs import _service_model
    from sagemaker_constructs.compilation_job.props import NVIDIA_COMPILER_OPTIONS

    documentation = _service_model.documentation("CreateCompilationJob.OutputConfig.CompilerOptions")
    assert "required for NVIDIA accelerators" in documentation
    for spellings, _ in NVIDIA_COMPILER_OPTIONS.values():
        assert any(spelling in documentation for spelling in spellings)


# --- model assets -------------------------------------------------------------------------------
def test_a_tar_gz_asset_that_is_not_gzip_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "model.tar.gz"
    path.write_bytes(b"ustar, but not compressed")
    with pytest.raises(ValueError, match=rejected("model", str(path), r"must be gzip-compressed .*75 73")):
        job(model=ModelSource.from_asset(path))


def test_a_gzip_asset_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "model.tar.gz"
    path.write_bytes(gzip.compress(b"\0" * 1024))
    assert job(model=ModelSource.from_asset(path)).compilation_job_name


def test_a_directory_asset_is_rejected_saying_how_to_pack_it(tmp_path: Path) -> None:
    model_dir = tmp_path / "model.tar.gz"  # even named like an archive: CDK would zip it
    model_dir.mkdir()
    with pytest.raises(ValueError, match=rejected("model", str(model_dir), r"must be a .tar.gz file, not a directory")):
        job(model=ModelSource.from_asset(model_dir))
