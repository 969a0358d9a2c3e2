"""The plugin author's API: everything a cherrypit plugin package needs to import.

A plugin is a module (or object) with functions marked :data:`hookimpl` whose names
come from :mod:`cherrypit._kernel.hookspecs`; it is registered through the
``cherrypit.plugins`` entry-point group, exactly like the first-party plugins::

    [project.entry-points."cherrypit.plugins"]
    cors = "cherrypit_cors"
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel import serving as _serving
from cherrypit._kernel.errors import ConfigError
from cherrypit._kernel.handler_result import check_result as check_handler_result
from cherrypit._kernel.hookspecs import NamespaceHandler, hookimpl, hookspec
from cherrypit._kernel.pluginmanager import PluginError, disable, plugin_module, register
from cherrypit._kernel.settings import REFUSE, WARN, Settings, ValueCheck
from cherrypit._kernel.tools import (
    Attachment,
    ErrorTool,
    HandlerTool,
    HandlerWrapperTool,
    Tool,
    Toolbox,
)
from cherrypit.process.plugins import BackgroundTask, Monitor, SimplePlugin

if TYPE_CHECKING:
    from cherrypit._kernel.request import Request, Response


def current_request() -> Request:
    """The request this thread (or task) is serving; a blank one outside requests."""
    return _serving.current().request


def current_response() -> Response:
    """The response being built for :func:`current_request`."""
    return _serving.current().response


__all__ = [
    "REFUSE",
    "WARN",
    "Attachment",
    "BackgroundTask",
    "ConfigError",
    "ErrorTool",
    "HandlerTool",
    "HandlerWrapperTool",
    "Monitor",
    "NamespaceHandler",
    "PluginError",
    "Settings",
    "SimplePlugin",
    "Tool",
    "Toolbox",
    "ValueCheck",
    "check_handler_result",
    "current_request",
    "current_response",
    "disable",
    "hookimpl",
    "hookspec",
    "plugin_module",
    "register",
]
