"""CherryPy's ``cherrypy._cpdispatch`` import path: the same names as ``cherrypit.dispatch``.

In CherryPy ``cherrypy.dispatch`` *is* this module; here both are re-exports of the
kernel's dispatch module, and names that plugins provide (``XMLRPCDispatcher``) are
resolved as ``cherrypit.dispatch`` resolves them, so either path gives the same object.
"""

from cherrypit.dispatch import (
    Dispatcher,
    LateParamPageHandler,
    MethodDispatcher,
    PageHandler,
    RoutesDispatcher,
    VirtualHost,
    getargspec,
    punctuation_to_underscores,
    test_callable_spec,
    validate_translator,
)

# Plugin-backed names: resolved exactly as on ``cherrypit.dispatch``.
from cherrypit.dispatch import __getattr__ as __getattr__

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
