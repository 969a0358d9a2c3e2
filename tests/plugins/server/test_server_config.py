"""The ``server`` config namespace, the Server settings and the cheroot server they build.

No sockets are opened here (see tests/e2e/test_server_e2e.py for that).
"""

from __future__ import annotations

import pathlib
import socket
import ssl

import cheroot.server
import pytest

import cherrypit
import cherrypit_server
from cherrypit.plugin import ConfigError
from cherrypit.process.servers import ServerAdapter
from cherrypit.process.wspbus import Bus
from cherrypit.testing import config_warnings
from cherrypit_server import registry
from cherrypit_server.server import Server
from cherrypit_server.wsgi_server import CPWSGIServer


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Bus:
    """A private bus, and a fresh default server and servers dict for the registry."""
    private = Bus()
    monkeypatch.setattr(registry, "_default", [Server(bus=private)])
    monkeypatch.setattr(registry, "servers", {})
    return private


def configure(key: str, value: object) -> None:
    """Apply ``server.<key> = value`` the way cherrypit.config.update() does."""
    handler = cherrypit_server.cherrypit_config_namespaces()["server"]
    handler(key, value)


def subscribed(bus: Bus, server: Server) -> bool:
    return server.start in bus.listeners["start"] and server.stop in bus.listeners["stop"]


# -- the namespace handler -------------------------------------------------------


def test_handler_sets_attributes_on_the_default_server(bus: Bus) -> None:
    configure("socket_host", "0.0.0.0")
    configure("socket_port", 9090)
    configure("thread_pool", 20)
    configure("statistics", True)
    server = registry.default_server()
    assert (server.socket_host, server.socket_port) == ("0.0.0.0", 9090)
    assert server.thread_pool == 20
    assert server.statistics is True
    assert registry.servers == {}


def test_handler_normalises_values_from_text_and_toml(bus: Bus, tmp_path: pathlib.Path) -> None:
    configure("socket_port", "8181")
    configure("nodelay", "false")
    configure("wsgi_version", [1, 0])
    configure("ssl_module", None)
    configure("socket_file", tmp_path / "app.sock")
    server = registry.default_server()
    assert server.socket_port == 8181
    assert server.nodelay is False
    assert server.wsgi_version == (1, 0)
    assert server.ssl_module == "builtin"
    assert server.socket_file == str(tmp_path / "app.sock")


def test_unknown_setting_is_set_on_the_server_with_a_warning(bus: Bus) -> None:
    cherrypit.config.update({"server.socket_prot": 80, "server.environment": "staging"})
    server = registry.default_server()
    assert server.socket_prot == 80  # type: ignore[attr-defined]
    assert server.environment == "staging"  # type: ignore[attr-defined]
    warnings = config_warnings()
    assert any(
        w.startswith("server.socket_prot: not a known server setting (did you mean 'socket_port'?)")
        for w in warnings
    ), warnings
    assert any(w.startswith("server.environment: not a known server setting;") for w in warnings)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("socket_port", "abc", "server.socket_port: expected an int, got 'abc'"),
        ("socket_port", True, "server.socket_port: expected an int, got True"),
        (
            "socket_port",
            70000,
            "server.socket_port: expected a port number between 0 and 65535, got 70000",
        ),
        ("thread_pool", 2.5, "server.thread_pool: expected an int, got 2.5"),
        (
            "socket_timeout",
            "soon",
            "server.socket_timeout: expected a number of seconds, got 'soon'",
        ),
        ("nodelay", "maybe", "server.nodelay: expected True or False, got 'maybe'"),
        ("socket_host", 127, "server.socket_host: expected a string, got 127"),
        (
            "protocol_version",
            "HTTP/2",
            "server.protocol_version: expected 'HTTP/1.1' or 'HTTP/1.0', got 'HTTP/2'",
        ),
        ("wsgi_version", (2, 0), "server.wsgi_version: expected (1, 0) or ('u', 0), got (2, 0)"),
        ("ssl_context", "ctx", "server.ssl_context: expected an ssl.SSLContext, got 'ctx'"),
        ("ssl_certificate", 5, "server.ssl_certificate: expected a file path, got 5"),
        *(
            (
                "socket_file_mode",
                bad,
                "server.socket_file_mode: expected a permission mode such as 0o660 (or the "
                f"text '660'), or None to keep what the umask gives, got {bad!r}",
            )
            for bad in ("rw-rw----", "0o999", 0o1777, -1, True, 6.6)
        ),
    ],
)
def test_wrong_value_types_name_the_key(bus: Bus, key: str, value: object, message: str) -> None:
    before = getattr(registry.default_server(), key)
    with pytest.raises(ConfigError) as info:
        configure(key, value)
    assert str(info.value) == message
    assert getattr(registry.default_server(), key) == before


