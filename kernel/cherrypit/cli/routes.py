"""``cherrypit routes``: list the URLs an application answers, by walking its tree.

The walk follows the dispatcher each config section selects (default, method or Routes
dispatcher), including ``_cp_dispatch`` and :func:`cherrypit.popargs` hooks.  A script
TARGET is run until it would start the engine, so that only its mounts are kept.
"""

from __future__ import annotations

import argparse
import functools
import inspect
from dataclasses import dataclass
from typing import Any

from cherrypit._kernel import site
from cherrypit._kernel.dispatch import Dispatcher, MethodDispatcher, RoutesDispatcher
from cherrypit._kernel.errors import ConfigError
from cherrypit._kernel.tree import Application
from cherrypit.cli._common import PROG, error
from cherrypit.cli._failure import print_failure
from cherrypit.cli.target import TargetError, is_exposed, load_target, mount_target, run_script

__all__ = ["Route", "cmd_routes", "routes_of"]


class _StopBeforeServing(BaseException):
    """Ends a script at ``engine.start()`` (``routes``); not an ``Exception`` so
    that a script's own ``except Exception`` cannot swallow it."""


@dataclass
class Route:
    """One line of ``cherrypit routes``."""

    url: str
    handler: str
    note: str = ""


def _qualname(obj: Any) -> str:
    if isinstance(obj, functools.partial):
        return _qualname(obj.func)
    if inspect.ismethod(obj):
        obj = obj.__func__
    if inspect.isfunction(obj) or inspect.isclass(obj):
        return f"{obj.__module__}.{obj.__qualname__}"
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


_LEAF_TYPES = (str, bytes, int, float, complex, bool, list, tuple, dict, set, frozenset)
_MAX_DEPTH = 24


def _popargs_details(dispatch: Any) -> tuple[list[str], Any] | None:
    """(names, handler) when ``dispatch`` was made by :func:`cherrypit.popargs`."""
    if not inspect.isfunction(dispatch) or dispatch.__qualname__ != "popargs.<locals>.decorated":
        return None
    names: list[str] = []
    handler = None
    for cell_name, cell in zip(
        dispatch.__code__.co_freevars, dispatch.__closure__ or (), strict=True
    ):
        if cell_name == "names":
            names = list(cell.cell_contents)
        elif cell_name == "handler":
            handler = cell.cell_contents
    return names, handler


