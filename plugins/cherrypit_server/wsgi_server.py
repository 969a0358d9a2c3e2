"""The cheroot WSGI server, configured from a :class:`~cherrypit_server.server.Server`.

This module (with :mod:`~cherrypit_server.connection` and
:mod:`~cherrypit_server.protocol`, which it builds on) is where cherrypit meets
cheroot's server classes: the kernel hands out a plain WSGI callable
(``cherrypit.tree``) and this plugin puts it on a socket.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import cheroot.server
import cheroot.wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from cherrypit.plugin import ConfigError
from cherrypit_server.connection import Connection

if TYPE_CHECKING:
    from cherrypit_server.server import Server

__all__ = ["CPWSGIServer"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _ContextOnlySSLAdapter(BuiltinSSLAdapter):
    """TLS from a ready-made :class:`ssl.SSLContext` (``server.ssl_context``).

    cheroot's builtin adapter insists on loading a certificate file itself; a
    context that already carries its certificates needs no files at all.
    """

    def __init__(self, context: ssl.SSLContext) -> None:
        # Skip BuiltinSSLAdapter.__init__ on purpose: it would load files.
        cheroot.ssl.Adapter.__init__(self, None, None)
        self.context = context
        self._server_env: dict[str, Any] = {}


def _check_readable(key: str, path: str) -> None:
    if not os.path.exists(path):
        raise ConfigError(f"{key}: file not found: {path}")
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise ConfigError(f"{key}: file is not readable: {path}")


def _ssl_adapter(adapter: Server) -> cheroot.ssl.Adapter | None:
    """Build the TLS adapter ``adapter``'s settings ask for, or ``None`` for plain HTTP."""
    prefix = adapter.config_prefix
    certificate = adapter.ssl_certificate
    private_key = adapter.ssl_private_key
    chain = adapter.ssl_certificate_chain
    context = adapter.ssl_context

    if context is not None and not certificate:
        return _ContextOnlySSLAdapter(context)
    if not certificate and not private_key:
        return None
    if not certificate:
        raise ConfigError(f"{prefix}.ssl_certificate: required when ssl_private_key is set")
    if not private_key:
        raise ConfigError(f"{prefix}.ssl_private_key: required when ssl_certificate is set")
    for name, path in (
        ("ssl_certificate", certificate),
        ("ssl_private_key", private_key),
        ("ssl_certificate_chain", chain),
    ):
        if path:
            _check_readable(f"{prefix}.{name}", path)
    try:
        tls = BuiltinSSLAdapter(certificate, private_key, chain, adapter.ssl_ciphers)
    except ssl.SSLError as exc:
        reason = exc.reason or exc.strerror or str(exc)
        raise ConfigError(
            f"{prefix}.ssl_certificate: cannot load certificate {certificate} "
            f"with key {private_key}: {reason}"
        ) from None
    if context is not None:
        tls.context = context
    return tls


class CPWSGIServer(cheroot.wsgi.Server):
    """A cheroot WSGI server whose every setting comes from a ``Server`` adapter.

    :param server_adapter: the :class:`~cherrypit_server.server.Server` holding the
        ``server.*`` settings (default: ``cherrypit.server``).
    :param wsgi_app: the application to serve (default: ``cherrypit.tree``, every
        mounted application).
    :raises ConfigError: when the TLS files are missing or unusable; the message
        names the config key.
    """

    ConnectionClass = Connection

    def __init__(self, server_adapter: Server | None = None, wsgi_app: WSGIApp | None = None):
        # Imported here: the kernel may load this plugin while it is itself importing.
        import cherrypit

        if server_adapter is None:
            server_adapter = cherrypit.server
        if wsgi_app is None:
            wsgi_app = cherrypit.tree
        self.server_adapter = server_adapter
        # Read by cheroot.wsgi.Server.__init__ to pick the gateway.
        self.wsgi_version = server_adapter.wsgi_version
        tls = _ssl_adapter(server_adapter)

        # cheroot's stubs type these as int, yet it passes them straight to
        # socket/queue timeouts, where fractional seconds work as well.
        timeouts: dict[str, Any] = {
            "timeout": server_adapter.socket_timeout,
            "shutdown_timeout": server_adapter.shutdown_timeout,
            "accepted_queue_timeout": server_adapter.accepted_queue_timeout,
        }
        super().__init__(
            server_adapter.bind_addr,
            wsgi_app,
            numthreads=server_adapter.thread_pool,
            server_name=server_adapter.socket_host or server_adapter.socket_file or None,
            max=server_adapter.thread_pool_max,
            request_queue_size=server_adapter.socket_queue_size,
            accepted_queue_size=server_adapter.accepted_queue_size,
            peercreds_enabled=server_adapter.peercreds,
            peercreds_resolve_enabled=server_adapter.peercreds_resolve,
            **timeouts,
        )
        # 0 means "no limit" to cheroot, as None does to CherryPy users.
        self.max_request_header_size = server_adapter.max_request_header_size or 0
        self.max_request_body_size = server_adapter.max_request_body_size or 0
        # Read by the connections and requests of cherrypit_server.connection.
        self.request_head_timeout = server_adapter.request_head_timeout or 0
        self.request_body_timeout = server_adapter.request_body_timeout or 0
        self.request_body_min_rate = server_adapter.request_body_min_rate or 0
        self.request_body_buffer = server_adapter.request_body_buffer or 0
        self.protocol = server_adapter.protocol_version
        self.nodelay = server_adapter.nodelay
        self.ssl_adapter = tls
        self.stats["Enabled"] = bool(server_adapter.statistics)
        # SERVER_SOFTWARE names both layers, as CherryPy's does.
        self.version = f"cherrypit/{cherrypit.VERSION} {cheroot.wsgi.Server.version}"

    @staticmethod
    def bind_socket(socket_: socket.socket, bind_addr: Any) -> socket.socket:
        """Bind ``socket_``, closing it when that fails.

        cheroot leaves a TCP socket whose bind failed open (and to the garbage
        collector's ResourceWarning); a busy port must not leak a descriptor.
        """
        try:
            socket_.bind(bind_addr)
        except OSError:
            socket_.close()
            raise
        return socket_

    def bind_unix_socket(self, bind_addr: Any) -> socket.socket:
        """Create the UNIX socket, then give its file ``server.socket_file_mode``.

        cheroot creates the file as ``0o777`` less the umask.  The mode is set before
        the socket listens, so nobody connects in between.  An abstract socket
        (a name starting with NUL) has no file and no mode.
        """
        sock: socket.socket = super().bind_unix_socket(bind_addr)  # type: ignore[no-untyped-call]
        mode = self.server_adapter.socket_file_mode
        path = self.bind_addr
        if mode is not None and isinstance(path, str | bytes) and path[:1] not in ("\0", b"\0"):
            try:
                os.chmod(path, mode)
            except OSError:
                sock.close()
                raise
        return sock

    def start(self) -> None:
        """Serve until stopped, binding the socket first unless that already happened.

        The adapter binds in the caller's thread (so a busy port is reported to
        whoever called ``engine.start()``) and then runs this in a worker thread.
        """
        if not self.ready:
            self.prepare()
        self.serve()

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Send cheroot's own diagnostics to the engine's ``log`` channel."""
        self.server_adapter.bus.log(msg, level, traceback)
