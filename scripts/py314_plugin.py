"""The pytest plugin of the Python 3.14 run (``make test-py314``, ``scripts/py314.py``).

That run has the handler's own dependencies and none of aws_cdk, jsii or node.
A test module that needs them says so with ``pytestmark = pytest.mark.needs_cdk``;
this plugin leaves such a module out before it is imported (an import would fail)
and names each one in the summary. A single test is marked with
``@pytest.mark.needs_cdk`` and deselected by ``-m "not needs_cdk"``.

A module that imports aws_cdk without the mark fails the run, as any collection
error does, and the summary says how to mark it.
"""

from __future__ import annotations

import ast
import platform
import sys
from pathlib import Path
from typing import Any

import pytest

MARK = "needs_cdk"
CDK_MODULES = ("aws_cdk", "jsii", "constructs", "cdk_nag")

_left_out: list[str] = []
_unmarked: list[str] = []


def module_is_marked(path: Path) -> bool:
    """Whether a module-level ``pytestmark`` names the mark (read without importing)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets) and any(
            isinstance(n, ast.Attribute) and n.attr == MARK for n in ast.walk(value)
        ):
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if (
        collection_path.suffix == ".py"
        and collection_path.name.startswith("test_")
        and module_is_marked(collection_path)
    ):
        _left_out.append(str(collection_path.relative_to(config.rootpath)))
        return True
    return None


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed and any(f"No module named '{name}" in str(report.longrepr) for name in CDK_MODULES):
        _unmarked.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    write = terminalreporter.write_line
    write(f"py314: ran on Python {platform.python_version()} ({sys.executable})")
    if _left_out:
        write(f"py314: {len(_left_out)} module(s) marked {MARK} left out (they import aws_cdk): {', '.join(_left_out)}")
    for nodeid in _unmarked:
        write(
            f"py314: {nodeid} imports aws_cdk, which the 3.14 run does not have: mark the module "
            f"`pytestmark = pytest.mark.{MARK}` (or import what needs aws_cdk inside the tests that need it, "
            f"and mark those)"
        )
