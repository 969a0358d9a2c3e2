"""Process-level services that live on the engine bus.

The classes keep the names, constructor arguments, channels and priorities of
CherryPy's ``cherrypy.process.plugins``: signal handling, privilege dropping,
daemonizing, PID files, periodic background tasks and per-thread hooks.  The
autoreloader is a separate plugin (``cherrypit_autoreload``).
"""

from __future__ import annotations

import os
import signal as _signal
import sys
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

from cherrypit._cpcompat import text_or_bytes as text_or_bytes
from cherrypit._kernel.submodules import plugin_attributes
from cherrypit.process.wspbus import Bus, states

if TYPE_CHECKING:
    from cherrypit_autoreload.reloader import Autoreloader as Autoreloader

__all__ = [
    "BackgroundTask",
    "Daemonizer",
    "DropPrivileges",
    "Monitor",
    "PIDFile",
    "PerpetualTimer",
    "SignalHandler",
    "SimplePlugin",
    "ThreadManager",
]

try:
    import grp
    import pwd
except ImportError:  # pragma: no cover - Windows
    grp = None  # type: ignore[assignment]
    pwd = None  # type: ignore[assignment]


class SimplePlugin:
    """Base class for bus plugins: methods named after channels become listeners.

    :meth:`subscribe` looks at every channel the bus knows (``start``, ``stop``,
    ``exit``, ``graceful``, ``log``, ``main`` and any custom ones) and subscribes
    the method of the same name, if this object has one.  A ``priority``
    attribute on the method sets its priority.
    """

    #: The bus this plugin listens to, usually ``cherrypit.engine`` (``None`` on the class).
    bus: Bus = None  # type: ignore[assignment]

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def _channel_methods(self) -> list[tuple[str, Callable[..., Any]]]:
        found = []
        for channel in list(self.bus.listeners):
            method = getattr(self, channel, None)
            if method is not None and callable(method):
                found.append((channel, method))
        return found

    def subscribe(self) -> None:
        """Subscribe each channel-named method of this object to the bus."""
        for channel, method in self._channel_methods():
            self.bus.subscribe(channel, method)

    def unsubscribe(self) -> None:
        """Remove every listener :meth:`subscribe` added."""
        for channel, method in self._channel_methods():
            self.bus.unsubscribe(channel, method)


SignalNumberHandler = Callable[[int, FrameType | None], Any] | int | None


