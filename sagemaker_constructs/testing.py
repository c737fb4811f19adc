"""Snapshot testing for stacks that use these constructs.

:func:`normalized_template` returns a stack's synthesized template with what
changes on every build, but not with the template's meaning, replaced by
stable placeholders:

- every 64-hex-digit asset hash, wherever it appears (asset object keys such as
  ``<hash>.zip`` or ``<hash>.gz``, pieces of ``Fn::Join``/``Fn::Sub``, the
  staged model key, legacy asset parameter names) becomes ``<asset-hash-N>``,
  numbered by first appearance in key-sorted order, so one hash keeps one
  placeholder throughout and a new asset shows up as a new number;
- ``AWS::CDK::Metadata`` resources (and their ``CDKMetadataAvailable``
  condition) and ``aws:cdk:*`` resource metadata are removed.

The ``BootstrapVersion`` parameter and ``CheckBootstrapVersion`` rule stay:
they change only when the synthesizer does. A snapshot then changes only when
the template really changes. With syrupy or pytest-snapshot::

    from aws_cdk import App, Environment
    from sagemaker_constructs.testing import normalized_template
    from my_app.stacks import PipelineStack

    def test_pipeline_template(snapshot):  # syrupy
        app = App()
        stack = PipelineStack(app, "Pipeline", env=Environment(account="123456789012", region="us-east-1"))
        assert normalized_template(stack) == snapshot

    # pytest-snapshot: snapshot.assert_match(json.dumps(normalized_template(stack), indent=2), "pipeline.json")

Without a plugin, ``assert_matches_snapshot(stack, "tests/snapshots/pipeline.json")``
compares with a JSON file; ``UPDATE_SNAPSHOTS=1 pytest`` writes (or rewrites) it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk.assertions import Template

ASSET_HASH = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
CDK_METADATA_TYPE = "AWS::CDK::Metadata"
CDK_METADATA_CONDITION = "CDKMetadataAvailable"
CDK_METADATA_KEY_PREFIX = "aws:cdk:"
UPDATE_ENV = "UPDATE_SNAPSHOTS"
_FALSE_WORDS = {"", "0", "false", "no", "off"}


def normalized_template(stack: Stack) -> dict[str, Any]:
    """The template of ``stack`` with asset hashes and CDK metadata normalized.

    Synthesizes the stack's app (once: later calls reuse the assembly).
    """
    return normalize_template(Template.from_stack(stack).to_json())


def normalize_template(template: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`normalized_template` for a template already loaded, e.g. from ``cdk.out``.

    The input is not changed.
    """
    stripped = _strip_cdk_metadata(template)
    placeholders: dict[str, str] = {}
    _collect_hashes(stripped, placeholders)
    replaced: dict[str, Any] = _replace_hashes(stripped, placeholders)
    return replaced


def assert_matches_snapshot(stack: Stack, path: str | os.PathLike[str], update: bool | str | None = None) -> None:
    """Compare ``normalized_template(stack)`` with the JSON file at ``path``.

    ``update`` (default: the ``UPDATE_SNAPSHOTS`` environment variable, read at
    call time; any value but ``""``, ``0``, ``false``, ``no``, ``off`` counts as
    true) writes the file instead. A missing file is an error that says how to
    create it, so a test never passes without a snapshot to compare with.
    """
    snapshot = Path(path)
    actual = normalized_template(stack)
    rendered = _render(actual)
    if _wants_update(update):
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(rendered, encoding="utf-8")
        return
    if not snapshot.is_file():
        raise AssertionError(
            f"snapshot {snapshot} does not exist: create it with {UPDATE_ENV}=1 "
            f"(e.g. `{UPDATE_ENV}=1 python -m pytest`), review it and commit it"
        )
    expected_text = snapshot.read_text(encoding="utf-8")
    if json.loads(expected_text) == json.loads(rendered):
        return
    diff = difflib.unified_diff(
        expected_text.splitlines(), rendered.splitlines(), f"{snapshot} (snapshot)", "synthesized", lineterm="", n=2
    )
    lines = list(diff)
    shown = "\n".join(lines[:200]) + (f"\n... {len(lines) - 200} more diff lines" if len(lines) > 200 else "")
    raise AssertionError(
        f"template of stack {stack.stack_name} differs from snapshot {snapshot}; "
        f"if the change is intended, rerun with {UPDATE_ENV}=1 and commit the snapshot:\n{shown}"
    )


# --- internals ------------------------------------------------------------------
def _wants_update(update: bool | str | None) -> bool:
    if update is None:
        update = os.environ.get(UPDATE_ENV, "")
    if isinstance(update, bool):
        return update
    return update.strip().lower() not in _FALSE_WORDS


def _render(template: Mapping[str, Any]) -> str:
    return json.dumps(template, indent=2, sort_keys=True) + "\n"


def _strip_cdk_metadata(template: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(template))  # a deep copy of plain JSON values
    resources = result.get("Resources")
    if isinstance(resources, dict):
        for logical_id in [
            k for k, v in resources.items() if isinstance(v, dict) and v.get("Type") == CDK_METADATA_TYPE
        ]:
            del resources[logical_id]
        for resource in resources.values():
            metadata = resource.get("Metadata") if isinstance(resource, dict) else None
            if isinstance(metadata, dict):
                for key in [k for k in metadata if k.startswith(CDK_METADATA_KEY_PREFIX)]:
                    del metadata[key]
                if not metadata:
                    del resource["Metadata"]
    conditions = result.get("Conditions")
    if isinstance(conditions, dict) and CDK_METADATA_CONDITION in conditions:
        del conditions[CDK_METADATA_CONDITION]
        if not conditions:
            del result["Conditions"]
    return result


def _collect_hashes(value: Any, placeholders: dict[str, str]) -> None:
    """Number the hashes by first appearance, walking keys in sorted order so
    that the numbering does not depend on the order of resources."""
    if isinstance(value, dict):
        for key in sorted(value):
            _collect_hashes(key, placeholders)
            _collect_hashes(value[key], placeholders)
    elif isinstance(value, list):
        for item in value:
            _collect_hashes(item, placeholders)
    elif isinstance(value, str):
        for found in ASSET_HASH.findall(value):
            placeholders.setdefault(found.lower(), f"<asset-hash-{len(placeholders) + 1}>")


def _replace_hashes(value: Any, placeholders: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {_replace_hashes(k, placeholders): _replace_hashes(v, placeholders) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_hashes(item, placeholders) for item in value]
    if isinstance(value, str):
        return ASSET_HASH.sub(lambda match: placeholders[match.group(0).lower()], value)
    return value


__all__ = ["assert_matches_snapshot", "normalize_template", "normalized_template"]
