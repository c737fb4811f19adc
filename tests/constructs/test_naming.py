"""The per-stack name prefix and generated names (sagemaker_constructs._naming)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

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


def sha6(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:6]


def test_prefix_of_a_simple_stack_name_is_documented_form() -> None:
    """Changed (issue 15, defect 8): a 6-digit hash of the stack's identity follows the readable part."""
    assert _naming.stack_prefix("ModelPipeline") == f"modelpipeline-{sha6('ModelPipeline')}--"
    assert _naming.stack_prefix("My_Stack.v2--Odd  ") == f"my-stack-v2-odd-{sha6('My_Stack.v2--Odd  ')}--"
    assert _naming.stack_prefix("Parent/Vision") == f"parent-vision-{sha6('Parent/Vision')}--"


def test_the_readmes_examples() -> None:
    documented = {
        "ModelPipeline": "modelpipeline-92724c--",
        "Prod": "prod-5f5635--",
        "prod": "prod-6754af--",
        "PROD": "prod-e3c834--",
        "my--stack": "my-stack-cbf714--",
        "my-stack": "my-stack-3e5cc4--",
        "Parent/Vision": "parent-vision-e510e6--",
        "Parent-Vision": "parent-vision-f3d2ef--",
    }
    assert {stack: _naming.stack_prefix(stack) for stack in documented} == documented
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert all(f"`{prefix}`" in readme for prefix in documented.values())
    assert 63 - _naming.MAX_PREFIX_LENGTH - 1 - _naming.HASH_LENGTH == 27  # the README's path room


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
    assert prefix == f"verylongstacknam-{sha6(stack)}--"
    assert len(prefix) <= _naming.MAX_PREFIX_LENGTH == 25


def test_a_cut_that_ends_in_a_dash_drops_it() -> None:
    assert _naming.stack_prefix("abcdefghijklmno-pqr") == f"abcdefghijklmno-{sha6('abcdefghijklmno-pqr')}--"


def test_long_stack_names_sharing_a_start_get_different_prefixes() -> None:
    first = _naming.stack_prefix("ModelCompilationPipelineEuWest1")
    second = _naming.stack_prefix("ModelCompilationPipelineUsEast1")
    assert first != second
    assert first[:16] == second[:16]


def test_stack_name_without_name_characters_still_has_a_prefix() -> None:
    assert _naming.stack_prefix("---") == f"stack-{sha6('---')}--"


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


# --- the prefix isolates stacks (issue 15, defect 8) ---------------------------------------
COLLIDING = [
    ("Prod", "prod"),
    ("prod", "PROD"),
    ("Prod", "PROD"),
    ("my--stack", "my-stack"),
    ("my_stack", "my-stack"),
    ("Parent/Vision", "Parent-Vision"),  # a nested stack Vision in Parent, and a top-level stack
    ("ModelCompilationPipelineEuWest1", "ModelCompilationPipelineEuWest2"),
]


@pytest.mark.parametrize(("first", "second"), COLLIDING)
def test_stacks_whose_names_sanitize_alike_get_prefixes_that_do_not_cover_each_other(first: str, second: str) -> None:
    a, b = _naming.stack_prefix(first), _naming.stack_prefix(second)
    assert a != b
    for mine, other, other_stack in ((a, b, second), (b, a, first)):
        names = [_naming.generated_name(other_stack, path, {"p": 1}) for path in ("Job", "A/B", "x" * 80)]
        assert all(name.startswith(other) for name in names)
        assert not any(name.startswith(mine) for name in names)


def test_no_prefix_covers_another_stacks_names() -> None:
    stacks = STACK_NAMES + [name for pair in COLLIDING for name in pair]
    for mine in stacks:
        prefix = _naming.stack_prefix(mine)
        for other in stacks:
            if other != mine:
                assert not _naming.generated_name(other, "Job", {}).startswith(prefix), (mine, other)
