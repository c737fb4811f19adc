"""Generated resource names and the per-stack name prefix.

This module imports nothing from aws_cdk, so the command-line tool can use it
without starting jsii.

The prefix scheme (documented in the README, relied on by the handler's IAM
scope for Create and by ``sagemaker-constructs jobs --stack``) takes the stack's
*identity*: its name as CloudFormation knows it (case kept), or for a nested
stack ``<parent identity>/<nested stack id>`` (a nested stack's own name is a
deploy-time token; ``/`` never appears in a stack name, so no nested stack
shares the identity of a top-level stack).

1. The readable part: lowercase the identity, replace every run of characters
   outside ``[a-z0-9]`` with one ``-``, strip ``-`` from both ends, keep the
   first 16 characters (again without a trailing ``-``); ``stack`` if nothing
   is left.
2. Append ``-`` and the first 6 hex digits of the SHA-256 of the identity.
3. Append ``--``.

Stacks whose names read alike (``Prod``, ``prod`` and ``PROD``; ``my--stack``
and ``my-stack``; nested ``Parent/Vision`` and top-level ``Parent-Vision``)
differ in the hash. The readable part has no ``--`` and does not end in ``-``,
and the hash is hex, so the first ``--`` of a generated name ends its prefix:
one stack's prefix starts another stack's names only if the two prefixes are
equal, that is if the readable parts are equal and the 24-bit hashes collide.

A generated name is ``<prefix><path-part>-<hash>``: the path part is the
construct path below the stack, sanitized the same way and cut to fit, and the
hash is 10 hex digits over the stack's identity, the construct path and every
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
PREFIX_STACK_PART_MAX = 16
STACK_HASH_LENGTH = 6
HASH_LENGTH = 10
PREFIX_SEPARATOR = "--"
NESTED_STACK_SEPARATOR = "/"  # in a nested stack's identity: <parent identity>/<nested stack id>
# The longest prefix: the readable part, "-", the stack hash and the separator.
MAX_PREFIX_LENGTH = PREFIX_STACK_PART_MAX + 1 + STACK_HASH_LENGTH + len(PREFIX_SEPARATOR)

_NOT_NAME_CHARS = re.compile(r"[^a-z0-9]+")


def _sanitize(text: str) -> str:
    return _NOT_NAME_CHARS.sub("-", text.lower()).strip("-")


def _short_hash(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def stack_prefix(stack: str) -> str:
    """The name prefix that every generated name in the stack starts with; ``stack`` is its
    identity (the stack name, or ``<parent identity>/<nested stack id>`` for a nested stack)."""
    part = _sanitize(stack)[:PREFIX_STACK_PART_MAX].rstrip("-") or "stack"
    return f"{part}-{_short_hash(stack, STACK_HASH_LENGTH)}{PREFIX_SEPARATOR}"


def fingerprint(value: Any) -> str:
    """A stable digest of a JSON-serializable value (key order does not matter)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def generated_name(stack: str, construct_path: str, properties: Any) -> str:
    """``<prefix><path-part>-<hash>``, at most 63 characters, lowercase (``stack``: its identity)."""
    prefix = stack_prefix(stack)
    digest = fingerprint([stack, construct_path, properties])[:HASH_LENGTH]
    room = MAX_NAME_LENGTH - len(prefix) - 1 - HASH_LENGTH
    path_part = _sanitize(construct_path)[:room].strip("-") or "resource"
    return f"{prefix}{path_part}-{digest}"
