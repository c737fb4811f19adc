"""User tags known when a construct is made: ``Tags.of(x).add(...)`` on its scope or an
ancestor *before* the construct is created. CDK applies tags with an aspect at synth, so
these are only the tags already registered; the synth-time check
(``_resource.UserTagRules``) stays the authority for tags added later.

The tags of each scope are read once per scope object and kept on it (the aspects of a
scope only grow; one added later is caught at synth), so a stack of many jobs reads them
once, not once per job.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aspects, RemoveTag, Tag
from constructs import IConstruct

from ._validation import Problem

_ATTRIBUTE = "_sagemaker_constructs_tags"  # on each scope object: its tag aspects when first read


def _applies(tag: Tag, resource_type: str) -> bool:
    props = tag._props
    include, exclude = props.include_resource_types, props.exclude_resource_types
    if exclude and resource_type in exclude:
        return False
    return not include or resource_type in include


def _chain(scope: IConstruct) -> list[tuple[str, list[Any]]]:
    """(path, tag aspects) of ``scope`` and its ancestors, nearest first."""
    cached: list[tuple[str, list[Any]]] | None = scope.__dict__.get(_ATTRIBUTE) if hasattr(scope, "__dict__") else None
    if cached is not None:
        return cached
    node = scope.node
    own = [a for a in Aspects.of(scope).all if isinstance(a, (Tag, RemoveTag))]
    parent = node.scope
    chain = [(node.path, own), *(_chain(parent) if parent is not None else [])]
    if hasattr(scope, "__dict__"):
        scope.__dict__[_ATTRIBUTE] = chain
    return chain


def registered_tags(scope: IConstruct, resource_type: str) -> dict[str, tuple[str, str]]:
    """Key: (value, where it was added) of the tags that will reach a ``resource_type`` made in
    ``scope``, as far as they are registered now (a nearer scope's tag wins, as in CDK by default)."""
    found: dict[str, tuple[str, str]] = {}
    removed: set[str] = set()
    for path, aspects in _chain(scope):
        where = f"Tags.of({path or 'app'})"
        for aspect in aspects:
            if isinstance(aspect, RemoveTag):
                removed.add(aspect.key)
            elif _applies(aspect, resource_type) and aspect.key not in found:
                found[aspect.key] = (aspect.value, where)
    return {key: entry for key, entry in found.items() if key not in removed}


def tag_problems(scope: IConstruct, resource_type: str, rules: Any) -> list[Problem]:
    """``rules(tags) -> [message]`` (``_resource.user_tag_problems``) over the registered tags, as problems
    of the property ``tags`` naming where each tag was added."""
    tags = registered_tags(scope, resource_type)
    if not tags:
        return []
    found = []
    for message in rules({key: value for key, (value, _) in tags.items()}):
        key = next((k for k in tags if message.startswith(f"tag {k!r}=")), None)
        where = f" (added with {tags[key][1]}.add)" if key is not None else ""
        found.append(Problem("tags", f"{len(tags)} tags" if key is None else key, f"{message}{where}"))
    return found
