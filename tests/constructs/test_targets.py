"""The value sets in targets.py against the botocore service model."""

from __future__ import annotations

from enum import Enum

import botocore.session
import pytest

from sagemaker_constructs import (
    Framework,
    TargetDevice,
    TargetPlatform,
    TargetPlatformAccelerator,
    TargetPlatformArch,
    TargetPlatformOs,
)


@pytest.fixture(scope="module")
def service_model() -> object:
    return botocore.session.get_session().get_service_model("sagemaker")


def enum_of(service_model: object, shape: str) -> list[str]:
    values: list[str] = service_model.shape_for(shape).enum  # type: ignore[attr-defined]
    assert values, f"service model shape {shape} has no enum"
    return values


@pytest.mark.parametrize(
    ("enum", "shape"),
    [
        (Framework, "Framework"),
        (TargetPlatformOs, "TargetPlatformOs"),
        (TargetPlatformArch, "TargetPlatformArch"),
        (TargetPlatformAccelerator, "TargetPlatformAccelerator"),
    ],
)
def test_enum_values_equal_the_service_model(service_model: object, enum: type[Enum], shape: str) -> None:
    assert sorted(member.value for member in enum) == sorted(enum_of(service_model, shape))


@pytest.mark.parametrize("enum", [Framework, TargetPlatformOs, TargetPlatformArch, TargetPlatformAccelerator])
def test_enum_member_names_are_their_values(enum: type[Enum]) -> None:
    assert all(member.name == member.value for member in enum)


def test_target_devices_equal_the_service_model(service_model: object) -> None:
    assert sorted(TargetDevice.KNOWN) == sorted(enum_of(service_model, "TargetDevice"))


def test_every_known_device_is_a_class_attribute_named_by_its_value() -> None:
    for name in TargetDevice.KNOWN:
        device = getattr(TargetDevice, name.upper())
        assert isinstance(device, TargetDevice)
        assert device.name == name


def test_sitara_am57x_is_named_for_the_api() -> None:
    assert TargetDevice.SITARA_AM57X.name == "sitara_am57x"
    assert str(TargetDevice.SITARA_AM57X) == "sitara_am57x"


def test_of_accepts_a_device_added_later() -> None:
    device = TargetDevice.of("new_board")
    assert device.name == "new_board"
    assert device == TargetDevice.of("new_board")
    assert device != TargetDevice.SITARA_AM57X
    assert "new_board" not in TargetDevice.KNOWN


def test_of_a_known_name_equals_the_constant() -> None:
    assert TargetDevice.of("ml_c5") == TargetDevice.ML_C5
    assert hash(TargetDevice.of("ml_c5")) == hash(TargetDevice.ML_C5)


@pytest.mark.parametrize(("device", "cloud"), [(TargetDevice.ML_C5, True), (TargetDevice.SITARA_AM57X, False)])
def test_only_ml_devices_are_cloud_instances(device: TargetDevice, cloud: bool) -> None:
    assert device.is_cloud_instance is cloud


def test_target_platform_renders_enum_members_and_strings_alike() -> None:
    from_members = TargetPlatform(
        os=TargetPlatformOs.LINUX, arch=TargetPlatformArch.ARM64, accelerator=TargetPlatformAccelerator.NVIDIA
    )
    from_strings = TargetPlatform(os="LINUX", arch="ARM64", accelerator="NVIDIA")
    expected = {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"}
    assert from_members.to_api() == expected
    assert from_strings.to_api() == expected


def test_target_platform_without_accelerator_omits_it() -> None:
    assert TargetPlatform(os="ANDROID", arch="ARM_EABI").to_api() == {"Os": "ANDROID", "Arch": "ARM_EABI"}


def test_of_rejects_a_name_that_is_not_a_string() -> None:
    with pytest.raises(TypeError, match=r"TargetDevice\.of: name must be a str, .*\(got 5\)"):
        TargetDevice.of(5)  # type: ignore[arg-type]
