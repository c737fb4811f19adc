"""Reading a resource's properties: strictly for the version being made,
leniently for a version that is only being left.

CloudFormation sends every property as a string. :func:`parse` turns them
back into API types and checks everything the handler reads, and the
request against the service model, collecting every problem: each names
the property and what is wrong with it. A rollback reads the version it
leaves (``OldResourceProperties``) only through the ``lenient_*`` readers,
which never fail: a bad old version must not fail the rollback.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import _wire

# validate(operation, params) -> problems, from the service model (see clients.request_problems).
Validator = Callable[[str, dict[str, Any]], list[str]]


class PropertyProblems(Exception):
    """The properties do not describe a resource that can be made."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Desired:
    """A resource as its properties ask for it."""

    name: str
    request: dict[str, Any]  # the Create* arguments, without Tags
    tags: list[dict[str, str]]  # the user's tags (ownership tags are added at create)
    service_timeout: int
    explicit_name: bool = False
    options: dict[str, Any] = field(default_factory=dict)


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_tags(value: Any, problems: list[str]) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{_wire.TAGS} must be a list of {{Key, Value}} objects (got {_shown(value)})")
        return []
    tags: list[dict[str, str]] = []
    for index, tag in enumerate(value):
        where = f"{_wire.TAGS}[{index}]"
        if not isinstance(tag, dict):
            problems.append(f"{where} must be an object with Key and Value (got {_shown(tag)})")
            continue
        key, tag_value = tag.get("Key"), tag.get("Value")
        if not isinstance(key, str) or not key:
            problems.append(f"{where}.Key must be a non-empty string (got {_shown(key)})")
            continue
        if not isinstance(tag_value, str):
            problems.append(f"{where}.Value must be a string (tag {key!r} got {_shown(tag_value)})")
            continue
        if key.startswith(_wire.TAG_PREFIX):
            problems.append(
                f"{where}.Key {key!r} uses the prefix {_wire.TAG_PREFIX!r}, which is reserved for the "
                "handler's ownership tags"
            )
            continue
        tags.append({"Key": key, "Value": tag_value})
    if len(value) > _wire.MAX_USER_TAGS:
        problems.append(
            f"{_wire.TAGS} has {len(value)} tags; at most {_wire.MAX_USER_TAGS} are allowed "
            f"(SageMaker allows {_wire.MAX_TAGS_PER_RESOURCE}, and the handler adds {len(_wire.OWNER_TAG_KEYS)})"
        )
    return tags


# --- CloudFormation's strings back to API types ---------------------------------------
_NUMBERS = {"integer": int, "long": int, "float": float, "double": float}


@cache
def _input_shape(operation: str) -> Any:
    """The operation's input shape in botocore's SageMaker model, or None for an operation
    it does not have (botocore is imported only here, when properties are first converted:
    the model is loaded once)."""
    import botocore.model
    import botocore.session

    try:
        return botocore.session.get_session().get_service_model("sagemaker").operation_model(operation).input_shape
    except botocore.model.OperationNotFoundError:  # a kind not of SageMaker's API: only _wire.TYPED_OPTIONS
        return None


def _convert(path: str, value: Any, shape: Any, problems: list[str]) -> Any:
    """``value`` with every number and boolean the shape (or :data:`_wire.TYPED_OPTIONS`) asks for
    converted from its string; a value that does not convert is described in ``problems``."""
    type_name = _wire.TYPED_OPTIONS.get(path) or (shape.type_name if shape is not None else None)
    if isinstance(value, dict):
        return _convert_object(path, value, shape, type_name, problems)
    if isinstance(value, list):
        member = shape.member if type_name == "list" else None
        return [_convert(path, v, member, problems) for v in value]
    return _convert_scalar(path, value, type_name, problems)


def _convert_object(path: str, value: dict[str, Any], shape: Any, type_name: Any, problems: list[str]) -> Any:
    members = shape.members if type_name == "structure" else {}
    values = shape.value if type_name == "map" else None
    return {k: _convert(f"{path}.{k}" if path else k, v, members.get(k, values), problems) for k, v in value.items()}


def _convert_scalar(path: str, value: Any, type_name: Any, problems: list[str]) -> Any:
    if type_name in _NUMBERS:
        try:
            return _NUMBERS[type_name](value)
        except (TypeError, ValueError):
            kind = "an integer" if _NUMBERS[type_name] is int else "a number"
            problems.append(f"{path} must be {kind} (got {value!r})")
    elif type_name == "boolean":
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        problems.append(f"{path} must be true or false (got {value!r})")
    return value


