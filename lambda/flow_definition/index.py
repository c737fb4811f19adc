"""Custom::SageMakerFlowDefinition: the Lambda entry point.

One function per stack serves every FlowDefinition in it. Flow definitions
become Active in seconds, so a request is usually answered from its own
invocation; the engine hands over like any other kind when it is not.
"""

from __future__ import annotations

import adapter
import clients
import spec

KIND = spec.KIND
SERVICES = ("sagemaker", "cloudformation", "lambda_")


def make_clients() -> clients.Clients:
    return clients.Clients(*SERVICES)


handler = adapter.lambda_handler(KIND, make_clients)
