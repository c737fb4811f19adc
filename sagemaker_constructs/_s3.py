"""S3's own rules for what the constructs send: bucket names, keys, URIs.

The naming rules are those of general purpose buckets (Amazon S3 User Guide,
"General purpose bucket naming rules"), written as data. A name or key that is
a token, or holds one, is skipped.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from aws_cdk import aws_s3 as s3

from ._validation import Problem, is_token

# --- bucket names -------------------------------------------------------------------------
BUCKET_NAME_CHARACTERS = re.compile(r"[a-z0-9.-]+")
BUCKET_NAME_LENGTH = (3, 63)
BUCKET_NAME_RULES: tuple[tuple[str, str], ...] = (
    # (regular expression the name must NOT match, the rule it breaks)
    (r"[^a-z0-9].*|.*[^a-z0-9]", "must begin and end with a lowercase letter or a digit"),
    (r".*\.\..*", "must not hold two adjacent periods"),
)
BUCKET_NAME_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_NAME_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
BUCKET_NAME_RULE_SOURCE = "S3's bucket naming rules"


def bucket_name_problems(prop: str, name: str | None) -> list[Problem]:
    """What is wrong with a bucket name, each rule once."""
    if name is None or not isinstance(name, str) or is_token(name):
        return []
    rules: list[str] = []
    low, high = BUCKET_NAME_LENGTH
    if not low <= len(name) <= high:
        rules.append(f"must be {low} to {high} characters long ({len(name)} given)")
    if not BUCKET_NAME_CHARACTERS.fullmatch(name):
        rules.append("must hold only lowercase letters, digits, periods and hyphens (no upper case, no '_')")
    rules.extend(rule for pattern, rule in BUCKET_NAME_RULES if re.fullmatch(pattern, name))
    rules.extend(f"must not start with {p!r}" for p in BUCKET_NAME_RESERVED_PREFIXES if name.startswith(p))
    rules.extend(f"must not end with {s!r}" for s in BUCKET_NAME_RESERVED_SUFFIXES if name.endswith(s))
    try:
        ipaddress.IPv4Address(name)
        rules.append("must not be formatted as an IP address")
    except ValueError:
        pass
    return [Problem(prop, name, f"{rule} ({BUCKET_NAME_RULE_SOURCE})") for rule in rules]


# A URI this long is within the maximum of every S3 URI member of the service model
# (tests/constructs/test_service_model.py checks it against the installed model).
URI_ALWAYS_ALLOWED = 255


def given_bucket_name(bucket: Any) -> str | None:
    """The name of an imported bucket (``from_bucket_name``, ``from_bucket_attributes``), which
    CDK does not check; None for an ``s3.Bucket`` of this app, whose name CDK checks itself (and
    asking for it would be one more jsii round trip per construct)."""
    if bucket is None or isinstance(bucket, s3.Bucket):
        return None
    name: str = bucket.bucket_name
    return name


# --- keys ---------------------------------------------------------------------------------
def key_problems(prop: str, key: str | None) -> list[Problem]:
    """A key with a leading ``/``: ``s3://bucket//key`` is another object than ``s3://bucket/key``."""
    if key is None or not isinstance(key, str) or is_token(key) or not key.startswith("/"):
        return []
    return [Problem(prop, key, "must not start with '/': S3 keys have no leading slash (s3://bucket//key)")]


def object_problems(prop: str, bucket_name: str | None, key: str | None, uri_member: str) -> list[Problem]:
    """An object given as bucket and key: the bucket's name, the key's leading ``/``, and
    ``s3://<bucket>/<key>`` within the service model's length for ``uri_member`` (with a
    token bucket name, the shortest name S3 allows is assumed)."""
    from ._service_model import string_rule

    found = [*bucket_name_problems(prop, bucket_name), *key_problems(prop, key)]
    if key is None or is_token(key):
        return found
    known = bucket_name is not None and not is_token(bucket_name)
    name_length = len(bucket_name) if bucket_name is not None and known else BUCKET_NAME_LENGTH[0]
    length = len("s3://") + name_length + 1 + len(key)
    if length <= URI_ALWAYS_ALLOWED:
        return found  # within every S3 URI member's maximum: the model need not be loaded
    high = string_rule(uri_member).high
    if high is not None and length > high:
        rule = f"must leave s3://<bucket>/<key> at most {high} characters long ({length} given; {uri_member})"
        found.append(Problem(prop, key, rule))
    return found


# --- URIs ---------------------------------------------------------------------------------
_S3_URI = re.compile(r"s3://([^/]*)/?(.*)", re.DOTALL)
_VIRTUAL_HOSTED = re.compile(r"https://([^/]+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/?(.*)", re.DOTALL)
_PATH_STYLE = re.compile(r"https://s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/([^/]+)/?(.*)", re.DOTALL)


def split_uri(uri: str) -> tuple[str, str] | None:
    """(bucket, key) of an ``s3://`` URI, or of a virtual-hosted or path-style S3 https URL."""
    for form in (_S3_URI, _VIRTUAL_HOSTED, _PATH_STYLE):
        match = form.fullmatch(uri)
        if match:
            return match.group(1), match.group(2)
    return None


def uri_problems(prop: str, uri: str | None) -> list[Problem]:
    """The bucket name and the key of a literal S3 URI (parts holding a token are skipped)."""
    if uri is None or not isinstance(uri, str) or is_token(uri):
        return []
    parts = split_uri(uri)
    if parts is None:
        return []
    bucket, key = parts
    found = [Problem(prop, uri, f"bucket {bucket!r} {p.rule}") for p in bucket_name_problems(prop, bucket)]
    if key.startswith("/"):
        found.append(Problem(prop, uri, "must not have a key starting with '/' (s3://bucket//key is another key)"))
    return found
