"""`make synth`'s per-stack summary, read from the example's snapshot template."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.summarize import summarize

SNAPSHOT = Path(__file__).parent / "snapshots" / "ModelPipeline.json"


def test_summary_lists_custom_resources_with_target_framework_and_outputs() -> None:
    lines = summarize(json.loads(SNAPSHOT.read_text()))
    text = "\n".join(lines)
    assert "target=sitara_am57x framework=PYTORCH" in text
    assert "target=ml_c5 framework=PYTORCH" in text
    assert "source=AWS/Textract/AnalyzeDocument/Forms/V1" in text
    assert "Lambda functions: 2" in text  # one handler per kind, however many jobs
    outputs = [line for line in lines if line.startswith("    ")]
    assert len(outputs) == 5
