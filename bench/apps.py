"""The benchmark applications, written once against CherryPy's public API.

The same module runs under the real CherryPy and under cherrypit: it imports
``cherrypy`` and falls back to ``cherrypit`` when CherryPy is not importable.  The
worker blocks the real CherryPy when it measures cherrypit, so the fallback is what
the cherrypit runs always get.

Each app is mounted alone at the site root by :func:`mount`, and the worker calls
``cherrypy.tree`` (the site's WSGI callable) directly; the engine and the HTTP server
are never started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Type-check against cherrypit's API, which is CherryPy's.
    import cherrypit as cherrypy
else:
    try:
        import cherrypy
    except ImportError:
        import cherrypit as cherrypy

__all__ = ["APP_NAMES", "SITE_CONFIG", "Skip", "cherrypy", "framework_name", "mount"]

#: Settings applied to both frameworks: what CherryPy's "production" environment sets,
#: spelled out key by key so that neither framework depends on the other's
#: environment presets.
SITE_CONFIG: dict[str, Any] = {
    "log.screen": False,
    "engine.autoreload.on": False,
    "checker.on": False,
    "request.show_tracebacks": False,
    "request.show_mismatched_params": False,
}

APP_NAMES = ("hello", "params", "json_post", "notfound", "static", "session")


class Skip(Exception):
    """The framework under test cannot run this app (e.g. a tool is missing)."""


class HelloRoot:
    @cherrypy.expose
    def index(self) -> str:
        return "Hello world!"


class ParamsRoot:
    @cherrypy.expose
    @cherrypy.tools.json_out()
    def p(self, x: str, a: str, b: str) -> dict[str, str]:
        return {"x": x, "a": a, "b": b}


class JsonRoot:
    @cherrypy.expose
    def echo(self) -> dict[str, Any]:
        data: dict[str, Any] = cherrypy.request.json
        return {**data, "value": data["value"] * 2}


class SessionRoot:
    @cherrypy.expose
    def count(self) -> str:
        session = cherrypy.session
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])


def framework_name() -> str:
    """``"cherrypy"`` or ``"cherrypit"``: which framework :data:`cherrypy` really is."""
    return str(cherrypy.__name__)


def _has_tool(name: str) -> bool:
    try:
        getattr(cherrypy.tools, name)
    except AttributeError:
        return False
    return True


def mount(name: str) -> Any:
    """Configure the site, mount app ``name`` at the root and return the WSGI callable.

    :raises Skip: when the framework lacks what the app needs.
    """
    cherrypy.config.update(SITE_CONFIG)
    root: object
    app_config: dict[str, dict[str, Any]] = {"/": {}}
    if name == "hello":
        root = HelloRoot()
    elif name == "params":
        root = ParamsRoot()
    elif name == "notfound":
        # The hello app again; the request asks for a path it does not have.
        root = HelloRoot()
    elif name == "json_post":
        missing = [t for t in ("json_in", "json_out") if not _has_tool(t)]
        if missing:
            raise Skip(f"{framework_name()} has no tools.{' / tools.'.join(missing)} yet")
        root = JsonRoot()
        app_config = {"/": {"tools.json_in.on": True, "tools.json_out.on": True}}
    elif name == "static":
        from bench.cases import static_dir

        root = HelloRoot()
        app_config = {
            "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": static_dir()}
        }
    elif name == "session":
        root = SessionRoot()
        app_config = {"/": {"tools.sessions.on": True}}
    else:
        raise ValueError(f"unknown app {name!r}; choose from {', '.join(APP_NAMES)}")
    cherrypy.tree.mount(root, "", app_config)
    return cherrypy.tree
