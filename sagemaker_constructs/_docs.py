"""What ``help(CompilationJob)`` and ``help(FlowDefinition)`` show: the props.

A construct's props are documented once, in its props ``TypedDict`` (``:param name: text``, with
the API field and ``Default: ...`` or ``Required``). :func:`documented_by` renders them, with
each keyword's type from the annotations, into the constructor's docstring, and gives the class
a signature with those keywords. Without it, ``help()`` shows jsii's ``(*args, **kwargs)`` and
``constructs.Construct``'s "Creates a new construct node".
"""

from __future__ import annotations

import inspect
import re
import textwrap
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from constructs import Construct

C = TypeVar("C", bound=type)
_PARAM = re.compile(r":param (\w+): (.*?)(?=\n\s*:param |\Z)", re.DOTALL)
_WIDTH = 96


class _Default:
    """A default as the props document it (``= a new one with least privilege``), for the signature."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return self._text


def param_texts(props: type) -> dict[str, str]:
    """Each prop's ``:param`` text, on one line."""
    return {name: " ".join(text.split()) for name, text in _PARAM.findall(props.__doc__ or "")}


def type_text(hint: Any) -> str:
    """``Mapping[str, Any] | str | None`` for a hint, with classes by their plain names."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return "None"
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(type_text(a) for a in typing.get_args(hint))}]"
    return getattr(hint, "__name__", str(hint).removeprefix("typing."))


def _default_text(text: str) -> str:
    """The short form of a documented default: "Default: a new one (with ...)." -> "a new one"."""
    match = re.search(r"Default: (.*)$", text) or re.search(r"Required: ([^.]*)", text)
    short = re.split(r" \(|\. |, ", match.group(1) if match else "see below", maxsplit=1)[0]
    return short.rstrip(".").replace("``", "")


def keywords_doc(props: type) -> str:
    """One entry per prop: ``name: type``, then its documentation, indented."""
    hints = typing.get_type_hints(props)
    texts = param_texts(props)
    entries = []
    for name, hint in hints.items():
        body = textwrap.fill(texts[name], _WIDTH, initial_indent="    ", subsequent_indent="    ")
        entries.append(f"{name}: {type_text(hint)}\n{body}")
    return "\n".join(entries)


def signature(props: type) -> inspect.Signature:
    """``(scope, construct_id, *, <each prop: type [= documented default]>)``."""
    texts = param_texts(props)
    required = typing.cast(frozenset[str], getattr(props, "__required_keys__", frozenset()))
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [
        inspect.Parameter("scope", positional, annotation=Construct),
        inspect.Parameter("construct_id", positional, annotation=str),
    ]
    for name, hint in typing.get_type_hints(props).items():
        default = inspect.Parameter.empty if name in required else _Default(_default_text(texts[name]))
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint))
    return inspect.Signature(parameters, return_annotation=None)


def documented_by(props: type, what: str) -> Callable[[C], C]:
    """Class decorator: the constructor's docstring lists ``props``, and the class's signature has them.

    ``what`` completes "Define ..." (``"a SageMaker Neo compilation job"``)."""

    def decorate(cls: C) -> C:
        doc = (
            f"Define {what}: ``{cls.__name__}(scope, construct_id, **props)``.\n\n"
            ":param scope: the construct's parent (a Stack, or a construct inside one).\n"
            ":param construct_id: its id, unique among its siblings.\n\n"
            f"Keyword arguments (the props; also a TypedDict, ``{props.__name__}``):\n\n"
            f"{keywords_doc(props)}\n"
        )
        target = cls.__dict__.get("__init__")
        if target is not None:
            target.__doc__ = doc
        else:
            cls.__doc__ = f"{cls.__doc__ or ''}\n\n{doc}"
        cls.__signature__ = signature(props)  # type: ignore[attr-defined]  # read by inspect.signature, help()
        return cls

    return decorate
