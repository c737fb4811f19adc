"""Every integ app, synthesized offline and compared with its committed snapshot.

One snapshot per stack: ``tests/snapshots/integ_<app>.json`` (the stack under
test) and ``integ_<app>_assertions.json`` (its assertion stack). A change to
either template fails here until the snapshot is rewritten on purpose:
``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/integ``.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Aspects
from aws_cdk.assertions import Template

from integ.common import (
    ASSERTION_OUTPUT_PREFIX,
    ASSERTION_RESOURCE_PREFIX,
    OWNER_LOGICAL_ID_TAG,
    OWNER_STACK_TAG,
    IntegApp,
    PinAssertionSalts,
)
from sagemaker_constructs import _wire
from sagemaker_constructs.testing import assert_matches_snapshot

REPO = Path(__file__).resolve().parents[2]
SNAPSHOTS = REPO / "tests" / "snapshots"
APPS = sorted(path.stem for path in (REPO / "integ").glob("integ_*.py"))
INPUT_ENV_PREFIX = "SMC_INTEG_"


def synthesize(module_name: str) -> IntegApp:
    """The app as ``cdk synth`` would build it with no inputs given (placeholders),
    its assertion salts pinned."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(INPUT_ENV_PREFIX)}
    try:
        app = App()
        built: IntegApp = importlib.import_module(f"integ.{module_name}").build(app)
        Aspects.of(app).add(PinAssertionSalts())
        app.synth()
    finally:
        os.environ.update(saved)
    return built


@pytest.fixture(scope="module")
def apps() -> Iterator[dict[str, IntegApp]]:
    yield {name: synthesize(name) for name in APPS}  # ~1.5 s each, once for the module


def template(stack: Any) -> dict[str, Any]:
    return dict(Template.from_stack(stack).to_json())


def test_there_is_an_integ_app_for_each_construct() -> None:
    assert APPS == ["integ_compilation_job", "integ_flow_definition", "integ_training_source"]


@pytest.mark.parametrize("name", APPS)
def test_stack_under_test_matches_snapshot(apps: dict[str, IntegApp], name: str) -> None:
    assert_matches_snapshot(apps[name].stack, SNAPSHOTS / f"{name}.json")


@pytest.mark.parametrize("name", APPS)
def test_assertion_stack_matches_snapshot(apps: dict[str, IntegApp], name: str) -> None:
    assert_matches_snapshot(apps[name].assertions_stack, SNAPSHOTS / f"{name}_assertions.json")


@pytest.mark.parametrize("name", APPS)
def test_every_assertion_fails_the_deploy(apps: dict[str, IntegApp], name: str) -> None:
    """No report-only assertion: an AwsApiCall with an expected result must wait
    (its waiter fails the deploy at the timeout), and every EqualsAssertion sets
    failDeployment. A bare AwsApiCall.expect answers SUCCESS on a mismatch."""
    resources = template(apps[name].assertions_stack)["Resources"]
    assertions = {k: r for k, r in resources.items() if r["Type"].startswith(ASSERTION_RESOURCE_PREFIX)}
    checks = 0
    for logical_id, resource in assertions.items():
        props = resource["Properties"]
        if resource["Type"] == f"{ASSERTION_RESOURCE_PREFIX}AssertEquals":
            assert props.get("failDeployment") is True, logical_id
            checks += 1
        elif "expected" in props:
            assert "stateMachineArn" in props, f"{logical_id} only reports a mismatch"
            checks += 1
    assert checks >= 3


@pytest.mark.parametrize("name", APPS)
def test_assertion_salts_are_pinned_for_the_snapshot(apps: dict[str, IntegApp], name: str) -> None:
    resources = template(apps[name].assertions_stack)["Resources"].values()
    salts = {r["Properties"]["salt"] for r in resources if r["Type"].startswith(ASSERTION_RESOURCE_PREFIX)}
    assert salts == {"<salt>"}


@pytest.mark.parametrize("name", APPS)
def test_assertion_stack_deploys_after_the_stack_under_test(apps: dict[str, IntegApp], name: str) -> None:
    built = apps[name]
    assert built.stack in built.assertions_stack.dependencies


def test_assertion_outputs_are_named_for_the_runner(apps: dict[str, IntegApp]) -> None:
    """scripts/integ.py reports the outputs whose names start with AssertionResults."""
    outputs = template(apps["integ_compilation_job"].assertions_stack)["Outputs"]
    names = sorted(k for k in outputs if k.startswith(ASSERTION_OUTPUT_PREFIX))
    assert names[:2] == ["AssertionResultsArtifactAttributeIsDescribed", "AssertionResultsArtifactObjectExists"]
    assert names[2].startswith("AssertionResultsAwsApiCallSageMakerlistTags")
    assert names[3:] == ["AssertionResultsJobCompleted"]


def test_placeholders_keep_the_snapshot_when_no_input_is_given(apps: dict[str, IntegApp]) -> None:
    flow = json.dumps(template(apps["integ_flow_definition"].stack))
    training = json.dumps(template(apps["integ_training_source"].stack))
    assert "workteam/private-crowd/integ-placeholder" in flow
    assert "integ-placeholder-training-job" in training


def test_ownership_tag_keys_are_the_wire_contracts() -> None:
    assert (OWNER_STACK_TAG, OWNER_LOGICAL_ID_TAG) == (_wire.OWNER_STACK_TAG, _wire.OWNER_LOGICAL_ID_TAG)
