"""Compat paths name the kernel's own objects: no copies that could drift apart.

``cherrypy.dispatch`` and ``cherrypy._cpdispatch`` are one module in CherryPy, so the
two paths must give the same objects here too; ``lib.reprconf`` is the kernel's
config-file reader; proxies are trusted by one rule everywhere.
"""

from __future__ import annotations

import importlib
import pathlib
from typing import Any

import pytest

import cherrypit
from cherrypit import _cpdispatch, _cpwsgi
from cherrypit._kernel import dispatch as kernel_dispatch
from cherrypit._kernel.proxy import is_trusted
from cherrypit.plugin import hookimpl
from cherrypit.testing import Client, mount_and_client, site_context


def test_both_dispatch_paths_name_the_same_objects() -> None:
    assert _cpdispatch.__all__ == cherrypit.dispatch.__all__
    for name in cherrypit.dispatch.__all__:
        assert getattr(_cpdispatch, name) is getattr(cherrypit.dispatch, name), name
        kernel_name = "_PUNCTUATION_TO_UNDERSCORE" if name == "punctuation_to_underscores" else name
        assert getattr(_cpdispatch, name) is getattr(kernel_dispatch, kernel_name), name
    assert _cpdispatch.Dispatcher is cherrypit.dispatch.Dispatcher


def test_plugin_backed_dispatcher_is_one_object_on_both_paths() -> None:
    assert _cpdispatch.XMLRPCDispatcher is cherrypit.dispatch.XMLRPCDispatcher


def test_dispatcher_refuses_a_translate_table_that_is_not_a_dict() -> None:
    # CherryPy validates the table when the dispatcher is made.
    with pytest.raises(ValueError, match="dict"):
        cherrypit.dispatch.Dispatcher(translate="-" * 256)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dict"):
        cherrypit.dispatch.MethodDispatcher(translate="-" * 256)  # type: ignore[arg-type]
    table = str.maketrans("-", "_")
    assert cherrypit.dispatch.Dispatcher(translate=table).translate is table


def test_reprconf_is_the_kernel_config_file_reader() -> None:
    from cherrypit._kernel import config, configfile
    from cherrypit.lib import reprconf

    for name in ("Parser", "as_dict", "unrepr", "modules", "attributes"):
        assert getattr(reprconf, name) is getattr(configfile, name), name
    assert reprconf.Config is config.Config
    assert reprconf.NamespaceSet is config.NamespaceSet
    assert reprconf.text_or_bytes == (str, bytes)


def test_reprconf_helpers_take_cherrypys_keywords() -> None:
    import json

    from cherrypit.lib import reprconf

    assert reprconf.unrepr(s="6 * 7") == 42
    assert reprconf.unrepr("") is None
    assert reprconf.modules(modulePath="json") is json
    assert reprconf.attributes(full_attribute_name="json.dumps") is json.dumps
    with pytest.raises(ImportError):
        reprconf.attributes("json")


# --- trusted proxies: one rule -------------------------------------------------------


def _text_app(text: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text.encode()]

    return app


def _wsgi_vhost_answer(trusted: list[str], peer: str) -> str:
    vhost = _cpwsgi.VirtualHost(
        _text_app("default"), {"shop.example": _text_app("shop")}, trusted_proxies=trusted
    )
    client = Client(vhost, host="other.example", remote_addr=peer)
    return client.get("/", headers={"X-Forwarded-Host": "shop.example"}).text


@pytest.mark.parametrize(
    ("trusted", "peer", "believed"),
    [
        (["10.0.0.0/8"], "10.1.2.3", True),  # a network, not only exact addresses
        (["10.0.0.0/8"], "192.0.2.9", False),
        (["10.0.0.1"], "10.0.0.1", True),
        (["10.0.0.1"], "::ffff:10.0.0.1", True),  # a dual-stack socket's form
        (["*"], "192.0.2.9", True),  # CherryPy's trust-everyone, opt-in
        ([], "127.0.0.1", True),  # nothing configured: the loopback addresses
        ([], "10.1.2.3", False),
    ],
)
def test_wsgi_virtual_host_trusts_proxies_as_the_kernel_does(
    trusted: list[str], peer: str, believed: bool
) -> None:
    assert is_trusted(peer, trusted or ("127.0.0.1", "::1")) is believed
    assert _wsgi_vhost_answer(trusted, peer) == ("shop" if believed else "default")


