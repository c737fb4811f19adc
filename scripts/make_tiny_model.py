"""Make the tiny ONNX model that the compilation-job integ app compiles.

The example's ``model.tar.gz`` holds only a README, so SageMaker Neo cannot
compile it. This builds a real, if useless, image classifier with the
``onnx`` package alone (no training framework): a 3x3 convolution with four
filters, ReLU, global average pooling and a two-class dense layer with
softmax, on one ``data`` input of shape 1x3x8x8 (NCHW, as Neo expects for
ONNX). Weights are fixed numbers, so every run writes the same bytes.

Neo's cloud targets accept ONNX models exported by ONNX 1.7 or earlier; this
one uses IR version 6 and opset 11 (ONNX 1.6), inside that bound.

    python -m scripts.make_tiny_model              # writes integ/model/model.tar.gz
    python -m scripts.make_tiny_model --check      # exits 1 if the committed file differs
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "integ" / "model" / "model.tar.gz"
MODEL_FILE = "model.onnx"  # Neo wants exactly one .onnx file in the archive
INPUT_NAME = "data"
INPUT_SHAPE = (1, 3, 8, 8)
CLASSES = 2
FILTERS = 4
IR_VERSION = 6  # ONNX 1.6
OPSET = 11  # ONNX 1.6; Neo's ONNX support is "1.7 or earlier" (IR 7, opset 12)


def _weights(count: int, scale: float, offset: int) -> list[float]:
    """Small fixed numbers in [-scale, scale] (no random generator: the bytes never change)."""
    return [round(scale * (((i * 7 + offset) % 11) - 5) / 5.0, 4) for i in range(count)]


def build_model() -> bytes:
    """The serialized ModelProto."""
    from onnx import TensorProto, checker, helper

    conv_w = helper.make_tensor(
        "conv_w", TensorProto.FLOAT, [FILTERS, INPUT_SHAPE[1], 3, 3], _weights(FILTERS * INPUT_SHAPE[1] * 9, 0.5, 1)
    )
    conv_b = helper.make_tensor("conv_b", TensorProto.FLOAT, [FILTERS], _weights(FILTERS, 0.1, 2))
    fc_w = helper.make_tensor("fc_w", TensorProto.FLOAT, [CLASSES, FILTERS], _weights(CLASSES * FILTERS, 0.5, 3))
    fc_b = helper.make_tensor("fc_b", TensorProto.FLOAT, [CLASSES], _weights(CLASSES, 0.1, 4))
    nodes = [
        helper.make_node("Conv", [INPUT_NAME, "conv_w", "conv_b"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("GlobalAveragePool", ["relu"], ["pool"]),
        helper.make_node("Flatten", ["pool"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["prob"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_classifier",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, list(INPUT_SHAPE))],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [INPUT_SHAPE[0], CLASSES])],
        initializer=[conv_w, conv_b, fc_w, fc_b],
    )
    model = helper.make_model(
        graph,
        producer_name="sagemaker-constructs",
        producer_version="1",
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
    )
    checker.check_model(model, full_check=True)
    data: bytes = model.SerializeToString()
    return data


def build_archive(model: bytes) -> bytes:
    """``model.onnx`` in a gzipped tar with fixed metadata (same bytes on every run)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(MODEL_FILE)
        info.size = len(model)
        info.mtime = 0
        info.mode = 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tar.addfile(info, io.BytesIO(model))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as archive:
        archive.write(raw.getvalue())
    return packed.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    model = build_model()
    archive = build_archive(model)
    if args.check:
        if not args.output.is_file() or args.output.read_bytes() != archive:
            print(f"{args.output} is not what scripts/make_tiny_model.py makes: rerun it", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({len(archive)} bytes)")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(archive)
    print(f"wrote {args.output}: {len(archive)} bytes ({MODEL_FILE}: {len(model)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
