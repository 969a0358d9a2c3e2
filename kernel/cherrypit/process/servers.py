"""Run an HTTP server on the engine bus, and check TCP ports.

:class:`ServerAdapter` starts any server object that has ``start()``,
``stop()`` and a ``ready`` flag (cheroot's servers have them) in its own
thread when the bus starts, and stops it when the bus stops.  The port helpers
tell whether something listens on a ``(host, port)``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

from cherrypit.process.wspbus import Bus

__all__ = [
    "BindError",
    "FlupCGIServer",
    "FlupFCGIServer",
    "FlupSCGIServer",
    "PortInUseError",
    "ServerAdapter",
    "Timeouts",
    "check_port",
    "client_host",
    "wait_for_free_port",
    "wait_for_occupied_port",
]

BindAddr = tuple[str, int] | str | None

_POLL = 0.05  # seconds between two port or readiness checks


class Timeouts:
    """How long (seconds) :class:`ServerAdapter` waits for a port to change state."""

    occupied: float = 5
    free: float = 1


class BindError(OSError):
    """A server cannot listen on its address; the message names the setting to change."""


class PortInUseError(BindError):
    """Something already listens on the port a server wants to bind."""


def client_host(server_host: str) -> str:
    """Return the address a client should connect to for a server bound on *server_host*.

    The "any address" hosts are not connectable everywhere; use loopback instead.
    """
    if server_host == "0.0.0.0":
        return "127.0.0.1"
    if server_host in ("::", "::0", "::0.0.0.0"):
        return "::1"
    return server_host


def _format_addr(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _listening(host: str, port: int, timeout: float) -> bool:
    """Tell whether a TCP connection to (*host*, *port*) succeeds."""
    infos: list[tuple[socket.AddressFamily, socket.SocketKind, int, Any]]
    try:
        infos = [
            (family, kind, proto, address)
            for family, kind, proto, _name, address in socket.getaddrinfo(
                host, port, socket.AF_UNSPEC, socket.SOCK_STREAM
            )
        ]
    except socket.gaierror:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        infos = [(family, socket.SOCK_STREAM, 0, (host, port))]
    for family, kind, proto, address in infos:
        try:
            with socket.socket(family, kind, proto) as probe:
                probe.settimeout(timeout)
                probe.connect(address)
        except OSError:
            continue
        return True
    return False


def check_port(host: str, port: int, timeout: float = 1.0) -> None:
    """Raise if a server already listens on (*host*, *port*).

    :param host: the server's host; "any address" hosts are probed on loopback.
    :raises ValueError: for an empty host.
    :raises PortInUseError: (an :class:`OSError`) when the port is taken.
    """
    if not host:
        raise ValueError("Host values of '' or None are not allowed.")
    host = client_host(host)
    port = int(port)
    if _listening(host, port, timeout):
        raise PortInUseError(f"port {_format_addr(host, port)} is already in use")


def _await_free_port(host: str, port: int, timeout: float | None = None) -> None:
    """Wait until nothing listens on (*host*, *port*).

    :param timeout: seconds to wait; ``Timeouts.free`` when None.
    :raises PortInUseError: if the port is still taken after *timeout*.
    """
    if not host:
        raise ValueError("Host values of '' or None are not allowed.")
    limit = Timeouts.free if timeout is None else timeout
    deadline = time.monotonic() + limit
    while True:
        try:
            check_port(host, port, timeout=0.1)
        except PortInUseError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(_POLL)
        else:
            return


def _await_occupied_port(host: str, port: int, timeout: float | None = None) -> None:
    """Wait until something listens on (*host*, *port*).

    :param timeout: seconds to wait; ``Timeouts.occupied`` when None.
    :raises TimeoutError: (an :class:`OSError`) if nothing listens after *timeout*.
    """
    if not host:
        raise ValueError("Host values of '' or None are not allowed.")
    limit = Timeouts.occupied if timeout is None else timeout
    deadline = time.monotonic() + limit
    while True:
        try:
            check_port(host, port, timeout=0.1)
        except PortInUseError:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"port {_format_addr(client_host(host), int(port))} was not bound within {limit} s"
            )
        time.sleep(_POLL)


# The public names are what older CherryPy versions offered; applications replace
# them (sometimes with two-argument functions), so the adapter never calls them.
wait_for_free_port = _await_free_port
wait_for_occupied_port = _await_occupied_port


@contextlib.contextmanager
def _safe_wait(host: str, port: int) -> Iterator[None]:
    """Downgrade a failed bind check to a :class:`UserWarning` for "any address" hosts.

    Without a usable loopback interface, a server bound to all interfaces
    cannot be reached on loopback even though it runs fine.  Any :class:`OSError`
    counts as a failed check (``TimeoutError`` here, ``portend.Timeout`` in code
    written for CherryPy, whose name this keeps); for a specific host it propagates.
    """
    try:
        yield
    except OSError:
        if host == client_host(host):
            raise
        warnings.warn(
            f"Unable to verify that the server is bound on {port!r}", UserWarning, stacklevel=3
        )


class ServerAdapter:
    """Start and stop an HTTP server together with the bus.

    Several adapters (several ports or protocols) can share one bus::

        ServerAdapter(engine, server_a, ("0.0.0.0", 80)).subscribe()
        ServerAdapter(engine, server_b, ("127.0.0.1", 8443)).subscribe()
        engine.start()

    :param httpserver: an object with ``start()`` (serving until stopped),
        ``stop()`` and a ``ready`` attribute; ``safe_start()`` is preferred
        when present, and a ``socket`` attribute reveals an ephemeral port.
    :param bind_addr: ``(host, port)``, a UNIX socket path, or None (unknown).
    """

    def __init__(self, bus: Bus, httpserver: Any = None, bind_addr: BindAddr = None) -> None:
        self.bus = bus
        self.httpserver = httpserver
        self.bind_addr = bind_addr
        #: The exception that ended the server thread, if any.
        self.interrupt: BaseException | None = None
        self.running = False

    def subscribe(self) -> None:
        """Start with the bus's ``start`` and stop with its ``stop``."""
        self.bus.subscribe("start", self.start)
        self.bus.subscribe("stop", self.stop)

    def unsubscribe(self) -> None:
        """Undo :meth:`subscribe`."""
        self.bus.unsubscribe("start", self.start)
        self.bus.unsubscribe("stop", self.stop)

    def start(self) -> None:
        """Start the server in a new thread and wait until it accepts connections.

        :raises ValueError: if there is no server.
        :raises PortInUseError: if another process already listens on the port.
        """
        if self.running:
            self.bus.log(f"Already serving on {self.description}")
            return

        self.interrupt = None
        if not self.httpserver:
            raise ValueError("No HTTP server has been created.")

        # With systemd socket activation the port is legitimately taken already.
        if not os.environ.get("LISTEN_PID") and isinstance(self.bind_addr, tuple):
            _await_free_port(*self.bind_addr, timeout=Timeouts.free)

        # Not a daemon thread: like CherryPy, a started server keeps the
        # process alive until the bus stops it.
        thread = threading.Thread(
            target=self._start_http_thread, name=f"HTTPServer {self._addr_label()}"
        )
        thread.start()

        self.wait()
        self.running = True
        self.bus.log(f"Serving on {self.description}")

    start.priority = 75  # type: ignore[attr-defined]

    def _addr_label(self) -> str:
        if isinstance(self.bind_addr, tuple):
            host, port = self.bind_addr
            return _format_addr(host, port)
        return str(self.bind_addr)

    @property
    def description(self) -> str:
        """Where the server listens, for log messages (``http://127.0.0.1:8080``)."""
        if self.bind_addr is None:
            return "unknown interface (dynamic?)"
        if isinstance(self.bind_addr, tuple):
            return self._get_base()
        return f"socket file: {self.bind_addr}"

    def _get_base(self) -> str:
        if not self.httpserver:
            return ""
        host, port = self.bound_addr
        if ":" in host:
            host = f"[{host}]"
        if getattr(self.httpserver, "ssl_adapter", None):
            scheme, default_port = "https", 443
        else:
            scheme, default_port = "http", 80
        if port != default_port:
            host = f"{host}:{port}"
        return f"{scheme}://{host}"

    def _start_http_thread(self) -> None:
        """Body of the server thread.

        The server runs outside the main thread so that the main thread stays
        free to receive Ctrl-C.  If the server dies, the whole bus exits.
        """
        server_start = getattr(self.httpserver, "safe_start", None) or self.httpserver.start
        try:
            server_start()
        except KeyboardInterrupt:
            self.bus.log("<Ctrl-C> hit: shutting down HTTP server")
            self.interrupt = sys.exc_info()[1]
            self.bus.exit()
        except SystemExit:
            self.bus.log("SystemExit raised: shutting down HTTP server")
            self.interrupt = sys.exc_info()[1]
            self.bus.exit()
            raise
        except Exception:
            self.interrupt = sys.exc_info()[1]
            self.bus.log("Error in HTTP server: shutting down", traceback=True, level=40)
            self.bus.exit()
            raise

    def wait(self) -> None:
        """Block until the server is ready and its port accepts connections.

        :raises BaseException: whatever ended the server thread meanwhile.
        """
        while not getattr(self.httpserver, "ready", False):
            if self.interrupt is not None:
                raise self.interrupt
            time.sleep(_POLL)

        if os.environ.get("LISTEN_PID"):
            return
        if not isinstance(self.bind_addr, tuple):
            return  # a UNIX socket, or an address only the server knows
        host, port = self.bound_addr
        with _safe_wait(host, port):
            _await_occupied_port(host, port, timeout=Timeouts.occupied)

    @property
    def bound_addr(self) -> tuple[str, int]:
        """``bind_addr``, with port 0 replaced by the port the server actually got."""
        if not isinstance(self.bind_addr, tuple):
            raise TypeError(f"bind_addr {self.bind_addr!r} is not a (host, port) pair")
        host, port = self.bind_addr
        listening = getattr(self.httpserver, "socket", None)
        if port == 0 and listening is not None:
            port = listening.getsockname()[1]
        return host, port

    def stop(self) -> None:
        """Stop the server and wait until its port is free again."""
        if not self.running:
            self.bus.log(f"HTTP Server {self.httpserver} already shut down")
            return
        # Read the real port before the server closes its socket.
        address = self.bound_addr if isinstance(self.bind_addr, tuple) else None
        # The server's stop() must block until it has truly stopped.
        self.httpserver.stop()
        if address is not None:
            _await_free_port(*address, timeout=Timeouts.free)
        self.running = False
        self.bus.log(f"HTTP Server {self.httpserver} shut down")

    stop.priority = 25  # type: ignore[attr-defined]

    def restart(self) -> None:
        """Stop the server, then start it again."""
        self.stop()
        self.start()


class _FlupServer:
    """A flup server adapter: flup is not supported, so making one fails clearly."""

    flup_module = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImportError(
            f"{type(self).__name__} needs flup's {self.flup_module!r} server, which "
            "cherrypit does not support; serve the application with cheroot or any "
            "WSGI server (cherrypit.tree is a WSGI application)"
        )

    def start(self) -> None:
        """Never reached: the constructor refuses."""

    def stop(self) -> None:
        """Never reached: the constructor refuses."""


class FlupCGIServer(_FlupServer):
    """flup's CGI server (not supported)."""

    flup_module = "flup.server.cgi"


class FlupFCGIServer(_FlupServer):
    """flup's FastCGI server (not supported)."""

    flup_module = "flup.server.fcgi"


class FlupSCGIServer(_FlupServer):
    """flup's SCGI server (not supported)."""

    flup_module = "flup.server.scgi"
