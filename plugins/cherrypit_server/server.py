"""``cherrypit.server``: the bus listener that runs the HTTP server.

:class:`Server` keeps CherryPy's ``cherrypy._cpserver.Server`` attributes, defaults
and behaviour: set attributes (directly or through ``server.*`` config), subscribe
it to the engine, and ``engine.start()`` binds the socket and serves
``cherrypit.tree`` on cheroot.
"""

from __future__ import annotations

import errno
import importlib
import os
import re
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING, Any

from cherrypit.process.servers import (
    BindAddr,
    BindError,
    PortInUseError,
    ServerAdapter,
    Timeouts,
)
from cherrypit_server.wsgi_server import CPWSGIServer

if TYPE_CHECKING:
    from cherrypit.process.wspbus import Bus

__all__ = ["Server"]

_ERRNO_IN_MESSAGE = re.compile(r"\[Errno (\d+)\] ([^)]*)")


class Server(ServerAdapter):
    """An HTTP server on the engine bus, configured by attributes.

    The attributes below are CherryPy's ``server.*`` settings, with CherryPy's
    defaults; ``cherrypit.config.update({"server.socket_port": 9000})`` sets them
    on ``cherrypit.server``.  Call :meth:`subscribe` to have ``engine.start()``
    start this server (``cherrypit.server`` is subscribed already).

    :param bus: the bus to listen on; defaults to ``cherrypit.engine``.
    """

    #: TCP port to listen on; 0 picks a free port (see ``bound_addr``).
    socket_port: int | None = 8080
    _socket_host: str | None = "127.0.0.1"
    #: Path of a UNIX socket to listen on instead of TCP (host and port are ignored).
    socket_file: str | None = None
    #: Permissions of the ``socket_file`` (connecting needs write permission); None:
    #: ``0o777`` less the process umask, as CherryPy.
    socket_file_mode: int | None = None
    #: Backlog of ``listen()``: connections the OS queues before ``accept()``.
    socket_queue_size: int = 5
    #: Seconds an accepted connection may stay silent.
    socket_timeout: float = 10
    #: Accepted connections waiting for a worker thread; -1 is unlimited.
    accepted_queue_size: int = -1
    #: Seconds from the first byte of a request head until it must be complete (408
    #: after); a connection waiting for its head holds no worker thread. 0: no limit.
    request_head_timeout: float = 10
    #: Seconds a request body may take, plus one per ``request_body_min_rate`` bytes
    #: received (408 after). 0: no deadline beyond ``socket_timeout`` per read.
    request_body_timeout: float = 20
    #: Bytes per second that earn a slow body one more second (0: a fixed deadline).
    request_body_min_rate: float = 500
    #: Bodies with a Content-Length up to this many bytes are received before a worker
    #: thread is given the request (0: never).
    request_body_buffer: int = 64 * 1024
    #: Seconds to wait for room in a full accepted queue.
    accepted_queue_timeout: float = 10
    #: Seconds to wait for worker threads when stopping.
    shutdown_timeout: float = 5
    #: Protocol written in every status line ('HTTP/1.1' or 'HTTP/1.0').
    protocol_version: str = "HTTP/1.1"
    #: Worker threads started with the server.
    thread_pool: int = 10
    #: Upper bound of worker threads; -1 is unlimited.
    thread_pool_max: int = -1
    #: Largest request head accepted, in bytes (413 above); 0 or None: no limit.
    max_request_header_size: int | None = 500 * 1024
    #: Largest request body accepted, in bytes (413 above); 0 or None: no limit.
    max_request_body_size: int | None = 100 * 1024 * 1024
    #: A ready-made HTTP server object (or a dotted "module.Factory" name) to run.
    instance: Any = None
    #: A configured :class:`ssl.SSLContext`; overrides the certificate settings.
    ssl_context: ssl.SSLContext | None = None
    #: PEM certificate file; with ``ssl_private_key`` it switches the server to HTTPS.
    ssl_certificate: str | None = None
    #: PEM file of CA certificates (the chain sent to and trusted from clients).
    ssl_certificate_chain: str | None = None
    #: PEM private key file matching ``ssl_certificate``.
    ssl_private_key: str | None = None
    #: OpenSSL cipher list string; None keeps Python's defaults.
    ssl_ciphers: str | None = None
    #: TLS implementation: only 'builtin' (Python's :mod:`ssl`) is supported.
    ssl_module: str = "builtin"
    #: Collect cheroot's request and byte counters.
    statistics: bool = False
    #: Set TCP_NODELAY on accepted sockets.
    nodelay: bool = True
    #: WSGI flavour: ``(1, 0)`` (PEP 3333) or ``('u', 0)``.
    wsgi_version: tuple[Any, ...] = (1, 0)
    #: Put the peer's pid/uid/gid into the environ (UNIX sockets only).
    peercreds: bool = False
    #: Also resolve the peer's user and group names.
    peercreds_resolve: bool = False

    #: Config key prefix used in error messages ('server' or 'server.<name>').
    config_prefix: str = "server"

    def __init__(self, *, bus: Bus | None = None) -> None:
        if bus is None:
            import cherrypit

            bus = cherrypit.engine
        # ServerAdapter.__init__ is skipped on purpose: it would assign bind_addr,
        # which here is derived from the socket_* attributes.
        self.bus = bus
        self.httpserver: Any = None
        self.interrupt: BaseException | None = None
        self.running = False
        self._built_httpserver = False

    @property
    def socket_host(self) -> str | None:
        """Host name or IP address to listen on ('0.0.0.0' or '::' for all interfaces).

        The empty string is refused, as in CherryPy: it is ambiguous.
        """
        return self._socket_host

    @socket_host.setter
    def socket_host(self, value: str | None) -> None:
        if value == "":
            raise ValueError(
                "socket_host may not be the empty string; use '0.0.0.0' (or '::') "
                "to listen on all interfaces"
            )
        self._socket_host = value

    @property
    def bind_addr(self) -> BindAddr:
        """Where to listen: ``socket_file`` if set, else ``(socket_host, socket_port)``.

        ``None`` when neither a socket file nor both host and port are set.
        """
        if self.socket_file:
            return self.socket_file
        if self.socket_host is None or self.socket_port is None:
            return None
        return (self.socket_host, self.socket_port)

    @bind_addr.setter
    def bind_addr(self, value: BindAddr) -> None:
        if value is None:
            self.socket_file = None
            self._socket_host = None
            self.socket_port = None
        elif isinstance(value, str | bytes):
            self.socket_file = value.decode() if isinstance(value, bytes) else value
            self._socket_host = None
            self.socket_port = None
        else:
            try:
                host, port = value
            except (TypeError, ValueError):
                raise ValueError(
                    "bind_addr must be a (host, port) tuple for TCP or a path string "
                    f"for a UNIX socket, not {value!r}"
                ) from None
            self.socket_host = host
            self.socket_port = port
            self.socket_file = None

    def httpserver_from_self(self, httpserver: Any = None) -> tuple[Any, BindAddr]:
        """Return ``(httpserver, bind_addr)``: the server to run and where it listens.

        Uses ``httpserver`` if given, else :attr:`instance`, else builds a
        :class:`~cherrypit_server.wsgi_server.CPWSGIServer` from these settings.  A
        string names a factory (``"package.module.Factory"``) called with this
        adapter.
        """
        if httpserver is None:
            httpserver = self.instance
        if httpserver is None:
            httpserver = CPWSGIServer(self)
        elif isinstance(httpserver, str):
            module_name, _, attr = httpserver.rpartition(".")
            factory = getattr(importlib.import_module(module_name), attr)
            httpserver = factory(self)
        return httpserver, self.bind_addr

    def start(self) -> None:
        """Build the HTTP server from the current settings if needed, then start it.

        Our own cheroot server binds its socket here, in the caller's thread, so a
        port in use or a bad address is raised to whoever called
        ``engine.start()`` as one clear line rather than dying in the server thread.

        :raises PortInUseError: when something else listens on the address.
        :raises OSError: when the socket cannot be created or bound otherwise.
        :raises ConfigError: when the TLS settings are unusable.
        """
        if self.running:
            super().start()  # only logs that we are already serving
            return
        if not self.httpserver:
            self._built_httpserver = self.instance is None
            self.httpserver, self.bind_addr = self.httpserver_from_self()
        httpserver = self.httpserver
        if not isinstance(httpserver, CPWSGIServer):
            super().start()
            return

        self.interrupt = None
        if not httpserver.ready:
            try:
                self._bind(httpserver)
            except OSError:
                self._forget_built_httpserver()
                raise
        # Not a daemon thread: a running server keeps the process alive until
        # the bus stops it, as in CherryPy.
        thread = threading.Thread(target=self._start_http_thread, name=f"HTTPServer {self}")
        thread.start()
        try:
            self.wait()
        except BaseException:
            httpserver.stop()
            raise
        self.running = True
        self.bus.log(f"Serving on {self.description}")

    start.priority = 75  # type: ignore[attr-defined]

    def _bind(self, httpserver: CPWSGIServer) -> None:
        # A server that was just stopped (here or in a process being replaced)
        # may hold the port a moment longer: retry briefly, as CherryPy waits.
        deadline = time.monotonic() + Timeouts.free
        while True:
            try:
                httpserver.prepare()
                return
            except OSError as exc:
                code, reason = _root_cause(exc)
                in_use = code == errno.EADDRINUSE
                if in_use and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise self._bind_error(code, reason) from None

    def _bind_error(self, code: int | None, reason: str) -> OSError:
        prefix = self.config_prefix
        addr = self.bind_addr
        if isinstance(addr, tuple):
            host, port = addr
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            if code == errno.EADDRINUSE:
                return PortInUseError(f"{prefix}.socket_port: port {where} is already in use")
            return BindError(f"{prefix}.socket_host: cannot listen on {where}: {reason}")
        return BindError(f"{prefix}.socket_file: cannot listen on {addr}: {reason}")

    def stop(self) -> None:
        """Stop serving; the next :meth:`start` rebuilds from the settings then current."""
        super().stop()
        if not self.running:
            self._forget_built_httpserver()

    stop.priority = 25  # type: ignore[attr-defined]

    def _forget_built_httpserver(self) -> None:
        # A server built from our settings is built again on the next start, so
        # settings changed meanwhile (a new port, say) take effect.  A server the
        # user supplied through ``instance`` is kept as it is.
        if self._built_httpserver:
            self.httpserver = None
            self._built_httpserver = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.config_prefix} {self.bind_addr!r}>"

    def base(self) -> str:
        """The base URL of this server (``scheme://host[:port]``), or its socket path.

        The port is left out when it is the scheme's default; ``0.0.0.0`` and ``::``
        are replaced by this machine's host name, which is what clients can use.
        """
        if self.socket_file:
            return self.socket_file
        host = self.socket_host or "127.0.0.1"
        if host in ("0.0.0.0", "::"):
            host = socket.gethostname()
        if ":" in host:
            host = f"[{host}]"
        port = self.socket_port
        if port == 0 and self.running and self.httpserver is not None:
            port = self.bound_addr[1]
        secure = bool(self.ssl_certificate or self.ssl_context)
        scheme, default_port = ("https", 443) if secure else ("http", 80)
        if port != default_port:
            host = f"{host}:{port}"
        return f"{scheme}://{host}"


def _root_cause(exc: OSError) -> tuple[int | None, str]:
    """The errno and text of the failure under cheroot's "No socket could be created"."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno is not None:
            return cause.errno, cause.strerror or os.strerror(cause.errno)
        cause = cause.__cause__
    # cheroot folds the per-address errors of a TCP bind into the message text.
    found = _ERRNO_IN_MESSAGE.findall(str(exc))
    if found:
        number, text = found[-1]
        return int(number), text.strip()
    return None, str(exc)
