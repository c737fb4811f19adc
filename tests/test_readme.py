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

import os
import re
import shutil
import subprocess
import sys
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


def section(text: str, heading: str) -> str:
    """The README section under ``heading`` (a whole line), up to the next heading of its level or above."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n") + 1
    body = start + len(heading)
    end = re.compile(rf"^#{{1,{len(level)}}} ", re.MULTILINE).search(text, body)
    return text[start : end.start() if end else len(text)]


def test_the_snapshot_test_example_passes_mypy_strict(tmp_path: Path) -> None:
    """What a user copies into their tests must type-check as strictly as this project's code.

    With this project's mypy options and cache (``make lint`` runs first in ``make test``), so
    aws-cdk-lib's stubs come from the cache: seconds, against minutes cold."""
    readme = README.read_text(encoding="utf-8")
    [example] = [b for b in blocks(section(readme, "## Testing your own stacks")) if b.language == "python"]
    path = tmp_path / "test_pipeline.py"
    path.write_text(example.code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(REPO / "pyproject.toml")]
        + ["--cache-dir", str(REPO / ".mypy_cache"), "--no-error-summary", "--show-traceback", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(REPO)},  # the editable install is an import hook mypy does not follow
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def props_table(text: str) -> dict[str, list[str]]:
    """The CompilationJob section's option table: option name -> its cells."""
    rows: dict[str, list[str]] = {}
    for line in section(text, "## CompilationJob").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 3:
            for name in re.findall(r"`(\w+)`", cells[0]):
                rows[name] = cells
    return rows


def test_the_target_platform_row_names_the_default_the_code_has() -> None:
    from aws_cdk import Stack

    from tests.constructs.builders import small_job

    job = small_job(Stack(App(), "Defaults"), "Job")  # a target_device, no target_platform
    assert job.target_platform is None
    default = props_table(README.read_text(encoding="utf-8"))["target_platform"][2]
    assert re.match(r"none\b", default), f"the README gives a default the code does not have: {default}"


def test_the_flow_definition_section_opens_with_the_a2i_availability_notice() -> None:
    """AWS's documentation: A2I is no longer open to new customers; existing ones can use it as normal."""
    text = section(README.read_text(encoding="utf-8"), "## FlowDefinition")
    opening = " ".join(re.sub(r"^> ?", "", text[: text.index("```")], flags=re.MULTILINE).split())  # before the example
    assert "no longer open to new customers" in opening
    assert "Existing customers can continue to use the service as normal" in opening
    assert "a2i-api-references.html" in opening  # where AWS says so
