"""``engine.autoreload``: CherryPy's :class:`Autoreloader`, with a supervised mode.

Every ``frequency`` seconds, while the engine runs, the reloader compares the
modification times of the watched files with those it first saw: the files of the
modules in ``sys.modules`` whose names match ``match``, the extra ``files``, and the
config files read by ``cherrypit.config.update(filename)`` or mounted with an
application.  When one changed:

* in a child of ``cherrypit run --reload``, the engine exits (closing the listening
  socket) and the process ends with the restart status; the supervisor starts a
  fresh child, and keeps going if that one fails to import;
* otherwise, like CherryPy, the engine restarts in place (``engine.restart()``:
  the process re-executes once the main thread's ``engine.block()`` returns) — but
  as the supervisor of its own command line (``python -m cherrypit_autoreload
  COMMAND...``, same process id), so that new code that fails to import does not end
  it: the supervisor reports the error and starts the application again when a
  file changes, as under ``cherrypit run --reload``.  Nothing re-executes a process
  whose main thread is not in ``engine.block()``, so there the change is only logged.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from typing import Any

import cherrypit
from cherrypit.process.plugins import Monitor
from cherrypit.process.wspbus import Bus
from cherrypit_autoreload import child, watch
from cherrypit_autoreload.protocol import HANDOVER_ENV, ChildState, write_state

__all__ = ["Autoreloader"]

_IN_PROCESS_HINT = (
    "re-executing as a supervisor that keeps running if the new code fails to import; "
    "`cherrypit run --reload` does this from the start"
)


def supervisor_command(command: list[str]) -> list[str]:
    """The command line that supervises ``command`` (this process's own)."""
    return [sys.executable, "-m", "cherrypit_autoreload", *command]


class Autoreloader(Monitor):
    """Restart the process when the code or config it runs from changes.

    :param bus: the engine.
    :param frequency: seconds between checks (``engine.autoreload.frequency``).
    :param match: regular expression; only modules whose dotted names it matches
        (:func:`re.match`) are watched (``engine.autoreload.match``).
    """

    #: Extra files to watch (``engine.autoreload.files``); relative paths are
    #: relative to the directory the process started in.  ``None`` on the class.
    files: set[str] = None  # type: ignore[assignment]
    #: Regular expression the dotted names of watched modules match.
    match: str | re.Pattern[str] = ".*"

    def __init__(self, bus: Bus, frequency: float = 1, match: str | re.Pattern[str] = ".*") -> None:
        self.files = set()
        #: Path → modification time (ns) when first seen in this run of the engine.
        self.mtimes: watch.Mtimes = {}
        self.match = match
        self._subscribed = False
        self._started = False
        self._blocking = False
        self._reported = -1
        #: The kernel's ``engine.autoreload`` this reloader replaced (restored on teardown).
        self.placeholder: Any = None
        super().__init__(bus, self.run, frequency, name="Autoreloader")

    # -- on/off ---------------------------------------------------------------------

    @property
    def on(self) -> bool:
        """Whether the reloader listens to the engine; assigning subscribes or unsubscribes."""
        return self._subscribed

    @on.setter
    def on(self, value: bool) -> None:
        if value:
            self.subscribe()
        else:
            self.unsubscribe()

    def subscribe(self) -> None:
        super().subscribe()
        self._subscribed = True

    def unsubscribe(self) -> None:
        """Stop listening to the engine; ignored in a child of ``cherrypit run --reload``.

        ``--reload`` asks for reloading explicitly, so a config saying
        ``engine.autoreload.on = False`` (a ``production`` environment, say) does
        not switch it off there.
        """
        if child.supervised():
            self.bus.log(
                "engine.autoreload.on = False is ignored under `cherrypit run --reload`.",
                level=30,
            )
            return
        self.detach()

    def detach(self) -> None:
        """Unsubscribe and stop checking, whatever the mode (plugin teardown)."""
        super().unsubscribe()
        self._subscribed = False
        if self.thread is not None:
            self.stop()

    # -- bus listeners --------------------------------------------------------------

    def start(self) -> None:
        """Forget the times seen by a previous run, then start checking."""
        self.mtimes = {}
        self._reported = -1
        self._started = True
        self._blocking = False
        # The baseline now, before the server answers: an edit made after the first
        # page was served must count as a change, however soon it comes.
        self._note_new_files()
        super().start()

    start.priority = 70  # type: ignore[attr-defined]

    def main(self) -> None:
        """Note that the main thread waits in ``engine.block()`` (it publishes ``main``)."""
        self._blocking = True

    # -- checking -------------------------------------------------------------------

    def sysfiles(self) -> set[str]:
        """Files of the loaded modules whose names match :attr:`match`."""
        return watch.module_files(self.match)

    def watched_files(self) -> set[str]:
        """Everything checked: module files, :attr:`files` and the config files read."""
        found = self.sysfiles()
        found.update(watch.absolute(name) for name in self.files)
        found.update(watch.absolute(name) for name in cherrypit.config.files)
        found.update(child.recorded(self.match))
        return found

    def baseline(self) -> watch.Mtimes:
        """Each watched file with the time its content was loaded (or first seen)."""
        imported = child.recorded(self.match)
        times: watch.Mtimes = {}
        for path in self.watched_files():
            if path in self.mtimes:
                times[path] = self.mtimes[path]
            elif path in imported:
                times[path] = imported[path]
            else:
                times[path] = watch.mtime(path)
        return times

    def run(self) -> None:
        """Check once: note new files, and restart if a known one changed."""
        if child.supervised() and child.orphaned():
            self.bus.log("The `cherrypit run --reload` supervisor is gone; exiting.", level=30)
            if self.thread is not None:
                self.thread.cancel()
            self.bus.exit()
            return
        self._note_new_files()
        if child.supervised() and len(self.mtimes) != self._reported:
            self._reported = len(self.mtimes)
            child.report()
        changed = watch.changed_files(self.mtimes)
        if changed:
            for path in changed:
                watch.forget_bytecode(path)
            self._changed(changed)

    def _note_new_files(self) -> None:
        imported = child.recorded(self.match)
        for path in self.watched_files() - self.mtimes.keys():
            # The time at import, where known: a save between the import and this
            # first look is then still a change.
            self.mtimes[path] = imported[path] if path in imported else watch.mtime(path)

    def state(self) -> ChildState:
        """What a supervised child reports to its supervisor."""
        return ChildState(self.baseline(), float(self.frequency), self._started)

    def _changed(self, changed: list[str]) -> None:
        path = changed[0]
        if child.supervised():
            self.bus.log(f"Restarting because {path} changed.")
            child.exit_for_restart(self.bus)
        elif not self._blocking:
            self.bus.log(
                f"{path} changed, but this process is not waiting in engine.block(), "
                "so nothing would re-execute it; not restarting.",
                level=30,
            )
            for each in changed:  # say it once per change
                self.mtimes[each] = watch.mtime(each)
        else:
            self.bus.log(f"Restarting because {path} changed ({_IN_PROCESS_HINT}).", level=30)
            if self.thread is not None:
                # This runs in the reloader's own thread, which stop() will not cancel.
                self.thread.cancel()
            self._hand_over()
            self.bus.restart()

    def _hand_over(self) -> None:
        """Make the coming re-exec start the supervisor, told which files to watch.

        The times are the current ones: the supervisor must wait for the *next* save
        if the one that triggered this restart does not import.
        """
        files = watch.snapshot(self.watched_files())
        handle, path = tempfile.mkstemp(prefix="cherrypit-handover-", suffix=".json")
        os.close(handle)
        write_state(path, ChildState(files, float(self.frequency), True))
        os.environ[HANDOVER_ENV] = path
        command = supervisor_command(list(self.bus._get_true_argv()))
        self.bus._get_true_argv = lambda: command  # type: ignore[method-assign]

    #: The file a module was loaded from, or ``None`` (CherryPy's name for it).
    _file_for_file_module = staticmethod(watch.module_file)

    def __repr__(self) -> str:
        return f"<Autoreloader on={self.on} frequency={self.frequency} match={self.match!r}>"


def install(engine: Any) -> None:
    """Replace the kernel's ``engine.autoreload`` placeholder by an :class:`Autoreloader`.

    The placeholder's settings (set by config before plugins loaded) carry over.
    """
    placeholder = engine.autoreload
    if isinstance(placeholder, Autoreloader):
        return
    reloader = Autoreloader(
        engine,
        frequency=getattr(placeholder, "frequency", 1),
        match=getattr(placeholder, "match", ".*"),
    )
    reloader.files = set(getattr(placeholder, "files", None) or ())
    reloader.placeholder = placeholder
    engine.autoreload = reloader
    if child.supervised():
        child.attach(reloader.state)
        reloader.subscribe()
    elif getattr(placeholder, "on", False):
        reloader.subscribe()


def uninstall(engine: Any) -> None:
    """Undo :func:`install`: stop the reloader and put the placeholder back."""
    reloader = engine.autoreload
    if not isinstance(reloader, Autoreloader):
        return
    reloader.detach()
    child.detach()
    engine.autoreload = reloader.placeholder
