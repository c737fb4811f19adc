"""Tests of the construct layer (``sagemaker_constructs/``), laid out as the source is."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODEL_FILE = REPO / "example" / "model.tar.gz"  # a small real .tar.gz for ModelSource.from_asset
