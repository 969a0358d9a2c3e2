"""CherryPy's ``cherrypy._cpserver`` import path: ``Server`` and ``ServerAdapter``.

``Server`` belongs to the server plugin; it is looked up on first access (PEP 562),
so importing this module loads no plugin and no HTTP server code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit._cpcompat import text_or_bytes as text_or_bytes

if TYPE_CHECKING:
    from cherrypit.process.servers import ServerAdapter as ServerAdapter
    from cherrypit_server.server import Server as Server

__all__ = ["Server", "ServerAdapter"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    if name == "ServerAdapter":
        # A kernel class: available even when the server plugin is disabled.
        from cherrypit.process.servers import ServerAdapter

        return ServerAdapter
    from cherrypit._kernel.pluginmanager import compat_attribute

    return compat_attribute(__name__, name)
