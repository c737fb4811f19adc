"""Integration app: Neo compiles a real tiny ONNX model, and SageMaker and S3 confirm it.

The stack under test stages ``integ/model/model.tar.gz`` (made by
``scripts/make_tiny_model.py``) as a CDK asset and compiles it for ``ml_c5``.
Its assertions, each of which fails the deploy when it does not hold:

* ``DescribeCompilationJob`` says ``COMPLETED``;
* its ``ModelArtifacts.S3ModelArtifacts`` is the construct's ``S3ModelArtifacts`` attribute;
* ``HeadObject`` finds that artifact below ``<output prefix><job name>/``;
* ``ListTags`` on the job's ARN shows the ownership tag naming this stack (the
  handler puts the tags in ``CreateCompilationJob``).

    npx --no-install cdk deploy --app ".venv/bin/python -m integ.integ_compilation_job" --all
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Duration, Fn
from aws_cdk.integ_tests_alpha import ExpectedResult

from integ.common import Input, IntegApp, allow, integ_app, must_be_owned_by, must_have, scratch_bucket
from sagemaker_constructs import CompilationJob, Framework, ModelSource, TargetDevice

NAME = "CompilationJob"
REQUIRED: tuple[Input, ...] = ()  # what scripts/integ.py needs given before it deploys this app
MODEL = Path(__file__).resolve().parent / "model" / "model.tar.gz"
INPUT_SHAPE = {"data": [1, 3, 8, 8]}  # scripts/make_tiny_model.py INPUT_NAME, INPUT_SHAPE
OUTPUT_PREFIX = "compiled/"


def build(app: App) -> IntegApp:
    stack, finish = integ_app(app, NAME, REQUIRED)
    bucket = scratch_bucket(stack)
    job = CompilationJob(
        stack,
        "TinyOnnx",
        model=ModelSource.from_asset(str(MODEL)),
        framework=Framework.ONNX,
        data_input_config=INPUT_SHAPE,
        target_device=TargetDevice.ML_C5,
        output_bucket=bucket,
        output_prefix=OUTPUT_PREFIX,
        max_runtime=Duration.minutes(15),
    )
    integ = finish()
    assertions = integ.test.assertions

    describe = assertions.aws_api_call(
        "SageMaker", "describeCompilationJob", {"CompilationJobName": job.compilation_job_name}
    )
    must_have(
        describe,
        {
            "JobCompleted": ("CompilationJobStatus", ExpectedResult.exact("COMPLETED")),
            "ArtifactAttributeIsDescribed": (
                "ModelArtifacts.S3ModelArtifacts",
                ExpectedResult.exact(job.model_artifacts_s3_uri),
            ),
        },
    )

    # The artifact's key: what follows "/<prefix><job name>/" in its URI. (Fn::Split takes
    # only a literal delimiter; the job name is one.) A URI outside that prefix has no
    # element 1, and the deploy fails there.
    job_prefix = f"{OUTPUT_PREFIX}{job.compilation_job_name}/"
    file_name = Fn.select(1, Fn.split(f"/{job_prefix}", job.model_artifacts_s3_uri, 2))
    head = assertions.aws_api_call("S3", "headObject", {"Bucket": bucket.bucket_name, "Key": job_prefix + file_name})
    allow(head, ["s3:GetObject"], [bucket.arn_for_objects(f"{job_prefix}*")])
    allow(head, ["s3:ListBucket"], [bucket.bucket_arn])  # a missing object is then 404, not 403
    # HeadObject of a missing object fails the deploy by itself; the ETag reports it.
    must_have(head, {"ArtifactObjectExists": ("ETag", ExpectedResult.string_like_regexp(".+"))})

    must_be_owned_by(assertions, stack, job.compilation_job_arn)
    return integ


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