class SignalHandler:
    """Turn OS signals into bus channels named after them.

    :attr:`handlers` maps signal names to bus listeners; by default SIGTERM
    exits the bus, SIGHUP restarts a daemonized process (exits otherwise) and
    SIGUSR1 is a graceful reload.  Edit the dict before :meth:`subscribe` to
    change that.  Signals this platform lacks are skipped.
    """

    #: Signal number -> canonical name, for every signal of this platform.
    signals: dict[int, str] = {int(sig): sig.name for sig in _signal.Signals}
    #: Signal name -> bus listener; each instance starts from its own defaults.
    handlers: dict[str, Callable[..., Any]] = {}

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.handlers = {
            "SIGTERM": self.bus.exit,
            "SIGHUP": self.handle_SIGHUP,
            "SIGUSR1": self.bus.graceful,
        }
        self._previous_handlers: dict[int, SignalNumberHandler] = {}
        # A daemonized process has forked since this object was made.
        self._original_pid = os.getpid()

    def _is_daemonized(self) -> bool:
        """Tell whether the process forked away from its terminal.

        A changed PID alone is not enough (CI runners fork too), so stdin
        must also not be a terminal.
        """
        return self._original_pid != os.getpid() and not _stdin_is_tty()

    def subscribe(self) -> None:
        """Install an OS handler for every entry of :attr:`handlers`.

        Signal handlers can only be installed from the main thread; elsewhere,
        and for signals this platform lacks, this quietly does nothing.
        """
        for name, listener in self.handlers.items():
            try:
                self.set_handler(name, listener)
            except ValueError:
                pass

    def unsubscribe(self) -> None:
        """Restore the OS handlers that :meth:`subscribe` replaced."""
        for signum, previous in list(self._previous_handlers.items()):
            name = self.signals.get(signum, str(signum))
            if previous is None:
                self.bus.log(f"Restoring {name} handler to SIG_DFL.")
                previous = _signal.SIG_DFL
            else:
                self.bus.log(f"Restoring {name} handler {previous!r}.")
            try:
                ours = _signal.signal(signum, previous)
            except (ValueError, OSError):
                self.bus.log(
                    f"Unable to restore {name} handler {previous!r}.", level=40, traceback=True
                )
                continue
            del self._previous_handlers[signum]
            if ours is None:
                self.bus.log(
                    f"Restored old {name} handler {previous!r}, "
                    "but our handler was not registered.",
                    level=30,
                )
        for name, listener in self.handlers.items():
            self.bus.unsubscribe(name, listener)

    def set_handler(self, signal: int | str, listener: Callable[..., Any] | None = None) -> None:
        """Route *signal* (a number or a name such as ``'SIGUSR1'``) to its bus channel.

        :param listener: if given, subscribed to the signal's channel.
        :raises ValueError: for a signal this platform does not have, or when
            called outside the main thread.
        """
        if isinstance(signal, str):
            signum = getattr(_signal, signal, None)
            if not isinstance(signum, int) or signal.startswith("SIG_"):
                raise ValueError(f"No such signal: {signal!r}")
            name = signal
        else:
            try:
                name = self.signals[signal]
            except KeyError:
                raise ValueError(f"No such signal: {signal!r}") from None
            signum = signal

        previous = _signal.signal(signum, self._handle_signal)
        # Subscribing twice must not make our own handler the one to restore.
        if signum not in self._previous_handlers:
            self._previous_handlers[signum] = previous

        if listener is not None:
            self.bus.log(f"Listening for {name}.")
            self.bus.subscribe(name, listener)

    def _handle_signal(self, signum: int, frame: FrameType | None = None) -> None:
        """The OS-level handler: publish the signal's name as a bus channel."""
        name = self.signals.get(signum, str(signum))
        self.bus.log(f"Caught signal {name}.")
        self.bus.publish(name)

    def handle_SIGHUP(self) -> None:
        """Restart when daemonized; exit when attached to a terminal.

        Terminals send SIGHUP to their processes when they close, and then
        the process should go away rather than come back.
        """
        if self._is_daemonized():
            self.bus.log("SIGHUP caught while daemonized. Restarting.")
            self.bus.restart()
        else:
            self.bus.log("SIGHUP caught but not daemonized. Exiting.")
            self.bus.exit()


def _stdin_is_tty() -> bool:
    try:
        return os.isatty(sys.stdin.fileno())
    except (AttributeError, ValueError, OSError):
        return False  # no stdin, or one replaced by an object without a descriptor


