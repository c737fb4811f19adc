"""Resources that exist before a test's request, made straight in the fake."""

from __future__ import annotations

from typing import Any

from tests.harness import as_made_by_handler
from tests.harness.properties import api_request


def job_made_by_handler(
    sagemaker: Any, props: dict[str, Any], *, logical_id: str = "Resource", s3_uri: str | None = None
) -> None:
    """A compilation job as this stack's resource ``logical_id`` would have made it."""
    sagemaker.create_compilation_job(**as_made_by_handler(api_request(props, s3_uri), logical_id))


def job_made_elsewhere(sagemaker: Any, props: dict[str, Any], *, tags: list[dict[str, str]] | None = None) -> None:
    """A compilation job of the same name that this stack did not make."""
    request = api_request(props)
    sagemaker.create_compilation_job(**{**request, "Tags": tags or []})
