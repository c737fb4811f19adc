"""Snapshot of the example stack, and the normalization that makes snapshots
change only when a template really changes (sagemaker_constructs.testing).

Regenerate the snapshot with ``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_snapshot.py``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnOutput, Environment, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk.assertions import Template

from example.pipeline import ModelPipelineStack
from sagemaker_constructs import CompilationJob, Framework, ModelSource, TargetDevice
from sagemaker_constructs.testing import assert_matches_snapshot, normalize_template, normalized_template

ENV = Environment(account="123456789012", region="us-east-1")
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "ModelPipeline.json"
HASH_A = "a" * 64
HASH_B = "0123456789abcdef" * 4


# --- the example stack ------------------------------------------------------------
@pytest.fixture(scope="module")
def example_stack() -> ModelPipelineStack:
    return ModelPipelineStack(App(), "ModelPipeline", env=ENV)


def test_example_stack_matches_snapshot(example_stack: ModelPipelineStack) -> None:
    # A missing snapshot fails with the command that creates it (see the helper).
    assert_matches_snapshot(example_stack, SNAPSHOT)


def test_snapshot_holds_placeholders_not_hashes() -> None:
    if not SNAPSHOT.is_file():
        pytest.fail(f"{SNAPSHOT} is missing: create it with UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest {__file__}")
    text = SNAPSHOT.read_text(encoding="utf-8")
    assert "<asset-hash-1>" in text
    assert "aws:cdk:" not in text
    assert "AWS::CDK::Metadata" not in text
    assert '"sitara_am57x"' in text


def test_example_normalized_template_keeps_asset_extensions_and_bootstrap_check(
    example_stack: ModelPipelineStack,
) -> None:
    template = normalized_template(example_stack)
    text = json.dumps(template)
    assert "BootstrapVersion" in template["Parameters"]
    assert "CheckBootstrapVersion" in template["Rules"]
    assert "<asset-hash-1>.zip" in text or "<asset-hash-2>.zip" in text  # the handler bundle
    assert ".gz" in text and ".tar.gz" in text  # the model asset and its staged copy


# --- assert_matches_snapshot ------------------------------------------------------
@pytest.fixture(scope="module")
def asset_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("assets")
    first, second = folder / "a.json", folder / "b.json"
    first.write_text('{"labels": ["cat"]}')
    second.write_text('{"labels": ["dog"]}')
    return first, second


@pytest.fixture(scope="module")
def small_app(asset_files: tuple[Path, Path]) -> dict[str, Stack]:
    """One app, several stacks with the same stack name (so generated names match):
    ``other_asset`` differs from ``base`` only in an asset's content, ``changed``
    in the model key, ``two_assets`` by one more asset."""
    first, second = asset_files
    app = App()
    return {
        "base": build_small_stack(app, "Base", first, "models/m.tar.gz"),
        "other_asset": build_small_stack(app, "OtherAsset", second, "models/m.tar.gz"),
        "changed": build_small_stack(app, "Changed", first, "models/m2.tar.gz"),
        "two_assets": build_small_stack(app, "TwoAssets", first, "models/m.tar.gz", extra_asset=second),
    }


def build_small_stack(
    app: App, construct_id: str, asset_file: Path, key: str, extra_asset: Path | None = None
) -> Stack:
    stack = Stack(app, construct_id, stack_name="Snap", env=ENV)
    bucket = s3.Bucket(stack, "Bucket")
    CompilationJob(
        stack,
        "Job",
        model=ModelSource.from_bucket(bucket, key),
        framework=Framework.XGBOOST,
        target_device=TargetDevice.ML_C5,
        output_bucket=bucket,
    )
    for index, path in enumerate([asset_file] + ([extra_asset] if extra_asset else [])):
        asset = s3_assets.Asset(stack, f"Labels{index}", path=str(path))
        CfnOutput(stack, f"LabelsUrl{index}", value=asset.s3_object_url)
        CfnOutput(stack, f"LabelsHash{index}", value=asset.asset_hash)
    return stack


def test_missing_snapshot_fails_with_how_to_create_it(small_app: dict[str, Stack], tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    with pytest.raises(AssertionError, match=r"does not exist: create it with UPDATE_SNAPSHOTS=1"):
        assert_matches_snapshot(small_app["base"], path, update=False)
    assert not path.exists()


def test_update_writes_then_matches(small_app: dict[str, Stack], tmp_path: Path) -> None:
    path = tmp_path / "nested" / "snap.json"
    assert_matches_snapshot(small_app["base"], path, update=True)
    assert json.loads(path.read_text()) == normalized_template(small_app["base"])
    assert_matches_snapshot(small_app["base"], path, update=False)
    assert_matches_snapshot(small_app["other_asset"], path, update="0")  # only an asset hash differs


def test_update_is_read_from_the_environment_at_call_time(
    small_app: dict[str, Stack], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "snap.json"
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")
    assert_matches_snapshot(small_app["base"], path)
    assert path.is_file()
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "false")
    path.write_text("{}")
    with pytest.raises(AssertionError, match="differs from snapshot"):
        assert_matches_snapshot(small_app["base"], path)


def test_a_real_change_fails_with_a_diff(small_app: dict[str, Stack], tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    assert_matches_snapshot(small_app["base"], path, update=True)
    with pytest.raises(AssertionError, match=r"rerun with UPDATE_SNAPSHOTS=1") as error:
        assert_matches_snapshot(small_app["changed"], path, update=False)
    assert "models/m2.tar.gz" in str(error.value)
    assert "+" in str(error.value) and "-" in str(error.value)


# --- normalized_template -------------------------------------------------------------
def test_normalized_template_is_stable_across_two_syntheses(
    small_app: dict[str, Stack], asset_files: tuple[Path, Path]
) -> None:
    fresh = build_small_stack(App(), "Base", asset_files[0], "models/m.tar.gz")  # a second app, synthesized anew
    assert normalized_template(fresh) == normalized_template(small_app["base"])
    assert normalized_template(small_app["base"]) == normalized_template(small_app["base"])


def test_normalized_template_changes_when_a_property_changes(small_app: dict[str, Stack]) -> None:
    assert normalized_template(small_app["changed"]) != normalized_template(small_app["base"])


def test_different_asset_contents_give_the_same_normalized_template(small_app: dict[str, Stack]) -> None:
    base, other = small_app["base"], small_app["other_asset"]
    assert Template.from_stack(base).to_json() != Template.from_stack(other).to_json()  # the hashes differ
    assert normalized_template(base) == normalized_template(other)


def test_a_new_asset_shows_as_a_new_placeholder(small_app: dict[str, Stack]) -> None:
    base = json.dumps(normalized_template(small_app["base"]))
    two = json.dumps(normalized_template(small_app["two_assets"]))
    assert "<asset-hash-3>" not in base
    assert "<asset-hash-3>" in two


# --- normalize_template on plain templates -------------------------------------------
def raw_template() -> dict[str, Any]:
    return {
        "Conditions": {"CDKMetadataAvailable": {"Fn::Equals": [1, 1]}},
        "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"}},
        "Rules": {"CheckBootstrapVersion": {"Assertions": []}},
        "Resources": {
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4sI"}},
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Metadata": {"aws:cdk:path": "S/Fn/Resource", "aws:asset:path": f"asset.{HASH_B}"},
                "Properties": {
                    "Code": {"S3Bucket": "cdk-hnb659fds-assets-1-us-east-1", "S3Key": f"{HASH_B}.zip"},
                    "Description": f"built from {HASH_A.upper()}",
                },
            },
            "Job": {
                "Type": "Custom::SageMakerCompilationJob",
                "Metadata": {"aws:cdk:path": "S/Job/Resource"},
                "Properties": {
                    "InputConfig": {"S3Uri": {"Fn::Join": ["", ["s3://", {"Ref": "B"}, f"/in/{HASH_A}.tar.gz"]]}},
                    "Options": {"StageModelFrom": f"s3://cdk-hnb659fds-assets-1-us-east-1/{HASH_A}.gz"},
                    "NotAHash": "f" * 65,
                    "ShortHex": "e" * 63,
                },
            },
        },
    }


def test_cdk_metadata_is_removed_and_bootstrap_check_kept() -> None:
    normalized = normalize_template(raw_template())
    assert "CDKMetadata" not in normalized["Resources"]
    assert "Conditions" not in normalized
    assert normalized["Resources"]["Fn"]["Metadata"] == {"aws:asset:path": "asset.<asset-hash-1>"}
    assert "Metadata" not in normalized["Resources"]["Job"]
    assert normalized["Parameters"] == raw_template()["Parameters"]
    assert normalized["Rules"] == raw_template()["Rules"]


def test_hashes_are_numbered_by_first_appearance_in_key_order_and_reused() -> None:
    normalized = normalize_template(raw_template())
    fn, job = normalized["Resources"]["Fn"], normalized["Resources"]["Job"]["Properties"]
    # "Fn" sorts before "Job": HASH_B is met first (in Fn's metadata), HASH_A next.
    assert fn["Properties"]["Code"]["S3Key"] == "<asset-hash-1>.zip"
    assert fn["Properties"]["Description"] == "built from <asset-hash-2>"  # case-insensitive, same hash
    assert job["InputConfig"]["S3Uri"]["Fn::Join"][1][2] == "/in/<asset-hash-2>.tar.gz"
    assert job["Options"]["StageModelFrom"] == "s3://cdk-hnb659fds-assets-1-us-east-1/<asset-hash-2>.gz"


def test_only_whole_64_hex_runs_are_replaced() -> None:
    job = normalize_template(raw_template())["Resources"]["Job"]["Properties"]
    assert job["NotAHash"] == "f" * 65
    assert job["ShortHex"] == "e" * 63


def test_hashes_in_keys_are_replaced() -> None:
    template = {"Parameters": {f"AssetParameters{HASH_A}S3Bucket": {"Type": "String", "Default": HASH_A}}}
    expected = {
        "Parameters": {"AssetParameters<asset-hash-1>S3Bucket": {"Type": "String", "Default": "<asset-hash-1>"}}
    }
    assert normalize_template(template) == expected


def test_the_input_is_not_changed() -> None:
    template = raw_template()
    before = copy.deepcopy(template)
    normalize_template(template)
    assert template == before


def test_resource_order_does_not_change_the_numbering() -> None:
    template = raw_template()
    reordered = dict(template)
    reordered["Resources"] = dict(reversed(list(template["Resources"].items())))
    assert normalize_template(reordered) == normalize_template(template)
