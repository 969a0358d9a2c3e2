"""CherryPy's ``cherrypy._cpserver`` import path: ``Server`` and ``ServerAdapter``.

``Server`` belongs to the server plugin; it is looked up on first access (PEP 562),
so importing this module loads no plugin and no HTTP server code.  ``ServerAdapter``
is the kernel's, there even when the server plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._cpcompat import text_or_bytes as text_or_bytes
from cherrypit._kernel.submodules import plugin_attributes
from cherrypit.process.servers import ServerAdapter as ServerAdapter

if TYPE_CHECKING:
    from cherrypit_server.server import Server as Server

__all__ = ["Server", "ServerAdapter"]

__getattr__ = plugin_attributes(__name__)
