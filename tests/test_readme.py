"""The README's Python blocks run as they stand, so the README cannot drift from the code.

The convention (for whoever writes README prose):

- Every fenced block that opens with ```python is run: each in a fresh namespace, with
  a temporary directory as the working directory that holds ``model.tar.gz`` (a copy of
  ``example/model.tar.gz``, for ``ModelSource.from_asset("model.tar.gz")``). Every
  ``aws_cdk.App`` the block leaves in its namespace is synthesized. So a block defines
  every name it uses (``training_bucket``, ``documents_bucket``, ``my_function`` ...).
- A block that is not meant to run (a signature, a fragment, something that needs AWS)
  is fenced as ```text (or ```bash, ```json), or marked by the HTML comment
  ``<!-- not run: <reason> -->`` on the line right before its opening fence.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from aws_cdk import App

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
FENCE = re.compile(r"^```(\w*)\s*$")
NOT_RUN = re.compile(r"^<!-- not run: .+ -->\s*$")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    marked_not_run: bool


def blocks(text: str) -> list[Block]:
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        start, language = index, match.group(1)
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
        marked = start > 0 and bool(NOT_RUN.match(lines[start - 1]))
        found.append(Block(start + 1, language, "\n".join(lines[start + 1 : end]) + "\n", marked))
        index = end + 1
    return found


PYTHON_BLOCKS = [
    b for b in blocks(README.read_text(encoding="utf-8")) if b.language == "python" and not b.marked_not_run
]


def test_the_readme_has_python_blocks_to_run() -> None:
    assert len(PYTHON_BLOCKS) >= 6


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[f"README.md:{b.line}" for b in PYTHON_BLOCKS])
def test_readme_python_block_runs_and_synthesizes(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copyfile(REPO / "example" / "model.tar.gz", tmp_path / "model.tar.gz")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"readme_line_{block.line}"}
    exec(compile(block.code, f"README.md:{block.line}", "exec"), namespace)  # noqa: S102 - the README's own code
    for value in list(namespace.values()):
        if isinstance(value, App):
            value.synth()


def test_blocks_are_found_with_their_markers() -> None:
    text = "a\n```python\nx = 1\n```\n<!-- not run: needs AWS -->\n```python\ny = 2\n```\n```text\nz\n```\n"
    assert [(b.language, b.code, b.marked_not_run) for b in blocks(text)] == [
        ("python", "x = 1\n", False),
        ("python", "y = 2\n", True),
        ("text", "z\n", False),
    ]
