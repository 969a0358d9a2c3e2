"""CherryPy's server import paths, backed by the server plugin."""

from __future__ import annotations

import subprocess
import sys

import cheroot.server
import cheroot.wsgi

from cherrypit.process.servers import ServerAdapter
from cherrypit_server import registry
from cherrypit_server.server import Server
from cherrypit_server.wsgi_server import CPWSGIServer


def test_cpserver_names() -> None:
    from cherrypit import _cpserver

    assert _cpserver.Server is Server
    assert _cpserver.ServerAdapter is ServerAdapter


def test_cpwsgi_server_names() -> None:
    from cherrypit._cpwsgi_server import CPWSGIServer as compat_class

    assert compat_class is CPWSGIServer
    assert issubclass(compat_class, cheroot.wsgi.Server)


def test_cpnative_server_names() -> None:
    from cherrypit._cpnative_server import CPHTTPServer, NativeGateway

    assert issubclass(CPHTTPServer, cheroot.server.HTTPServer)
    assert issubclass(NativeGateway, cheroot.server.Gateway)
    assert CPHTTPServer(Server()).gateway is NativeGateway


def test_top_level_server_names() -> None:
    import cherrypit

    assert cherrypit.server is registry.default_server()
    assert cherrypit.servers is registry.servers


def test_importing_the_compat_modules_loads_no_server_code() -> None:
    code = (
        "import sys, cherrypit, cherrypit._cpserver, cherrypit._cpwsgi_server\n"
        "import cherrypit._cpnative_server\n"
        "loaded = sorted(m for m in ('cheroot', 'cherrypit_server') if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
