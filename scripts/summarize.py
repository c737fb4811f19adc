"""Print a short summary of each stack in a cloud assembly directory.

For every stack: its sagemaker-constructs custom resources (type, name,
target and framework) and its outputs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def summarize(template: dict[str, Any]) -> list[str]:
    lines = []
    for logical_id, resource in sorted(template.get("Resources", {}).items()):
        kind = resource.get("Type", "")
        props = resource.get("Properties", {})
        if kind == "Custom::SageMakerCompilationJob":
            output = props.get("OutputConfig", {})
            target = output.get("TargetDevice") or _text(output.get("TargetPlatform"))
            framework = props.get("InputConfig", {}).get("Framework", "(model package)")
            lines.append(
                f"  {kind} {logical_id}: name={props.get('CompilationJobName')} target={target} framework={framework}"
            )
        elif kind == "Custom::SageMakerFlowDefinition":
            source = props.get("HumanLoopRequestSource", {}).get("AwsManagedHumanLoopRequestSource", "custom task")
            lines.append(f"  {kind} {logical_id}: name={props.get('FlowDefinitionName')} source={source}")
    functions = [k for k, v in template.get("Resources", {}).items() if v.get("Type") == "AWS::Lambda::Function"]
    lines.append(f"  Lambda functions: {len(functions)}")
    outputs = template.get("Outputs", {})
    lines.append(f"  Outputs ({len(outputs)}):")
    for name, output in sorted(outputs.items()):
        lines.append(f"    {name} = {_text(output.get('Value'))}")
    return lines


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "cdk.out")
    manifest = json.loads((out / "manifest.json").read_text())
    for name, artifact in sorted(manifest.get("artifacts", {}).items()):
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = json.loads((out / artifact["properties"]["templateFile"]).read_text())
        print(f"Stack {name}")
        print("\n".join(summarize(template)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
