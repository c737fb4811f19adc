"""What a Search on TrainingJob resources can sort by: a property of the ``TrainingJob``
search record (botocore's ``TrainingJob`` shape, walked through its structures), or
``Metrics.<name>``, ``HyperParameters.<name>`` or ``Tags.<key>`` (the Search documentation)."""

from __future__ import annotations

from typing import Any

from ._service_model import members_of, string_rule
from ._validation import Problem, Problems, is_token

RECORD_SHAPE = "TrainingJob"
# Properties named by a key of their own (Search, "Filter": Metrics.<name>, HyperParameters.<name>,
# Tags.<key>); a map member of the record (Environment) is read the same way.
KEYED = ("Metrics", "HyperParameters", "Tags")
SORTABLE_TYPES = ("string", "integer", "long", "float", "double", "boolean", "timestamp")


def _property_problem(path: str) -> str | None:
    """Why ``path`` names no sortable property of a TrainingJob, or None."""
    head, _, rest = path.partition(".")
    if head in KEYED:
        return None if rest else f"{head} must be followed by .<name>, e.g. {head}.validation:accuracy"
    members: dict[str, Any] = members_of(RECORD_SHAPE)
    segments = path.split(".")
    for i, segment in enumerate(segments):
        shape = members.get(segment)
        if shape is None:
            where = ".".join(segments[:i]) or RECORD_SHAPE
            return f"{where} has no property {segment!r}"
        while shape.type_name == "list":
            shape = shape.member
        if shape.type_name == "map":
            return None if i < len(segments) - 1 else f"{path} is a map: name a key, {path}.<key>"
        if shape.type_name == "structure":
            if i == len(segments) - 1:
                return f"{path} is an object: name one of its properties ({', '.join(shape.members)})"
            members = dict(shape.members)
            continue
        if i < len(segments) - 1:
            return f"{'.'.join(segments[: i + 1])} has no properties"
        if shape.type_name not in SORTABLE_TYPES:
            return f"{path} is a {shape.type_name}, which cannot be sorted"
    return None


def sort_by_problems(sort_by: str | None) -> list[Problem]:
    found = Problems()
    if sort_by is None or not isinstance(sort_by, str) or is_token(sort_by):
        return found
    rule = string_rule("Search.SortBy")
    low, high = rule.low or 0, rule.high or len(sort_by)
    if not low <= len(sort_by) <= high:
        found.add("sort_by", sort_by, f"must be a string of {low} to {high} characters ({rule.where})")
        return found
    why = _property_problem(sort_by)
    if why is not None:
        top = "Metrics.<name>, HyperParameters.<name>, Tags.<key>, CreationTime, TrainingEndTime, ..."
        found.add("sort_by", sort_by, f"must name a property a TrainingJob search can sort by ({top}): {why}")
    return found
