"""CherryPy's ``cherrypy._cpwsgi_server`` import path: ``CPWSGIServer``.

The class belongs to the server plugin (it is a cheroot server, and the kernel does
not import cheroot); it is looked up on first access (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_server.wsgi_server import CPWSGIServer as CPWSGIServer

__all__ = ["CPWSGIServer"]


__getattr__ = plugin_attributes(__name__)
