"""``CPHTTPServer``: CherryPy's "native" server, the cheroot server with CherryPy's gateway.

CherryPy's native gateway hands cheroot's request to its own request cycle instead of
going through a WSGI callable.  cherrypit has one request cycle, entered through
``cherrypit.tree``; the native gateway here runs every request through it, so an
application behaves the same on this server and on :class:`CPWSGIServer`.  What stays
native is the shape CherryPy code relies on: ``CPHTTPServer(server_adapter)`` builds a
server from a ``Server``'s settings and always serves every mounted application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cheroot.wsgi

from cherrypit_server.wsgi_server import CPWSGIServer

if TYPE_CHECKING:
    from cherrypit_server.server import Server

__all__ = ["CPHTTPServer", "NativeGateway"]


class NativeGateway(cheroot.wsgi.Gateway_10):
    """The gateway of :class:`CPHTTPServer`: each request goes to ``cherrypit.tree``."""


class CPHTTPServer(CPWSGIServer):
    """A cheroot server for ``cherrypit.tree``, configured by a ``Server`` adapter.

    :param server_adapter: the :class:`~cherrypit_server.server.Server` holding the
        ``server.*`` settings (default: ``cherrypit.server``).
    """

    def __init__(self, server_adapter: Server | None = None) -> None:
        import cherrypit

        super().__init__(server_adapter, cherrypit.tree)
        self.gateway = NativeGateway
