"""Start-up warm-up: the first request after ``engine.start()`` costs what later ones do.

Without it, the first request of a process pays for work done once: importing the
request-body modules, building each application's middleware pipeline and request
plan, asking the plugins for their pre-dispatch steps, filling the header-name caches,
and running the cycle's code for the first time.  :func:`warm_up` does that work while
the engine starts, before the HTTP server accepts connections.

Nothing the application can observe happens: no handler, tool set-up, request
namespace or engine channel of the application is run.  The cycle itself is
exercised with a private probe application of the kernel's own (not mounted, no
site config, logs that write nowhere), with the requests plugins add through
``cherrypit_warmup_probes`` (JSON, a static file, a session: their tools' code).
An application's plans and walks are built from dispatcher walks of ``/``, its
config sections and its root's exposed methods, which only read attributes.  The
probe goes in through a WSGI call like a server's, so the gateway's code is warm
too, unless the engine has subscribers to the per-request channels
(``acquire_thread``, ``before_request``, ``after_request``): those are the
application's code, and the probe then enters below the gateway.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import io
import re
from collections.abc import Mapping
from types import FunctionType
from typing import Any, NamedTuple

from cherrypit._kernel import serving, site
from cherrypit._kernel.dispatch import Dispatcher, _computes_attributes
from cherrypit._kernel.plan import Plan
from cherrypit._kernel.tree import Application, Tree
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
#: Times the probe requests run: the interpreter specialises code after it ran a few times.
_ROUNDS = 10
#: (method, target, body, content type) of the probe requests the kernel alone answers.
_KERNEL_REQUESTS = [
    ("GET", "/", b"", ""),
    ("GET", "/missing", b"", ""),
    ("GET", "/page/7?a=1&b=%C3%A9", b"", ""),
    ("POST", "/", b"a=1", "application/x-www-form-urlencoded"),
]


class WarmupProbe(NamedTuple):
    """A request of a plugin's for the start-up probe (``cherrypit_warmup_probes``).

    At each plugin's section the probe application has a page that takes any path
    segments and parameters, reads ``request.json`` and touches the session when
    there are ones, and returns ``"ok"``.
    """

    #: The config of the probe's section for this request: the plugin's tools on.
    config: Mapping[str, Any]
    #: The request target, under the section (``"/echo"``, ``"/files/x.txt?a=1"``).
    target: str
    method: str = "GET"
    body: bytes = b""
    content_type: str = ""


def warm_up(tree: Any) -> None:
    """Prepare every application of ``tree`` and run the cycle once, privately."""
    for name in _LAZY_MODULES:
        importlib.import_module(name)
    for app in list(tree.apps.values()):
        if isinstance(app, Application):
            prepare(app)
    _exercise_cycle()
    # The probe's garbage (a session's cycles, say) is collected now, not by the
    # first requests: only the young generations, which is quick.
    gc.collect(1)


def prepare(app: Application) -> None:
    """Build what ``app``'s first request would otherwise build."""
    app.wsgiapp.build()
    app.pre_dispatch_steps()
    app.uri_encoding_for("/")
    request, _response = make_request(app, _environ("GET", "/"))
    candidates = ["/", *sorted(app.path_sections)[:_SECTION_LIMIT], *_root_pages(app.root)]
    walked = [path for path in candidates if _plainly_walked(app.root, path)]
    paths = [*walked, *_open_paths(app.root, walked)]
    for path in dict.fromkeys(paths):
        dispatcher = app.dispatcher_for(path, request.dispatch)
        # Only the kernel's walking dispatchers are known to have no side effects,
        # and only without _cp_dispatch (application code).
        if isinstance(dispatcher, Dispatcher):
            trail = dispatcher.find_trail(request, path, dynamic=False)
            app.plan_for(trail.sources, trail.sections)


def _root_pages(root: Any) -> list[str]:
    """``/name`` for the exposed methods of the root's class (as many as sections).

    Walking them reads only functions and their attributes: no property, no
    ``__getattr__`` and no ``_cp_dispatch`` of the application runs.
    """
    cls = type(root)
    if _computes_attributes(cls):
        return []
    # Attribute lookup order: the instance, then the classes of the MRO.
    seen = set(getattr(root, "__dict__", None) or ())
    pages: list[str] = []
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if name in seen:
                continue
            seen.add(name)
            if (
                type(value) is FunctionType
                and not name.startswith("_")
                and getattr(value, "exposed", False)
            ):
                pages.append(f"/{name}")
    return sorted(pages)[:_SECTION_LIMIT]


#: A path segment no application names an attribute after (it is no identifier).
_OPEN_SEGMENT = "0"


def _open_paths(root: Any, paths: list[str]) -> list[str]:
    """For each of ``paths``, the path one segment below it that names no attribute.

    Their walks are remembered by shape, so the first request for any path of that
    shape (``/page/<id>``, a file under a static section, a 404) needs no walk of its
    own.  Such a walk reads more attributes of the nodes on its way (``_cp_dispatch``,
    ``default``, ``exposed``): a path is left out unless each of them is absent or
    a plain value, which runs nothing when read.
    """
    return [f"{path.rstrip('/')}/{_OPEN_SEGMENT}" for path in paths if _plainly_walked(root, path)]


#: The attributes a walk reads of the nodes it passes, besides the path's names.
_WALK_READS = ("exposed", "_cp_config", "index")
#: Those whose values it reads attributes of in turn (``exposed``, ``_cp_config``):
#: plain functions only, whose attributes are data.
_WALK_CALLABLES = ("_cp_dispatch", "default")


