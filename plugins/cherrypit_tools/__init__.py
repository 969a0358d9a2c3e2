"""cherrypit's built-in toolbox: CherryPy's standard tools under their CherryPy names.

Registered through ``cherrypit_register_tools`` (nothing happens at import time).
Each tool keeps CherryPy's hook point, priority and config keys, so ``tools.gzip.on``
or ``@cherrypit.tools.json_out()`` mean what they meant in CherryPy.  The code lives
in one small module per group (:mod:`~cherrypit_tools.encoding`,
:mod:`~cherrypit_tools.cptools`, :mod:`~cherrypit_tools.jsontools`,
:mod:`~cherrypit_tools.caching`, :mod:`~cherrypit_tools.auth_basic`,
:mod:`~cherrypit_tools.auth_digest`, :mod:`~cherrypit_tools.session_auth`,
:mod:`~cherrypit_tools.cpstats`, :mod:`~cherrypit_tools.xmlrpc`,
:mod:`~cherrypit_tools.cors`, :mod:`~cherrypit_tools.secure_headers`), which also back
the compat modules ``cherrypit.lib.<name>``.  Two tools are cherrypit's own:
``cors`` and ``secure_headers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cherrypit import ErrorTool, Tool
from cherrypit.plugin import REFUSE, WARN, Settings, WarmupProbe, hookimpl
from cherrypit_tools import (
    auth_basic,
    auth_digest,
    cache_store,
    caching,
    cors,
    cpstats,
    cptools,
    encoding,
    jsontools,
    proxy,
    secure_headers,
    session_auth,
    xmlrpc,
)

if TYPE_CHECKING:
    from cherrypit import Toolbox
    from cherrypit.process.wspbus import Bus

__all__ = [
    "auth_basic",
    "auth_digest",
    "caching",
    "cherrypit_compat_attribute",
    "cherrypit_config_defaults",
    "cherrypit_engine_setup",
    "cherrypit_engine_teardown",
    "cherrypit_register_tools",
    "cherrypit_settings",
    "cherrypit_warmup_probes",
    "cors",
    "cpstats",
    "cptools",
    "encoding",
    "jsontools",
    "secure_headers",
    "session_auth",
    "xmlrpc",
]


def _compress_level(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= 9:
        raise ValueError(f"expected a zlib level, an int from 0 to 9, got {value!r}")


def _address_list(value: Any) -> None:
    if not isinstance(value, (tuple, list, set, frozenset)):
        raise TypeError(f"expected a list of addresses or networks, got {value!r}")


def _attributes(cls: type) -> list[str]:
    return [n for n in dir(cls) if not n.startswith("_") and not callable(getattr(cls, n))]


@hookimpl
def cherrypit_settings() -> Mapping[str, Settings]:
    """Declare the tool settings checked beyond each tool's signature.

    ``caching`` and ``encode`` set their settings as attributes of an object (as in
    CherryPy), so an unknown name is accepted with a warning.
    """
    return {
        "tools.gzip": Settings({"compress_level": _compress_level}, unknown=REFUSE),
        "tools.caching": Settings(
            [*_attributes(cache_store.MemoryCache), "cache_class"], unknown=WARN
        ),
        "tools.encode": Settings(encoding.ENCODE_SETTINGS, unknown=WARN),
        "tools.proxy": Settings({"trusted": _address_list}, unknown=REFUSE),
    }


@hookimpl
def cherrypit_config_defaults() -> Mapping[str, Any]:
    """CherryPy's tools that are on everywhere unless config switches them off."""
    return {
        "tools.log_tracebacks.on": True,
        "tools.log_headers.on": True,
        "tools.trailing_slash.on": True,
        "tools.encode.on": True,
    }


@hookimpl
def cherrypit_warmup_probes() -> Mapping[str, WarmupProbe]:
    """A JSON post through ``tools.json_in`` and ``tools.json_out`` at engine start."""
    json_tools = {"tools.json_in.on": True, "tools.json_out.on": True}
    return {
        "/json": WarmupProbe(
            json_tools, "/json", "POST", b'{"a": [1, "b"], "c": null}', "application/json"
        )
    }


