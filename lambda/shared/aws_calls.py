"""Retrying AWS calls within a deadline, and reading botocore errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import cfn_resource
from botocore.exceptions import ConnectionClosedError, ConnectionError, ReadTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "SlowDown",
    }
)
SERVER_CODES = frozenset({"InternalFailure", "InternalServerError", "ServiceUnavailable", "InternalError"})
# Worth waiting out on a create: the account's concurrent-job limit frees up
# as other jobs end.
CREATE_RETRY_CODES = THROTTLING_CODES | SERVER_CODES | {"ResourceLimitExceeded"}
READ_RETRY_CODES = THROTTLING_CODES | SERVER_CODES

MAX_BACKOFF_SECONDS = 20.0


def error_code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def error_message(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", "")) or str(error)


def http_status(error: BaseException) -> int:
    response = getattr(error, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_retryable(error: BaseException, codes: frozenset[str]) -> bool:
    if isinstance(error, (ConnectionError, ReadTimeoutError, ConnectionClosedError)):
        return True  # the network, not the request: worth another try
    if not hasattr(error, "response"):
        return False
    return error_code(error) in codes or http_status(error) >= 500


def call_with_retry(
    call: Callable[[], T],
    *,
    what: str,
    deadline: float,
    codes: frozenset[str] = READ_RETRY_CODES,
) -> T:
    """Run ``call``; on a retryable error back off (1, 2, 4 … 20 s, with
    jitter) and try again while the deadline allows. Other errors propagate.
    When the deadline is reached, raise :class:`cfn_resource.Failure` naming
    the call and the last error."""
    attempt = 0
    while True:
        try:
            return call()
        except Exception as error:
            if not is_retryable(error, codes):
                raise
            attempt += 1
            delay = cfn_resource.jitter(min(2.0 ** (attempt - 1), MAX_BACKOFF_SECONDS), 1.0)
            if cfn_resource.clock.now() + delay >= deadline:
                raise cfn_resource.Failure(
                    f"{what} still failed after {attempt} attempts before the deadline: "
                    f"{error_code(error) or http_status(error)}: {error_message(error)}"
                ) from error
            logger.warning("%s: %s, retrying in %.1f s", what, error_code(error), delay)
            cfn_resource.clock.sleep(delay)


def is_not_found(error: BaseException) -> bool:
    """SageMaker says "not found" as ResourceNotFound or as a ValidationException."""
    code = error_code(error)
    if code in ("ResourceNotFound", "ResourceNotFoundException"):
        return True
    message = error_message(error).lower()
    return code == "ValidationException" and ("not found" in message or "does not exist" in message)


def describe_or_none(
    describe: Callable[..., dict[str, Any]], *, deadline: float, **kwargs: Any
) -> dict[str, Any] | None:
    """Describe a resource; ``None`` when it does not exist."""
    try:
        return call_with_retry(lambda: describe(**kwargs), what=describe.__name__, deadline=deadline)
    except cfn_resource.Failure:
        raise
    except Exception as error:
        if is_not_found(error):
            return None
        raise