class DropPrivileges(SimplePlugin):
    """Set the umask and switch to another user/group when the bus starts.

    Its ``start`` runs at priority 77, after the HTTP server (75) has bound
    its (possibly privileged) port.  *uid* and *gid* may be numbers or names.
    """

    def __init__(
        self,
        bus: Bus,
        umask: int | None = None,
        uid: int | str | None = None,
        gid: int | str | None = None,
    ) -> None:
        super().__init__(bus)
        self.finalized = False
        self._uid: int | None = None
        self._gid: int | None = None
        self._umask: int | None = None
        self.uid = uid
        self.gid = gid
        self.umask = umask

    @property
    def uid(self) -> int | None:
        """The user id to switch to (Unix only); a user name is resolved on assignment."""
        return self._uid

    @uid.setter
    def uid(self, value: int | str | None) -> None:
        if value is not None and pwd is None:  # pragma: no cover - Windows
            self.bus.log("pwd module not available; ignoring uid.", level=30)
            value = None
        elif isinstance(value, str):
            value = pwd.getpwnam(value).pw_uid
        self._uid = value

    @property
    def gid(self) -> int | None:
        """The group id to switch to (Unix only); a group name is resolved on assignment."""
        return self._gid

    @gid.setter
    def gid(self, value: int | str | None) -> None:
        if value is not None and grp is None:  # pragma: no cover - Windows
            self.bus.log("grp module not available; ignoring gid.", level=30)
            value = None
        elif isinstance(value, str):
            value = grp.getgrnam(value).gr_gid
        self._gid = value

    @property
    def umask(self) -> int | None:
        """The file-creation mask to set, usually written in octal (``0o022``)."""
        return self._umask

    @umask.setter
    def umask(self, value: int | None) -> None:
        if value is not None and not hasattr(os, "umask"):  # pragma: no cover
            self.bus.log("umask function not available; ignoring umask.", level=30)
            value = None
        self._umask = value

    @staticmethod
    def _current_ids() -> tuple[str | None, str | None]:
        user = pwd.getpwuid(os.getuid()).pw_name if pwd else None
        group = grp.getgrgid(os.getgid()).gr_name if grp else None
        return user, group

    def start(self) -> None:
        """Drop to :attr:`gid`/:attr:`uid` and apply :attr:`umask` (once per process)."""
        if self.finalized:
            if self.uid is not None or self.gid is not None:
                self.bus.log("Already running as uid: {!r} gid: {!r}".format(*self._current_ids()))
            if self.umask is not None:
                self.bus.log(f"umask already set to: {self.umask:03o}")
            return

        if self.uid is None and self.gid is None:
            if pwd or grp:
                self.bus.log("uid/gid not set", level=30)
        else:
            self.bus.log("Started as uid: {!r} gid: {!r}".format(*self._current_ids()))
            # Group first: after setuid we would no longer be allowed to.
            if self.gid is not None:
                os.setgid(self.gid)
                os.setgroups([])
            if self.uid is not None:
                os.setuid(self.uid)
            self.bus.log("Running as uid: {!r} gid: {!r}".format(*self._current_ids()))

        if self.umask is None:
            self.bus.log("umask not set", level=30)
        else:
            old = os.umask(self.umask)
            self.bus.log(f"umask old: {old:03o}, new: {self.umask:03o}")

        self.finalized = True

    start.priority = 77  # type: ignore[attr-defined]


class Daemonizer(SimplePlugin):
    """Detach the process from its terminal (double fork) when the bus starts.

    Its ``start`` runs at priority 65, before the server and monitors start
    their threads: threads do not survive a fork.  The original process exits
    with status 0 as soon as the first fork succeeds, so its exit status says
    nothing about whether the daemon started.
    """

    def __init__(
        self,
        bus: Bus,
        stdin: str = "/dev/null",
        stdout: str = "/dev/null",
        stderr: str = "/dev/null",
    ) -> None:
        super().__init__(bus)
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.finalized = False

    def start(self) -> None:
        """Daemonize, unless that already happened or the engine is already running."""
        if self.finalized:
            self.bus.log("Already daemonized.")
            return
        if self.bus.state is states.STARTED:
            # The server's threads would vanish in the child: refuse.
            self.bus.log(
                "Refusing to daemonize: the engine is already started and its threads "
                "would not survive the fork. Subscribe the Daemonizer before engine.start().",
                level=30,
            )
            return
        if threading.active_count() != 1:
            self.bus.log(
                f"There are {threading.active_count()} active threads "
                f"({threading.enumerate()!r}). Daemonizing now may cause strange failures.",
                level=30,
            )

        self.daemonize(self.stdin, self.stdout, self.stderr, self.bus.log)
        self.finalized = True

    start.priority = 65  # type: ignore[attr-defined]

    @staticmethod
    def daemonize(
        stdin: str = "/dev/null",
        stdout: str = "/dev/null",
        stderr: str = "/dev/null",
        logger: Callable[[str], Any] = lambda msg: None,
    ) -> None:
        """Double-fork, start a new session and point stdio at the given files.

        Only the grandchild returns from this call; the parent and the child
        end with ``os._exit(0)``.
        """
        sys.stdout.flush()
        sys.stderr.flush()

        for attempt, message in enumerate(("Forking once.", "Forking twice.")):
            try:
                pid = os.fork()
            except OSError as exc:
                sys.exit(
                    f"{sys.argv[0]}: fork #{attempt + 1} failed: ({exc.errno}) {exc.strerror}\n"
                )
            if pid > 0:
                logger(message)
                os._exit(0)
            if attempt == 0:
                # New session: no controlling terminal to send us SIGHUP.
                os.setsid()

        os.umask(0)
        with (
            open(stdin) as new_in,
            open(stdout, "a+") as new_out,
            open(stderr, "a+") as new_err,
        ):
            # dup2 closes the old descriptors 0/1/2 for us.
            os.dup2(new_in.fileno(), sys.stdin.fileno())
            os.dup2(new_out.fileno(), sys.stdout.fileno())
            os.dup2(new_err.fileno(), sys.stderr.fileno())

        logger(f"Daemonized to PID: {os.getpid()}")


