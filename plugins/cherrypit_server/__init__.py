"""cherrypit's HTTP server plugin: cheroot on the engine bus, set up by ``server.*`` config.

Provides ``cherrypit.server``, ``cherrypit.servers``, ``cherrypit._cpserver.Server``,
``cherrypit._cpwsgi_server.CPWSGIServer`` and
``cherrypit._cpnative_server.CPHTTPServer``.  The hook implementations below only
wire the plugin in; the work happens in :mod:`~cherrypit_server.server`,
:mod:`~cherrypit_server.wsgi_server` and :mod:`~cherrypit_server.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cherrypit.plugin import NamespaceHandler, Settings, hookimpl
from cherrypit_server import registry
from cherrypit_server.settings import SETTINGS

if TYPE_CHECKING:
    from cherrypit.process.wspbus import Bus


@hookimpl
def cherrypit_config_namespaces() -> Mapping[str, NamespaceHandler]:
    """Own the ``server`` config namespace."""
    return {"server": registry.handle_server_key}


@hookimpl
def cherrypit_settings() -> Mapping[str, Settings]:
    """Declare ``server.*`` and ``server.<name>.*``: other names are set as attributes
    of the server (as in CherryPy) with a start-up warning."""
    return {"server": Settings([*SETTINGS, "on"], nested=True, what="known server setting")}


@hookimpl
def cherrypit_engine_setup(engine: Bus) -> None:
    """Put the default server on ``engine`` so ``engine.start()`` starts serving."""
    server = registry.default_server()
    server.bus = engine
    server.subscribe()


@hookimpl
def cherrypit_engine_teardown(engine: Bus) -> None:
    """Take the servers off the engine; the next setup starts from default settings."""
    registry.forget_servers()


@hookimpl
def cherrypit_compat_attribute(module: str, name: str) -> Any:
    """Back CherryPy's server names (``cherrypit.server``, ``_cpserver.Server``, ...)."""
    if module == "cherrypit":
        if name == "server":
            return registry.default_server()
        if name == "servers":
            return registry.servers
    elif module == "cherrypit._cpserver":
        if name == "Server":
            from cherrypit_server.server import Server

            return Server
    elif module == "cherrypit._cpwsgi_server" and name == "CPWSGIServer":
        from cherrypit_server.wsgi_server import CPWSGIServer

        return CPWSGIServer
    elif module == "cherrypit._cpnative_server" and name in ("CPHTTPServer", "NativeGateway"):
        from cherrypit_server import native_server

        return getattr(native_server, name)
    return None