def convert(operation: str, resource_properties: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """CloudFormation's all-string properties as the API types of ``operation``'s request.

    ``ServiceToken`` is dropped; everything else keeps its place. The input is
    not changed. A value that does not convert is described in ``problems`` and
    left as it was."""
    props = copy.deepcopy(resource_properties)
    props.pop(_wire.SERVICE_TOKEN, None)
    converted: dict[str, Any] = _convert("", props, _input_shape(operation), problems)
    return converted


def _options_of(props: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    options = props.pop(_wire.OPTIONS, None)
    if options is None:
        return {}
    if not isinstance(options, dict):
        problems.append(f"{_wire.OPTIONS} must be an object (got {_shown(options)})")
        return {}
    return options


def _service_timeout_of(props: dict[str, Any], default: int, problems: list[str]) -> int:
    service_timeout = props.pop(_wire.SERVICE_TIMEOUT, default)
    if isinstance(service_timeout, int) and 1 <= service_timeout <= _wire.SERVICE_TIMEOUT_MAX_SECONDS:
        return service_timeout
    if isinstance(service_timeout, int):
        problems.append(
            f"{_wire.SERVICE_TIMEOUT} must be between 1 and {_wire.SERVICE_TIMEOUT_MAX_SECONDS} seconds "
            f"(got {service_timeout})"
        )
    return default


def _name_of(props: dict[str, Any], name_property: str, name_pattern: re.Pattern[str], problems: list[str]) -> str:
    name = props.get(name_property)
    if not isinstance(name, str):
        problems.append(f"{name_property} is required and must be a string (got {_shown(name)})")
        return ""
    if not name_pattern.match(name):
        problems.append(f"{name_property} {name!r} does not match {name_pattern.pattern}")
    return name


def parse(
    resource_properties: Any,
    *,
    name_property: str,
    name_pattern: re.Pattern[str],
    operation: str,
    default_service_timeout: int,
    validate: Validator | None = None,
    extra_checks: Callable[[Desired], list[str]] | None = None,
) -> Desired:
    """The resource the properties ask for, or :class:`PropertyProblems` listing every problem."""
    if not isinstance(resource_properties, dict):
        raise PropertyProblems([f"ResourceProperties must be an object (got {_shown(resource_properties)})"])
    problems: list[str] = []
    props = convert(operation, resource_properties, problems)
    options = _options_of(props, problems)
    desired = Desired(
        service_timeout=_service_timeout_of(props, default_service_timeout, problems),
        name=_name_of(props, name_property, name_pattern, problems),
        tags=_check_tags(props.pop(_wire.TAGS, None), problems),
        request=props,
        explicit_name=options.get(_wire.OPT_EXPLICIT_NAME, False) is True,
        options=options,
    )
    if validate is not None and not problems:
        # The whole request as it will be sent, ownership tags included.
        owner = [{"Key": key, "Value": "x"} for key in _wire.OWNER_TAG_KEYS]
        problems.extend(validate(operation, {**props, _wire.TAGS: desired.tags + owner}))
    if extra_checks is not None and not problems:
        problems.extend(extra_checks(desired))
    if problems:
        raise PropertyProblems(problems)
    return desired


# --- lenient readers: for a version that is being left or deleted ---------------
def lenient_name(resource_properties: Any, name_property: str, name_pattern: re.Pattern[str]) -> str | None:
    """The resource name, if the properties carry a valid one."""
    if not isinstance(resource_properties, dict):
        return None
    name = resource_properties.get(name_property)
    return name if isinstance(name, str) and name_pattern.match(name) else None


def lenient_service_timeout(resource_properties: Any, default: int) -> int:
    if not isinstance(resource_properties, dict):
        return default
    try:
        value = int(resource_properties.get(_wire.SERVICE_TIMEOUT, default))
    except (TypeError, ValueError):
        return default
    return value if 1 <= value <= _wire.SERVICE_TIMEOUT_MAX_SECONDS else default


def lenient_tag_keys(resource_properties: Any) -> list[str]:
    """The keys of the user tags a version had (tags without a valid value included)."""
    if not isinstance(resource_properties, dict):
        return []
    tags = resource_properties.get(_wire.TAGS)
    if not isinstance(tags, list):
        return []
    keys = [tag.get("Key") for tag in tags if isinstance(tag, dict)]
    return [key for key in keys if isinstance(key, str) and key and not key.startswith(_wire.TAG_PREFIX)]


def json_or_text(value: Any) -> Any:
    """A JSON string as its value (for comparing documents), other text stripped."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value.strip()
    return value


def member(value: Any, key: str) -> dict[str, Any]:
    """``value[key]`` when both are objects, else an empty one: comparisons and checks
    also read versions that never validated (an update rollback's old properties)."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}
