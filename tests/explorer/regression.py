"""The two checks of a regression seed: its schedule still is the one that showed the
defect (``shaped``), and it holds every invariant now (``holds``)."""

from __future__ import annotations

from tests.explorer.explore import Result


def holds(result: Result) -> None:
    assert not result.failed, result.report()


def shaped(result: Result, *parts: str) -> Result:
    """The seed's schedule still is the one that showed the defect."""
    described = result.schedule.describe()
    for part in parts:
        assert part in described, f"seed {result.schedule.seed} no longer has {part!r}:\n{described}"
    return result