@pytest.mark.parametrize(("value", "mode"), [(0o660, 0o660), ("0660", 0o660), ("0o600", 0o600)])
def test_socket_file_mode_takes_an_int_or_octal_text(bus: Bus, value: object, mode: int) -> None:
    assert registry.default_server().socket_file_mode is None
    configure("socket_file_mode", value)
    assert registry.default_server().socket_file_mode == mode


def test_empty_socket_host_is_refused(bus: Bus) -> None:
    with pytest.raises(ConfigError, match=r"^server\.socket_host: the empty string"):
        configure("socket_host", "")
    with pytest.raises(ValueError, match="empty string"):
        registry.default_server().socket_host = ""
    assert registry.default_server().socket_host == "127.0.0.1"


def test_localhost_is_kept_as_given(bus: Bus) -> None:
    configure("socket_host", "localhost")
    assert registry.default_server().bind_addr == ("localhost", 8080)


def test_ssl_module_pyopenssl_is_a_clear_error(bus: Bus) -> None:
    with pytest.raises(ConfigError) as info:
        configure("ssl_module", "pyopenssl")
    message = str(info.value)
    assert message.startswith("server.ssl_module: 'pyopenssl' is not supported")
    assert "server.ssl_context" in message
    assert "\n" not in message


def test_ssl_module_unknown_name(bus: Bus) -> None:
    with pytest.raises(ConfigError, match=r"^server\.ssl_module: unknown SSL module 'gnutls'"):
        configure("ssl_module", "gnutls")


# -- additional servers ------------------------------------------------------------


def test_dotted_key_creates_a_subscribed_additional_server(bus: Bus) -> None:
    configure("extra.socket_port", 9001)
    configure("extra.socket_host", "127.0.0.2")
    extra = registry.servers["extra"]
    assert isinstance(extra, Server)
    assert extra is not registry.default_server()
    assert extra.bind_addr == ("127.0.0.2", 9001)
    assert extra.bus is bus
    assert subscribed(bus, extra)
    assert extra.config_prefix == "server.extra"
    assert registry.default_server().socket_port == 8080


def test_listener_priorities_match_cherrypy() -> None:
    bus = Bus()
    server = Server(bus=bus)
    server.subscribe()
    assert bus._priorities[("start", server.start)] == 75
    assert bus._priorities[("stop", server.stop)] == 25
    server.unsubscribe()
    assert not subscribed(bus, server)


def test_on_false_unsubscribes_an_additional_server(bus: Bus) -> None:
    configure("extra.socket_port", 9001)
    configure("extra.on", False)
    assert not subscribed(bus, registry.servers["extra"])
    configure("extra.on", True)
    assert subscribed(bus, registry.servers["extra"])


def test_unknown_setting_of_an_additional_server_is_set_with_a_warning(bus: Bus) -> None:
    cherrypit.config.update({"server.extra.socket_prot": 9001})
    assert registry.servers["extra"].socket_prot == 9001  # type: ignore[attr-defined]
    assert any(
        w.startswith("server.extra.socket_prot: not a known server setting (did you mean")
        for w in config_warnings()
    )


def test_wrong_type_for_an_additional_server_names_the_full_key(bus: Bus) -> None:
    with pytest.raises(ConfigError) as info:
        configure("extra.socket_port", "abc")
    assert str(info.value) == "server.extra.socket_port: expected an int, got 'abc'"


def test_a_setting_name_cannot_name_a_server(bus: Bus) -> None:
    with pytest.raises(ConfigError, match=r"^server\.socket_port\.x: 'socket_port' is a server"):
        configure("socket_port.x", 1)
    assert registry.servers == {}


# -- bind_addr and base() ------------------------------------------------------------


