"""A test-only handler for the widget kind, built as ``lambda/*/index.py`` builds theirs.

The modules are the bundled ones (``load_handler("compilation_job")``: the engine,
the adapter, crhelper); only the kind differs. The harness's ``Lifecycle`` makes
the clients with :func:`make_clients` and puts a :class:`FakeWidgets` in the
``sagemaker`` slot, as it puts the fake SageMaker there for the real kinds.

:class:`ServedWidget` is :class:`Widget` with one hook more: the adapter hands
every kind the SageMaker service model's validator (``clients.request_problems``),
which has no ``CreateWidget``: the plain kind's every request fails with
``Unexpected OperationNotFoundError`` (``test_widget_handler.py`` keeps that as
an expected failure). The served kind validates against the widget API instead.
"""

from __future__ import annotations

import types
from typing import Any

from tests.harness import load_handler

from .widgets import Widget, engine

_BUNDLE = load_handler("compilation_job")
SERVICES = ("sagemaker", "cloudformation", "lambda_")
_MEMBERS = {"WidgetName", "Size", "Tags"}


def widget_request_problems(operation: str, params: dict[str, Any]) -> list[str]:
    """The widget API's own check of a CreateWidget request (each problem names its member)."""
    problems = [f"{operation}: unknown member {key}" for key in sorted(set(params) - _MEMBERS)]
    if not str(params.get("Size", "")).isdigit():
        problems.append(f"{operation}: Size must be a whole number (got {params.get('Size')!r})")
    return problems


class ServedWidget(Widget):
    def parse(self, resource_properties: Any, validate: Any) -> Any:
        return super().parse(resource_properties, widget_request_problems)


KIND = ServedWidget()


def make_clients() -> Any:
    return _BUNDLE.clients.Clients(*SERVICES)


def load(kind: Any = KIND) -> types.SimpleNamespace:
    """The handler namespace ``load_handler`` returns, with an index serving ``kind``."""
    handler = _BUNDLE.adapter.lambda_handler(kind, make_clients)
    index = types.SimpleNamespace(KIND=kind, SERVICES=SERVICES, make_clients=make_clients, handler=handler)
    return types.SimpleNamespace(**{**vars(_BUNDLE), "index": index})


__all__ = ["KIND", "ServedWidget", "engine", "load", "make_clients"]
