"""The example pipeline: compile one model for an edge device and for a cloud
instance, serve the cloud build from a SageMaker model, ship the edge build as an
AWS IoT Greengrass component, and review Textract form extractions with people."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_constructs import (
    CompilationJobProps,
    CompilationMatrix,
    FlowDefinition,
    Framework,
    HumanLoopRequestSource,
    ModelSource,
    TargetDevice,
)

HERE = Path(__file__).resolve().parent
DEFAULT_MODEL = str(HERE / "model.tar.gz")
REVIEW_TEMPLATE = HERE / "worker_templates" / "form_review.liquid.html"


class ModelPipelineStack(Stack):
    """Context keys (all optional): ``model_path`` (a local .tar.gz) or
    ``model_s3_uri``; ``framework`` (default PYTORCH); ``input_shape`` as JSON;
    ``workteam_arn`` for the forms review (default: a placeholder in the stack's
    account and region: an account has one private workforce per region, so the
    example does not create a work team); ``device_role_arn``, the Greengrass core
    devices' token exchange role, to let them download the edge build."""

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

        # One model, two targets: one job each, sharing one job role and one staged model.
        compile_model: CompilationJobProps = {
            "model": model,
            "framework": framework,
            "data_input_config": input_shape,
            "output_bucket": self.bucket,
            "output_prefix": "compiled/",
            "kms_key": key,
            "max_runtime": Duration.minutes(15),
        }
        self.matrix = CompilationMatrix(
            self, "Compile", targets=[TargetDevice.SITARA_AM57X, TargetDevice.ML_C5], **compile_model
        )
        self.edge = self.matrix.job_for(TargetDevice.SITARA_AM57X)
        self.cloud = self.matrix.job_for(TargetDevice.ML_C5)

        # The cloud build, ready for an endpoint: its role reads this job's artifacts only.
        self.model = self.cloud.to_model(self, "ServingModel")

        # The edge build, as a Greengrass component whose version follows the artifact.
        self.component = self.edge.to_greengrass_component(
            self, "EdgeComponent", component_name=f"com.example.{self.stack_name}.Sitara"
        )
        device_role_arn = self.node.try_get_context("device_role_arn")
        if device_role_arn:
            self.edge.grant_device_read(iam.Role.from_role_arn(self, "DeviceRole", device_role_arn))

        # Human review of Textract form extraction: low-confidence or missing
        # key fields, plus a 5% sample, go to the private workteam.
        workteam_arn = self.node.try_get_context("workteam_arn") or self.format_arn(
            service="sagemaker", resource="workteam", resource_name="private-crowd/reviewers"
        )
        # The worker UI, from the Liquid template in this repository. Its template cannot change in
        # place (a new one is a new UI), so its name follows the template's content.
        template = REVIEW_TEMPLATE.read_text(encoding="utf-8")
        self.review_ui = sagemaker.CfnHumanTaskUi(
            self,
            "FormReviewUi",
            human_task_ui_name=self._ui_name("forms", template),
            ui_template=sagemaker.CfnHumanTaskUi.UiTemplateProperty(content=template),
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
            human_task_ui=self.review_ui,
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

    def _ui_name(self, purpose: str, template: str) -> str:
        """``<stack>-<purpose>-<digest of the template>``: lowercase, at most 63 characters."""
        stack_part = re.sub(r"[^a-z0-9]+", "-", self.stack_name.lower()).strip("-")[:40].strip("-")
        return f"{stack_part}-{purpose}-{hashlib.sha256(template.encode()).hexdigest()[:10]}"

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
