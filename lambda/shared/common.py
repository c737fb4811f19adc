"""Pieces both handlers use: lazy clients, property helpers, and tags."""

from __future__ import annotations

import json
from typing import Any, Protocol

import _wire
import aws_calls
import boto3


class Clients:
    """boto3 clients created on first use; tests and the benchmark assign fakes.

    Only the services named at construction exist: ``Clients("sagemaker")``
    has no ``s3``, so ``hasattr(clients, "s3")`` is False.
    """

    def __init__(self, *services: str) -> None:
        object.__setattr__(self, "_services", frozenset(services))
        object.__setattr__(self, "_made", {})

    def __getattr__(self, service: str) -> Any:
        if service not in self._services:
            raise AttributeError(service)
        if service not in self._made:
            self._made[service] = boto3.client(service)
        return self._made[service]

    def __setattr__(self, service: str, client: Any) -> None:
        if service not in self._services:
            raise AttributeError(service)
        self._made[service] = client


def service_timeout_of(resource_properties: dict[str, Any], default: int) -> int:
    """ServiceTimeout, or ``default`` when it is missing or not a number: a
    Delete must not depend on properties that may not parse."""
    try:
        return int(resource_properties.get(_wire.SERVICE_TIMEOUT, default))
    except (TypeError, ValueError):
        return default


def json_or_text(value: Any) -> Any:
    """A JSON string as its value (for comparing documents), other text stripped."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value.strip()
    return value


def tag_list(tags: Any) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in tags or []]


class TagSession(Protocol):
    sagemaker: Any
    deadline: float


def _tags_of(session: TagSession, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    kwargs: dict[str, Any] = {"ResourceArn": arn}
    while True:
        page = aws_calls.call_with_retry(
            lambda: session.sagemaker.list_tags(**kwargs), what=f"ListTags {arn}", deadline=session.deadline
        )
        tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
        if not page.get("NextToken"):
            return tags
        kwargs["NextToken"] = page["NextToken"]


def sync_tags(session: TagSession, arn: str, wanted: list[dict[str, str]], previous: list[dict[str, str]]) -> None:
    """AddTags for new or changed tags; DeleteTags for the ones the stack removed."""
    want = {t["Key"]: t["Value"] for t in wanted}
    had = {t["Key"]: t["Value"] for t in previous}
    current = _tags_of(session, arn)
    to_add = [{"Key": k, "Value": v} for k, v in want.items() if current.get(k) != v]
    to_remove = [k for k in had if k not in want and k in current]
    if to_add:
        aws_calls.call_with_retry(
            lambda: session.sagemaker.add_tags(ResourceArn=arn, Tags=to_add),
            what=f"AddTags {arn}",
            deadline=session.deadline,
        )
    if to_remove:
        aws_calls.call_with_retry(
            lambda: session.sagemaker.delete_tags(ResourceArn=arn, TagKeys=to_remove),
            what=f"DeleteTags {arn}",
            deadline=session.deadline,
        )
