"""``cherrypit run``: load a TARGET, mount it and serve it until interrupted.

TARGET loading lives here too (``routes`` reuses it): ``module:attr`` names a root
object, a class to instantiate, an :class:`~cherrypit.Application` or a WSGI callable;
a ``.py`` path is run as ``__main__``.  ``--reload`` hands the command line to the
autoreload plugin's supervisor, ``--as-cherrypy`` makes ``import cherrypy`` load
cherrypit, and a failed start becomes a one-line error instead of ending the process.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cherrypit._kernel import pluginmanager, site
from cherrypit._kernel.configfile import as_dict
from cherrypit._kernel.errors import ConfigError
from cherrypit._kernel.tree import Application
from cherrypit.cli._common import PROG, error
from cherrypit.process.wspbus import ChannelFailures

__all__ = [
    "Target",
    "TargetError",
    "cmd_run",
    "is_exposed",
    "load_target",
    "mount_target",
    "run_script",
]


class TargetError(Exception):
    """The TARGET of ``run``/``routes`` cannot be loaded; the message says why."""


class _StartAborted(Exception):
    """Raised instead of ending the process when the engine fails to start."""


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


def is_exposed(obj: Any) -> bool:
    """Whether ``obj`` (a method: its function) is marked ``exposed``, read without running code."""
    if inspect.ismethod(obj):
        obj = obj.__func__
    try:
        return bool(inspect.getattr_static(obj, "exposed", False))
    except Exception:
        return False


def _looks_like_wsgi(obj: Any) -> bool:
    """A callable taking ``(environ, start_response)`` that is not a page handler."""
    if is_exposed(obj) or not callable(obj) or inspect.isclass(obj):
        return False
    if any(is_exposed(getattr(obj, n, None)) for n in ("index", "default")):
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


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the TARGET until the engine stops; returns the exit status."""
    if args.reload:
        # The autoreload plugin's supervisor re-runs this command line as a child and
        # returns its own exit status; in that child it returns None and we serve.
        try:
            supervise = pluginmanager.plugin_module("autoreload").supervise
        except (AttributeError, ConfigError) as exc:
            error(f"--reload needs the autoreload plugin: {exc}")
            return 2
        status = supervise()
        if status is not None:
            return int(status)
    if args.as_cherrypy:
        from cherrypit.compat import install_cherrypy_alias

        try:
            install_cherrypy_alias()
        except RuntimeError as exc:
            error(str(exc))
            return 2
    try:
        target = load_target(args.target)
        args.target_kind = "script" if target.script else "object"
        _apply_site_config(args)
        if target.script is None:
            mount_target(target.obj, args.target, args.config)
    except (TargetError, ConfigError) as exc:
        error(str(exc))
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
                    error(f"{target.script} mounted no application and started no engine")
                    return 2
            engine.start()
            # Only now: a failed start then prints nothing but its one-line error.
            engine.signals.subscribe()
            engine.block()
    except _StartFailed as exc:
        print(f"{PROG}: cannot start serving: {exc.cause}", file=sys.stderr)
        return 1
    except (TargetError, ConfigError) as exc:
        error(str(exc))
        return 2
    finally:
        engine.unsubscribe("start", announce)
        if late in engine.before_start:
            engine.before_start.remove(late)
    return 0
