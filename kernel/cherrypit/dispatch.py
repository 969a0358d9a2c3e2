"""Compat path ``cherrypy.dispatch`` (CherryPy's ``_cpdispatch``): the dispatchers.

Re-exports of the kernel's dispatch module; :mod:`cherrypit._cpdispatch` re-exports
this one, so both paths name the same objects, as in CherryPy where they are one
module.  ``punctuation_to_underscores`` is the default ``translate`` table of
:class:`Dispatcher`.
"""

from cherrypit._kernel.dispatch import _PUNCTUATION_TO_UNDERSCORE as punctuation_to_underscores
from cherrypit._kernel.dispatch import (
    Dispatcher,
    LateParamPageHandler,
    MethodDispatcher,
    PageHandler,
    RoutesDispatcher,
    VirtualHost,
    getargspec,
    test_callable_spec,
    validate_translator,
)
from cherrypit._kernel.submodules import plugin_attributes

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


# XMLRPCDispatcher comes with the tools plugin's XML-RPC support.
__getattr__ = plugin_attributes(__name__)
