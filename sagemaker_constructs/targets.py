"""Closed and growing value sets of the Neo API: frameworks, devices, platforms.

The values mirror the botocore service model (shapes ``Framework``,
``TargetDevice``, ``TargetPlatformOs``, ``TargetPlatformArch`` and
``TargetPlatformAccelerator``); a test keeps them in step with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import ClassVar


class Framework(str, Enum):
    """``InputConfig.Framework``: the framework the model was trained in."""

    TENSORFLOW = "TENSORFLOW"
    KERAS = "KERAS"
    MXNET = "MXNET"
    ONNX = "ONNX"
    PYTORCH = "PYTORCH"
    XGBOOST = "XGBOOST"
    TFLITE = "TFLITE"
    DARKNET = "DARKNET"
    SKLEARN = "SKLEARN"


class TargetDevice:
    """``OutputConfig.TargetDevice``. AWS keeps adding devices: use
    :meth:`of` for one this release does not list yet."""

    LAMBDA: ClassVar[TargetDevice]
    ML_M4: ClassVar[TargetDevice]
    ML_M5: ClassVar[TargetDevice]
    ML_M6G: ClassVar[TargetDevice]
    ML_C4: ClassVar[TargetDevice]
    ML_C5: ClassVar[TargetDevice]
    ML_C6G: ClassVar[TargetDevice]
    ML_P2: ClassVar[TargetDevice]
    ML_P3: ClassVar[TargetDevice]
    ML_G4DN: ClassVar[TargetDevice]
    ML_INF1: ClassVar[TargetDevice]
    ML_INF2: ClassVar[TargetDevice]
    ML_TRN1: ClassVar[TargetDevice]
    ML_EIA2: ClassVar[TargetDevice]
    JETSON_TX1: ClassVar[TargetDevice]
    JETSON_TX2: ClassVar[TargetDevice]
    JETSON_NANO: ClassVar[TargetDevice]
    JETSON_XAVIER: ClassVar[TargetDevice]
    RASP3B: ClassVar[TargetDevice]
    RASP4B: ClassVar[TargetDevice]
    IMX8QM: ClassVar[TargetDevice]
    DEEPLENS: ClassVar[TargetDevice]
    RK3399: ClassVar[TargetDevice]
    RK3288: ClassVar[TargetDevice]
    AISAGE: ClassVar[TargetDevice]
    SBE_C: ClassVar[TargetDevice]
    QCS605: ClassVar[TargetDevice]
    QCS603: ClassVar[TargetDevice]
    SITARA_AM57X: ClassVar[TargetDevice]
    AMBA_CV2: ClassVar[TargetDevice]
    AMBA_CV22: ClassVar[TargetDevice]
    AMBA_CV25: ClassVar[TargetDevice]
    X86_WIN32: ClassVar[TargetDevice]
    X86_WIN64: ClassVar[TargetDevice]
    COREML: ClassVar[TargetDevice]
    JACINTO_TDA4VM: ClassVar[TargetDevice]
    IMX8MPLUS: ClassVar[TargetDevice]

    KNOWN: ClassVar[tuple[str, ...]] = (
        "lambda", "ml_m4", "ml_m5", "ml_m6g", "ml_c4", "ml_c5", "ml_c6g", "ml_p2", "ml_p3",
        "ml_g4dn", "ml_inf1", "ml_inf2", "ml_trn1", "ml_eia2", "jetson_tx1", "jetson_tx2",
        "jetson_nano", "jetson_xavier", "rasp3b", "rasp4b", "imx8qm", "deeplens", "rk3399",
        "rk3288", "aisage", "sbe_c", "qcs605", "qcs603", "sitara_am57x", "amba_cv2",
        "amba_cv22", "amba_cv25", "x86_win32", "x86_win64", "coreml", "jacinto_tda4vm",
        "imx8mplus",
    )  # fmt: skip

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def of(cls, name: str) -> TargetDevice:
        """A device by its API name, e.g. ``TargetDevice.of("new_board")``."""
        if not isinstance(name, str):
            raise TypeError(f"TargetDevice.of: name must be a str, the device's API name (got {name!r})")
        return cls(name)

    @property
    def is_cloud_instance(self) -> bool:
        """``ml_*`` targets, for which DescribeCompilationJob returns an InferenceImage."""
        return self.name.startswith("ml_")

    @property
    def is_edge_device(self) -> bool:
        """A device outside AWS (every target but ``ml_*`` instances and ``lambda``)."""
        return not self.is_cloud_instance and self.name != "lambda"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TargetDevice) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"TargetDevice({self.name!r})"

    def __str__(self) -> str:
        return self.name


for _device in TargetDevice.KNOWN:
    setattr(TargetDevice, _device.upper(), TargetDevice(_device))


# --- service status (warnings at synth time) -------------------------------------
RETIRED_DEVICES: dict[str, str] = {
    "deeplens": "AWS DeepLens has reached end of life: there is no supported device to run the compiled model on",
    "ml_eia2": (
        "Amazon Elastic Inference has reached end of life and is no longer available (botocore no longer "
        "ships an elastic-inference client); compile for an ml_* instance type such as ml_inf1, ml_inf2, "
        "ml_g4dn or ml_c5 instead"
    ),
}
"""Devices still in the service model whose service has ended."""

SINGLE_REGION_DEVICES: dict[str, tuple[str, str]] = {
    "ml_trn1": ("us-east-1", "US East (N. Virginia)"),
    "ml_inf2": ("us-east-2", "US East (Ohio)"),
}
"""Devices the service model documents as available in one region only (``OutputConfig.TargetDevice``:
"Currently ml_trn1 is available only in US East (N. Virginia) Region, and ml_inf2 is available only
in US East (Ohio) Region")."""


class TargetPlatformOs(str, Enum):
    ANDROID = "ANDROID"
    LINUX = "LINUX"


class TargetPlatformArch(str, Enum):
    X86_64 = "X86_64"
    X86 = "X86"
    ARM64 = "ARM64"
    ARM_EABI = "ARM_EABI"
    ARM_EABIHF = "ARM_EABIHF"


class TargetPlatformAccelerator(str, Enum):
    INTEL_GRAPHICS = "INTEL_GRAPHICS"
    MALI = "MALI"
    NVIDIA = "NVIDIA"
    NNA = "NNA"


@dataclass(frozen=True)
class TargetPlatform:
    """``OutputConfig.TargetPlatform``: enum members or their plain string
    values; the construct checks the strings against the enums."""

    os: TargetPlatformOs | str
    arch: TargetPlatformArch | str
    accelerator: TargetPlatformAccelerator | str | None = None

    def to_api(self) -> dict[str, str]:
        rendered = {"Os": _value(self.os), "Arch": _value(self.arch)}
        if self.accelerator is not None:
            rendered["Accelerator"] = _value(self.accelerator)
        return rendered


def _value(member: Enum | str) -> str:
    return str(member.value) if isinstance(member, Enum) else str(member)
