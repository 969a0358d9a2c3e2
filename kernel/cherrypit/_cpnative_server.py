"""CherryPy's ``cherrypy._cpnative_server`` import path: ``CPHTTPServer``, ``NativeGateway``.

Both belong to the server plugin (they are built on the HTTP server library, which
the kernel leaves to that plugin); they are looked up on first access (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_server.native_server import CPHTTPServer as CPHTTPServer
    from cherrypit_server.native_server import NativeGateway as NativeGateway

__all__ = ["CPHTTPServer", "NativeGateway"]


__getattr__ = plugin_attributes(__name__)
