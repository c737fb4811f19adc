"""Fixtures of the handler tests (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest


@pytest.fixture(autouse=True, scope="package")
def _isolated_boto3_default_session() -> Iterator[None]:
    """crhelper's constructor makes boto3 clients from boto3's default session, which
    then caches the test credentials; restore the session after these tests so that later
    ones (the CLI's no-credentials case) see the environment they set, not a cached one.
    Once per package: a fresh default session per test would cost seconds."""
    previous = boto3.DEFAULT_SESSION
    yield
    boto3.DEFAULT_SESSION = previous
