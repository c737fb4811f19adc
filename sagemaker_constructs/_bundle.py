"""The handler asset, laid out without aws_cdk: the handler's own folder, the
shared modules, the wire contract and the installed crhelper package.

Kept apart from :mod:`._handler` (which imports aws_cdk, and so jsii and node) so
that the handler tests can bundle and import the handlers on an interpreter that
has only the handler's own dependencies: ``make test-py314`` runs them on Lambda's
Python 3.14 that way.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from . import _wire

PACKAGE_DIR = Path(__file__).resolve().parent


def handler_root() -> Path:
    """Where the handler code is: inside the package when installed from the
    wheel (``sagemaker_constructs/_lambda``), ``lambda/`` in the repository."""
    for candidate in (PACKAGE_DIR / "_lambda", PACKAGE_DIR.parent / "lambda"):
        if (candidate / "shared" / "engine.py").is_file():
            return candidate
    raise FileNotFoundError(f"handler code not found in {PACKAGE_DIR / '_lambda'} or {PACKAGE_DIR.parent / 'lambda'}")


def _copy_py_files(source: Path, target: Path) -> None:
    for path in sorted(source.glob("*.py")):
        shutil.copyfile(path, target / path.name)


def bundle_handler(kind: str, output_dir: str | Path) -> Path:
    """Lay out one handler's asset in ``output_dir``; returns that directory."""
    root = handler_root()
    target = Path(output_dir)
    target.mkdir(parents=True, exist_ok=True)
    _copy_py_files(root / "shared", target)
    _copy_py_files(root / kind, target)
    shutil.copyfile(Path(_wire.__file__), target / "_wire.py")
    # Located without importing it: importing crhelper imports boto3 (~0.3 s of synth).
    spec = importlib.util.find_spec("crhelper")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("crhelper is not installed; the handler asset needs it")
    crhelper_dir = Path(spec.origin).resolve().parent
    shutil.copytree(
        crhelper_dir,
        target / "crhelper",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        dirs_exist_ok=True,
    )
    return target
