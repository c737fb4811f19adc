"""The example pipeline: compile one model for an edge device and for a cloud
instance, serve the cloud build from a SageMaker model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_constructs import (
    CompilationJob,
    CompilationJobProps,
    FlowDefinition,
    Framework,
    HumanLoopRequestSource,
    ModelSource,
    TargetDevice,
)

DEFAULT_MODEL = str(Path(__file__).resolve().parent / "model.tar.gz")


class ModelPipelineStack(Stack):
    """Context keys (all optional): ``model_path`` (a local .tar.gz) or
    ``model_s3_uri``; ``framework`` (default PYTORCH); ``input_shape`` as JSON;
    ``workteam_arn`` and ``human_task_ui_arn`` for the forms review (default:
    placeholders in the stack's account and region)."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        model_s3_uri = self.node.try_get_context("model_s3_uri")
        model_path = self.node.try_get_context("model_path") or DEFAULT_MODEL
        model = ModelSource.from_s3_uri(model_s3_uri) if model_s3_uri else ModelSource.from_asset(model_path)
        framework = Framework(self.node.try_get_context("framework") or "PYTORCH")
        input_shape = self.node.try_get_context("input_shape") or {"input0": [1, 3, 224, 224]}

        key = kms.Key(
            self, "ArtifactsKey", enable_key_rotation=True, description="Encrypts model inputs and compiled artifacts"
        )
        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.bucket = self._encrypted_bucket("Artifacts", key, access_logs, "artifacts/")

        # One model, two targets: the props are built once (checked by mypy like keyword arguments).
        compile_model: CompilationJobProps = {
            "model": model,
            "framework": framework,
            "data_input_config": input_shape,
            "output_bucket": self.bucket,
            "output_prefix": "compiled/",
            "kms_key": key,
            "max_runtime": Duration.minutes(15),
        }
        edge: CompilationJobProps = {**compile_model, "target_device": TargetDevice.SITARA_AM57X}
        cloud: CompilationJobProps = {**compile_model, "target_device": TargetDevice.ML_C5}
        self.edge = CompilationJob(self, "CompileForSitara", **edge)
        self.cloud = CompilationJob(self, "CompileForC5", **cloud)

        serving_role = iam.Role(self, "ServingRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        self.cloud.grant_read_artifacts(serving_role)
        key.grant_decrypt(serving_role)
        self.model = sagemaker.CfnModel(
            self,
            "ServingModel",
            execution_role_arn=serving_role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=self.cloud.inference_image,
                model_data_url=self.cloud.model_artifacts_s3_uri,
            ),
        )
        # The policy must exist before SageMaker checks the role can read the model.
        self.model.node.add_dependency(serving_role)

        # Human review of Textract form extraction: low-confidence or missing
        # key fields, plus a 5% sample, go to the private workteam.
        workteam_arn = self.node.try_get_context("workteam_arn") or self.format_arn(
            service="sagemaker", resource="workteam", resource_name="private-crowd/reviewers"
        )
        human_task_ui_arn = self.node.try_get_context("human_task_ui_arn") or self.format_arn(
            service="sagemaker", resource="human-task-ui", resource_name="forms-ui"
        )
        # The documents to review have a bucket of their own, so the review role reads
        # documents and not compiled models; the worker UI fetches them from the browser
        # (A2I's CORS requirement).
        self.documents = self._encrypted_bucket("ReviewDocuments", key, access_logs, "documents/")
        self.documents.add_cors_rule(allowed_methods=[s3.HttpMethods.GET], allowed_origins=["*"])
        self.review = FlowDefinition(
            self,
            "FormReview",
            human_loop_request_source=HumanLoopRequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS_V1,
            activation_conditions={
                "Conditions": [
                    {
                        "Or": [
                            {
                                "ConditionType": "ImportantFormKeyConfidenceCheck",
                                "ConditionParameters": {
                                    "ImportantFormKey": "Invoice number",
                                    "KeyValueBlockConfidenceLessThan": 90,
                                    "WordBlockConfidenceLessThan": 90,
                                },
                            },
                            {
                                "ConditionType": "MissingImportantFormKey",
                                "ConditionParameters": {"ImportantFormKey": "Invoice number"},
                            },
                            {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}},
                        ]
                    }
                ]
            },
            workteam_arn=workteam_arn,
            human_task_ui_arn=human_task_ui_arn,
            task_title="Review the extracted form fields",
            task_description="Check each key/value pair against the document",
            task_count=1,
            task_time_limit=Duration.minutes(30),
            output_bucket=self.bucket,
            output_prefix="reviews/",
            kms_key=key,
            input_buckets=[self.documents],
        )
        documents_cfn = self.documents.node.default_child
        assert isinstance(documents_cfn, s3.CfnBucket)
        documents_arn = f"<{self.get_logical_id(documents_cfn)}.Arn>"  # as cdk-nag spells the reference
        Validations.of(self.review.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::{documents_arn}/*]",
                reason="Each human loop names the document to review when it starts (Textract AnalyzeDocument "
                "input), so the review role reads any object of the bucket that holds only those documents.",
            )
        )

    def _encrypted_bucket(
        self, construct_id: str, key: kms.IKey, access_logs: s3.IBucket, log_prefix: str
    ) -> s3.Bucket:
        """KMS-encrypted, TLS-only, versioned, private, with server access logs."""
        return s3.Bucket(
            self,
            construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=log_prefix,
            removal_policy=RemovalPolicy.RETAIN,
        )
