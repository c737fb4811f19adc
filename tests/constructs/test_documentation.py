"""help(CompilationJob) and help(FlowDefinition) document every public
attribute, and the props document every prop with its default."""

from __future__ import annotations

import pydoc
import re
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3

from sagemaker_constructs import (
    CompilationJob,
    CompilationJobProps,
    CompilationMatrix,
    FlowDefinition,
    FlowDefinitionProps,
    Framework,
    ModelSource,
    TargetDevice,
)
from tests.constructs.builders import small_job
from tests.constructs.flow_definition.inputs import required


def public_attributes(instance: Any) -> set[str]:
    """Attributes set on the instance, and properties of its class, without the construct's own."""
    own = {name for name in vars(instance) if not name.startswith("_")}
    properties = {name for name in dir(type(instance)) if isinstance(getattr(type(instance), name, None), property)}
    return (own | properties) - {"node"}


def created() -> tuple[CompilationJob, FlowDefinition]:
    stack = Stack(App(), "Docs")
    return small_job(stack, "Job"), FlowDefinition(stack, "Flow", **required())


@pytest.mark.parametrize("which", [0, 1], ids=["CompilationJob", "FlowDefinition"])
def test_help_documents_every_public_attribute(which: int) -> None:
    instance = created()[which]
    text = pydoc.render_doc(type(instance), renderer=pydoc.plaintext)
    missing = sorted(name for name in public_attributes(instance) if not re.search(rf"\b{name}\b", text))
    assert missing == []
    for name in ("compilation_job_name", "role") if which == 0 else ("flow_definition_name", "role"):
        assert name in text


@pytest.mark.parametrize("props", [CompilationJobProps, FlowDefinitionProps])
def test_every_prop_is_documented_with_its_default_or_as_required(props: Any) -> None:
    doc = props.__doc__
    for name in props.__annotations__:
        match = re.search(rf":param {name}: (.*?)(?=\n\s*:param |\Z)", doc, re.DOTALL)
        assert match, f"{name} is not documented"
        assert "Default:" in match.group(1) or "Required" in match.group(1), name


def test_help_of_compilation_matrix_documents_every_public_attribute() -> None:
    stack = Stack(App(), "Docs")
    bucket = s3.Bucket(stack, "Bucket")
    matrix = CompilationMatrix(
        stack,
        "Matrix",
        targets=[TargetDevice.ML_C5],
        model=ModelSource.from_bucket(bucket, "models/m.tar.gz"),
        framework=Framework.XGBOOST,
        output_bucket=bucket,
    )
    text = pydoc.render_doc(CompilationMatrix, renderer=pydoc.plaintext)
    assert sorted(name for name in public_attributes(matrix) if not re.search(rf"\b{name}\b", text)) == []
