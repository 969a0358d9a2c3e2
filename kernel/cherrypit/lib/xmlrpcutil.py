"""CherryPy's ``cherrypy.lib.xmlrpcutil`` import path, backed by the tools plugin.

XML-RPC helpers (``process_body``, ``respond``, ``on_error``).
The names resolve on first use to :mod:`cherrypit_tools.xmlrpc` (the kernel does not
import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

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


__getattr__ = plugin_attributes(__name__, __all__, provider="tools")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
