"""Start-up warm-up: the first request after ``engine.start()`` costs what later ones do.

Without it, the first request of a process pays for work done once: importing the
request-body modules, building each application's middleware pipeline and request
plan, asking the plugins for their pre-dispatch steps, filling the header-name caches,
and running the cycle's code for the first time.  :func:`warm_up` does that work while
the engine starts, before the HTTP server accepts connections.

Nothing the application can observe happens: no handler, tool set-up, request
namespace or engine channel of the application is run.  The cycle itself is
exercised with a private application of the kernel's own (not mounted, no site
config), and an application's config plan is built from a dispatcher walk of ``/``
that only reads attributes.
"""

from __future__ import annotations

import importlib
import io
from typing import Any

from cherrypit._kernel import serving, site
from cherrypit._kernel.dispatch import Dispatcher
from cherrypit._kernel.plan import Plan
from cherrypit._kernel.tree import Application
from cherrypit._kernel.wsgi import make_request, run_request

#: Modules the cycle imports on first use (request bodies and their processors).
_LAZY_MODULES = (
    "cherrypit._kernel.body",
    "cherrypit._kernel.multipart",
    "cherrypit._kernel.processors",
    "cherrypit._kernel.readers",
)

#: Config sections per application whose plans are built ahead (the rest on first use).
_SECTION_LIMIT = 64
#: Times the probe requests run.
_ROUNDS = 10


def warm_up(tree: Any) -> None:
    """Prepare every application of ``tree`` and run the cycle once, privately."""
    for name in _LAZY_MODULES:
        importlib.import_module(name)
    for app in list(tree.apps.values()):
        if isinstance(app, Application):
            prepare(app)
    _exercise_cycle()


def prepare(app: Application) -> None:
    """Build what ``app``'s first request would otherwise build."""
    app.wsgiapp.build()
    app.pre_dispatch_steps()
    app.uri_encoding_for("/")
    request, _response = make_request(app, _environ("GET", "/"))
    for path in ["/", *sorted(app.path_sections)[:_SECTION_LIMIT]]:
        dispatcher = app.dispatcher_for(path, request.dispatch)
        # Only the kernel's walking dispatchers are known to have no side effects,
        # and only without _cp_dispatch (application code).
        if isinstance(dispatcher, Dispatcher):
            trail = dispatcher.find_trail(request, path, dynamic=False)
            app.plan_for(trail.sources, trail.sections)


class _Probe:
    """The root of the warm-up application."""

    def index(self, **params: Any) -> str:
        return "ok"

    index.exposed = True  # type: ignore[attr-defined]


class _ProbeApplication(Application):
    """An application that ignores the site config, so nothing of the user's runs."""

    def plan_for(self, sources: list[dict[str, Any]], sections: dict[str, str] | None) -> Plan:
        config = dict(site.config.default_settings())
        for source in sources:
            config.update(source)
        return Plan(config, self.toolboxes, site.config.namespaces.keys() | self.namespaces.keys())

    def dispatcher_for(self, path: str, default: Any) -> Any:
        return _PROBE_DISPATCHER

    def pre_dispatch_steps(self) -> list[Any]:
        return []

    def uri_encoding_for(self, path: str) -> str:
        return "utf-8"


_PROBE_DISPATCHER = Dispatcher()
#: (plugin host, probe application): one probe per set of plugins, not one per start
#: (each application has a logger of its own, kept by the logging module).
_probe: tuple[Any, _ProbeApplication] | None = None


def _probe_application() -> _ProbeApplication:
    global _probe
    host = site.default.plugins
    if _probe is None or _probe[0] is not host:
        _probe = (host, _ProbeApplication(_Probe()))
    return _probe[1]


def _environ(method: str, path: str, body: bytes = b"", content_type: str = "") -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "*/*",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = content_type
    return environ


def _exercise_cycle() -> None:
    # Not through the WSGI entry point: that would publish the engine's request
    # channels and write an access line for a request no client made.
    app = _probe_application()
    slot = serving.ambient()
    saved = (slot.request, slot.response, slot.session)
    requests = [
        ("GET", "/", b"", ""),
        ("GET", "/missing", b"", ""),
        ("POST", "/", b"a=1", "application/x-www-form-urlencoded"),
    ]
    try:
        # A few rounds: the interpreter specialises code after it ran several times.
        for method, path, body, content_type in requests * _ROUNDS:
            environ = _environ(method, path, body, content_type)
            request, response = make_request(app, environ)
            slot.request, slot.response = request, response
            try:
                run_request(request, environ, environ["PATH_INFO"], "")
                response.collapse_body()
            finally:
                request.close()
    finally:
        slot.request, slot.response, slot.session = saved
