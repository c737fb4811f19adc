"""The wheel: what it carries, what it declares, and that an app synthesizes from it alone.

The wheel is built from a copy of the source tree (so the build leaves nothing
in the repository), installed with ``--no-deps`` into a temporary venv that
borrows the outer venv's dependencies through a plain path line, and a small
app is synthesized from an unrelated directory. The path line does not process
the outer venv's ``.pth`` files, so the editable install of this repository is
not active there: the app imports the wheel's copy, and the handler code comes
from ``sagemaker_constructs/_lambda`` or nowhere.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from sagemaker_constructs import _wire

REPO = Path(__file__).resolve().parent.parent
HANDLER_KINDS = tuple(declared.folder for declared in _wire.KINDS)  # each kind's handler folder and package
# What every handler asset needs at run time (lambda/shared, the wire contract, crhelper).
HANDLER_RUNTIME_FILES = (
    "index.py",
    "spec.py",
    "engine.py",
    "adapter.py",
    "properties.py",
    "clients.py",
    "aws_calls.py",
    "_wire.py",
    "crhelper/__init__.py",
)
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "cdk.out",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".bench",
    ".py314",  # the Python 3.14 root of make test-py314: hundreds of MB, not source
)

APP = """
import json
import sys

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

import sagemaker_constructs
from sagemaker_constructs import CompilationJob, FlowDefinition, Framework, ModelSource, TargetDevice
from sagemaker_constructs._handler import handler_root