@hookimpl
def cherrypit_register_tools(toolbox: Toolbox) -> None:
    """Add the built-in tools to ``toolbox`` (CherryPy's points and priorities)."""
    # on_start_resource
    toolbox.cors = cors.CorsTool()  # priority 5: preflights end before other tools
    toolbox.autovary = cptools.AutovaryTool()  # priority 0
    toolbox.allow = Tool("on_start_resource", cptools.allow)
    toolbox.response_headers = Tool("on_start_resource", cptools.response_headers)
    toolbox.accept = Tool("on_start_resource", cptools.accept)
    toolbox.redirect = Tool("on_start_resource", cptools.redirect)
    # before_request_body
    toolbox.proxy = Tool("before_request_body", cptools.proxy, priority=30)
    toolbox.json_in = Tool("before_request_body", jsontools.json_in, priority=30)
    toolbox.decode = Tool("before_request_body", encoding.decode)
    toolbox.ignore_headers = Tool("before_request_body", cptools.ignore_headers)
    toolbox.referer = Tool("before_request_body", cptools.referer)
    # before_handler; the order encode (70) after json_out (30) matters
    toolbox.auth_basic = Tool("before_handler", auth_basic.basic_auth, priority=1)
    toolbox.auth_digest = auth_digest.DigestTool()  # priority 1
    toolbox.session_auth = session_auth.SessionAuthTool()  # priority 50
    toolbox.params = Tool("before_handler", cptools.convert_params, priority=15)
    toolbox.json_out = Tool("before_handler", jsontools.json_out, priority=30)
    toolbox.trailing_slash = Tool("before_handler", cptools.trailing_slash, priority=60)
    toolbox.encode = encoding.EncodeTool()  # priority 70
    toolbox.caching = caching.CachingTool()  # priority 90; its tee at before_finalize 100
    # before_finalize
    toolbox.expires = Tool("before_finalize", caching.expires)
    toolbox.flatten = Tool("before_finalize", cptools.flatten)
    toolbox.etags = Tool("before_finalize", cptools.validate_etags, priority=75)
    toolbox.gzip = Tool("before_finalize", encoding.gzip, priority=80)
    toolbox.secure_headers = secure_headers.SecureHeadersTool()  # priority 90
    # errors and the end of the request
    toolbox.log_tracebacks = Tool("before_error_response", cptools.log_traceback)
    toolbox.log_headers = Tool("before_error_response", cptools.log_request_headers)
    toolbox.err_redirect = ErrorTool(cptools.redirect)
    toolbox.xmlrpc = xmlrpc.XMLRPCTool()
    toolbox.cpstats = cpstats.StatsTool()  # on_end_request (+ on_start_resource, 0)
    toolbox.log_hooks = Tool("on_end_request", cptools.log_hooks, priority=100)


@hookimpl
def cherrypit_pre_dispatch(settings: Mapping[str, Any]) -> Any:
    """Apply ``tools.proxy`` before dispatch when it is on for the whole application."""
    return proxy.pre_dispatch_step(settings)


@hookimpl
def cherrypit_engine_setup(engine: Bus) -> None:
    """Sweep expired ``tools.caching`` entries while the engine runs."""
    cache_store.registry.subscribe(engine)


@hookimpl
def cherrypit_engine_teardown(engine: Bus) -> None:
    """Stop the sweeper and forget every cache."""
    cache_store.registry.unsubscribe()
    caching._default.clear()


#: (compat module, name) -> (plugin module, attribute) for CherryPy's class paths.
_COMPAT_NAMES: dict[tuple[str, str], tuple[Any, str]] = {
    ("cherrypit._cptools", "SessionAuthTool"): (session_auth, "SessionAuthTool"),
    ("cherrypit._cptools", "CachingTool"): (caching, "CachingTool"),
    ("cherrypit._cptools", "XMLRPCController"): (xmlrpc, "XMLRPCController"),
    # cherrypit._cpdispatch resolves its names through cherrypit.dispatch.
    ("cherrypit.dispatch", "XMLRPCDispatcher"): (xmlrpc, "XMLRPCDispatcher"),
}

#: Compat module -> the plugin module behind all of its names (``cherrypit.lib.<name>``;
#: the compat module lists which names it has).
_COMPAT_MODULES: dict[str, Any] = {
    "cherrypit.lib.auth_basic": auth_basic,
    "cherrypit.lib.auth_digest": auth_digest,
    "cherrypit.lib.caching": caching,
    "cherrypit.lib.cpstats": cpstats,
    "cherrypit.lib.cptools": cptools,
    "cherrypit.lib.encoding": encoding,
    "cherrypit.lib.jsontools": jsontools,
    "cherrypit.lib.xmlrpcutil": xmlrpc,
}


@hookimpl
def cherrypit_compat_attribute(module: str, name: str) -> Any:
    """Back ``cherrypit.lib.<module>`` for the tool modules, CherryPy's
    ``_cptools.SessionAuthTool``/``CachingTool``/``XMLRPCController`` and
    ``dispatch.XMLRPCDispatcher``."""
    source = _COMPAT_MODULES.get(module)
    if source is not None:
        return getattr(source, name, None)
    found = _COMPAT_NAMES.get((module, name))
    if found is None:
        return None
    owner, attribute = found
    return getattr(owner, attribute)
