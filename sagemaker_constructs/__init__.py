"""sagemaker-constructs: SageMaker Neo compilation jobs and Augmented AI flow
definitions as AWS CDK v2 constructs.

The public names are imported on first use, so that the command-line tool
(``sagemaker-constructs jobs``) starts without loading aws_cdk.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compilation_job import CompilationJob, CompilationJobProps, CompilationMatrix, ICompilationJob
    from .flow_definition import (
        FlowDefinition,
        FlowDefinitionProps,
        HumanLoopRequestSource,
        IFlowDefinition,
        TaskPrice,
    )
    from .model_source import ModelSource, SearchFilter
    from .targets import (
        Framework,
        TargetDevice,
        TargetPlatform,
        TargetPlatformAccelerator,
        TargetPlatformArch,
        TargetPlatformOs,
    )

_EXPORTS = {
    "CompilationJob": "compilation_job",
    "CompilationJobProps": "compilation_job",
    "CompilationMatrix": "compilation_job",
    "ICompilationJob": "compilation_job",
    "FlowDefinition": "flow_definition",
    "FlowDefinitionProps": "flow_definition",
    "HumanLoopRequestSource": "flow_definition",
    "IFlowDefinition": "flow_definition",
    "TaskPrice": "flow_definition",
    "ModelSource": "model_source",
    "SearchFilter": "model_source",
    "Framework": "targets",
    "TargetDevice": "targets",
    "TargetPlatform": "targets",
    "TargetPlatformAccelerator": "targets",
    "TargetPlatformArch": "targets",
    "TargetPlatformOs": "targets",
}

# A literal list, so that type checkers see the lazily imported names as exported.
__all__ = [
    "CompilationJob",
    "CompilationJobProps",
    "CompilationMatrix",
    "FlowDefinition",
    "FlowDefinitionProps",
    "Framework",
    "HumanLoopRequestSource",
    "ICompilationJob",
    "IFlowDefinition",
    "ModelSource",
    "SearchFilter",
    "TargetDevice",
    "TargetPlatform",
    "TargetPlatformAccelerator",
    "TargetPlatformArch",
    "TargetPlatformOs",
    "TaskPrice",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sagemaker_constructs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