app = cdk.App(outdir=sys.argv[1])
stack = cdk.Stack(app, "FromWheel", env=cdk.Environment(account="111111111111", region="eu-west-1"))
bucket = s3.Bucket(stack, "Bucket")
CompilationJob(
    stack, "Compile",
    model=ModelSource.from_bucket(bucket, "models/model.tar.gz"),
    framework=Framework.PYTORCH,
    framework_version="2.0",
    target_device=TargetDevice.ML_C5,
    output_bucket=bucket,
)
FlowDefinition(
    stack, "Review",
    workteam_arn=stack.format_arn(service="sagemaker", resource="workteam", resource_name="private-crowd/team"),
    human_task_ui_arn=stack.format_arn(service="sagemaker", resource="human-task-ui", resource_name="ui"),
    task_title="Review",
    task_description="Review the result",
    output_bucket=bucket,
)
assembly = app.synth()
template = assembly.get_stack_by_name("FromWheel").template
functions = sorted(
    name for name, resource in template["Resources"].items() if resource["Type"] == "AWS::Lambda::Function"
)
custom_types = sorted({resource["Type"] for resource in template["Resources"].values()} & {
    declared.resource_type for declared in sagemaker_constructs._wire.KINDS
})
print(json.dumps({
    "custom_types": custom_types,
    "package": sagemaker_constructs.__file__,
    "handler_root": str(handler_root()),
    "functions": functions,
    "sys_path": sys.path,
}))
"""


def _fail(what: str, result: subprocess.CompletedProcess[str]) -> str:
    return f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env.update(PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1", JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("build") is None:
        pytest.skip("the 'build' package is not installed")
    source = tmp_path_factory.mktemp("source") / "sagemaker-constructs"
    shutil.copytree(REPO, source, ignore=COPY_IGNORE)
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        env=_clean_env(),
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, _fail("building the wheel", result)
    wheels = list(out.glob("sagemaker_constructs-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def metadata(wheel: Path) -> dict[str, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(archive.read(name).decode("utf-8"))
    keys = ("Name", "Requires-Dist", "Requires-Python", "License-Expression", "License-File", "Project-URL")
    return {key: message.get_all(key) or [] for key in keys}


# --- what the wheel carries ------------------------------------------------------------
@pytest.mark.parametrize("folder", ["shared", *HANDLER_KINDS])
def test_wheel_carries_the_handler_code_of(wheel_names: set[str], folder: str) -> None:
    expected = {f"sagemaker_constructs/_lambda/{folder}/{p.name}" for p in (REPO / "lambda" / folder).glob("*.py")}
    assert expected, f"lambda/{folder} has no modules"
    assert expected <= wheel_names, sorted(expected - wheel_names)


def test_wheel_ships_py_typed(wheel_names: set[str]) -> None:
    assert "sagemaker_constructs/py.typed" in wheel_names


def test_wheel_has_no_top_level_lambda_or_test_packages(wheel_names: set[str]) -> None:
    top_level = {name.split("/", 1)[0] for name in wheel_names if "/" in name and ".dist-info/" not in name}
    assert top_level == {"sagemaker_constructs"}


# --- what it declares --------------------------------------------------------------------
def test_wheel_carries_the_apache_license_its_metadata_declares(
    wheel_names: set[str], metadata: dict[str, list[str]]
) -> None:
    assert metadata["License-Expression"] == ["Apache-2.0"]
    assert metadata["License-File"] == ["LICENSE"]
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in wheel_names)
    assert "Apache License" in (REPO / "LICENSE").read_text(encoding="utf-8")


def test_wheel_declares_project_urls(metadata: dict[str, list[str]]) -> None:
    labels = {entry.split(",", 1)[0].strip().lower() for entry in metadata["Project-URL"]}
    assert {"homepage", "documentation", "changelog", "issues"} <= labels


@pytest.mark.parametrize("package", HANDLER_KINDS)
def test_wheel_carries_each_construct_package(wheel_names: set[str], package: str) -> None:
    expected = {
        f"sagemaker_constructs/{package}/{p.name}" for p in (REPO / "sagemaker_constructs" / package).glob("*.py")
    }
    assert expected and expected <= wheel_names, sorted(expected - wheel_names)


def _requirements(metadata: dict[str, list[str]]) -> dict[str, Requirement]:
    parsed = [Requirement(line) for line in metadata["Requires-Dist"]]
    return {r.name.lower(): r for r in parsed if r.marker is None}


def test_wheel_is_named_sagemaker_constructs(metadata: dict[str, list[str]]) -> None:
    assert metadata["Name"] == ["sagemaker-constructs"]


@pytest.mark.parametrize(("dependency", "major"), [("aws-cdk-lib", 2), ("constructs", 10)])
def test_cdk_dependencies_are_lower_bounded_ranges(metadata: dict[str, list[str]], dependency: str, major: int) -> None:
    spec = _requirements(metadata)[dependency].specifier
    assert [s for s in spec if s.operator == ">="], f"{dependency} has no lower bound: {spec}"
    assert not [s for s in spec if s.operator in ("==", "===", "~=")], f"{dependency} is pinned: {spec}"
    assert spec.contains(importlib.metadata.version(dependency)), "the tested version is outside the range"
    assert spec.contains(f"{major}.999.0"), f"later {major}.x releases are excluded: {spec}"
    assert not spec.contains(f"{major - 1}.999.0"), f"{major - 1}.x is accepted: {spec}"


def test_crhelper_is_pinned_exactly(metadata: dict[str, list[str]]) -> None:
    # The handler adapter overrides crhelper internals (lambda/shared/adapter.py): any other release must be reviewed.
    spec = _requirements(metadata)["crhelper"].specifier
    assert spec.contains("2.0.12")
    assert not spec.contains("2.0.13") and not spec.contains("2.0.11")


# --- an app synthesizes from the installed wheel alone ------------------------------------
@pytest.fixture(scope="module")
def wheel_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the wheel; the dependencies come from the outer venv.

    (``--system-site-packages`` would expose the base interpreter's packages,
    not this venv's: the outer environment is itself a venv.)"""
    root = tmp_path_factory.mktemp("wheel-venv") / "venv"
    try:
        venv.EnvBuilder(with_pip=False).create(root)
    except (OSError, subprocess.CalledProcessError) as error:  # pragma: no cover - environment-specific
        pytest.skip(f"cannot create a venv here: {error}")
    python = root / "bin" / "python"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        env=_clean_env(),
        check=False,
        timeout=300,
    )
    assert install.returncode == 0, _fail("pip install --no-deps", install)
    own_site = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # A path line, appended after the venv's own site-packages; unlike site.addsitedir
    # it runs none of the outer .pth files (the editable install of this repository).
    outer_site = sysconfig.get_path("purelib")
    (Path(own_site) / "outer_dependencies.pth").write_text(outer_site + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def synthesized_from_wheel(wheel_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, Path]:
    workdir = tmp_path_factory.mktemp("unrelated-app")
    (workdir / "app.py").write_text(textwrap.dedent(APP), encoding="utf-8")
    outdir = workdir / "cdk.out"
    result = subprocess.run(
        [str(wheel_venv / "bin" / "python"), "-s", "app.py", str(outdir)],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=_clean_env(),
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, _fail("synthesizing from the wheel", result)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report, outdir, wheel_venv


def test_app_imports_the_wheel_not_the_repository(synthesized_from_wheel: tuple[dict, Path, Path]) -> None:
    report, _, venv_root = synthesized_from_wheel
    assert Path(report["package"]).resolve().is_relative_to(venv_root.resolve())
    assert Path(report["handler_root"]).resolve() == Path(report["package"]).resolve().parent / "_lambda"
    assert not any(Path(p).resolve() == REPO for p in report["sys_path"] if p)


def test_app_from_the_wheel_makes_every_declared_kind(synthesized_from_wheel: tuple[dict, Path, Path]) -> None:
    """The app above makes one resource of each kind: a new kind adds one there."""
    report, _, _ = synthesized_from_wheel
    assert report["custom_types"] == sorted(declared.resource_type for declared in _wire.KINDS)


def test_app_from_the_wheel_has_one_handler_per_kind(synthesized_from_wheel: tuple[dict, Path, Path]) -> None:
    report, _, _ = synthesized_from_wheel
    assert len(report["functions"]) == len(HANDLER_KINDS), report["functions"]


def _handler_assets(outdir: Path) -> dict[str, Path]:
    """Asset directories holding a handler, keyed by the handler's kind."""
    found: dict[str, Path] = {}
    for asset in outdir.glob("asset.*"):
        index = asset / "index.py"
        if index.is_file():
            (kind,) = [
                k for k in HANDLER_KINDS if (REPO / "lambda" / k / "index.py").read_bytes() == index.read_bytes()
            ]
            found[kind] = asset
    return found


@pytest.mark.parametrize("kind", HANDLER_KINDS)
@pytest.mark.parametrize("needed", HANDLER_RUNTIME_FILES)
def test_handler_asset_from_the_wheel_holds(
    synthesized_from_wheel: tuple[dict, Path, Path], kind: str, needed: str
) -> None:
    _, outdir, _ = synthesized_from_wheel
    assets = _handler_assets(outdir)
    assert kind in assets, f"no {kind} handler asset in {sorted(p.name for p in outdir.iterdir())}"
    assert (assets[kind] / needed).is_file()


def test_public_names_are_exported_for_type_checkers() -> None:
    """``__all__`` is a literal list (type checkers read it) naming exactly the lazily imported names."""
    import sagemaker_constructs

    assert sagemaker_constructs.__all__ == sorted(sagemaker_constructs._EXPORTS)
