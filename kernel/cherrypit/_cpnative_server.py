"""CherryPy's ``cherrypy._cpnative_server`` import path: ``CPHTTPServer``, ``NativeGateway``.

Both belong to the server plugin (they are built on the HTTP server library, which
the kernel leaves to that plugin); they are looked up on first access (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cherrypit_server.native_server import CPHTTPServer as CPHTTPServer
    from cherrypit_server.native_server import NativeGateway as NativeGateway

__all__ = ["CPHTTPServer", "NativeGateway"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from cherrypit._kernel.pluginmanager import compat_attribute

    return compat_attribute(__name__, name)