def test_defaults_match_cherrypy() -> None:
    server = Server(bus=Bus())
    assert server.bind_addr == ("127.0.0.1", 8080)
    assert server.socket_queue_size == 5
    assert server.socket_timeout == 10
    assert server.accepted_queue_size == -1
    assert server.accepted_queue_timeout == 10
    assert server.shutdown_timeout == 5
    assert server.protocol_version == "HTTP/1.1"
    assert (server.thread_pool, server.thread_pool_max) == (10, -1)
    assert server.max_request_header_size == 500 * 1024
    assert server.max_request_body_size == 100 * 1024 * 1024
    assert server.ssl_module == "builtin"
    assert server.nodelay is True
    assert server.wsgi_version == (1, 0)
    assert not server.running
    assert server.httpserver is None
    assert isinstance(server, ServerAdapter)


def test_tcp_base_omits_the_default_port() -> None:
    server = Server(bus=Bus())
    assert server.base() == "http://127.0.0.1:8080"
    server.socket_port = 80
    assert server.base() == "http://127.0.0.1"


def test_ipv6_base_is_bracketed() -> None:
    server = Server(bus=Bus())
    server.socket_host = "::1"
    assert server.base() == "http://[::1]:8080"


def test_any_address_base_uses_the_host_name() -> None:
    server = Server(bus=Bus())
    server.socket_host = "0.0.0.0"
    assert server.base() == f"http://{socket.gethostname()}:8080"


def test_ssl_base_is_https_and_omits_443() -> None:
    server = Server(bus=Bus())
    server.ssl_certificate = "cert.pem"
    server.ssl_private_key = "key.pem"
    assert server.base() == "https://127.0.0.1:8080"
    server.socket_port = 443
    assert server.base() == "https://127.0.0.1"


def test_ssl_context_alone_makes_base_https() -> None:
    server = Server(bus=Bus())
    server.ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    assert server.base() == "https://127.0.0.1:8080"


def test_unix_socket_bind_addr_and_base(tmp_path: pathlib.Path) -> None:
    server = Server(bus=Bus())
    path = str(tmp_path / "app.sock")
    server.socket_file = path
    assert server.bind_addr == path
    assert server.base() == path


def test_bind_addr_setter() -> None:
    server = Server(bus=Bus())
    server.bind_addr = ("0.0.0.0", 81)
    assert (server.socket_host, server.socket_port, server.socket_file) == ("0.0.0.0", 81, None)
    server.bind_addr = "/run/app.sock"
    assert (server.socket_host, server.socket_port, server.socket_file) == (
        None,
        None,
        "/run/app.sock",
    )
    server.bind_addr = None
    assert server.bind_addr is None
    with pytest.raises(ValueError, match="bind_addr must be"):
        server.bind_addr = ("a", 1, 2)  # type: ignore[assignment]


# -- the cheroot server built from the settings --------------------------------------


def test_cheroot_server_takes_every_setting() -> None:
    server = Server(bus=Bus())
    server.socket_port = 0
    server.thread_pool = 3
    server.thread_pool_max = 7
    server.socket_queue_size = 12
    server.socket_timeout = 2.5
    server.shutdown_timeout = 1
    server.accepted_queue_size = 4
    server.accepted_queue_timeout = 3
    server.protocol_version = "HTTP/1.0"
    server.nodelay = False
    server.statistics = True
    server.max_request_header_size = 1000
    server.max_request_body_size = None
    server.peercreds = True

    built = CPWSGIServer(server, hello_app)
    assert built.server_adapter is server
    assert built.bind_addr == ("127.0.0.1", 0)
    assert built.wsgi_app is hello_app
    assert built.server_name == "127.0.0.1"
    assert (built.requests.min, built.requests.max) == (3, 7)
    assert built.request_queue_size == 12
    assert built.timeout == 2.5
    assert built.shutdown_timeout == 1
    assert built.protocol == "HTTP/1.0"
    assert built.nodelay is False
    assert built.stats["Enabled"] is True
    assert built.max_request_header_size == 1000
    assert built.max_request_body_size == 0
    assert built.peercreds_enabled is True
    assert built.ssl_adapter is None
    assert not built.ready


def test_cheroot_server_parses_absolute_uris_without_patching_cheroot() -> None:
    built = CPWSGIServer(Server(bus=Bus()), hello_app)
    handler = built.ConnectionClass.RequestHandlerClass
    assert issubclass(handler, cheroot.server.HTTPRequest)
    assert handler is not cheroot.server.HTTPRequest
    assert cheroot.server.HTTPConnection.RequestHandlerClass is cheroot.server.HTTPRequest


def test_cheroot_errors_go_to_the_bus_log() -> None:
    bus = Bus()
    records: list[tuple[str, int]] = []
    bus.subscribe("log", lambda msg, level: records.append((msg, level)))
    built = CPWSGIServer(Server(bus=bus), hello_app)
    built.error_log("something odd", 30)
    assert records == [("something odd", 30)]


