"""Integration app: compile the artifacts of an existing training job.

``ModelSource.from_training_job`` reads the training job's
``ModelArtifacts.S3ModelArtifacts`` at deploy time. Nothing here trains a
model: name a completed training job of the account and the bucket its
artifacts are in. Its assertions, each of which fails the deploy:

* ``DescribeCompilationJob`` says ``COMPLETED`` and compiled ``InputConfig.S3Uri`` =
  the construct's ``SourceModelS3Uri`` attribute;
* ``DescribeTrainingJob`` of the named job gives that same URI, and its name is the
  construct's ``SourceTrainingJobName`` attribute.

Inputs (context or environment): ``training_job_name`` / ``SMC_INTEG_TRAINING_JOB``
and ``training_output_bucket`` / ``SMC_INTEG_TRAINING_BUCKET`` (required);
``training_framework`` / ``SMC_INTEG_TRAINING_FRAMEWORK`` (default XGBOOST, which
needs no input shape) and ``training_input_shape`` / ``SMC_INTEG_TRAINING_INPUT_SHAPE``
(JSON, for frameworks that need one). Without the required ones the app uses
placeholders (so the snapshot does not change) and ``scripts/integ.py`` skips it.
"""

from __future__ import annotations

import json

from aws_cdk import App, Duration
from aws_cdk import aws_s3 as s3
from aws_cdk.integ_tests_alpha import ExpectedResult

from integ.common import PLACEHOLDER, Input, IntegApp, integ_app, must_have, scratch_bucket
from sagemaker_constructs import CompilationJob, Framework, ModelSource, TargetDevice

NAME = "TrainingSource"
TRAINING_JOB = Input("training_job_name", "SMC_INTEG_TRAINING_JOB", "the name of a Completed training job")
TRAINING_BUCKET = Input("training_output_bucket", "SMC_INTEG_TRAINING_BUCKET", "the bucket holding its artifacts")
FRAMEWORK = Input("training_framework", "SMC_INTEG_TRAINING_FRAMEWORK", "the framework of its model (XGBOOST)")
INPUT_SHAPE = Input("training_input_shape", "SMC_INTEG_TRAINING_INPUT_SHAPE", "the model's input shape, as JSON")
REQUIRED = (TRAINING_JOB, TRAINING_BUCKET)  # what scripts/integ.py needs given before it deploys this app


def build(app: App) -> IntegApp:
    stack, finish = integ_app(app, NAME, REQUIRED)
    training_job = TRAINING_JOB.value(app) or f"{PLACEHOLDER}-training-job"
    training_bucket = s3.Bucket.from_bucket_name(
        stack, "TrainingOutput", TRAINING_BUCKET.value(app) or f"{PLACEHOLDER}-training-output"
    )
    shape = INPUT_SHAPE.value(app)
    job = CompilationJob(
        stack,
        "FromTraining",
        model=ModelSource.from_training_job(training_job, training_output_bucket=training_bucket),
        framework=Framework(FRAMEWORK.value(app) or "XGBOOST"),
        data_input_config=json.loads(shape) if shape else None,
        target_device=TargetDevice.ML_C5,
        output_bucket=scratch_bucket(stack),
        output_prefix="compiled/",
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
            "CompiledTheSourceModel": ("InputConfig.S3Uri", ExpectedResult.exact(job.source_model_s3_uri)),
        },
    )
    training = assertions.aws_api_call("SageMaker", "describeTrainingJob", {"TrainingJobName": training_job})
    must_have(
        training,
        {
            "SourceIsTheTrainingJobsArtifacts": (
                "ModelArtifacts.S3ModelArtifacts",
                ExpectedResult.exact(job.source_model_s3_uri),
            ),
            "SourceTrainingJobNamed": ("TrainingJobName", ExpectedResult.exact(job.source_training_job_name)),
        },
    )
    return integ


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
