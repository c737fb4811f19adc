"""CompilationJob: compile a trained model with SageMaker Neo during ``cdk deploy``.

- :mod:`.construct`: the construct, the imported jobs and ``ICompilationJob``;
- :mod:`.props`: ``CompilationJobProps`` and their validation (a function of the props);
- :mod:`.data_input`: ``InputConfig.DataInputConfig``, checked and rendered;
- :mod:`.request`: the CreateCompilationJob request, one function per API block;
- :mod:`.grants`: the job role's, the handler's and the readers' IAM;
- :mod:`.serving`: the cloud hand-off (``to_model``, ``container_definition``);
- :mod:`.edge`: the edge hand-off (``to_greengrass_component``, ``grant_device_read``);
- :mod:`.matrix`: ``CompilationMatrix``, one model compiled for many targets.
"""

from .construct import CompilationJob, ICompilationJob
from .matrix import CompilationMatrix
from .props import CompilationJobProps

__all__ = ["CompilationJob", "CompilationJobProps", "CompilationMatrix", "ICompilationJob"]
