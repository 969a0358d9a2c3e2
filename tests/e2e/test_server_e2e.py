"""The server plugin over real sockets: TCP, UNIX, TLS, limits, errors, several servers.

Every server binds 127.0.0.1 on a port the OS picks (``socket_port = 0``) or a UNIX
socket under ``tmp_path``, and is stopped by the test that started it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import pathlib
import shutil
import socket
import ssl
import stat
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cherrypit.process import servers as process_servers
from cherrypit.process.servers import PortInUseError
from cherrypit.process.wspbus import Bus, ChannelFailures
from cherrypit_server import registry
from cherrypit_server import server as server_module
from cherrypit_server.server import Server
from cherrypit_server.settings import coerce
from cherrypit_server.wsgi_server import CPWSGIServer

pytestmark = pytest.mark.e2e

WSGIApp = Callable[..., Any]


def text_app(text: str, calls: list[dict[str, Any]] | None = None) -> WSGIApp:
    body = text.encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if calls is not None:
            calls.append(environ)
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def make_server(app: WSGIApp, bus: Bus | None = None, **settings: Any) -> Server:
    """A Server on 127.0.0.1 with a free port, serving ``app`` instead of the tree."""
    server = Server(bus=bus or Bus())
    server.socket_port = 0
    for name, value in settings.items():
        setattr(server, name, value)
    server.instance = CPWSGIServer(server, app)
    return server


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[None]:
    try:
        for server in servers:
            server.start()
        yield
    finally:
        for server in servers:
            server.stop()


def get(server: Server, path: str = "/", **kwargs: Any) -> tuple[int, bytes]:
    host, port = server.bound_addr
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path, **kwargs)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def refuses_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


@pytest.fixture
def no_port_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    # A busy port stays busy here: skip the grace period given to a server still stopping.
    monkeypatch.setattr(process_servers.Timeouts, "free", 0)


def test_serves_over_tcp_and_stops_cleanly() -> None:
    calls: list[dict[str, Any]] = []
    server = make_server(text_app("hello", calls))
    with running(server):
        assert server.running
        host, port = server.bound_addr
        assert port != 0
        assert server.base() == f"http://127.0.0.1:{port}"
        assert server.description == f"http://127.0.0.1:{port}"
        assert get(server) == (200, b"hello")
    assert calls[0]["SERVER_SOFTWARE"].startswith("cherrypit/")
    assert calls[0]["SERVER_PORT"] == str(port)
    assert not server.running
    assert not server.httpserver.ready
    assert refuses_connections(host, port)


def test_restart_after_stop_serves_again() -> None:
    server = make_server(text_app("again"))
    with running(server):
        assert get(server) == (200, b"again")
    with running(server):
        assert get(server) == (200, b"again")


def test_start_logs_where_it_serves() -> None:
    bus = Bus()
    messages: list[str] = []
    bus.subscribe("log", lambda msg, level=20: messages.append(msg))
    server = make_server(text_app("x"), bus=bus)
    with running(server):
        server.start()  # a second start only says so
    assert any(m.startswith("Serving on http://127.0.0.1:") for m in messages)
    assert any(m.startswith("Already serving on http://127.0.0.1:") for m in messages)


def test_unix_socket(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "app.sock"
    server = make_server(text_app("over unix"), socket_file=str(path))
    with running(server):
        assert server.base() == str(path)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(str(path))
            client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            chunks = []
            while chunk := client.recv(4096):
                chunks.append(chunk)
    reply = b"".join(chunks)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert reply.endswith(b"\r\n\r\nover unix")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client, pytest.raises(OSError):
        client.connect(str(path))


def unix_get(path: pathlib.Path) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(str(path))
        client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := client.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_unix_socket_mode_follows_the_umask_by_default(
    tmp_path: pathlib.Path, umask_022: None
) -> None:
    # CherryPy's mode: 0o777 less the umask (others cannot connect under umask 022).
    path = tmp_path / "app.sock"
    with running(make_server(text_app("x"), socket_file=str(path))):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o755


@pytest.mark.parametrize("mode", [0o660, 0o600, 0o777, "660"])
def test_unix_socket_file_mode_sets_the_permissions(
    tmp_path: pathlib.Path, umask_022: None, mode: int | str
) -> None:
    path = tmp_path / "app.sock"
    server = make_server(text_app("with a mode"), socket_file=str(path))
    server.socket_file_mode = coerce("server.socket_file_mode", "socket_file_mode", mode)
    with running(server):
        expected = int(mode, 8) if isinstance(mode, str) else mode
        assert stat.S_IMODE(os.stat(path).st_mode) == expected
        assert unix_get(path).endswith(b"\r\n\r\nwith a mode")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def https_get(server: Server, cafile: str) -> tuple[int, bytes, str]:
    host, port = server.bound_addr
    context = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection(host, port, timeout=5, context=context)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        return response.status, response.read(), str(conn.sock.version())
    finally:
        conn.close()


def test_https_with_certificate_files(certificate: tuple[str, str]) -> None:
    cert, key = certificate
    calls: list[dict[str, Any]] = []
    server = make_server(text_app("secret", calls), ssl_certificate=cert, ssl_private_key=key)
    with running(server):
        port = server.bound_addr[1]
        assert server.base() == f"https://127.0.0.1:{port}"
        assert server.description == f"https://127.0.0.1:{port}"
        status, body, version = https_get(server, cert)
    assert (status, body) == (200, b"secret")
    assert version.startswith("TLS")
    assert calls[0]["wsgi.url_scheme"] == "https"


def test_https_with_an_ssl_context(certificate: tuple[str, str]) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = make_server(text_app("from context"), ssl_context=context)
    with running(server):
        status, body, _version = https_get(server, cert)
    assert (status, body) == (200, b"from context")


def test_body_over_the_limit_gets_413_from_cheroot() -> None:
    calls: list[dict[str, Any]] = []
    server = make_server(text_app("ok", calls), max_request_body_size=10)
    with running(server):
        host, port = server.bound_addr
        conn = http.client.HTTPConnection(host, port, timeout=5)
        try:
            conn.request("POST", "/", body=b"x" * 100)
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        small_status, _ = get(server)
    assert response.status == 413
    assert small_status == 200
    assert len(calls) == 1  # only the small request reached the application


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    body = environ["wsgi.input"].read()
    length = environ.get("CONTENT_LENGTH", "")
    headers = [("Content-Length", str(len(body))), ("X-Content-Length", length)]
    start_response("200 OK", headers)
    return [body]


def read_reply(client: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := client.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


@contextlib.contextmanager
def raw_connection(server: Server) -> Iterator[socket.socket]:
    with socket.create_connection(server.bound_addr, timeout=10) as client:
        yield client


def test_a_length_over_the_limit_is_refused_before_the_body_is_sent() -> None:
    # The client waits for the verdict before sending its body; the server must not
    # wait for the body first.
    server = make_server(echo_app, max_request_body_size=1001, socket_timeout=30)
    with running(server), raw_connection(server) as client:
        client.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999\r\n\r\n")
        reply = read_reply(client)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert reply.endswith(b"The entity sent with the request exceeds the maximum allowed bytes.")


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: x"])
def test_a_connection_silent_before_its_request_is_complete_gets_408(sent: bytes) -> None:
    server = make_server(echo_app, socket_timeout=0.2)
    with running(server), raw_connection(server) as client:
        client.sendall(sent)
        reply = read_reply(client)
    assert reply.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


def test_a_kept_alive_connection_that_asks_nothing_more_closes_quietly() -> None:
    server = make_server(echo_app, socket_timeout=0.2)
    with running(server), raw_connection(server) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = read_reply(client)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"408" not in reply


def test_port_in_use_is_one_clear_line(no_port_wait: None) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        server = make_server(text_app("never"), socket_port=port)
        try:
            with pytest.raises(PortInUseError) as info:
                server.start()
        finally:
            server.stop()
    assert str(info.value) == f"server.socket_port: port 127.0.0.1:{port} is already in use"
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert not server.running


def test_port_in_use_found_only_at_bind_is_one_clear_line(no_port_wait: None) -> None:
    # Bound but not listening: a connection probe sees nothing, only bind() fails.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        port = squatter.getsockname()[1]
        server = make_server(text_app("never"), socket_port=port)
        try:
            with pytest.raises(PortInUseError) as info:
                server.start()
        finally:
            server.stop()
    assert str(info.value) == f"server.socket_port: port 127.0.0.1:{port} is already in use"
    assert not server.httpserver.ready


def test_port_in_use_through_the_bus(no_port_wait: None, monkeypatch: pytest.MonkeyPatch) -> None:
    bus = Bus()
    exit_codes: list[int] = []
    monkeypatch.setattr(bus, "_exit_process", exit_codes.append)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        server = make_server(text_app("never"), bus=bus, socket_port=port)
        server.subscribe()
        with pytest.raises(ChannelFailures) as info:
            bus.start()
    failures = info.value.get_instances()
    assert len(failures) == 1
    assert isinstance(failures[0], PortInUseError)
    assert str(info.value) == repr(failures[0])
    assert "\n" not in str(info.value)
    assert f"127.0.0.1:{port} is already in use" in str(info.value)
    assert exit_codes == [70]  # CherryPy ends the process when a start listener fails
    assert not server.running


def test_settings_changed_after_a_failed_start_take_effect(
    no_port_wait: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = text_app("rebuilt")

    class AppServer(CPWSGIServer):
        # What Server builds from its settings, with a test app instead of the tree.
        def __init__(self, adapter: Server) -> None:
            super().__init__(adapter, app)

    monkeypatch.setattr(server_module, "CPWSGIServer", AppServer)
    server = Server(bus=Bus())
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        server.socket_port = squatter.getsockname()[1]
        with pytest.raises(PortInUseError):
            server.start()
    assert server.httpserver is None

    server.socket_port = 0
    with running(server):
        assert isinstance(server.httpserver, AppServer)
        assert get(server) == (200, b"rebuilt")
    assert server.httpserver is None


def test_bad_host_is_one_clear_line(no_port_wait: None) -> None:
    # 192.0.2.0/24 is TEST-NET-1: never assigned to a local interface.
    server = make_server(text_app("never"), socket_host="192.0.2.1")
    try:
        with pytest.raises(OSError) as info:
            server.start()
    finally:
        server.stop()
    message = str(info.value)
    assert message.startswith("server.socket_host: cannot listen on 192.0.2.1:0: ")
    assert "\n" not in message


def test_two_servers_on_one_bus_and_config_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    bus = Bus()
    exit_codes: list[int] = []
    monkeypatch.setattr(bus, "_exit_process", exit_codes.append)
    monkeypatch.setattr(registry, "_default", [Server(bus=bus)])
    monkeypatch.setattr(registry, "servers", {})

    registry.handle_server_key("socket_port", 0)
    registry.handle_server_key("second.socket_port", "0")
    first, second = registry.default_server(), registry.servers["second"]
    first.instance = CPWSGIServer(first, text_app("first"))
    second.instance = CPWSGIServer(second, text_app("second"))
    first.subscribe()

    try:
        bus.start()
        assert first.running and second.running
        addresses = [first.bound_addr, second.bound_addr]
        assert addresses[0] != addresses[1]
        assert get(first) == (200, b"first")
        assert get(second) == (200, b"second")
    finally:
        bus.exit()
    assert exit_codes == []
    assert not first.running and not second.running
    assert all(refuses_connections(*address) for address in addresses)


# -- through the global engine and tree ---------------------------------------------


@pytest.fixture
def site() -> Iterator[None]:
    """A fresh global site (config, tree, engine listeners, plugins) for one test."""
    from cherrypit.testing import site_context

    with site_context():
        yield


def test_engine_serves_the_tree_on_every_configured_server(site: None) -> None:
    import cherrypit

    class Root:
        @cherrypit.expose
        def index(self) -> str:
            return "Hello from the tree"

        @cherrypit.expose
        def shout(self, word: str) -> str:
            return word.upper()

    cherrypit.tree.mount(Root())
    cherrypit.config.update(
        {
            "server.socket_host": "127.0.0.1",
            "server.socket_port": 0,
            "server.second.socket_port": 0,
            "log.screen": False,
        }
    )
    default, second = cherrypit.server, cherrypit.servers["second"]
    cherrypit.engine.start()
    try:
        addresses = [default.bound_addr, second.bound_addr]
        assert default.running and second.running
        assert default.base() == f"http://127.0.0.1:{addresses[0][1]}"
        assert get(default) == (200, b"Hello from the tree")
        assert get(default, "/shout?word=hi") == (200, b"HI")
        assert get(second) == (200, b"Hello from the tree")
    finally:
        cherrypit.engine.exit()
    assert not default.running and not second.running
    assert all(refuses_connections(*address) for address in addresses)


def test_engine_start_on_a_busy_port_fails_with_one_line(site: None, no_port_wait: None) -> None:
    import cherrypit

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        cherrypit.config.update({"server.socket_port": port, "log.screen": False})
        with pytest.raises(ChannelFailures) as info:
            cherrypit.engine.start()
    message = str(info.value)
    assert message == repr(
        PortInUseError(f"server.socket_port: port 127.0.0.1:{port} is already in use")
    )
    assert not cherrypit.server.running


def test_native_server_set_as_httpserver_serves_the_tree(site: None) -> None:
    # CherryPy code picks the native server by assigning it before engine.start().
    import cherrypit
    import cherrypit._cpnative_server

    class Root:
        @cherrypit.expose
        def index(self) -> str:
            return "Hello World!"

    cherrypit.config.update({"server.socket_port": 0, "log.screen": False})
    cherrypit.server.httpserver = cherrypit._cpnative_server.CPHTTPServer(cherrypit.server)
    assert cherrypit.server.httpserver.gateway is cherrypit._cpnative_server.NativeGateway
    cherrypit.tree.mount(Root())
    cherrypit.engine.start()
    try:
        assert get(cherrypit.server) == (200, b"Hello World!")
        assert get(cherrypit.server, "/nowhere")[0] == 404
    finally:
        cherrypit.engine.exit()