class _RouteWalker:
    """Walks an application's object tree the way the dispatcher would."""

    def __init__(self, app: Application, script_name: str) -> None:
        self.app = app
        self.script_name = script_name
        self.routes: list[Route] = []
        self.seen: dict[int, str] = {}

    def _dispatcher(self, path: str, inherited: Any) -> Any:
        # Like the request cycle: only config sections choose the dispatcher (a node's
        # _cp_config is read after dispatch, too late to change it).
        section = self.app.config.get(path or "/")
        if section and "request.dispatch" in section:
            return section["request.dispatch"]
        return inherited

    def add(self, path: str, handler: Any, note: str = "") -> None:
        text = handler if isinstance(handler, str) else _qualname(handler)
        self.routes.append(Route(self.script_name + path, text, note))

    def walk(self, node: Any, path: str, dispatcher: Any, ancestors: tuple[int, ...]) -> None:
        if node is None or len(ancestors) > _MAX_DEPTH or id(node) in ancestors:
            return
        dispatcher = self._dispatcher(path, dispatcher)
        if isinstance(dispatcher, RoutesDispatcher):
            self._routes_dispatcher(dispatcher)
            return
        first = self.seen.get(id(node))
        if first is not None:
            self.add(path + "/...", f"same object as {first}")
            return
        before = len(self.routes)
        if isinstance(dispatcher, MethodDispatcher):
            self._resource(node, path)
        else:
            self._handlers(node, path)
        below = self._dynamic(node, path, dispatcher)
        self._children(node, below, dispatcher, (*ancestors, id(node)))
        if len(self.routes) > before:
            self.seen[id(node)] = path or "/"

    def _resource(self, node: Any, path: str) -> None:
        if not is_exposed(node):
            return
        methods = sorted(m for m in dir(node) if m.isupper() and callable(getattr(node, m, None)))
        if "GET" in methods and "HEAD" not in methods:
            methods = sorted([*methods, "HEAD"])
        self.add(path or "/", node, ", ".join(methods) or "no HTTP methods")

    def _handlers(self, node: Any, path: str) -> None:
        if path and is_exposed(node) and callable(node):
            self.add(path, node)
        index = getattr(node, "index", None)
        if index is not None and is_exposed(index):
            self.add(path + "/", index)
        default = getattr(node, "default", None)
        if default is not None and is_exposed(default):
            self.add(path + "/{...}", default, "default: any path below")

    def _dynamic(self, node: Any, path: str, dispatcher: Any) -> str:
        """Add the node's dynamic routes; returns the path its children are found at.

        ``popargs`` without a handler takes its segments first and then looks the rest
        up on the node itself, so the node's children live below the taken segments
        (``/users/{username}/posts``); anywhere else, at ``path``.
        """
        name = getattr(dispatcher, "dispatch_method_name", Dispatcher.dispatch_method_name)
        try:
            dispatch = inspect.getattr_static(node, name)
        except AttributeError:
            return path
        if isinstance(dispatch, (staticmethod, classmethod)):
            dispatch = dispatch.__func__
        if not callable(dispatch) or is_exposed(dispatch):
            return path
        details = _popargs_details(dispatch)
        if details is None:
            self.add(path + "/{...}", getattr(node, name), f"dynamic: {name}")
            return path
        names, handler = details
        below = path + "".join(f"/{{{n}}}" for n in names)
        if handler is None:
            self.add(below, node, f"dynamic: popargs({', '.join(names)}) on this object")
            return below
        if inspect.isclass(handler) or inspect.isroutine(handler):
            self.add(below, handler, f"dynamic: popargs({', '.join(names)}) calls it")
        else:
            self.walk(handler, below, dispatcher, (id(node),))
        return path

    def _children(self, node: Any, path: str, dispatcher: Any, ancestors: tuple[int, ...]) -> None:
        method_dispatch = isinstance(dispatcher, MethodDispatcher)
        for name in sorted(dir(node)):
            if name.startswith("_") or name in ("index", "default", "exposed"):
                continue
            if method_dispatch and name.isupper():
                continue
            try:
                static = inspect.getattr_static(node, name)
            except AttributeError:
                continue
            if isinstance(static, property) or inspect.isclass(static):
                continue  # never run property code; classes are not nodes
            try:
                value = getattr(node, name)
            except Exception:
                continue
            if value is None or isinstance(value, _LEAF_TYPES) or inspect.ismodule(value):
                continue
            if inspect.isroutine(value) or isinstance(value, functools.partial):
                if not method_dispatch and is_exposed(value):
                    self.add(f"{path}/{name}", value)
                continue
            if type(value).__module__ == "builtins":
                continue
            self.walk(value, f"{path}/{name}", dispatcher, ancestors)

    def _routes_dispatcher(self, dispatcher: RoutesDispatcher) -> None:
        for route in getattr(dispatcher.mapper, "matchlist", []):
            defaults = getattr(route, "defaults", {}) or {}
            controller = defaults.get("controller", "?")
            target = dispatcher.controllers.get(controller, controller)
            action = defaults.get("action")
            handler = _qualname(target) if not isinstance(target, str) else target
            if action:
                handler += f".{action}"
            name = getattr(route, "name", None)
            self.add(route.routepath, handler, f"route {name!r}" if name else "route")


def routes_of(script_name: str, app: Any) -> list[Route]:
    """The URLs that ``app`` (mounted at ``script_name``) answers, sorted by URL."""
    if not isinstance(app, Application):
        return [Route(script_name + "/{...}", _qualname(app), "WSGI application")]
    walker = _RouteWalker(app, script_name)
    walker.walk(app.root, "", site.config.get("request.dispatch"), ())
    return sorted(walker.routes, key=lambda r: r.url)


def _capture_script_apps(path: str) -> None:
    """Run a script until it starts the engine, keeping what it mounted."""
    engine = site.engine

    def stop_here() -> None:
        raise _StopBeforeServing

    engine.start = stop_here  # type: ignore[method-assign]
    # quickstart() installs OS signal handlers first; listing routes must not.
    engine.signals.subscribe = lambda: None  # type: ignore[method-assign]
    try:
        run_script(path)
    except _StopBeforeServing:
        pass
    except TargetError:
        raise
    except SystemExit as exc:
        raise TargetError(f"{path} exited (status {exc.code}) before starting") from None
    except Exception as exc:
        raise TargetError(f"running {path!r} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        del engine.start
        del engine.signals.subscribe


def cmd_routes(args: argparse.Namespace) -> int:
    """Print one line per URL of the TARGET's applications; returns the exit status."""
    try:
        if args.as_cherrypy:
            from cherrypit.compat import install_cherrypy_alias

            install_cherrypy_alias()
        target = load_target(args.target)
        if target.script is not None:
            for path in args.config:
                site.config.update(path)
            _capture_script_apps(target.script)
        else:
            mount_target(target, args.config)
    except TargetError as exc:
        print_failure(str(exc), exc.cause, args.traceback, PROG)
        return 2
    except (ConfigError, RuntimeError) as exc:
        error(str(exc))
        return 2
    apps = sorted(site.tree.apps.items())
    if not apps:
        error(f"{args.target} mounts no application")
        return 2
    routes = [route for sn, app in apps for route in routes_of(sn, app)]
    if not routes:
        print("(no exposed handlers)")
        return 0
    width = max(len(r.url) for r in routes)
    for r in routes:
        line = f"{r.url.ljust(width)}  {r.handler}"
        print(f"{line}  [{r.note}]" if r.note else line)
    return 0
