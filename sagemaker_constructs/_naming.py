"""Generated resource names and the per-stack name prefix.

This module imports nothing from aws_cdk, so the command-line tool can use it
without starting jsii.

The prefix scheme (documented in the README, relied on by the handler's IAM
scope and by ``sagemaker-constructs jobs --stack``):

1. Lowercase the stack name.
2. Replace every run of characters outside ``[a-z0-9]`` with one ``-`` and
   strip ``-`` from both ends.
3. If that is longer than 20 characters, keep the first 15 and append ``-``
   and the first 4 hex digits of the SHA-256 of the original stack name.
4. Append ``--``.

Because step 2 leaves no ``--`` inside the stack part, the ``--`` that ends a
prefix can only be its end: ``prod--`` never matches the jobs of stack
``prod-2`` (prefix ``prod-2--``).

A generated name is ``<prefix><path-part>-<hash>``: the path part is the
construct path below the stack, sanitized the same way and cut to fit, and the
hash is 10 hex digits over the stack name, the construct path and every
resource property except tags. It is at most 63 characters and lowercase, so
it satisfies both the compilation-job pattern and the lowercase-only
flow-definition pattern.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

MAX_NAME_LENGTH = 63
PREFIX_STACK_PART_MAX = 20
HASH_LENGTH = 10
PREFIX_SEPARATOR = "--"

_NOT_NAME_CHARS = re.compile(r"[^a-z0-9]+")


def _sanitize(text: str) -> str:
    return _NOT_NAME_CHARS.sub("-", text.lower()).strip("-")


def _short_hash(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def stack_prefix(stack_name: str) -> str:
    """Return the name prefix that every generated name in ``stack_name`` starts with."""
    part = _sanitize(stack_name) or "stack"
    if len(part) > PREFIX_STACK_PART_MAX:
        part = f"{part[:15].rstrip('-')}-{_short_hash(stack_name, 4)}"
    return part + PREFIX_SEPARATOR


def fingerprint(value: Any) -> str:
    """A stable digest of a JSON-serializable value (key order does not matter)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def generated_name(stack_name: str, construct_path: str, properties: Any) -> str:
    """``<prefix><path-part>-<hash>``, at most 63 characters, lowercase."""
    prefix = stack_prefix(stack_name)
    digest = fingerprint([stack_name, construct_path, properties])[:HASH_LENGTH]
    room = MAX_NAME_LENGTH - len(prefix) - 1 - HASH_LENGTH
    path_part = _sanitize(construct_path)[:room].strip("-") or "resource"
    return f"{prefix}{path_part}-{digest}"
