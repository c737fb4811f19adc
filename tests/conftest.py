"""Shared fixtures. The synthesized example app and the handler bundles are
built once per session: synth costs ~3 s, mostly fixed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ["AWS_REGION"] = "us-east-1"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

from sagemaker_constructs import _wire
from tests.harness import STACK_ID, Lifecycle, ResponseServer, load_handler
from tests.harness.fake_sagemaker import FakeS3, FakeSageMaker

os.environ[_wire.ENV_STACK_ID] = STACK_ID  # the handler function's environment, as the construct renders it


@pytest.fixture(scope="session")
def response_server() -> Iterator[ResponseServer]:
    server = ResponseServer()
    previous = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = server.ca_file
    yield server
    if previous is None:
        os.environ.pop("SSL_CERT_FILE", None)
    else:
        os.environ["SSL_CERT_FILE"] = previous
    server.close()


@pytest.fixture
def make_lifecycle(response_server: ResponseServer) -> Iterator[Callable[..., Lifecycle]]:
    """``make_lifecycle("compilation_job")`` -> a Lifecycle with a fresh strict fake."""
    made: list[Lifecycle] = []

    def make(kind: str = "compilation_job", **kwargs: Any) -> Lifecycle:
        resource_type = {
            "compilation_job": "Custom::SageMakerCompilationJob",
            "flow_definition": "Custom::SageMakerFlowDefinition",
        }[kind]
        kwargs.setdefault("sagemaker", FakeSageMaker())
        kwargs.setdefault("s3", FakeS3())
        lifecycle = Lifecycle(load_handler(kind), response_server, resource_type=resource_type, **kwargs)
        made.append(lifecycle)
        return lifecycle

    yield make
    for lifecycle in made:
        lifecycle.close()
