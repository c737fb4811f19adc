"""Service status at synth time: acknowledgeable warnings for targets whose service has
ended, and for single-region targets in a stack of another (known) region."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Annotations, App, Environment, Stack
from aws_cdk.assertions import Annotations as Found
from aws_cdk.assertions import Match

from sagemaker_constructs import TargetDevice
from sagemaker_constructs.targets import RETIRED_DEVICES, SINGLE_REGION_DEVICES
from tests.constructs.builders import small_job

RETIRED = "sagemaker-constructs:retiredTarget"
REGION = "sagemaker-constructs:targetRegion"


def warnings_of(device: TargetDevice, region: str | None = None, acknowledge: str | None = None) -> list[str]:
    env = Environment(account="123456789012", region=region) if region else None
    stack = Stack(App(), "Status", env=env)
    job = small_job(stack, "Job", target_device=device)
    if acknowledge:
        Annotations.of(job).acknowledge_warning(acknowledge, "known and accepted")
    found: list[Any] = Found.from_stack(stack).find_warning("*", Match.any_value())
    return [str(message.entry.data) for message in found]


@pytest.mark.parametrize(
    ("device", "says"),
    [
        (TargetDevice.DEEPLENS, "AWS DeepLens has reached end of life"),
        (TargetDevice.ML_EIA2, "Amazon Elastic Inference has reached end of life and is no longer available"),
    ],
    ids=["deeplens", "ml_eia2"],
)
def test_a_retired_target_is_an_acknowledgeable_warning(device: TargetDevice, says: str) -> None:
    (warning,) = warnings_of(device)
    assert warning.startswith(f"target_device {device.name!r}: {says}")
    assert warning.endswith(f"[ack: {RETIRED}]")
    assert warnings_of(device, acknowledge=RETIRED) == []


def test_retired_warnings_quote_no_date() -> None:
    for message in RETIRED_DEVICES.values():
        assert not any(word.isdigit() and len(word) == 4 for word in message.replace(",", " ").split())


@pytest.mark.parametrize(
    ("device", "home", "elsewhere"),
    [(TargetDevice.ML_INF2, "us-east-2", "us-east-1"), (TargetDevice.ML_TRN1, "us-east-1", "eu-west-1")],
    ids=["ml_inf2", "ml_trn1"],
)
def test_a_single_region_target_warns_in_another_known_region(device: TargetDevice, home: str, elsewhere: str) -> None:
    (warning,) = warnings_of(device, region=elsewhere)
    assert f"target_device {device.name!r} is available only in {home}" in warning
    assert f"this stack's region is {elsewhere}" in warning
    assert warning.endswith(f"[ack: {REGION}]")
    assert warnings_of(device, region=home) == []
    assert warnings_of(device, region=elsewhere, acknowledge=REGION) == []


def test_a_region_known_only_at_deploy_time_is_not_warned_about() -> None:
    assert warnings_of(TargetDevice.ML_INF2) == []


def test_the_regions_are_the_ones_the_service_model_documents() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    documentation = model.shape_for("OutputConfig").members["TargetDevice"].documentation
    assert "ml_trn1</code> is available only in US East (N. Virginia)" in documentation
    assert "ml_inf2</code> is available only in US East (Ohio)" in documentation
    assert SINGLE_REGION_DEVICES == {
        "ml_trn1": ("us-east-1", "US East (N. Virginia)"),
        "ml_inf2": ("us-east-2", "US East (Ohio)"),
    }


def test_botocore_has_no_elastic_inference_client_any_more() -> None:
    import botocore.session

    assert "elastic-inference" not in botocore.session.get_session().get_available_services()
