"""What makes a local file a model archive SageMaker Neo can read: a gzip-compressed
tar file (``.tar.gz``). CDK uploads a directory asset as a ``.zip``, which is not one."""

from __future__ import annotations

from pathlib import Path

from ._validation import Problem

GZIP_MAGIC = b"\x1f\x8b"  # RFC 1952: ID1, ID2


def asset_problems(prop: str, path: str) -> list[Problem]:
    """A path that is not an existing ``.tar.gz`` file starting with gzip's magic bytes."""
    file = Path(path)
    if file.is_dir():
        rule = (
            "must be a .tar.gz file, not a directory: CDK uploads a directory asset as a .zip archive, which "
            f"SageMaker Neo cannot read; pack it first: tar -czf model.tar.gz -C {path} ."
        )
        return [Problem(prop, path, rule)]
    if not path.endswith(".tar.gz"):
        return [Problem(prop, path, "must be a .tar.gz file")]
    if not file.is_file():
        return [Problem(prop, path, "must be an existing file")]
    with file.open("rb") as stream:
        magic = stream.read(len(GZIP_MAGIC))
    if magic != GZIP_MAGIC:
        rule = (
            f"must be gzip-compressed (a .tar.gz starts with the bytes 1f 8b; this one starts with {magic.hex(' ') or 'nothing'}): "
            "create it with tar -czf"
        )
        return [Problem(prop, path, rule)]
    return []
