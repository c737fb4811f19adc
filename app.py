#!/usr/bin/env python3
"""The example app: `make synth` writes it to cdk.out/ (see README)."""

import os

from aws_cdk import App, Environment

from example.pipeline import ModelPipelineStack

app = App()
ModelPipelineStack(
    app,
    "ModelPipeline",
    env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
)
app.synth()
