"""A resource kind: the declarative part, and hooks for its own steps.

Each handler's :mod:`spec` subclasses :class:`Kind`, sets the class
attributes (its API operations, status sets, fields) and overrides the
hooks it needs; every hook has a default that fits a resource with no
special steps. The engine reads nothing else about a kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import properties
from outcomes import compose_reason
from properties import Desired

if TYPE_CHECKING:
    from invocation import Run


@dataclass(frozen=True)
class Statuses:
    """The status field of a Describe* answer and what its values mean."""

    field: str
    succeeded: frozenset[str]
    waiting: frozenset[str]  # on its way: wait
    failed: frozenset[str]  # ended badly
    stopping: frozenset[str] = frozenset()  # leaving a running state after a Stop
    deleting: frozenset[str] = frozenset()  # on its way out after a Delete

    def leaving(self, status: str) -> bool:
        """Stopping or being deleted: neither waiting nor at rest."""
        return status in self.stopping or status in self.deleting


def _options(desired: Desired) -> dict[str, Any]:
    """The options, JSON strings read as their values (``ModelSource`` is one)."""
    return {key: properties.json_or_text(value) for key, value in desired.options.items()}


class Kind:
    """A resource kind. ``delete_method`` None: the API cannot delete it (removing
    it means stopping it, if it runs, and leaving it ended); ``failure_field`` None:
    the API gives no reason for a failure."""

    noun: str  # "compilation job"
    resource_type: str
    name_property: str
    name_pattern: re.Pattern[str]
    arn_field: str
    statuses: Statuses
    create_operation: str  # the API name, for the service-model check: "CreateCompilationJob"
    create_method: str  # the client method: "create_compilation_job"
    describe_method: str
    delete_method: str | None
    stop_method: str | None = None
    created_field: str | None = "CreationTime"  # with the ARN, tells a re-made resource from the old one
    failure_field: str | None = "FailureReason"
    min_describe_interval: float = 5.0
    deadline_margin: float = 180.0  # answer this long before ServiceTimeout
    default_service_timeout: int = 3600
    # A resource still deleting this long after it was first seen deleting counts as
    # removed (its delete was accepted and cannot be undone); None: wait until it is gone.
    deleting_is_gone_after: float | None = None
    failure_lead = "The resource ended badly; details in the handler's CloudWatch log."

    # -- reading properties ------------------------------------------------------
    def parse(self, resource_properties: Any, validate: properties.Validator | None) -> Desired:
        return properties.parse(
            resource_properties,
            name_property=self.name_property,
            name_pattern=self.name_pattern,
            operation=self.create_operation,
            default_service_timeout=self.default_service_timeout,
            validate=validate,
            extra_checks=self.check,
        )

    def check(self, desired: Desired) -> list[str]:
        """Kind-specific problems of properties that parsed."""
        return []

    # -- comparing: one normalizing comparison ----------------------------------------
    def differences(
        self, request: dict[str, Any], described: dict[str, Any], also: dict[str, Any] | None = None
    ) -> list[str]:
        """The fields in which ``described`` differs from ``request``, after normalizing."""
        raise NotImplementedError

    def comparable(self, desired: Desired, existing: dict[str, Any]) -> dict[str, Any]:
        """The request to compare with ``existing``."""
        return desired.request

    def changed_besides_tags(self, desired: Desired, previous: Desired) -> bool:
        """Whether anything but tags and the name changed (a new name is a replacement, not a change),
        by the same normalizing comparison as :meth:`differences` (subnet order, JSON spacing ...)."""
        changed = self.differences(desired.request, previous.request, previous.request)
        return bool(changed) or _options(desired) != _options(previous)

    def is_rollback(self, run: Run, desired: Desired, previous: Desired, existing: dict[str, Any]) -> bool:
        """An update rollback: the resource there was made from ``desired`` (the
        version being returned to), not from ``previous`` (the failed one)."""
        return bool(self.differences(self.comparable(previous, existing), existing, desired.request))

    # -- the kind's own steps ---------------------------------------------------------
    def resolve(self, run: Run, desired: Desired, existing: dict[str, Any] | None) -> dict[str, str]:
        """Fill in what is known only at deploy time; returns extra attributes.
        ``existing`` is a resource of this name being compared or adopted."""
        return {}

    def recall(self, run: Run, desired: Desired, existing: dict[str, Any]) -> dict[str, str]:
        """The extra attributes of ``existing``, adopted as it is (a tags-only
        update): what it was made from, without choosing again."""
        return self.resolve(run, desired, existing)

    def before_create(self, run: Run, desired: Desired) -> None:
        """A step just before the Create* call."""

    def create_retry_seconds(self, error: BaseException) -> float:
        """How long a Create* that failed with ``error`` may be retried (0: not at all)."""
        return 0.0

    # -- answers -------------------------------------------------------------------
    def attributes(self, described: dict[str, Any], extra: dict[str, str]) -> dict[str, str]:
        raise NotImplementedError

    def reason_key(self, name: str, status: str) -> str:
        """The part of a reason that a cut never removes."""
        return f"{self.noun.capitalize()} {name} status {status}"

    def failure_reason(self, name: str, described: dict[str, Any]) -> str:
        """Lead, then name and status, then SageMaker's reason: a 256-character cut keeps the last two."""
        status = str(described.get(self.statuses.field, ""))
        detail = (described.get(self.failure_field) if self.failure_field else None) or "no reason given"
        return compose_reason(self.failure_lead, self.reason_key(name, status), str(detail))

    def name_kwargs(self, name: str) -> dict[str, str]:
        return {self.name_property: name}

    def identity(self, described: dict[str, Any]) -> dict[str, str]:
        """What tells this resource from one made again under its name."""
        found = {"Arn": str(described.get(self.arn_field, ""))}
        if self.created_field and described.get(self.created_field) is not None:
            found["CreationTime"] = str(described[self.created_field])
        return found
