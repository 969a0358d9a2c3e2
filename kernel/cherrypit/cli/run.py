"""``cherrypit run``: load a TARGET, mount it and serve it until interrupted.

What a TARGET may be is :mod:`~cherrypit.cli.target`'s business (``routes`` shares
it).  ``--reload`` hands the command line to the
autoreload plugin's supervisor, ``--as-cherrypy`` makes ``import cherrypy`` load
cherrypit, and a failed start becomes a one-line error instead of ending the process.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cherrypit._kernel import pluginmanager, site
from cherrypit._kernel.errors import ConfigError
from cherrypit.cli._common import PROG, error
from cherrypit.cli._failure import print_failure
from cherrypit.cli.target import (
    Target,
    TargetError,
    is_exposed,
    load_target,
    merge_into_apps,
    mount_target,
    run_script,
)
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


class _StartAborted(Exception):
    """Raised instead of ending the process when the engine fails to start."""


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


# The signals a supervisor sends to stop or reload a server.
_STOP_SIGNALS = frozenset(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGUSR1") if hasattr(signal, name)
)


@contextmanager
def _signals_held_until_subscribed() -> Iterator[None]:
    """Keep stop signals pending while the engine starts.

    The server listens before the bus has its signal handlers (installed after a
    successful start, so that a failed one prints only its error): a SIGTERM in that
    window would kill the process without a clean stop.  Blocked, it is delivered
    to the bus's handler once that is installed.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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


def _apply_overrides(args: argparse.Namespace) -> None:
    overrides = _site_settings(args)
    if overrides:
        site.config.update(overrides)


def _late_settings(args: argparse.Namespace) -> Callable[[], None]:
    """Re-applied just before the engine starts, so a script cannot override the flags."""

    def apply() -> None:
        _apply_overrides(args)
        if args.target_kind == "script":
            merge_into_apps(args.config, list(site.tree.apps.values()))

    return apply


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
        if args.environment:
            site.config.update({"environment": args.environment})
        if target.script is None:
            mount_target(target, args.config)
        else:
            for path in args.config:
                site.config.update(path)
        _apply_overrides(args)
    except TargetError as exc:
        print_failure(str(exc), exc.cause, args.traceback, PROG)
        return 2
    except ConfigError as exc:
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
            with _signals_held_until_subscribed():
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
