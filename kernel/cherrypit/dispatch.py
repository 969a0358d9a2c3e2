"""Compat path ``cherrypy.dispatch`` (CherryPy's ``_cpdispatch``): the dispatchers."""

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
