"""Compat path ``cherrypy.dispatch`` (CherryPy's ``_cpdispatch``): the dispatchers."""

from typing import Any

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
    "test_callable_spec",
]


def __getattr__(name: str) -> Any:
    # XMLRPCDispatcher comes with the toolbox plugin's xmlrpc support.
    if name.startswith("__"):
        raise AttributeError(name)
    from cherrypit._kernel.pluginmanager import compat_attribute

    return compat_attribute(__name__, name)
