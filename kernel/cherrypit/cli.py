"""The ``cherrypit`` command line: ``run``, ``plugins``, ``routes`` and plugin commands.

``cherrypit run TARGET`` serves an application: ``module:attr`` (a root object, a
class to instantiate, an :class:`~cherrypit.Application` or a WSGI callable) or a
``.py`` script run as ``__main__`` (CherryPy scripts call ``quickstart`` themselves;
``--as-cherrypy`` lets their ``import cherrypy`` load cherrypit).  ``cherrypit
plugins`` lists the installed plugins and ``cherrypit routes TARGET`` prints the URLs
an application exposes.  Plugins add sub-commands through the
``cherrypit_add_cli_commands`` hook.

Errors the user can fix (a bad target, a port in use) are reported as one line on
stderr; exit status 2 means "bad command line or target", 1 "could not serve".
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import logging
import os
import runpy
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cherrypit._kernel import pluginmanager, site
from cherrypit._kernel.configfile import as_dict
from cherrypit._kernel.dispatch import Dispatcher, MethodDispatcher, RoutesDispatcher
from cherrypit._kernel.errors import ConfigError
from cherrypit._kernel.tree import Application
from cherrypit.process.wspbus import ChannelFailures

__all__ = ["TargetError", "build_parser", "load_target", "main", "routes_of"]

PROG = "cherrypit"


class TargetError(Exception):
    """The TARGET of ``run``/``routes`` cannot be loaded; the message says why."""


class _StartAborted(Exception):
    """Raised instead of ending the process when the engine fails to start."""


class _StopBeforeServing(BaseException):
    """Ends a script at ``engine.start()`` (``routes``); not an ``Exception`` so
    that a script's own ``except Exception`` cannot swallow it."""


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


# --- targets ----------------------------------------------------------------------------


@dataclass
class Target:
    """What a TARGET names: a script path, or an object from a module."""

    spec: str
    script: str | None = None
    obj: Any = None


def _split_target(spec: str) -> tuple[str, str | None]:
    """``"a/b.py:attr"`` → ``("a/b.py", "attr")``; a Windows drive colon is not a split."""
    head, sep, tail = spec.rpartition(":")
    drive_letter = len(head) == 1 and head.isalpha()
    if sep and head and tail and not drive_letter and not any(c in tail for c in "/\\"):
        return head, tail
    return spec, None