class PIDFile(SimplePlugin):
    """Write the process id to *pidfile* on ``start`` (priority 70), remove it on ``exit``."""

    def __init__(self, bus: Bus, pidfile: str | os.PathLike[str]) -> None:
        super().__init__(bus)
        self.pidfile = pidfile
        self.finalized = False

    def start(self) -> None:
        """Write ``"<pid>\\n"`` to the file (only once per process)."""
        pid = os.getpid()
        if self.finalized:
            self.bus.log(f"PID {pid!r} already written to {self.pidfile!r}.")
            return
        with open(self.pidfile, "wb") as handle:
            handle.write(f"{pid}\n".encode())
        self.bus.log(f"PID {pid!r} written to {self.pidfile!r}.")
        self.finalized = True

    start.priority = 70  # type: ignore[attr-defined]

    def exit(self) -> None:
        """Remove the file; a file that is already gone is not an error."""
        try:
            os.remove(self.pidfile)
        except OSError:
            return
        self.bus.log(f"PID file removed: {self.pidfile!r}.")


class PerpetualTimer(threading.Timer):
    """A :class:`threading.Timer` that fires again and again until cancelled.

    .. deprecated:: use :class:`BackgroundTask`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(
            "PerpetualTimer is deprecated; use BackgroundTask",
            DeprecationWarning,
            stacklevel=2,
        )
        self.bus: Bus | None = kwargs.pop("bus", None)
        super().__init__(*args, **kwargs)

    def run(self) -> None:
        while not self.finished.wait(self.interval):
            try:
                self.function(*self.args, **self.kwargs)
            except Exception:
                if self.bus is not None:
                    self.bus.log(
                        f"Error in perpetual timer thread function {self.function!r}.",
                        level=40,
                        traceback=True,
                    )
                raise  # stop at the first error rather than flood the log


class BackgroundTask(threading.Thread):
    """A daemon thread that calls ``function(*args, **kwargs)`` every *interval* seconds.

    An exception in *function* is logged on *bus* (with its traceback) and
    then ends the thread, so that a broken task does not flood the log.
    :meth:`cancel` takes effect at once, even in the middle of a wait.
    """

    def __init__(
        self,
        interval: float,
        function: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        bus: Bus | None = None,
    ) -> None:
        super().__init__()
        self.interval = interval
        self.function = function
        self.args = args
        self.kwargs: Mapping[str, Any] = kwargs if kwargs is not None else {}
        self.running = False
        self.bus = bus
        self._cancelled = threading.Event()
        # A forgotten task must never keep the process alive.
        self.daemon = True

    def cancel(self) -> None:
        """Stop repeating; a call already in progress finishes first."""
        self.running = False
        self._cancelled.set()

    def run(self) -> None:
        if self._cancelled.is_set():
            return
        self.running = True
        while self.running:
            if self._cancelled.wait(self.interval) or not self.running:
                return
            try:
                self.function(*self.args, **self.kwargs)
            except Exception:
                if self.bus is not None:
                    self.bus.log(
                        f"Error in background task thread function {self.function!r}.",
                        level=40,
                        traceback=True,
                    )
                raise  # stop at the first error rather than flood the log


class Monitor(SimplePlugin):
    """Call *callback* every *frequency* seconds in a thread, while the bus runs.

    The thread starts on ``start`` (priority 70), stops on ``stop`` and is
    restarted on ``graceful``.  A *frequency* of 0 or less disables it.
    """

    #: The :class:`BackgroundTask` running the callback, while started.
    thread: BackgroundTask | None = None
    #: What runs every :attr:`frequency` seconds (``None`` on the class).
    callback: Callable[[], Any] = None  # type: ignore[assignment]

    def __init__(
        self,
        bus: Bus,
        callback: Callable[[], Any],
        frequency: float = 60,
        name: str | None = None,
    ) -> None:
        super().__init__(bus)
        self.callback = callback
        self.thread = None
        self.name = name
        self.frequency = frequency

    @property
    def frequency(self) -> float:
        """Seconds between calls; a change applies to a running thread too."""
        return self._frequency

    @frequency.setter
    def frequency(self, value: float) -> None:
        self._frequency = value
        if self.thread is not None and value > 0:
            self.thread.interval = value

    @property
    def _thread_name(self) -> str:
        return self.name or type(self).__name__

    def start(self) -> None:
        """Start the callback thread (if the frequency is positive and it is not running)."""
        if self.frequency <= 0:
            return
        name = self._thread_name
        if self.thread is not None:
            self.bus.log(f"Monitor thread {name!r} already started.")
            return
        self.thread = BackgroundTask(self.frequency, self.callback, bus=self.bus)
        self.thread.name = name
        self.thread.start()
        self.bus.log(f"Started monitor thread {name!r}.")

    start.priority = 70  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Cancel the callback thread."""
        thread = self.thread
        if thread is None:
            self.bus.log(f"No thread running for {self._thread_name}.")
            return
        # The callback may itself stop the bus: never join our own thread.
        if thread is not threading.current_thread():
            thread.cancel()
            if not thread.daemon:
                self.bus.log(f"Joining {thread.name!r}")
                thread.join()
            self.bus.log(f"Stopped thread {thread.name!r}.")
        self.thread = None

    def graceful(self) -> None:
        """Restart the callback thread."""
        self.stop()
        self.start()


