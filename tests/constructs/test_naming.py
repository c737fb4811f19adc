"""The per-stack name prefix and generated names (sagemaker_constructs._naming)."""

from __future__ import annotations

import hashlib
import re

import botocore.session
import pytest

from sagemaker_constructs import _naming, _wire

STACK_NAMES = [
    "ModelPipeline",
    "prod",
    "prod-2",
    "My_Stack.With--Odd  Chars",
    "a",
    "---",
    "VeryLongStackNameForTheModelCompilationPipelineInProduction",
    "x" * 128,
]


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_prefix_is_lowercase_and_ends_in_the_separator(stack: str) -> None:
    prefix = _naming.stack_prefix(stack)
    assert prefix == prefix.lower()
    assert prefix.endswith("--")
    assert "--" not in prefix[:-2]
    assert re.fullmatch(r"[a-z0-9](-?[a-z0-9])*--", prefix)


def test_prefix_of_a_simple_stack_name_is_documented_form() -> None:
    assert _naming.stack_prefix("ModelPipeline") == "modelpipeline--"
    assert _naming.stack_prefix("My_Stack.v2--Odd  ") == "my-stack-v2-odd--"


def test_prefix_of_one_stack_is_not_a_prefix_of_another_stacks_names() -> None:
    prod_names = [_naming.generated_name("prod", "Job", {"p": 1}), _naming.generated_name("prod", "A/B", {})]
    prod2_names = [_naming.generated_name("prod-2", "Job", {"p": 1}), _naming.generated_name("prod-2", "A/B", {})]
    prod_prefix = _naming.stack_prefix("prod")
    assert all(name.startswith(prod_prefix) for name in prod_names)
    assert not any(name.startswith(prod_prefix) for name in prod2_names)
    assert not _naming.stack_prefix("prod-2").startswith(prod_prefix)


def test_long_stack_names_are_cut_and_hashed() -> None:
    stack = "VeryLongStackNameForTheModelCompilationPipelineInProduction"
    prefix = _naming.stack_prefix(stack)
    digest = hashlib.sha256(stack.encode()).hexdigest()[:4]
    assert prefix == f"verylongstackna-{digest}--"
    assert len(prefix) <= _naming.PREFIX_STACK_PART_MAX + 2


def test_long_stack_names_sharing_a_start_get_different_prefixes() -> None:
    first = _naming.stack_prefix("ModelCompilationPipelineEuWest1")
    second = _naming.stack_prefix("ModelCompilationPipelineUsEast1")
    assert first != second
    assert first[:15] == second[:15]


def test_stack_name_without_name_characters_still_has_a_prefix() -> None:
    assert _naming.stack_prefix("---") == "stack--"


@pytest.fixture(scope="module")
def service_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    job = model.operation_model("CreateCompilationJob").input_shape.members["CompilationJobName"]
    flow = model.operation_model("CreateFlowDefinition").input_shape.members["FlowDefinitionName"]
    return re.compile(job.metadata["pattern"]), re.compile(flow.metadata["pattern"])


@pytest.mark.parametrize("stack", STACK_NAMES)
@pytest.mark.parametrize(
    "path", ["Job", "Deeply/Nested/Construct/Path/With/Many/Levels/AndAVeryLongIdAtTheEndOfIt", "__", "A" * 200]
)
def test_generated_names_fit_both_service_patterns(
    service_patterns: tuple[re.Pattern[str], re.Pattern[str]], stack: str, path: str
) -> None:
    name = _naming.generated_name(stack, path, {"InputConfig": {"Framework": "PYTORCH"}})
    job_pattern, flow_pattern = service_patterns
    assert len(name) <= 63
    assert name == name.lower()
    assert name.startswith(_naming.stack_prefix(stack))
    assert job_pattern.fullmatch(name)
    assert flow_pattern.fullmatch(name)
    assert _wire.COMPILATION_JOB.name_rule.pattern.match(name)
    assert _wire.FLOW_DEFINITION.name_rule.pattern.match(name)


def test_generated_name_depends_on_path_properties_and_stack() -> None:
    base = _naming.generated_name("prod", "Job", {"a": 1})
    assert _naming.generated_name("prod", "Job", {"a": 1}) == base
    assert _naming.generated_name("prod", "Job2", {"a": 1}) != base
    assert _naming.generated_name("prod", "Job", {"a": 2}) != base
    assert _naming.generated_name("prod-2", "Job", {"a": 1}) != base


def test_generated_name_ignores_key_order() -> None:
    assert _naming.generated_name("s", "J", {"a": 1, "b": 2}) == _naming.generated_name("s", "J", {"b": 2, "a": 1})


def test_paths_cut_to_the_same_part_still_get_different_names() -> None:
    long = "Pipeline/" + "x" * 80
    first = _naming.generated_name("prod", long + "/A", {})
    second = _naming.generated_name("prod", long + "/B", {})
    assert first != second
    assert first.rsplit("-", 1)[0] == second.rsplit("-", 1)[0]