def test_httpserver_from_self_prefers_instance() -> None:
    server = Server(bus=Bus())
    sentinel = object()
    server.instance = sentinel
    assert server.httpserver_from_self() == (sentinel, ("127.0.0.1", 8080))


def test_missing_certificate_file_is_a_one_line_error(tmp_path: pathlib.Path) -> None:
    server = Server(bus=Bus())
    missing = tmp_path / "missing.pem"
    server.ssl_certificate = str(missing)
    server.ssl_private_key = str(tmp_path / "key.pem")
    with pytest.raises(ConfigError) as info:
        CPWSGIServer(server, hello_app)
    assert str(info.value) == f"server.ssl_certificate: file not found: {missing}"


def test_missing_key_file_of_an_additional_server(bus: Bus, tmp_path: pathlib.Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not really a certificate\n")
    configure("extra.ssl_certificate", str(cert))
    configure("extra.ssl_private_key", str(tmp_path / "nokey.pem"))
    with pytest.raises(ConfigError) as info:
        CPWSGIServer(registry.servers["extra"], hello_app)
    assert str(info.value) == (
        f"server.extra.ssl_private_key: file not found: {tmp_path / 'nokey.pem'}"
    )


def test_unloadable_certificate_is_a_one_line_error(tmp_path: pathlib.Path) -> None:
    cert = tmp_path / "cert.pem"
    key = tmp_path / "key.pem"
    cert.write_text("not really a certificate\n")
    key.write_text("not really a key\n")
    server = Server(bus=Bus())
    server.ssl_certificate = str(cert)
    server.ssl_private_key = str(key)
    with pytest.raises(ConfigError) as info:
        CPWSGIServer(server, hello_app)
    message = str(info.value)
    assert message.startswith(f"server.ssl_certificate: cannot load certificate {cert}")
    assert "\n" not in message
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_certificate_without_key_is_an_error(tmp_path: pathlib.Path) -> None:
    server = Server(bus=Bus())
    server.ssl_certificate = str(tmp_path / "cert.pem")
    with pytest.raises(ConfigError, match=r"^server\.ssl_private_key: required when"):
        CPWSGIServer(server, hello_app)


def test_ssl_context_alone_needs_no_files() -> None:
    server = Server(bus=Bus())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.ssl_context = context
    built = CPWSGIServer(server, hello_app)
    assert built.ssl_adapter is not None
    assert built.ssl_adapter.context is context


# -- the plugin hooks ---------------------------------------------------------------


def test_engine_setup_and_teardown(bus: Bus) -> None:
    other = Bus()
    cherrypit_server.cherrypit_engine_setup(other)
    default = registry.default_server()
    assert default.bus is other
    assert subscribed(other, default)
    configure("extra.socket_port", 9001)
    extra = registry.servers["extra"]
    assert subscribed(other, extra)

    cherrypit_server.cherrypit_engine_teardown(other)
    assert not subscribed(other, default)
    assert not subscribed(other, extra)
    assert registry.servers == {}


def test_teardown_starts_the_next_setup_from_defaults(bus: Bus) -> None:
    configure("socket_port", 9999)
    servers = registry.servers
    cherrypit_server.cherrypit_engine_teardown(bus)
    cherrypit_server.cherrypit_engine_setup(bus)
    fresh = registry.default_server()
    assert fresh.socket_port == 8080
    assert subscribed(bus, fresh)
    assert cherrypit_server.cherrypit_compat_attribute("cherrypit", "servers") is servers


def test_compat_attributes() -> None:
    hook = cherrypit_server.cherrypit_compat_attribute
    assert hook("cherrypit._cpserver", "Server") is Server
    # A kernel class, not the plugin's: _cpserver has it even with the plugin disabled.
    assert hook("cherrypit._cpserver", "ServerAdapter") is None
    assert cherrypit._cpserver.ServerAdapter is ServerAdapter
    assert hook("cherrypit._cpwsgi_server", "CPWSGIServer") is CPWSGIServer
    assert hook("cherrypit", "servers") is registry.servers
    assert hook("cherrypit", "nothing") is None
    assert hook("cherrypit.lib.static", "serve_file") is None


def test_compat_default_server(bus: Bus) -> None:
    hook = cherrypit_server.cherrypit_compat_attribute
    assert hook("cherrypit", "server") is registry.default_server()
