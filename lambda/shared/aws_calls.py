"""Reading botocore errors, and retrying a call within a time bound.

Pure: no boto3 client is made here; the call, the clock and the bound are
passed in. botocore's own retries are configured once, in :mod:`clients`,
so one attempt here costs at most :data:`clients.CALL_WORST_SECONDS`.
"""

from __future__ import annotations

import datetime
import logging
import random
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

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
# Worth waiting out on a create: the account's concurrent-job limit frees up as other jobs end.
CREATE_RETRY_CODES = THROTTLING_CODES | SERVER_CODES | {"ResourceLimitExceeded"}
READ_RETRY_CODES = THROTTLING_CODES | SERVER_CODES
# botocore's exceptions for "the network, not the request" (by name: this module imports no botocore).
NETWORK_ERRORS = frozenset(
    {
        "ConnectionError",
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
        "ProxyConnectionError",
    }
)
MAX_BACKOFF_SECONDS = 20.0


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class GaveUp(Exception):
    """A retryable error went on until the time bound; the message names the call and the error."""

    def __init__(self, message: str, last: BaseException) -> None:
        super().__init__(message)
        self.last = last


def error_code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def error_message(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", "")) or str(error)


def http_status(error: BaseException) -> int:
    response = getattr(error, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def describe_error(error: BaseException) -> str:
    """``Code: message`` for an AWS error, ``Type: message`` for anything else."""
    code = error_code(error) or type(error).__name__
    return f"{code}: {error_message(error)}"


def is_network_error(error: BaseException) -> bool:
    return any(cls.__name__ in NETWORK_ERRORS for cls in type(error).__mro__)


def is_throttling(error: BaseException) -> bool:
    return error_code(error) in THROTTLING_CODES


def is_retryable(error: BaseException, codes: frozenset[str]) -> bool:
    if is_network_error(error):
        return True
    if not hasattr(error, "response"):
        return False
    return error_code(error) in codes or http_status(error) >= 500


def is_not_found(error: BaseException) -> bool:
    """SageMaker says "not found" as ResourceNotFound or as a ValidationException."""
    code = error_code(error)
    if code in ("ResourceNotFound", "ResourceNotFoundException"):
        return True
    message = error_message(error).lower()
    return code == "ValidationException" and ("not found" in message or "does not exist" in message)


def backoff(attempt: int, rng: random.Random) -> float:
    """1, 2, 4 … 20 s, plus up to a second of jitter."""
    return min(2.0 ** (attempt - 1), MAX_BACKOFF_SECONDS) + rng.uniform(0.0, 1.0)


def call_with_retry(
    call: Callable[[], T],
    *,
    what: str,
    clock: Clock,
    until: float,
    rng: random.Random,
    codes: frozenset[str] = READ_RETRY_CODES,
) -> T:
    """Run ``call``; on a retryable error back off and try again while the
    next attempt would start before ``until``. Other errors propagate; at the
    bound, :class:`GaveUp` names the call and the last error."""
    attempt = 0
    while True:
        try:
            return call()
        except Exception as error:
            if not is_retryable(error, codes):
                raise
            attempt += 1
            delay = backoff(attempt, rng)
            if clock.now() + delay >= until:
                raise GaveUp(
                    f"{what} still failed after {attempt} attempt{'s' if attempt > 1 else ''}: {describe_error(error)}",
                    error,
                ) from error
            logger.warning("%s: %s, retrying in %.1f s", what, error_code(error) or type(error).__name__, delay)
            clock.sleep(delay)


def paged(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> list[Any]:
    """Every item under ``key`` of a NextToken-paged call."""
    items: list[Any] = []
    while True:
        page = call(**kwargs)
        items.extend(page.get(key) or [])
        token = page.get("NextToken")
        if not token:
            return items
        kwargs["NextToken"] = token


def epoch(value: Any) -> float | None:
    """An AWS timestamp (a datetime from boto3, epoch seconds, or ISO 8601) as epoch
    seconds; None for anything else."""
    if isinstance(value, datetime.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=datetime.UTC)).timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return epoch(datetime.datetime.fromisoformat(value))
        except ValueError:
            return None
    return None
