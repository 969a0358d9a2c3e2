"""The plugin author's API: everything a cherrypit plugin package needs to import.

A plugin is a module (or object) with functions marked :data:`hookimpl` whose names
come from :mod:`cherrypit._kernel.hookspecs`; it is registered through the
``cherrypit.plugins`` entry-point group, exactly like the first-party plugins::

    [project.entry-points."cherrypit.plugins"]
    cors = "cherrypit_cors"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cherrypit._kernel import pluginmanager as _pluginmanager
from cherrypit._kernel import serving as _serving
from cherrypit._kernel.config import suggest
from cherrypit._kernel.dispatch import Dispatcher
from cherrypit._kernel.engine import Engine
from cherrypit._kernel.errors import ConfigError
from cherrypit._kernel.handler_result import check_result as check_handler_result
from cherrypit._kernel.hooks import POINTS
from cherrypit._kernel.hookspecs import NamespaceHandler, hookimpl, hookspec
from cherrypit._kernel.httputil import (
    AcceptElement,
    HeaderElement,
    HeaderMap,
    HTTPDate,
    valid_status,
)
from cherrypit._kernel.logmanager import LogManager
from cherrypit._kernel.plan import resolve_callable
from cherrypit._kernel.pluginmanager import PluginError, disable, plugin_module, register
from cherrypit._kernel.proxy import DEFAULT_TRUSTED, is_trusted
from cherrypit._kernel.settings import REFUSE, WARN, Settings, ValueCheck
from cherrypit._kernel.stash import Stash, StashKey
from cherrypit._kernel.tools import (
    Attachment,
    ErrorTool,
    HandlerTool,
    HandlerWrapperTool,
    Tool,
    Toolbox,
)
from cherrypit._kernel.warmup import WarmupProbe
from cherrypit.process.plugins import BackgroundTask, Monitor, SimplePlugin

#: The hook points of the request cycle, in the order they run (``on_start_resource``
#: … ``on_end_request``): the ``point`` of a :class:`Tool` or an :class:`Attachment`.
HOOK_POINTS: tuple[str, ...] = POINTS

if TYPE_CHECKING:
    import pluggy

    from cherrypit._kernel.request import Request, Response
    from cherrypit._kernel.serving import Serving


def plugin_manager() -> pluggy.PluginManager:
    """The default site's pluggy manager (for tracing, monitoring or introspection).

    Register and disable plugins with :func:`register` and :func:`disable`, which also
    rewire what the plugins contribute; this object is for looking, e.g.
    ``plugin_manager().add_hookcall_monitoring(before, after)``.
    """
    return _pluginmanager.host().pm


def current_request() -> Request:
    """The request this thread (or task) is serving; a blank one outside requests."""
    return _serving.current().request


def current_response() -> Response:
    """The response being built for :func:`current_request`."""
    return _serving.current().response


#: Both at once: ``.request``, ``.response`` and ``.session`` of this context
#: (CherryPy's ``cherrypy.serving``); one context-variable lookup for code that needs
#: the request and the response together.  The kernel's own function, so tools pay
#: no extra call for it.
current: Callable[[], Serving] = _serving.current


__all__ = [
    "DEFAULT_TRUSTED",
    "HOOK_POINTS",
    "REFUSE",
    "WARN",
    "AcceptElement",
    "Attachment",
    "BackgroundTask",
    "ConfigError",
    "Dispatcher",
    "Engine",
    "ErrorTool",
    "HTTPDate",
    "HandlerTool",
    "HandlerWrapperTool",
    "HeaderElement",
    "HeaderMap",
    "LogManager",
    "Monitor",
    "NamespaceHandler",
    "PluginError",
    "Settings",
    "SimplePlugin",
    "Stash",
    "StashKey",
    "Tool",
    "Toolbox",
    "ValueCheck",
    "WarmupProbe",
    "check_handler_result",
    "current",
    "current_request",
    "current_response",
    "disable",
    "hookimpl",
    "hookspec",
    "is_trusted",
    "plugin_manager",
    "plugin_module",
    "register",
    "resolve_callable",
    "suggest",
    "valid_status",
]
