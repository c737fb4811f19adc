"""The README's Quick start runs as written, from an empty directory, as a new user would run it.

The section's ```bash blocks are the commands, run in order by one bash in a new temporary
directory; a fenced block right after a line naming a file (`` `app.py`: ``) is that file, written
where the commands have ``cd``-ed to when they reach it. Three commands cannot run offline
or would build in this checkout, so each is replaced by its offline equivalent, and the test fails
if the README no longer has it word for word:

- ``git clone`` becomes a symlink to this checkout (the commands only read from it);
- ``python3 -m venv .venv && .venv/bin/pip install ../sagemaker-constructs`` becomes a venv
  holding the wheel built from this checkout (the fixtures of tests/test_packaging.py);
- ``npx aws-cdk@<pin>`` becomes the pinned CLI in this checkout's node_modules.

The environment has AWS credentials, as a user's has, and no ``JSII_SILENCE_WARNING_*`` or
``AWS_SDK_JS_*`` variable (the Makefile and tests/conftest.py set one), so only what the Quick start
itself says can silence the Node banners of jsii and of the CLI's AWS SDK.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests import test_packaging
from tests.test_readme import Block, blocks

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SECTION = "## Quick start"
FILE_CAPTION = re.compile(r"^`([\w.-]+)`(?:,.*)?:\s*$")  # "`app.py`:" or "`cdk.json`, which ...:"
CLI_PIN = json.loads((REPO / "package.json").read_text(encoding="utf-8"))["devDependencies"]["aws-cdk"]
# jsii's banner (a frame of "!!" around "Node 20 is end-of-life and not supported anymore ..."), and
# the CLI's AWS SDK warning when credentials are set ("... will require node >=22 ... upgrade to node >=22").
BANNER = re.compile(
    r"!!!!|end-of-life|not supported anymore|is unsupported|upgrade to node|require node", re.IGNORECASE
)
EXPECTED_RESOURCES = {
    "AWS::S3::Bucket": 1,
    "Custom::SageMakerCompilationJob": 1,
    "AWS::SageMaker::Model": 1,
    "AWS::Lambda::Function": 1,
}

# The fixtures that build the wheel and a venv holding it (module-scoped: built once here too).
wheel = test_packaging.wheel
wheel_venv = test_packaging.wheel_venv


def quick_start_section(text: str) -> str:
    start = text.index(f"\n{SECTION}\n") + 1
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else len(text)]


def steps(section: str) -> list[tuple[str, Block]]:
    """("run", block) for each bash block, ("file:<name>", block) for each captioned file, in order."""
    found: list[tuple[str, Block]] = []
    lines = section.splitlines()
    for block in blocks(section):
        before = [line for line in lines[: block.line - 1] if line.strip()]
        caption = FILE_CAPTION.match(before[-1]) if before else None
        if caption:
            found.append((f"file:{caption.group(1)}", block))
        elif block.language == "bash":
            found.append(("run", block))
    return found


def offline_substitutes(venv_root: Path) -> dict[str, str]:
    return {
        "git clone <this repository> sagemaker-constructs": f"ln -s {REPO} sagemaker-constructs",
        "python3 -m venv .venv && .venv/bin/pip install ../sagemaker-constructs": f"ln -s {venv_root} .venv",
        f"npx aws-cdk@{CLI_PIN} synth": f"{REPO}/node_modules/.bin/cdk synth",
    }


def script_for(section: str, venv_root: Path) -> tuple[str, set[str]]:
    """The bash script the Quick start amounts to, and the substituted commands it did not contain."""
    substitutes = offline_substitutes(venv_root)
    unused = set(substitutes)
    script = ["set -euo pipefail"]
    for kind, block in steps(section):
        if kind == "run":
            for line in block.code.splitlines():
                command = line.split("  #", 1)[0].strip()
                if command in substitutes:
                    unused.discard(command)
                    line = substitutes[command]
                script.append(line)
        else:
            name = kind.removeprefix("file:")
            script.append(f"cat > {name} <<'QUICK_START_EOF'\n{block.code}QUICK_START_EOF")
    return "\n".join(script) + "\n", unused


def user_environment() -> dict[str, str]:
    env = test_packaging._clean_env()
    for name in [n for n in env if n.startswith("JSII_SILENCE_")]:
        del env[name]
    for name in [n for n in env if n.startswith("AWS_SDK_JS_")]:
        del env[name]
    # A user with credentials: the CLI then makes SDK clients, and the SDK warns about old Node versions.
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    env.update(AWS_EC2_METADATA_DISABLED="true", CDK_DISABLE_CLI_TELEMETRY="true")  # no network from the test
    return env


@pytest.fixture(scope="module")
def quick_start_run(wheel_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    home = tmp_path_factory.mktemp("empty")
    assert not any(home.iterdir())
    script, unused = script_for(quick_start_section(README.read_text(encoding="utf-8")), wheel_venv)
    assert not unused, f"the Quick start no longer has these commands word for word: {sorted(unused)}"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=home,
        capture_output=True,
        text=True,
        env=user_environment(),
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, test_packaging._fail(f"the Quick start\n{script}", result)
    return home, result.stdout, result.stderr


def test_quick_start_shows_the_files_it_needs() -> None:
    names = [kind for kind, _ in steps(quick_start_section(README.read_text(encoding="utf-8")))]
    assert {"file:app.py", "file:cdk.json"} <= set(names), names


def test_quick_start_synthesizes_the_job_and_its_model(quick_start_run: tuple[Path, str, str]) -> None:
    home, stdout, _ = quick_start_run
    templates = list(home.glob("**/cdk.out/Vision.template.json"))
    assert len(templates) == 1, sorted(str(p.relative_to(home)) for p in home.glob("**/cdk.out/*"))
    resources = json.loads(templates[0].read_text(encoding="utf-8"))["Resources"].values()
    types = [resource["Type"] for resource in resources]
    assert {t: types.count(t) for t in EXPECTED_RESOURCES} == EXPECTED_RESOURCES
    assert "Custom::SageMakerCompilationJob" in stdout  # cdk synth prints the template


def test_quick_start_prints_no_node_banner(quick_start_run: tuple[Path, str, str]) -> None:
    _, stdout, stderr = quick_start_run
    banner = [line for line in (stdout + stderr).splitlines() if BANNER.search(line)]
    assert not banner, "\n".join(banner)


def test_steps_read_commands_and_captioned_files() -> None:
    section = "## Quick start\n\n```bash\nmkdir a\n```\n\n`app.py`:\n\n```python\nx = 1\n```\n\n```json\n{}\n```\n"
    assert [(kind, block.code) for kind, block in steps(section)] == [("run", "mkdir a\n"), ("file:app.py", "x = 1\n")]
