"""``InputConfig.DataInputConfig``: the input shapes, checked the way the
Neo reference describes them, and rendered as the JSON string the API takes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .._validation import Problem, Problems
from ..targets import Framework

DATA_INPUT_CONFIG_MAX = 16384
NEEDS_DATA_INPUT_CONFIG = {Framework.TENSORFLOW, Framework.KERAS, Framework.MXNET, Framework.ONNX, Framework.DARKNET}
EXPECTS_NCHW = {Framework.KERAS, Framework.MXNET, Framework.ONNX, Framework.PYTORCH}
CHANNEL_COUNTS = {1, 3, 4}
COREML_RANGE = re.compile(r"^[1-9][0-9]*\.\.([1-9][0-9]*|-1)$")
LAYOUT_WARNING = "sagemaker-constructs:dataInputLayout"


def _is_shape(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in value)
    )


def _is_coreml_dim(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value > 0
    return isinstance(value, str) and bool(COREML_RANGE.match(value))


def _coreml_problem(value: Any) -> str | None:
    """The documented CoreML object: shape (static, ranges "1..10", or a list of
    enumerated shapes), optional default_shape, type Image|Tensor, bias, scale."""
    if _is_shape(value):
        return None
    if not isinstance(value, dict) or "shape" not in value:
        return 'must be a shape or a {"shape": [...], "default_shape": [...]} object'
    unknown = set(value) - {"shape", "default_shape", "type", "bias", "scale"}
    if unknown:
        return f"has unknown keys {sorted(unknown)}"
    shape = value["shape"]
    flexible = isinstance(shape, list) and shape and all(_is_coreml_dim(d) for d in shape)
    enumerated = isinstance(shape, list) and shape and all(_is_shape(s) for s in shape)
    if not (flexible or enumerated):
        return 'shape must be a list of positive integers or ranges like "1..10", or a list of shapes'
    if "default_shape" in value and not _is_shape(value["default_shape"]):
        return "default_shape must be a list of positive integers"
    if value.get("type", "Tensor") not in ("Image", "Tensor"):
        return "type must be Image or Tensor"
    return None


def _shape_problem(value: Any, coreml: bool) -> str | None:
    if coreml:
        return _coreml_problem(value)
    if _is_shape(value):
        return None
    return "must be a shape: a list of positive integers"


def shapes_of(config: Any) -> list[tuple[str, Any]]:
    """(input name, shape) pairs of a parsed config; a list's inputs are named ``[i]``."""
    if isinstance(config, dict):
        return [(str(k), v) for k, v in config.items()]
    return [(f"[{i}]", v) for i, v in enumerate(config)]


def parse(raw: Mapping[str, Any] | Sequence[Any] | str) -> Any:
    """The config as a dict or list (a JSON string is parsed; raises ValueError if it is not JSON)."""
    if isinstance(raw, str):
        return json.loads(raw)
    if isinstance(raw, Mapping):
        return dict(raw)
    return list(raw)


def render(raw: Mapping[str, Any] | Sequence[Any] | str) -> str:
    """The API's JSON string: a string is sent as given, anything else compactly."""
    return raw if isinstance(raw, str) else json.dumps(parse(raw), separators=(",", ":"))


def problems(raw: Any, framework: Framework | None, coreml: bool) -> list[Problem]:
    found = Problems()
    try:
        value = parse(raw)
    except ValueError as error:
        found.add("data_input_config", raw, f"must be valid JSON ({error})")
        return found
    if isinstance(value, list):
        if framework is not Framework.PYTORCH:
            rule = "may be a list of shapes only for PYTORCH; use a mapping of input name to shape"
            found.add("data_input_config", raw, rule)
            return found
    elif not isinstance(value, dict):
        rule = "must be a mapping of input name to shape (or, for PYTORCH, a list of shapes)"
        found.add("data_input_config", raw, rule)
        return found
    if not value:
        found.add("data_input_config", raw, "must name at least one input")
        return found
    if isinstance(value, dict) and not all(isinstance(key, str) and key for key in value):
        found.add("data_input_config", raw, "input names must be non-empty strings")
        return found
    for name, shape in shapes_of(value):
        problem = _shape_problem(shape, coreml)
        if problem:
            found.add(f"data_input_config[{name}]", shape, problem)
    serialized = render(raw)  # a string is sent as given, so its own length counts
    if len(serialized) > DATA_INPUT_CONFIG_MAX:
        found.add(
            "data_input_config",
            f"<{len(serialized)} characters>",
            f"must be at most {DATA_INPUT_CONFIG_MAX} characters when serialized",
        )
    return found


def required_problem(framework: Framework, framework_version: str | None) -> Problem | None:
    """A missing config where the framework needs one (PyTorch before 2.0 too)."""
    if framework in NEEDS_DATA_INPUT_CONFIG:
        return Problem("data_input_config", None, f"is required for {framework.value}")
    if framework is Framework.PYTORCH and not _version_at_least_2(framework_version):
        return Problem("data_input_config", None, "is required for PYTORCH unless framework_version is 2.0 or newer")
    return None


def _version_at_least_2(version: str | None) -> bool:
    match = re.match(r"^(\d+)", version or "")
    return match is not None and int(match.group(1)) >= 2


def layout_warnings(raw: Any, framework: Framework) -> list[str]:
    """A 4-D shape whose layout looks wrong for the framework (the reference:
    TensorFlow NHWC; Keras, MXNet, ONNX, PyTorch NCHW)."""
    found = []
    for name, shape in shapes_of(parse(raw)):
        if not _is_shape(shape) or len(shape) != 4:
            continue
        _, second, _, last = shape
        looks_nhwc = last in CHANNEL_COUNTS and second not in CHANNEL_COUNTS
        looks_nchw = second in CHANNEL_COUNTS and last not in CHANNEL_COUNTS
        if framework in EXPECTS_NCHW and looks_nhwc:
            found.append(
                f"data_input_config[{name}] {shape} looks NHWC; {framework.value} expects NCHW "
                "(channels second), e.g. [1, 3, 224, 224]"
            )
        elif framework is Framework.TENSORFLOW and looks_nchw:
            found.append(
                f"data_input_config[{name}] {shape} looks NCHW; TENSORFLOW expects NHWC "
                "(channels last), e.g. [1, 224, 224, 3]"
            )
    return found
