"""The supervised child's side: record imports, report watched files, exit to restart.

Only active in a process the supervisor started (:data:`~.protocol.CHILD_ENV` set).
There, an import recorder notes the source file and modification time of every
module as it is found — including a module whose import then fails, which never
reaches ``sys.modules`` but is exactly the file the user is about to fix — and the
watched files are written to the state file when they change and at exit, so the
supervisor knows what to watch while no child is running.
"""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.machinery
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, NoReturn

from cherrypit_autoreload import watch
from cherrypit_autoreload.protocol import (
    CHILD_ENV,
    RESTART_STATUS,
    STATE_ENV,
    ChildState,
    write_state,
)

if TYPE_CHECKING:
    from cherrypit.process.wspbus import Bus

__all__ = [
    "ImportRecorder",
    "attach",
    "detach",
    "exit_for_restart",
    "orphaned",
    "recorded",
    "report",
    "supervised",
]


def supervised() -> bool:
    """Whether this process is a child of ``cherrypit run --reload``."""
    return os.environ.get(CHILD_ENV) == "1"


class ImportRecorder(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` entry that notes where each module comes from, finding nothing.

    It asks the regular path finder for the spec, remembers the spec's file and its
    modification time, and returns ``None`` so the import proceeds exactly as it
    would without it.  The time is read before the file is, so a save that races
    the import is seen as a change.
    """

    def __init__(self) -> None:
        #: Module name → (file, modification time when it was found).
        self.found: dict[str, tuple[str, int | None]] = {}
        self._busy = threading.local()

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> None:
        if getattr(self._busy, "on", False):
            return None  # the path finder importing something itself
        self._busy.on = True
        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        except Exception:
            return None  # the real import will raise it, with its own context
        finally:
            self._busy.on = False
        if spec is not None and spec.has_location and isinstance(spec.origin, str):
            filename = watch.absolute(spec.origin)
            self.found[fullname] = (filename, watch.mtime(filename))
        return None

    def files(self, match: str | re.Pattern[str]) -> watch.Mtimes:
        """Recorded files of modules whose names ``match`` matches, with their times."""
        pattern = re.compile(match)
        return {
            filename: when
            for name, (filename, when) in list(self.found.items())
            if pattern.match(name)
        }


#: What the child reports: a callable returning its current state.
Reporter = Callable[[], ChildState]

_recorder = ImportRecorder()
# The supervisor: when the parent changes, it died and nobody will restart us.
_parent = os.getppid()
_reporter: list[Reporter] = []
_restart_requested = threading.Event()
_atexit_registered = False


def recorded(match: str | re.Pattern[str]) -> watch.Mtimes:
    """Files the import recorder saw (empty outside a supervised child)."""
    return _recorder.files(match) if _recorder in sys.meta_path else {}


def attach(reporter: Reporter) -> None:
    """Start acting as a supervised child: record imports, report state at exit."""
    global _atexit_registered
    _reporter[:] = [reporter]
    if _recorder not in sys.meta_path:
        sys.meta_path.insert(0, _recorder)
    if not _atexit_registered:
        atexit.register(_at_exit)
        _atexit_registered = True


def detach() -> None:
    """Stop recording imports and reporting (the plugin was disabled)."""
    _reporter.clear()
    if _recorder in sys.meta_path:
        sys.meta_path.remove(_recorder)


def report() -> None:
    """Write the current state where the supervisor reads it (if anywhere)."""
    path = os.environ.get(STATE_ENV)
    if not path or not _reporter:
        return
    try:
        write_state(path, _reporter[0]())
    except OSError:
        pass  # the supervisor then falls back to what it knew before


def orphaned() -> bool:
    """Whether the supervisor that started this child is gone."""
    return os.getppid() != _parent


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


def exit_for_restart(bus: Bus) -> NoReturn:
    """Stop the engine (freeing the port), then end the process with :data:`RESTART_STATUS`.

    Called from the reloader's thread.  The main thread may see the engine exit and
    end the interpreter first; the exit hook then turns that ending into a restart
    too, so the status is the same either way.
    """
    _restart_requested.set()
    report()
    try:
        bus.exit()
    finally:
        _flush_stdio()
        os._exit(RESTART_STATUS)


def _at_exit() -> None:
    report()
    if _restart_requested.is_set():
        _flush_stdio()
        os._exit(RESTART_STATUS)
