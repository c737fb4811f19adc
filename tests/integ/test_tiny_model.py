"""The tiny ONNX model the compilation-job integ app compiles (scripts/make_tiny_model.py)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import onnx
import pytest
from onnx.reference import ReferenceEvaluator

from integ.integ_compilation_job import INPUT_SHAPE, MODEL
from scripts import make_tiny_model

# Neo compiles ONNX models "exported by ONNX 1.7 or earlier" for cloud targets: IR 7, opset 12.
NEO_MAX_IR_VERSION = 7
NEO_MAX_OPSET = 12


@pytest.fixture(scope="module")
def model() -> onnx.ModelProto:
    with tarfile.open(MODEL, "r:gz") as archive:
        member = archive.extractfile(make_tiny_model.MODEL_FILE)
        assert member is not None
        return onnx.load_model_from_string(member.read())


def test_the_committed_archive_is_what_the_script_makes() -> None:
    assert MODEL.read_bytes() == make_tiny_model.build_archive(make_tiny_model.build_model())


def test_the_archive_holds_exactly_one_onnx_file() -> None:
    with tarfile.open(MODEL, "r:gz") as archive:
        assert archive.getnames() == ["model.onnx"]
    assert MODEL.stat().st_size < 1024


def test_the_model_is_valid_and_within_neos_onnx_versions(model: onnx.ModelProto) -> None:
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version <= NEO_MAX_IR_VERSION
    assert [(o.domain, o.version) for o in model.opset_import] == [("", make_tiny_model.OPSET)]
    assert make_tiny_model.OPSET <= NEO_MAX_OPSET


def test_the_apps_input_shape_is_the_models(model: onnx.ModelProto) -> None:
    (graph_input,) = model.graph.input
    dims = [d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    assert {graph_input.name: dims} == INPUT_SHAPE


def test_the_model_runs_and_gives_two_probabilities(model: onnx.ModelProto) -> None:
    import numpy as np

    (probabilities,) = ReferenceEvaluator(model).run(None, {"data": np.ones((1, 3, 8, 8), dtype=np.float32)})
    assert isinstance(probabilities, np.ndarray)
    assert probabilities.shape == (1, 2)
    assert float(probabilities.sum()) == pytest.approx(1.0, abs=1e-5)


def test_check_mode_reports_a_stale_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "model.tar.gz"
    stale.write_bytes(b"not a model")
    assert make_tiny_model.main(["--check", "--output", str(stale)]) == 1
    assert "rerun it" in capsys.readouterr().err
    assert make_tiny_model.main(["--output", str(stale)]) == 0
    assert make_tiny_model.main(["--check", "--output", str(stale)]) == 0
    assert stale.read_bytes() == MODEL.read_bytes()
