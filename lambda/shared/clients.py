"""boto3 clients with explicit timeouts and retries, made on first use.

botocore's defaults (60 s connect and read timeouts, legacy retries with 5
attempts) let one slow call outlive the margin an invocation keeps for its
answer. Every client here uses :data:`CONFIG`: one call, retries included,
ends within :data:`CALL_WORST_SECONDS`, which the engine's margin is sized from.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.validate import ParamValidator

CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 10.0
TOTAL_MAX_ATTEMPTS = 2
# Standard mode waits up to 1 s (random * 2**0) before the second attempt.
CALL_WORST_SECONDS = TOTAL_MAX_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + 1.0
CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS},
)


class Clients:
    """The clients one handler uses, made on first use; tests assign fakes.

    Only the services named at construction exist: ``Clients("sagemaker")`` has
    no ``s3``.
    """

    def __init__(self, *services: str) -> None:
        object.__setattr__(self, "_services", frozenset(services))
        object.__setattr__(self, "_made", {})

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_") or service not in self._services:
            raise AttributeError(service)
        if service not in self._made:
            self._made[service] = boto3.client(service.rstrip("_"), config=CONFIG)
        return self._made[service]

    def __setattr__(self, service: str, client: Any) -> None:
        if service not in self._services:
            raise AttributeError(service)
        self._made[service] = client

    def has(self, service: str) -> bool:
        return service in self._services


@cache
def _sagemaker_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def request_problems(operation: str, params: dict[str, Any]) -> list[str]:
    """What the SageMaker service model says is wrong with a request: wrong types,
    missing required members, unknown members (each names the parameter). An
    operation the SageMaker model does not have (a kind of another API) is not
    checked here: its spec's own checks apply."""
    model = _sagemaker_model()
    if operation not in model.operation_names:
        return []
    shape = model.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    if not report.has_errors():
        return []
    return [line.strip() for line in report.generate_report().splitlines() if line.strip()]
