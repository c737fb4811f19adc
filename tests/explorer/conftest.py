"""Fixtures the explorer's test modules share."""

from __future__ import annotations

import pytest

from tests.explorer.app import Synthesized, synthesize


@pytest.fixture(scope="session")
def synthesized() -> Synthesized:
    """The small app, synthesized once per session (~2.5 s) for every explorer test module."""
    return synthesize()
