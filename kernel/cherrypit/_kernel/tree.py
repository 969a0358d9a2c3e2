"""Applications and the tree of mount points (``cherrypit.tree``).

An :class:`Application` is a root object plus its config (``{"/path": {key: value}}``)
mounted at a script name; it is a plain WSGI callable.  The :class:`Tree` maps script
names to applications (or to any grafted WSGI callable) and is itself the site's WSGI
callable, usable under any WSGI server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

from cherrypit._kernel import serving, site
from cherrypit._kernel.config import NamespaceHandler, NamespaceSet, check_request_key
from cherrypit._kernel.configfile import as_dict
from cherrypit._kernel.errors import ConfigError
from cherrypit._kernel.plan import Plan
from cherrypit._kernel.request import Request, Response
from cherrypit._kernel.tools import Toolbox
from cherrypit._kernel.wsgi import RAISE_ERRORS_KEY, serve, trap_error

if TYPE_CHECKING:
    from cherrypit._kernel.logmanager import LogManager

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ConfigSource = Mapping[str, Any] | str | os.PathLike[str] | IO[str]

_PLAN_CACHE_LIMIT = 4096
#: Dispatcher walks remembered per application (the whole cache is dropped when full).
_WALK_CACHE_LIMIT = 2048


class AppConfig(dict[str, dict[str, Any]]):
    """An application's ``{section: {key: value}}`` config that reports changes.

    Every edit is seen by the request plans: replacing sections here bumps the
    application's version, and edits inside a section dict are noticed when the
    plan cache compares the sections with the copies it was built from.
    """

    def __init__(self, on_change: Callable[[], None]) -> None:
        super().__init__()
        self._on_change = on_change

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        super().__setitem__(key, value)
        self._on_change()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._on_change()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._on_change()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default if default is not None else {}
        return dict.__getitem__(self, key)

    def pop(self, key: str, *default: Any) -> Any:
        value = super().pop(key, *default)
        self._on_change()
        return value

    def clear(self) -> None:
        super().clear()
        self._on_change()


class WSGIPipeline:
    """An application's WSGI entry point: its middleware ``pipeline`` around the app.

    ``pipeline`` lists ``(name, factory)`` pairs, outermost first; each factory is
    called as ``factory(next_app, **config[name])``.  The nested callable is built on
    the first request and kept; set ``head = None`` after editing ``pipeline`` or
    ``config`` once requests have been served (the ``wsgi.*`` config keys do that).
    """

    def __init__(self, tail: WSGIApp) -> None:
        self.tail = tail
        self.pipeline: list[tuple[str, Callable[..., WSGIApp]]] = []
        self.config: dict[str, dict[str, Any]] = {}
        self.head: WSGIApp | None = None

    def build(self) -> WSGIApp:
        """The head of the pipeline, building the middleware chain if needed."""
        head = self.head
        if head is None:
            head = self.tail
            for name, factory in reversed(self.pipeline):
                head = factory(head, **self.config.get(name, {}))
            self.head = head
        return head

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        head = self.head
        if head is None:
            head = self.build()
        try:
            return head(environ, start_response)
        except Exception as exc:
            # A request with ``throw_errors`` (or a middleware) raised: the pipeline's
            # middleware has seen the exception; the client still gets an answer
            # (CherryPy's ExceptionTrapper at the head of every application's pipeline).
            if environ.get(RAISE_ERRORS_KEY):
                raise
            return trap_error(environ, start_response, exc)

    def namespace_handler(self, key: str, value: Any) -> None:
        """``wsgi.pipeline = [(name, factory), ...]`` and ``wsgi.<name>.<arg> = value``."""
        if key == "pipeline":
            self.pipeline.extend(value)
        else:
            name, dot, arg = key.partition(".")
            if not dot:
                raise ConfigError(f"wsgi.{key}: expected wsgi.pipeline or wsgi.<name>.<arg>")
            self.config.setdefault(name, {})[arg] = value
        self.head = None


class Application:
    """A CherryPy application: root object, script name, config, log.

    :param root: the root of the URL object tree (may be ``None`` for config-only
        mounts).
    :param script_name: the mount point ('' for the site root; no trailing slash).
    :param config: app config: ``{"/": {...}, "/path": {...}}``, a filename or a file.
    """

    #: Make ``cherrypit.url()`` relative: ``False``, ``True`` or ``"server"``.
    relative_urls: bool | str = False
    #: Namespace → toolbox whose ``<namespace>.<tool>.*`` keys configure its tools.
    #: One dict shared by every application, so a library that adds a toolbox here
    #: (``Application.toolboxes.update(cors=...)``) reaches apps mounted before too.
    #: (The site registers ``tools``, :data:`cherrypit.tools`, when it is created.)
    toolboxes: dict[str, Toolbox] = {}
    #: Extra app-level config namespaces; each application starts with a copy.
    namespaces: dict[str, NamespaceHandler] = NamespaceSet()
    #: The classes each request of this application is made of.
    request_class: type[Request] = Request
    response_class: type[Response] = Response
    # Class-level defaults CherryPy documents; each instance sets its own.
    root: Any = None
    config: AppConfig = {}  # type: ignore[assignment]
    log: LogManager = None  # type: ignore[assignment]
    wsgiapp: Any = None
    #: What ``script_name`` is (CherryPy kept this text on the class).
    script_name_doc = (
        "The URI mount point of this application: '' for the site root, else a path "
        "starting with '/' and without a trailing slash."
    )

    def __init__(
        self, root: Any, script_name: str = "", config: ConfigSource | None = None
    ) -> None:
        # Plugins are wired before the first application exists (their namespaces
        # and tools shape it), never in the middle of its first request.
        site.default.plugins.ensure_loaded()
        self.root = root
        self._script_name: str | None = script_name
        self.config = AppConfig(self._config_changed)
        self.namespaces = NamespaceSet({**site.app_namespaces(), **type(self).namespaces})
        self.log = site.make_app_log(self)
        self.wsgiapp: Any = WSGIPipeline(self._serve)
        self._plans: dict[tuple[Any, ...], tuple[Plan, tuple[Any, ...], list[dict[str, Any]]]] = {}
        self._plan_version: tuple[int, int] = (-1, -1)
        self._walks: dict[Any, Any] = {}
        self._walks_version: tuple[int, int] = (-1, -1)
        self._lasting_walks: set[Any] = set()
        self._version = 0
        self._section_dispatch = False
        self._section_uri_encoding = False
        self._steps: list[Callable[[Request], None]] = []
        self._steps_version: tuple[int, int] = (-1, -1)
        #: Config sections below "/" (the dispatcher only builds paths when some exist).
        self.path_sections: frozenset[str] = frozenset()
        self.namespaces["wsgi"] = self.wsgiapp.namespace_handler
        if config:
            self.merge(config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.root!r}, {self.script_name!r})"

    @property
    def script_name(self) -> str:
        """The mount point; ``None`` at construction means "the request's script name"."""
        if self._script_name is not None:
            return self._script_name
        # Read the WSGI environ: request.script_name is only set from this value.
        environ = serving.ambient().request.wsgi_environ
        return str(environ.get("SCRIPT_NAME", "")).rstrip("/")

    @script_name.setter
    def script_name(self, value: str | None) -> None:
        if value:
            value = value.rstrip("/")
        self._script_name = value

    # -- config ----------------------------------------------------------------------

    def merge(self, config: ConfigSource) -> None:
        """Merge more config (dict, filename or file) into this application's config."""
        if isinstance(config, (str, os.PathLike)):
            site.config.files.append(os.fspath(config))
        data = as_dict(config)
        for section, values in data.items():
            if not isinstance(values, Mapping):
                raise ConfigError(
                    "Application config must have section headers; wrap it in a dict with "
                    f"paths as keys, e.g. {{'/': config}} (got key {section!r})"
                )
            for key, value in values.items():
                self._check_key(section, key, value)
            self.config.setdefault(section, {}).update(values)
        # The key checks above may have loaded the plugins: pick up their namespaces.
        for ns, ns_handler in site.app_namespaces().items():
            self.namespaces.setdefault(ns, ns_handler)
        root_section = self.config.get("/", {})
        for key, value in root_section.items():
            ns, dot, name = key.partition(".")
            handler = self.namespaces.get(ns) if dot else None
            if handler is not None:
                try:
                    handler(name, value)
                except ConfigError:
                    raise
                except (AttributeError, KeyError, TypeError, ValueError) as exc:
                    raise ConfigError(f"[/] {key}: {exc}") from exc
        self._config_changed()

    def _config_changed(self) -> None:
        """Recompute what the hot path derives from the config (after any change)."""
        self.path_sections = frozenset(
            section
            for section, values in self.config.items()
            if section.startswith("/") and section != "/" and values
        )
        self._section_dispatch = any(
            "request.dispatch" in values for s, values in self.config.items() if s != "global"
        )
        self._section_uri_encoding = any(
            "request.uri_encoding" in values for s, values in self.config.items() if s != "global"
        )
        self._version += 1

    def _check_key(self, section: str, key: str, value: Any) -> None:
        ns, dot, _ = key.partition(".")
        if not dot:
            return
        try:
            if ns in ("request", "response", "tools", "hooks", "error_page"):
                check_request_key(key, value, site.config.tool_exists)
            elif ns in self.toolboxes:
                pass
            else:
                site.config.check_key(key, value)
        except ConfigError as exc:
            raise ConfigError(f"[{section}] {exc}") from None

    def find_config(self, path: str, key: str, default: Any = None) -> Any:
        """The value of ``key`` for ``path``: nearest section first, then global."""
        trail = path or "/"
        while trail:
            section = self.config.get(trail)
            if section is not None and key in section:
                return section[key]
            cut = trail.rfind("/")
            if cut == -1:
                break
            trail = "/" if cut == 0 and trail != "/" else trail[:cut]
            if trail == "/" and "/" not in self.config:
                break
        return site.config.get(key, default)

    def pre_dispatch_steps(self) -> list[Callable[[Request], None]]:
        """What plugins run on each request before dispatch (``cherrypit_pre_dispatch``).

        Asked of the plugins once per configuration (site config merged with this
        application's ``[/]`` section), not per request.
        """
        version = (site.config.version, self._version)
        if version != self._steps_version:
            settings = {**site.config, **self.config.get("/", {})}
            steps = site.default.plugins.pm.hook.cherrypit_pre_dispatch(
                app=self, settings=settings
            )
            self._steps = [step for step in reversed(steps) if step is not None]
            self._steps_version = version
        return self._steps

    @property
    def section_markers(self) -> Mapping[str, str]:
        """Config keys whose section path plugins want (``cherrypit_section_markers``)."""
        return site.default.section_markers

    def uri_encoding_for(self, path: str) -> str:
        """``request.uri_encoding`` for ``path`` (how the raw URI bytes are decoded)."""
        if self._section_uri_encoding:
            return str(self.find_config(path, "request.uri_encoding", "utf-8"))
        return str(site.config.get("request.uri_encoding", "utf-8"))

    def dispatcher_for(self, path: str, default: Any) -> Any:
        if self._section_dispatch:
            return self.find_config(path, "request.dispatch", default)
        return site.config.get("request.dispatch", default)

    def walk_cache(self) -> dict[Any, Any]:
        """The dispatcher walks remembered for this application's current config."""
        version = (site.config.version, self._version)
        if version != self._walks_version:
            self._walks = {}
            self._lasting_walks = set()
            self._walks_version = version
        return self._walks

    def remember_walk(self, key: Any, walk: Any, lasting: bool = False) -> None:
        """Keep a dispatcher walk for later requests (bounded: paths are client input).

        :param lasting: the walk stands for many paths (a shape of the tree, not one
            path a client chose): it survives when the others are dropped to make room.
        """
        walks = self.walk_cache()
        if len(walks) >= _WALK_CACHE_LIMIT:
            lasting_walks = {k: walks[k] for k in self._lasting_walks if k in walks}
            walks.clear()
            if len(lasting_walks) < _WALK_CACHE_LIMIT // 2:
                walks.update(lasting_walks)
                self._lasting_walks = set(lasting_walks)
            else:
                self._lasting_walks = set()
        walks[key] = walk
        if lasting:
            self._lasting_walks.add(key)

    def plan_for(self, sources: list[dict[str, Any]], sections: dict[str, str] | None) -> Plan:
        """The cached plan for a config trail (built on first use)."""
        version = (site.config.version, self._version)
        if version != self._plan_version:
            self._plans.clear()
            self._plan_version = version
        key = (*map(id, sources), *(sections.items() if sections else ()))
        cached = self._plans.get(key)
        # The sources are plain dicts (``_cp_config``, sections) that handlers may edit
        # in place; comparing them with the copies taken when the plan was built is a
        # few C-level dict compares, cheaper than any merge.
        if cached is not None and cached[2] == sources:
            return cached[0]
        merged = dict(site.config)
        for source in sources:
            merged.update(source)
        if sections:
            merged.update(sections)
        plan = Plan(merged, self.toolboxes, site.config.namespaces.keys() | self.namespaces.keys())
        if len(self._plans) >= _PLAN_CACHE_LIMIT:
            self._plans.clear()
        # Keeping the sources alive keeps their ids unique while the entry is cached.
        self._plans[key] = (plan, tuple(sources), [dict(source) for source in sources])
        return plan

    # -- serving ---------------------------------------------------------------------

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return serve(self, environ, start_response)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.wsgiapp(environ, start_response)

    def get_serving(self, local: Any, remote: Any, scheme: str, sproto: str) -> Any:
        """CherryPy compat: create and install a request/response pair for this app."""
        request = self.request_class(local, remote, scheme, sproto)
        request.app = self
        response = self.response_class()
        serving.install(request, response)
        return request

    def release_serving(self) -> None:
        """CherryPy compat: close the current request."""
        serving.ambient().request.close()