def _import_module(name: str) -> Any:
    if os.getcwd() not in sys.path and "" not in sys.path:
        # Like ``python -m``: modules in the working directory are importable.
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise TargetError(f"cannot find module {name!r}") from None
        raise TargetError(f"importing {name!r} failed: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        raise TargetError(f"importing {name!r} failed: {type(exc).__name__}: {exc}") from exc


def _load_file_module(path: str) -> Any:
    """Execute ``path`` as a module not named ``__main__`` (its main block does not run)."""
    name = "_cherrypit_target_" + os.path.splitext(os.path.basename(path))[0]
    try:
        namespace = runpy.run_path(path, run_name=name)
    except Exception as exc:
        raise TargetError(f"loading {path!r} failed: {type(exc).__name__}: {exc}") from exc
    module = type(sys)(name)
    module.__dict__.update(namespace)
    return module


def _attribute(owner: Any, dotted: str, where: str) -> Any:
    obj = owner
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetError(f"{where} has no attribute {dotted!r}") from None
    return obj


def load_target(spec: str) -> Target:
    """Resolve TARGET: ``module:attr``, ``path/to/file.py`` or ``path/to/file.py:attr``.

    A bare script path is not executed here (see :func:`run_script`).

    :raises TargetError: with a one-line explanation.
    """
    location, attr = _split_target(spec)
    if location.endswith(".py") or os.sep in location or "/" in location:
        if not os.path.isfile(location):
            raise TargetError(f"no such file: {location!r}")
        if attr is None:
            return Target(spec, script=os.path.abspath(location))
        module = _load_file_module(location)
        return Target(spec, obj=_attribute(module, attr, repr(location)))
    if attr is None:
        raise TargetError(
            f"TARGET {spec!r} must be 'module:attribute' (e.g. myapp:Root) or a path to a .py file"
        )
    module = _import_module(location)
    return Target(spec, obj=_attribute(module, attr, f"module {location!r}"))


def _is_exposed(obj: Any) -> bool:
    if inspect.ismethod(obj):
        obj = obj.__func__
    try:
        return bool(inspect.getattr_static(obj, "exposed", False))
    except Exception:
        return False


def _looks_like_wsgi(obj: Any) -> bool:
    """A callable taking ``(environ, start_response)`` that is not a page handler."""
    if _is_exposed(obj) or not callable(obj) or inspect.isclass(obj):
        return False
    if any(_is_exposed(getattr(obj, n, None)) for n in ("index", "default")):
        return False
    try:
        inspect.signature(obj).bind({}, None)
    except (TypeError, ValueError):
        return False
    return True


def _root_of(obj: Any, spec: str) -> Any:
    if inspect.isclass(obj):
        try:
            return obj()
        except Exception as exc:
            raise TargetError(
                f"instantiating {spec!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
    return obj


def _path_sections(paths: Sequence[str]) -> list[dict[str, Any]]:
    """The ``[/path]`` sections of each config file (the ``[global]`` part is the site's)."""
    out = []
    for path in paths:
        data = as_dict(path)
        out.append({k: v for k, v in data.items() if k.startswith("/")})
    return out


def mount_target(obj: Any, spec: str, configs: Sequence[str] = ()) -> None:
    """Mount a resolved TARGET object on ``cherrypit.tree``, with the config files' paths."""
    sections = _path_sections(configs)
    if isinstance(obj, Application):
        site.tree.mount(obj)
        for conf in sections:
            if conf:
                obj.merge(conf)
        return
    if _looks_like_wsgi(obj):
        site.tree.graft(obj, "")
        return
    app = site.tree.mount(_root_of(obj, spec), "")
    for conf in sections:
        if conf:
            app.merge(conf)


# --- run ----------------------------------------------------------------------------------


class _HoldRecords(logging.Filter):
    """Keeps log records back while the engine starts (replayed unless start fails)."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.held.append(record)
        return False


def _root_cause(exc: BaseException) -> BaseException:
    if isinstance(exc, ChannelFailures) and exc.get_instances():
        return _root_cause(exc.get_instances()[0])
    return exc


class _StartFailed(Exception):
    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


@contextmanager
def _guarded_engine_start() -> Iterator[None]:
    """Make ``engine.start()`` fail with :class:`_StartFailed` instead of ending the process.

    While the engine starts, its log lines are held back: they are replayed when it
    started, dropped when it could not bind its address (the one-line error says
    it all), and replayed — tracebacks included — for any other failure.
    """
    engine = site.engine
    logger = site.log.error_log
    original_start = engine.start
    saved_exit = vars(engine).get("_exit_process")

    def abort(code: int) -> None:
        raise _StartAborted(code)

    def guarded_start() -> None:
        holder = _HoldRecords()
        logger.addFilter(holder)
        try:
            original_start()
        except Exception as exc:
            logger.removeFilter(holder)
            cause = _root_cause(exc)
            if not isinstance(cause, OSError):
                for record in holder.held:
                    logger.handle(record)
            raise _StartFailed(cause) from exc
        logger.removeFilter(holder)
        for record in holder.held:
            logger.handle(record)

    engine._exit_process = abort  # type: ignore[method-assign]
    engine.start = guarded_start  # type: ignore[method-assign]
    try:
        yield
    finally:
        del engine.start
        if saved_exit is None:
            del engine._exit_process
        else:
            engine._exit_process = saved_exit  # type: ignore[method-assign]


def _announce_url() -> Callable[[], None]:
    """A ``start`` listener printing the default server's URL once, on stdout."""
    done: list[bool] = []

    def announce() -> None:
        if done:
            return
        try:
            server = pluginmanager.compat_attribute("cherrypit", "server")
            base = str(server.base())
        except (AttributeError, ConfigError):
            return  # no HTTP server plugin: nothing to point a browser at
        if not getattr(server, "running", True):
            return
        done.append(True)
        url = base + "/" if base.startswith(("http://", "https://")) else base
        print(f"Serving on {url}", flush=True)

    announce.priority = 90  # type: ignore[attr-defined]  # after the server (75)
    return announce


def _site_settings(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.host is not None:
        overrides["server.socket_host"] = args.host
    if args.port is not None:
        overrides["server.socket_port"] = args.port
    return overrides


def _apply_site_config(args: argparse.Namespace) -> None:
    if args.environment:
        site.config.update({"environment": args.environment})
    for path in args.config:
        site.config.update(path)
    overrides = _site_settings(args)
    if overrides:
        site.config.update(overrides)


def _late_settings(args: argparse.Namespace) -> Callable[[], None]:
    """Re-applied just before the engine starts, so a script cannot override the flags."""
    sections = _path_sections(args.config)

    def apply() -> None:
        overrides = _site_settings(args)
        if overrides:
            site.config.update(overrides)
        if args.target_kind == "script":
            for app in site.tree.apps.values():
                if isinstance(app, Application):
                    for conf in sections:
                        if conf:
                            app.merge(conf)

    return apply


def run_script(path: str) -> None:
    """Run ``path`` as ``__main__``, like ``python path`` would.

    :raises TargetError: when the script imports CherryPy and the alias is off.
    """
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(path))
    try:
        runpy.run_path(path, run_name="__main__")
    except ModuleNotFoundError as exc:
        if exc.name == "cherrypy" or (exc.name or "").startswith("cherrypy."):
            raise TargetError(
                f"{path} imports {exc.name!r}, which is not installed; add --as-cherrypy "
                "to run it on cherrypit"
            ) from None
        raise


def _cmd_run(args: argparse.Namespace) -> int:
    if args.reload:
        # The autoreload plugin's supervisor re-runs this command line as a child and
        # returns its own exit status; in that child it returns None and we serve.
        try:
            supervise = pluginmanager.plugin_module("autoreload").supervise
        except (AttributeError, ConfigError) as exc:
            _error(f"--reload needs the autoreload plugin: {exc}")
            return 2
        status = supervise()
        if status is not None:
            return int(status)
    if args.as_cherrypy:
        from cherrypit.compat import install_cherrypy_alias

        try:
            install_cherrypy_alias()
        except RuntimeError as exc:
            _error(str(exc))
            return 2
    try:
        target = load_target(args.target)
        args.target_kind = "script" if target.script else "object"
        _apply_site_config(args)
        if target.script is None:
            mount_target(target.obj, args.target, args.config)
    except (TargetError, ConfigError) as exc:
        _error(str(exc))
        return 2

    engine = site.engine
    announce = _announce_url()
    late = _late_settings(args)
    engine.subscribe("start", announce)
    engine.before_start.append(late)
    try:
        with _guarded_engine_start():
            if target.script is not None:
                run_script(target.script)
                if engine.state is engine.states.STARTED:
                    # The script started the engine without waiting on it.
                    engine.signals.subscribe()
                    engine.block()
                    return 0
                if engine.state is not engine.states.STOPPED:
                    return 0
                if not site.tree.apps:
                    _error(f"{target.script} mounted no application and started no engine")
                    return 2
            engine.start()
            # Only now: a failed start then prints nothing but its one-line error.
            engine.signals.subscribe()
            engine.block()
    except _StartFailed as exc:
        print(f"{PROG}: cannot start serving: {exc.cause}", file=sys.stderr)
        return 1
    except (TargetError, ConfigError) as exc:
        _error(str(exc))
        return 2
    finally:
        engine.unsubscribe("start", announce)
        if late in engine.before_start:
            engine.before_start.remove(late)
    return 0


# --- plugins ------------------------------------------------------------------------------


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _cmd_plugins(args: argparse.Namespace) -> int:
    try:
        for path in args.config:
            site.config.update(path)
        infos = pluginmanager.plugin_infos()
    except ConfigError as exc:
        _error(str(exc))
        return 1
    if not infos:
        print("no plugins installed")
        return 0
    rows: list[tuple[str, ...]] = [("NAME", "DISTRIBUTION", "VERSION", "ENABLED")]
    rows += [(i.name, i.distribution, i.version, "yes" if i.enabled else "no") for i in infos]
    for line in _table(rows):
        print(line)
    return 0


# --- routes -------------------------------------------------------------------------------


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
        self._dynamic(node, path, dispatcher)
        self._children(node, path, dispatcher, (*ancestors, id(node)))
        if len(self.routes) > before:
            self.seen[id(node)] = path or "/"

    def _resource(self, node: Any, path: str) -> None:
        if not _is_exposed(node):
            return
        methods = sorted(m for m in dir(node) if m.isupper() and callable(getattr(node, m, None)))
        if "GET" in methods and "HEAD" not in methods:
            methods = sorted([*methods, "HEAD"])
        self.add(path or "/", node, ", ".join(methods) or "no HTTP methods")

    def _handlers(self, node: Any, path: str) -> None:
        if path and _is_exposed(node) and callable(node):
            self.add(path, node)
        index = getattr(node, "index", None)
        if index is not None and _is_exposed(index):
            self.add(path + "/", index)
        default = getattr(node, "default", None)
        if default is not None and _is_exposed(default):
            self.add(path + "/{...}", default, "default: any path below")

    def _dynamic(self, node: Any, path: str, dispatcher: Any) -> None:
        name = getattr(dispatcher, "dispatch_method_name", Dispatcher.dispatch_method_name)
        try:
            dispatch = inspect.getattr_static(node, name)
        except AttributeError:
            return
        if isinstance(dispatch, (staticmethod, classmethod)):
            dispatch = dispatch.__func__
        if not callable(dispatch) or _is_exposed(dispatch):
            return
        details = _popargs_details(dispatch)
        if details is None:
            self.add(path + "/{...}", getattr(node, name), f"dynamic: {name}")
            return
        names, handler = details
        below = path + "".join(f"/{{{n}}}" for n in names)
        if handler is None:
            self.add(below, node, f"dynamic: popargs({', '.join(names)}) on this object")
        elif inspect.isclass(handler) or inspect.isroutine(handler):
            self.add(below, handler, f"dynamic: popargs({', '.join(names)}) calls it")
        else:
            self.walk(handler, below, dispatcher, (id(node),))

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
                if not method_dispatch and _is_exposed(value):
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


def _cmd_routes(args: argparse.Namespace) -> int:
    try:
        if args.as_cherrypy:
            from cherrypit.compat import install_cherrypy_alias

            install_cherrypy_alias()
        target = load_target(args.target)
        for path in args.config:
            site.config.update(path)
        if target.script is not None:
            _capture_script_apps(target.script)
        else:
            mount_target(target.obj, args.target, args.config)
    except (TargetError, ConfigError, RuntimeError) as exc:
        _error(str(exc))
        return 2
    apps = sorted(site.tree.apps.items())
    if not apps:
        _error(f"{args.target} mounts no application")
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


# --- the parser ---------------------------------------------------------------------------


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="module:attribute, path/to/app.py or path/to/app.py:attribute",
    )
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="config file: [global] for the site, [/path] sections for the "
        "application (repeatable)",
    )
    parser.add_argument(
        "--as-cherrypy",
        action="store_true",
        help="let `import cherrypy` load cherrypit (for unchanged CherryPy code)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, including the sub-commands plugins contribute."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Run and inspect cherrypit (CherryPy-compatible) applications."
    )
    from cherrypit import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="serve an application",
        description="Serve TARGET until interrupted (Ctrl-C or SIGTERM).",
    )
    _add_target_options(run)
    run.add_argument("--host", help="address to listen on (server.socket_host)")
    run.add_argument("--port", type=int, help="port to listen on (server.socket_port)")
    run.add_argument(
        "--environment",
        metavar="ENV",
        help="config environment: production, staging, embedded, test_suite, development",
    )
    run.add_argument(
        "--reload",
        action="store_true",
        help="restart in a fresh process when the code or config changes (autoreload plugin)",
    )
    run.set_defaults(func=_cmd_run)

    plugins = sub.add_parser("plugins", help="list installed plugins")
    plugins.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="apply this config first (e.g. its plugins.disable)",
    )
    plugins.set_defaults(func=_cmd_plugins)

    routes = sub.add_parser("routes", help="print the URLs an application exposes")
    _add_target_options(routes)
    routes.set_defaults(func=_cmd_routes)

    try:
        pluginmanager.plugin_manager().hook.cherrypit_add_cli_commands(subparsers=sub)
    except ConfigError as exc:
        # A broken plugin must not take the built-in commands down with it.
        print(f"{PROG}: warning: plugin commands unavailable: {exc}", file=sys.stderr)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cherrypit`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception:
        traceback.print_exc()
        return 1
