"""help(CompilationJob) and help(FlowDefinition) document every public
attribute, and the props document every prop with its default."""

from __future__ import annotations

import inspect
import pydoc
import re
import types
import typing
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


# --- help(CompilationJob) / help(FlowDefinition) show the props -----------------------------
CONSTRUCTS = [
    (CompilationJob, CompilationJobProps, "CreateCompilationJob"),
    (FlowDefinition, FlowDefinitionProps, "CreateFlowDefinition"),
]
CONSTRUCT_IDS = ["CompilationJob", "FlowDefinition"]
NOT_AN_API_FIELD = "not an API field"


def api_paths(operation: str) -> set[str]:
    """Every member path of the operation's input (``InputConfig.S3Uri``), from botocore's model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    found: set[str] = set()

    def walk(shape: Any, prefix: str) -> None:
        while shape.type_name == "list":
            shape = shape.member
        for name, member in getattr(shape, "members", {}).items():
            found.add(prefix + name)
            walk(member, f"{prefix}{name}.")

    walk(model.operation_model(operation).input_shape, "")
    return found


def help_text(construct: type) -> str:
    """``help(construct)`` as plain text, without pydoc's `` |  `` margin."""
    text = pydoc.render_doc(construct, renderer=pydoc.plaintext)
    return "\n".join(re.sub(r"^ \|  ?", "", line) for line in text.splitlines())


def help_entry(text: str, name: str) -> str:
    """The entry ``name: <type>`` and its indented lines below it, in the keyword arguments."""
    assert "Keyword arguments" in text
    text = text[text.index("Keyword arguments") :]
    match = re.search(rf"^( *){name}: .*(?:\n\1 +\S.*)*", text, re.MULTILINE)
    assert match, f"help() has no entry for the keyword {name}"
    return match.group(0)


def type_names(hint: Any) -> list[str]:
    members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    return ["None" if member is type(None) else (typing.get_origin(member) or member).__name__ for member in members]


@pytest.mark.parametrize(("construct", "props", "operation"), CONSTRUCTS, ids=CONSTRUCT_IDS)
def test_help_shows_each_keyword_with_its_type_default_and_api_field(
    construct: type, props: Any, operation: str
) -> None:
    text = help_text(construct)
    assert "Creates a new construct node" not in text
    fields = api_paths(operation)
    for name, hint in typing.get_type_hints(props).items():
        entry = help_entry(text, name)
        first_line = entry.strip().splitlines()[0]
        assert all(type_name in first_line for type_name in type_names(hint)), (name, first_line, hint)
        assert "Default:" in entry or "Required" in entry, entry
        named = {re.sub(r"\s+", "", field) for field in re.findall(r"``([A-Z][\w.\s]*?)``", entry)}
        assert named & fields or NOT_AN_API_FIELD in entry, f"{name}: no API field of {operation} in {entry!r}"


@pytest.mark.parametrize(("construct", "props", "operation"), CONSTRUCTS, ids=CONSTRUCT_IDS)
def test_help_signature_is_the_constructors_not_jsiis(construct: type, props: Any, operation: str) -> None:
    signature = inspect.signature(construct)
    assert list(signature.parameters)[:2] == ["scope", "construct_id"]
    keywords = {n: p for n, p in signature.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert list(keywords) == list(props.__annotations__)
    assert {n for n, p in keywords.items() if p.default is inspect.Parameter.empty} == set(props.__required_keys__)
    assert f"{construct.__name__}(scope" in help_text(construct)
