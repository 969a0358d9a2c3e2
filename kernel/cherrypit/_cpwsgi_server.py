"""CherryPy's ``cherrypy._cpwsgi_server`` import path: ``CPWSGIServer``.

The class belongs to the server plugin (it is a cheroot server, and the kernel does
not import cheroot); it is looked up on first access (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cherrypit_server.wsgi_server import CPWSGIServer as CPWSGIServer

__all__ = ["CPWSGIServer"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from cherrypit._kernel.pluginmanager import compat_attribute

    return compat_attribute(__name__, name)
