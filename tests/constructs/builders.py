"""The smallest valid CompilationJob, for tests about something else."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_constructs import CompilationJob, Framework, ModelSource, TargetDevice


def small_job(
    scope: Construct, construct_id: str, bucket: s3.IBucket | None = None, **overrides: Any
) -> CompilationJob:
    """An XGBOOST job for ml_c5 (no data_input_config needed) reading ``models/m.tar.gz``
    from ``bucket`` (default: a new bucket ``<construct_id>Bucket``), writing there too."""
    bucket = bucket or s3.Bucket(scope, f"{construct_id}Bucket")
    props: dict[str, Any] = {
        "model": ModelSource.from_bucket(bucket, "models/m.tar.gz"),
        "framework": Framework.XGBOOST,
        "target_device": TargetDevice.ML_C5,
        "output_bucket": bucket,
        **overrides,
    }
    return CompilationJob(scope, construct_id, **props)