class ThreadManager(SimplePlugin):
    """Run per-thread set-up and tear-down hooks for request threads.

    A server that controls its threads publishes ``acquire_thread`` when a
    thread begins serving and ``release_thread`` when it ends; this plugin
    turns those into ``start_thread(index)`` (once per thread) and
    ``stop_thread(index)``.  Threads never released get ``stop_thread`` when
    the bus stops.
    """

    #: Thread ident -> index (1, 2, ...): idents can be reused, indexes are not.
    threads: dict[int, int] = None  # type: ignore[assignment]

    def __init__(self, bus: Bus) -> None:
        self.threads = {}
        self._lock = threading.Lock()
        self._next_index = 1
        super().__init__(bus)
        for channel in ("acquire_thread", "start_thread", "release_thread", "stop_thread"):
            self.bus.listeners.setdefault(channel, set())

    def acquire_thread(self) -> None:
        """Publish ``start_thread`` the first time the calling thread is seen."""
        ident = threading.get_ident()
        with self._lock:
            if ident in self.threads:
                return
            index = self._next_index
            self._next_index += 1
            self.threads[ident] = index
        self.bus.publish("start_thread", index)

    def release_thread(self) -> None:
        """Forget the calling thread and publish ``stop_thread`` for it."""
        with self._lock:
            index = self.threads.pop(threading.get_ident(), None)
        if index is not None:
            self.bus.publish("stop_thread", index)

    def stop(self) -> None:
        """Publish ``stop_thread`` for every thread still registered, then forget them."""
        with self._lock:
            indexes = list(self.threads.values())
            self.threads.clear()
        for index in indexes:
            self.bus.publish("stop_thread", index)

    graceful = stop


# Autoreloader belongs to the autoreload plugin; the kernel must not import it.
__getattr__ = plugin_attributes(__name__, ("Autoreloader",))