class Tree:
    """Mount points → applications; the site's WSGI callable (``cherrypit.tree``)."""

    #: Mount point (script name) → application; each tree has its own.
    apps: dict[str, Any] = {}

    def __init__(self) -> None:
        self.apps = {}
        self._single: Any = None

    def mount(
        self, root: Any, script_name: str = "", config: ConfigSource | None = None
    ) -> Application:
        """Mount ``root`` (an object or an :class:`Application`) at ``script_name``."""
        if script_name is None:
            raise TypeError("script_name must be a string ('' for the site root), not None")
        script_name = script_name.rstrip("/")
        if isinstance(root, Application):
            app = root
            if script_name != "" and script_name != app.script_name:
                raise ValueError(
                    "Cannot mount an Application at a script name other than its own "
                    f"({app.script_name!r} vs {script_name!r})"
                )
            script_name = app.script_name
        else:
            app = Application(root, script_name)
        if config:
            app.merge(config)
        previous = self.apps.get(script_name)
        self.apps[script_name] = app
        self._refresh()
        try:
            site.check_configs([app])
        except ConfigError:
            # Refused: leave the tree as it was.
            if previous is None:
                del self.apps[script_name]
            else:
                self.apps[script_name] = previous
            self._refresh()
            raise
        return app

    def graft(self, wsgi_callable: Any, script_name: str = "") -> None:
        """Mount any WSGI callable at ``script_name``."""
        script_name = script_name.rstrip("/")
        self.apps[script_name] = wsgi_callable
        self._refresh()

    def clear(self) -> None:
        """Unmount every application."""
        self.apps.clear()
        self._refresh()

    def _refresh(self) -> None:
        only = self.apps.get("") if len(self.apps) == 1 else None
        self._single = only

    def script_name(self, path: str | None = None) -> str | None:
        """The mount point serving ``path`` (default: the current request's path)."""
        if path is None:
            request = serving.ambient().request
            path = request.script_name + request.path_info
        if path in self.apps:
            return path
        # The longest mount point that is a whole-segment prefix of the path.  Looking
        # at each mount point (there are few) keeps this linear in the path's length;
        # cutting one segment at a time off a long path would be quadratic.
        best: str | None = None
        for mount_point in self.apps:
            if (best is None or len(mount_point) > len(best)) and (
                mount_point == ""
                or (
                    path.startswith(mount_point)
                    and path[len(mount_point) : len(mount_point) + 1] == "/"
                )
            ):
                best = mount_point
        return best

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        single = self._single
        if (
            single is not None
            and not environ.get("SCRIPT_NAME")
            and "//" not in environ.get("PATH_INFO", "")
        ):
            return single(environ, start_response)
        sn_env = environ.get("SCRIPT_NAME", "")
        pi = environ.get("PATH_INFO", "")
        path = "/".join(x for x in (sn_env, pi) if x)
        while "//" in path:
            path = path.replace("//", "/")
        if path and not path.startswith("/"):
            path = "/" + path
        sn = self.script_name(path or "/")
        if sn is None:
            # Nothing is mounted there: an empty 404, as CherryPy answers.
            start_response("404 Not Found", [])
            return []
        environ = dict(environ)
        environ["SCRIPT_NAME"] = sn
        environ["PATH_INFO"] = path[len(sn) :]
        return self.apps[sn](environ, start_response)
