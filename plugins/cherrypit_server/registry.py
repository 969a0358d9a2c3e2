"""The process's servers and the ``server`` config namespace that configures them.

``server.<setting>`` configures the default server, ``cherrypit.server``.
``server.<name>.<setting>`` configures an additional server kept in
:data:`servers` under ``<name>``, created (and subscribed to the engine) the first
time its name is seen; ``server.<name>.on = False`` unsubscribes it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit.plugin import ConfigError
from cherrypit_server.settings import SETTINGS, as_bool, coerce

if TYPE_CHECKING:
    from cherrypit_server.server import Server

__all__ = ["default_server", "forget_servers", "handle_server_key", "servers"]

#: Additional servers configured as ``server.<name>.*``, by name.
servers: dict[str, Server] = {}

_default: list[Server] = []


def default_server() -> Server:
    """Return ``cherrypit.server``, creating it on first use."""
    if not _default:
        from cherrypit_server.server import Server

        _default.append(Server())
    return _default[0]


def forget_servers() -> None:
    """Take every server off its bus, stop those still running, and forget them all.

    The next ``cherrypit.server`` is a new server with the default settings, and
    ``cherrypit.servers`` is empty (the same dict object, emptied).
    """
    for server in [*_default, *servers.values()]:
        server.unsubscribe()
        if server.running:
            server.stop()
    _default.clear()
    servers.clear()


def _named_server(name: str) -> Server:
    server = servers.get(name)
    if server is None:
        from cherrypit_server.server import Server

        # Same bus as the default server: the engine it was set up on.
        server = Server(bus=default_server().bus)
        server.config_prefix = f"server.{name}"
        servers[name] = server
        # On by default, like CherryPy; "server.<name>.on = False" undoes it.
        server.subscribe()
    return server


def handle_server_key(key: str, value: Any) -> None:
    """Apply one ``server.*`` config entry (``key`` is the part after ``server.``).

    :raises ConfigError: for an unknown setting or a value of the wrong type; the
        message starts with the full config key.
    """
    full_key = f"server.{key}"
    name, dot, setting = key.partition(".")
    if not dot:
        target = default_server()
        # Unknown names are set as attributes, as CherryPy does (server.environment);
        # the start-up check warns about them through the declared settings.
        setattr(target, key, coerce(full_key, key, value) if key in SETTINGS else value)
        return

    if name in SETTINGS:
        raise ConfigError(
            f"{full_key}: {name!r} is a server setting, so it cannot name an additional server"
        )
    if setting == "on":
        enabled = as_bool(full_key, value)
        target = _named_server(name)
        if enabled:
            target.subscribe()
        else:
            target.unsubscribe()
        return
    if setting not in SETTINGS:
        setattr(_named_server(name), setting, value)
        return
    coerced = coerce(full_key, setting, value)
    setattr(_named_server(name), setting, coerced)
