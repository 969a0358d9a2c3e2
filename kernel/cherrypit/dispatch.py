"""Compat path ``cherrypy.dispatch`` (CherryPy's ``_cpdispatch``): the dispatchers.

Re-exports of the kernel's dispatch module; :mod:`cherrypit._cpdispatch` re-exports
this one, so both paths name the same objects, as in CherryPy where they are one
module.  ``punctuation_to_underscores`` is the default ``translate`` table of
:class:`Dispatcher`.
"""

from typing import Any

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


def __getattr__(name: str) -> Any:
    # XMLRPCDispatcher comes with the toolbox plugin's xmlrpc support.
    if name.startswith("__"):
        raise AttributeError(name)
    from cherrypit._kernel.pluginmanager import compat_attribute

    return compat_attribute(__name__, name)
