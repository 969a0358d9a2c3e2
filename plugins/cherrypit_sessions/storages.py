"""Which storage class a config names, and the storages prepared in this process.

Storages are named ``ram`` and ``file`` (built in) or by the entry points of the
``cherrypit.session_storage`` group (``redis`` from ``cherrypit[redis]``; third-party
packages add theirs the same way).  ``tools.sessions.storage_class`` also takes a class
or a ``"module.Class"`` string.

Each distinct (storage class, settings) pair is prepared once: its ``setup`` class
method runs, and a :class:`~cherrypit.process.plugins.Monitor` on the engine sweeps
expired sessions every ``clean_freq`` minutes while the engine runs.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from cherrypit import ConfigError, log
from cherrypit.process.plugins import Monitor
from cherrypit.process.wspbus import states
from cherrypit_sessions.base import Session
from cherrypit_sessions.files import FileSession
from cherrypit_sessions.ram import RamSession

if TYPE_CHECKING:
    from cherrypit.process.wspbus import Bus

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "available", "by_name", "resolve"]

ENTRY_POINT_GROUP = "cherrypit.session_storage"
BUILTIN: dict[str, type[Session]] = {"ram": RamSession, "file": FileSession}
_REQUIRED = ("_exists", "_load", "_save", "_delete", "acquire_lock", "release_lock")


def _entry_points() -> dict[str, Any]:
    from importlib_metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    """Every storage name a config may use."""
    return sorted({*BUILTIN, *_entry_points()})


def by_name(key: str, name: str) -> type[Session]:
    """The storage class registered as ``name`` (``key`` is named in errors)."""
    wanted = name.strip().lower()
    builtin = BUILTIN.get(wanted)
    if builtin is not None:
        return builtin
    ep = _entry_points().get(wanted)
    if ep is None:
        raise ConfigError(
            f"{key} = {name!r}: no session storage of that name; available: "
            f"{', '.join(available())}"
        )
    try:
        loaded = ep.load()
    except Exception as exc:
        dist = ep.dist.name if ep.dist else "?"
        hint = _install_hint(ep, exc)
        raise ConfigError(
            f"{key} = {name!r}: storage {ep.value!r} (distribution {dist!r}) failed to "
            f"import: {type(exc).__name__}: {exc}{hint}"
        ) from exc
    return _checked(key, loaded)


def _install_hint(ep: Any, exc: BaseException) -> str:
    """``; install it with pip install 'dist[extra]'`` when an extra provides the module."""
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    if not missing or ep.dist is None:
        return ""
    wanted = missing.split(".", 1)[0].lower().replace("_", "-")
    for requirement in ep.dist.requires or ():
        spec, _, marker = requirement.partition(";")
        project = re.split(r"[\s<>=!~\[(]", spec.strip(), maxsplit=1)[0].lower()
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        if project.replace("_", "-") == wanted and extra:
            return f"; install it with: pip install '{ep.dist.name}[{extra.group(1)}]'"
    return ""


def _checked(key: str, candidate: Any) -> type[Session]:
    if not isinstance(candidate, type):
        raise ConfigError(f"{key}: expected a session storage class, got {candidate!r}")
    lacking = [name for name in _REQUIRED if not callable(getattr(candidate, name, None))]
    if lacking:
        raise ConfigError(
            f"{key}: {candidate.__name__} is not a session storage (it lacks "
            f"{', '.join(lacking)}); subclass cherrypit.lib.sessions.Session"
        )
    return candidate


def resolve(storage_class: Any = None, storage_type: Any = None) -> type[Session]:
    """The class for ``tools.sessions.storage_class`` / ``storage_type`` (RAM if neither)."""
    if storage_type:
        # CherryPy lets the deprecated storage_type win over storage_class.
        if not isinstance(storage_type, str):
            raise ConfigError(f"tools.sessions.storage_type: expected a name, got {storage_type!r}")
        return by_name("tools.sessions.storage_type", storage_type)
    if storage_class is None:
        return RamSession
    key = "tools.sessions.storage_class"
    if isinstance(storage_class, str):
        if "." not in storage_class and ":" not in storage_class:
            return by_name(key, storage_class)
        module, _, attr = storage_class.replace(":", ".").rpartition(".")
        try:
            storage_class = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{key}: cannot import {storage_class!r}: {exc}") from exc
    return _checked(key, storage_class)


# --- prepared storages and their cleanup monitors ---------------------------------------


class _Registry:
    def __init__(self) -> None:
        self.engine: Bus | None = None
        self.prepared: dict[tuple[type[Session], str], Monitor | None] = {}
        #: The prepared settings whose monitor is their storage class's ``clean_thread``.
        self.on_class: set[tuple[type[Session], str]] = set()
        self.lock = threading.Lock()


_registry = _Registry()


def bind(engine: Bus) -> None:
    """Use ``engine`` for the cleanup monitors of storages prepared from now on."""
    _registry.engine = engine


class Prepared(Protocol):
    """What :func:`prepare` needs to know about a set of session settings."""

    @property
    def storage_class(self) -> type[Session]: ...

    @property
    def key(self) -> str: ...

    @property
    def clean_freq(self) -> float | None: ...

    def setup_kwargs(self) -> dict[str, Any]: ...

    def sweep(self) -> None: ...


def _retired(ident: tuple[type[Session], str]) -> bool:
    # CherryPy code stops a storage's cleanup with ``cls.clean_thread.stop()`` and
    # ``del cls.clean_thread``; as in CherryPy, the next session then starts a new one.
    return ident in _registry.on_class and (
        getattr(ident[0], "clean_thread", None) is not _registry.prepared[ident]
    )


def prepare(settings: Prepared) -> None:
    """Run ``setup`` and start the cleanup monitor for these settings, once per process
    (and again once the storage class's ``clean_thread`` has been removed)."""
    ident = (settings.storage_class, settings.key)
    if ident in _registry.prepared and not _retired(ident):
        return
    with _registry.lock:
        storage_class = settings.storage_class
        if ident in _registry.prepared:
            if not _retired(ident):
                return
            _registry.on_class.discard(ident)
            _stop(_registry.prepared.pop(ident))
        else:
            setup = getattr(storage_class, "setup", None)
            if setup is not None:
                setup(**settings.setup_kwargs())
        monitor = None
        engine = _registry.engine
        clean_freq = settings.clean_freq
        if clean_freq and engine is not None:
            sweep = _guarded(settings.sweep)
            monitor = Monitor(engine, sweep, clean_freq * 60, name="Session cleanup")
            monitor.subscribe()
            if engine.state == states.STARTED:
                monitor.start()
            if getattr(storage_class, "clean_thread", None) is None:
                storage_class.clean_thread = monitor
                _registry.on_class.add(ident)
        _registry.prepared[ident] = monitor


def prepare_ahead(settings: Prepared) -> None:
    """:func:`prepare` at start-up, for a config where sessions are on.

    Only the built-in storages, whose ``setup`` runs no application code: the first
    request then finds its storage ready and its cleanup monitor running.  A failure
    is left to that request, which reports it as CherryPy would.
    """
    if settings.storage_class not in _BUILTIN_CLASSES or _registry.engine is None:
        return
    try:
        prepare(settings)
    except Exception:
        return


_BUILTIN_CLASSES = frozenset(BUILTIN.values())


def _stop(monitor: Monitor | None) -> None:
    if monitor is None:
        return
    monitor.unsubscribe()
    if monitor.thread is not None:
        monitor.stop()


def _guarded(sweep: Callable[[], None]) -> Callable[[], None]:
    # A failing sweep is logged and retried next time; letting it raise would end the
    # monitor's thread for good.
    def run() -> None:
        try:
            sweep()
        except Exception:
            log("Session cleanup failed.", "TOOLS.SESSIONS", 40, traceback=True)

    return run


def monitors() -> list[Monitor]:
    """The cleanup monitors of the prepared storages."""
    return [m for m in _registry.prepared.values() if m is not None]


def forget() -> None:
    """Stop every cleanup monitor and forget the prepared storages (engine teardown)."""
    with _registry.lock:
        for (storage_class, _), monitor in _registry.prepared.items():
            _stop(monitor)
            if monitor is not None and getattr(storage_class, "clean_thread", None) is monitor:
                storage_class.clean_thread = None
        _registry.prepared.clear()
        _registry.on_class.clear()
        RamSession.cache.clear()
        RamSession.locks.clear()