def test_trusted_network_agrees_with_the_virtual_host_dispatcher(kernel: None) -> None:
    class Shop:
        @cherrypit.expose
        def index(self) -> str:
            return "shop"

    class Root:
        shop = Shop()

        @cherrypit.expose
        def index(self) -> str:
            return "default"

    domains: dict[str, Any] = {"shop.example": "/shop"}
    dispatcher = cherrypit.dispatch.VirtualHost(**domains)
    config = {"/": {"request.dispatch": dispatcher, "request.trusted_proxies": ["10.0.0.0/8"]}}
    client = mount_and_client(Root(), config, host="other.example", remote_addr="10.1.2.3")
    forwarded = {"X-Forwarded-Host": "shop.example"}
    assert is_trusted("10.1.2.3", ["10.0.0.0/8"])
    assert client.get("/", headers=forwarded).text == "shop"
    assert _wsgi_vhost_answer(["10.0.0.0/8"], "10.1.2.3") == "shop"


# --- plugin-backed names: one route ---------------------------------------------------

#: One documented plugin-backed name of every compat module that has them.
PLUGIN_BACKED = [
    ("cherrypit", "server"),
    ("cherrypit.dispatch", "XMLRPCDispatcher"),
    ("cherrypit._cpdispatch", "XMLRPCDispatcher"),
    ("cherrypit._cpserver", "Server"),
    ("cherrypit._cptools", "SessionTool"),
    ("cherrypit._cpnative_server", "CPHTTPServer"),
    ("cherrypit._cpwsgi_server", "CPWSGIServer"),
    ("cherrypit.process.plugins", "Autoreloader"),
    ("cherrypit.lib.auth_basic", "checkpassword_dict"),
    ("cherrypit.lib.auth_digest", "get_ha1_dict_plain"),
    ("cherrypit.lib.caching", "expires"),
    ("cherrypit.lib.cpstats", "StatsPage"),
    ("cherrypit.lib.cptools", "accept"),
    ("cherrypit.lib.encoding", "gzip"),
    ("cherrypit.lib.jsontools", "json_out"),
    ("cherrypit.lib.logs", "get_logger"),
    ("cherrypit.lib.sessions", "FileSession"),
    ("cherrypit.lib.static", "serve_file"),
    ("cherrypit.lib.templates", "render"),
    ("cherrypit.lib.xmlrpcutil", "respond"),
]


class Replacement:
    """A third-party plugin that provides every CherryPy name itself."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    @hookimpl
    def cherrypit_compat_attribute(self, module: str, name: str) -> Any:
        self.asked.append((module, name))
        return f"{module}:{name} from the replacement"


def _module(dotted: str) -> Any:
    return importlib.import_module(dotted)


@pytest.mark.parametrize(("module", "name"), PLUGIN_BACKED)
def test_every_plugin_backed_name_goes_through_the_compat_hook(module: str, name: str) -> None:
    # No built-in plugin is loaded: the replacement alone answers, through the hook.
    replacement = Replacement()
    with site_context(autoload=False, plugins=[("replacement", replacement)]):
        value = getattr(_module(module), name)
    # _cpdispatch is cherrypit.dispatch under CherryPy's other name.
    asked = "cherrypit.dispatch" if module == "cherrypit._cpdispatch" else module
    assert value == f"{asked}:{name} from the replacement"
    assert replacement.asked == [(asked, name)]


@pytest.mark.parametrize(("module", "name"), PLUGIN_BACKED)
def test_a_plugin_backed_name_without_its_plugin_is_an_attribute_error(
    module: str, name: str
) -> None:
    with site_context(autoload=False), pytest.raises(AttributeError, match=repr(name)):
        getattr(_module(module), name)


def test_the_missing_plugin_is_named() -> None:
    from cherrypit.lib import static

    with site_context(autoload=False):
        with pytest.raises(AttributeError, match="plugin 'static' is not installed or is disabled"):
            static.serve_file  # noqa: B018


def test_undocumented_lib_names_do_not_reach_the_plugins() -> None:
    from cherrypit.lib import static

    replacement = Replacement()
    with site_context(autoload=False, plugins=[("replacement", replacement)]):
        with pytest.raises(AttributeError):
            static.not_a_cherrypy_name  # noqa: B018
    assert replacement.asked == []


def test_server_adapter_is_the_kernels_even_without_the_server_plugin() -> None:
    from cherrypit import _cpserver
    from cherrypit.process.servers import ServerAdapter

    with site_context(autoload=False):
        assert _cpserver.ServerAdapter is ServerAdapter


def test_no_compat_module_looks_plugins_up_by_itself() -> None:
    # The kernel-side helper (_kernel/submodules.py) is the one route; the CLI and the
    # public plugin API are not compat modules.
    package = pathlib.Path(cherrypit.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] in ("_kernel", "cli") or relative.name in ("plugin.py", "testing.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if "pluginmanager" in text or "plugin_module" in text:
            offenders.append(str(relative))
    assert offenders == []
