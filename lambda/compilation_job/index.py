"""Custom::SageMakerCompilationJob: the Lambda entry point.

One function per stack serves every CompilationJob in it. The engine
(``engine.py``) decides, the kind (``spec.py``) describes compilation jobs,
and the adapter (``adapter.py``) runs both on crhelper. A job that outlives
one invocation is handed over to the next by the function invoking itself.
"""

from __future__ import annotations

import adapter
import clients
import spec

KIND = spec.KIND
SERVICES = ("sagemaker", "s3", "cloudformation", "lambda_")


def make_clients() -> clients.Clients:
    return clients.Clients(*SERVICES)


handler = adapter.lambda_handler(KIND, make_clients)