def _plainly_walked(root: Any, path: str) -> bool:
    """Whether walking ``path``, or below it, would read only plain attributes."""
    node = root
    # The walk of a path ends at the ``index`` of its last node.
    for segment in [*(x for x in path.split("/") if x), "index", None]:
        if node is None:
            return True  # the walk reads nothing of the nodes past a missing one
        if type(node) is not FunctionType and not _plain_node(node):
            return False
        if segment is None:
            return True
        if not segment.isidentifier():
            return False
        node = inspect.getattr_static(node, segment, None)
        if _runs_code_when_read(node):
            return False
    return True


def _plain_node(node: Any) -> bool:
    if _computes_attributes(type(node)):
        return False
    for name in _WALK_CALLABLES:
        found = inspect.getattr_static(node, name, None)
        if found is not None and type(found) is not FunctionType:
            return False
    return not any(
        _runs_code_when_read(inspect.getattr_static(node, name, None)) for name in _WALK_READS
    )


def _runs_code_when_read(value: Any) -> bool:
    """Whether ``value``, found in a class or instance dict, runs code when read.

    A property or another descriptor does; a function becomes a bound method, which
    reads only the function's attributes.
    """
    return value is not None and type(value) is not FunctionType and hasattr(type(value), "__get__")


class _Probe:
    """The root of the warm-up application."""

    def index(self, **params: Any) -> str:
        return "ok"

    index.exposed = True  # type: ignore[attr-defined]

    def page(self, number: str, **params: Any) -> str:
        return number

    page.exposed = True  # type: ignore[attr-defined]


def _section_page(*args: Any, **params: Any) -> str:
    """The probe's page at each plugin section: reads what plugins' tools prepared."""
    slot = serving.ambient()
    getattr(slot.request, "json", None)
    session = slot.session
    if session is not None:
        session["probe"] = session.get("probe", 0) + 1
    return "ok"


_section_page.exposed = True  # type: ignore[attr-defined]


def _plugin_probes() -> dict[str, WarmupProbe]:
    """Section → probe, from the plugins' ``cherrypit_warmup_probes``."""
    probes = dict(site.default.plugins.collect("cherrypit_warmup_probes", "warm-up probe"))
    for section, probe in probes.items():
        if not (isinstance(probe, WarmupProbe) and _SECTION.fullmatch(section)):
            raise TypeError(
                f"warm-up probe {section!r}: expected a WarmupProbe at a one-segment path"
            )
    return probes


_SECTION = re.compile(r"/[A-Za-z_][A-Za-z0-9_]*")


class _ProbeApplication(Application):
    """An application that ignores the site config, so nothing of the user's runs."""

    def plan_for(self, sources: list[dict[str, Any]], sections: dict[str, str] | None) -> Plan:
        config = dict(site.config.default_settings())
        for source in sources:
            config.update(source)
        if sections:
            config.update(sections)
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
_probe: tuple[Any, dict[str, WarmupProbe], _ProbeApplication] | None = None
#: Engine channels published around each request served through the WSGI entry point.
_REQUEST_CHANNELS = ("acquire_thread", "before_request", "after_request")


def _probe_application() -> _ProbeApplication:
    global _probe
    host = site.default.plugins
    probes = _plugin_probes()
    if _probe is None or _probe[0] is not host or _probe[1] != probes:
        root = _Probe()
        for section in probes:
            setattr(root, section[1:], _section_page)
        config = {section: dict(probe.config) for section, probe in probes.items()}
        app = _ProbeApplication(root, "", config)
        # Its log lines go nowhere, whatever handlers the site's loggers have (the
        # probe's answers are checked by the kernel's tests instead).
        app.log.access_log.propagate = False
        app.log.error_log.propagate = False
        _probe = (host, probes, app)
    return _probe[2]


def _probe_requests() -> list[tuple[str, str, bytes, str]]:
    assert _probe is not None
    plugin_requests = [(p.method, p.target, p.body, p.content_type) for p in _probe[1].values()]
    return (_KERNEL_REQUESTS + plugin_requests) * _ROUNDS


def _environ(method: str, target: str, body: bytes = b"", content_type: str = "") -> dict[str, Any]:
    path, _, query_string = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query_string,
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


def _exercise_cycle() -> list[tuple[str, str]]:
    """Run the probe requests; their (target, status line), for the tests."""
    app = _probe_application()
    listeners = site.engine.listeners
    if any(listeners.get(channel) for channel in _REQUEST_CHANNELS):
        return _exercise_below_gateway(app)
    return _exercise_gateway(app)


def _exercise_gateway(app: _ProbeApplication) -> list[tuple[str, str]]:
    # A private tree: the site's would route to the user's applications.
    tree = Tree()
    tree.graft(app)
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)

    requests = _probe_requests()
    for method, target, body, content_type in requests:
        result = tree(_environ(method, target, body, content_type), start_response)
        try:
            b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    return [(req[1], status) for req, status in zip(requests, statuses, strict=True)]


def _exercise_below_gateway(app: _ProbeApplication) -> list[tuple[str, str]]:
    # Not through the WSGI entry point: that would publish the engine's request
    # channels, whose subscribers are the application's code.
    slot = serving.ambient()
    saved = (slot.request, slot.response, slot.session)
    answers: list[tuple[str, str]] = []
    try:
        for method, target, body, content_type in _probe_requests():
            environ = _environ(method, target, body, content_type)
            request, response = make_request(app, environ)
            slot.request, slot.response = request, response
            try:
                run_request(request, environ, environ["PATH_INFO"], environ["QUERY_STRING"])
                response.collapse_body()
                answers.append((target, str(response.status)))
            finally:
                request.close()
    finally:
        slot.request, slot.response, slot.session = saved
    return answers
