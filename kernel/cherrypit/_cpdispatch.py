"""Compat path ``cherrypy.dispatch`` (CherryPy's ``_cpdispatch``): the dispatchers.

``punctuation_to_underscores`` is the default ``translate`` table of
:class:`Dispatcher`.
"""

import inspect
from collections.abc import Callable
from typing import Any

from cherrypit._kernel.dispatch import _PUNCTUATION_TO_UNDERSCORE as punctuation_to_underscores
from cherrypit._kernel.dispatch import (
    Dispatcher,
    LateParamPageHandler,
    MethodDispatcher,
    PageHandler,
    RoutesDispatcher,
    VirtualHost,
    test_callable_spec,
)

__all__ = [
    "Dispatcher",
    "LateParamPageHandler",
    "MethodDispatcher",
    "PageHandler",
    "RoutesDispatcher",
    "VirtualHost",
    "getargspec",
    "punctuation_to_underscores",
    "test_callable_spec",
    "validate_translator",
]


def getargspec(
    callable: Callable[..., Any],
) -> tuple[list[str], str | None, str | None, tuple[Any, ...] | None]:
    """``(args, varargs, varkw, defaults)`` of ``callable``, the old ``inspect`` shape."""
    spec = inspect.getfullargspec(callable)
    return spec.args, spec.varargs, spec.varkw, spec.defaults


def validate_translator(t: object) -> None:
    """Refuse a ``translate`` table that is not a dict (what ``str.maketrans`` returns).

    :raises ValueError: otherwise.
    """
    if not isinstance(t, dict):
        raise ValueError("The translate argument must be a dict (see str.maketrans).")


def __getattr__(name: str) -> Any:
    # XMLRPCDispatcher comes with the toolbox plugin's xmlrpc support.
    if name.startswith("__"):
        raise AttributeError(name)
    from cherrypit._kernel.pluginmanager import compat_attribute

    return compat_attribute(__name__, name)
