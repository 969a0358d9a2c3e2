"""CherryPy's ``cherrypy.lib.xmlrpcutil`` import path, backed by the tools plugin.

XML-RPC helpers (``process_body``, ``respond``, ``on_error``).
The names resolve on first use to :mod:`cherrypit_tools.xmlrpc` (the kernel does not
import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit._kernel.pluginmanager import plugin_module

if TYPE_CHECKING:
    from cherrypit_tools.xmlrpc import XMLRPCDispatcher as XMLRPCDispatcher
    from cherrypit_tools.xmlrpc import on_error as on_error
    from cherrypit_tools.xmlrpc import patched_path as patched_path
    from cherrypit_tools.xmlrpc import process_body as process_body
    from cherrypit_tools.xmlrpc import respond as respond

__all__ = [
    "XMLRPCDispatcher",
    "on_error",
    "patched_path",
    "process_body",
    "respond",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(plugin_module("tools").xmlrpc, name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
