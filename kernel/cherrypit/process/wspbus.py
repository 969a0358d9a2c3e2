"""The engine bus: a process-wide state machine with publish/subscribe channels.

This module keeps the behaviour of CherryPy's ``cherrypy.process.wspbus`` and
depends on the standard library only.

A :class:`Bus` moves between five states::

    STOPPED --start()--> STARTING --> STARTED --stop()--> STOPPING --> STOPPED
    STOPPED --exit()---> EXITING (the process is about to end)

Each transition publishes on a channel of the same name (``start``, ``stop``,
``exit``); ``graceful``, ``log`` and ``main`` are the other built-in channels.
Anyone may publish on a channel of their own: listeners are plain callables,
run in priority order (lower first), and a failing listener never keeps the
others on its channel from running.

The kernel builds the global ``engine`` as a subclass; this module creates no
bus of its own: its ``bus`` attribute is that engine, looked up on first access.
"""

from __future__ import annotations

import atexit
import itertools
import os
import subprocess
import sys
import threading
import time
import traceback as _traceback
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar, overload

__all__ = ["Bus", "ChannelFailures", "State", "states"]

_F = TypeVar("_F", bound=Callable[..., Any])
Listener = Callable[..., Any]

#: Exit status of a process whose bus could not shut down cleanly (``EX_SOFTWARE``).
EX_SOFTWARE: Final = 70

#: Default priority of a listener that names none (neither argument nor attribute).
DEFAULT_PRIORITY: Final = 50

# Captured at import time: ``_do_execv`` returns here before re-executing, so a
# relative ``sys.executable`` or script path still resolves after the
# application has changed directory.
_startup_cwd = os.getcwd()

try:
    import fcntl  # noqa: F401  (only its presence matters: POSIX close-on-exec)
except ImportError:  # pragma: no cover - Windows
    max_files = 0
else:
    try:
        max_files = os.sysconf("SC_OPEN_MAX")
    except (AttributeError, ValueError, OSError):  # pragma: no cover
        max_files = 1024


class ChannelFailures(Exception):
    """Every exception raised by the listeners of one :meth:`Bus.publish` call.

    It is falsy until an exception has been recorded, so ``if failures:``
    tells whether anything went wrong.
    """

    delimiter = "\n"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._exceptions: list[BaseException] = []

    def handle_exception(self) -> None:
        """Record the exception currently being handled (``sys.exc_info()``)."""
        error = sys.exc_info()[1]
        if error is not None:
            self._exceptions.append(error)

    def get_instances(self) -> list[BaseException]:
        """Return a copy of the recorded exceptions, in the order they happened."""
        return list(self._exceptions)

    def __str__(self) -> str:
        return self.delimiter.join(repr(error) for error in self._exceptions)

    __repr__ = __str__

    def __bool__(self) -> bool:
        return bool(self._exceptions)


class State:
    """One state of a :class:`Bus`; compared by identity."""

    __slots__ = ("name",)

    def __init__(self, name: str = "") -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"states.{self.name}"


_State = State  # the class attribute below would shadow the name in annotations


class _StateEnum:
    """Namespace of bus states; a :class:`State` assigned here learns its name."""

    State = State

    STOPPED: _State
    STARTING: _State
    STARTED: _State
    STOPPING: _State
    EXITING: _State

    def __setattr__(self, key: str, value: Any) -> None:
        if isinstance(value, State):
            value.name = key
        object.__setattr__(self, key, value)


states = _StateEnum()
states.STOPPED = State()
states.STARTING = State()
states.STARTED = State()
states.STOPPING = State()
states.EXITING = State()


class Bus:
    """Process state machine and message bus for a web site.

    All listeners of a channel are called even when some of them fail; the
    failures are logged one by one and then raised together as
    :class:`ChannelFailures`.  Only :class:`KeyboardInterrupt` and
    :class:`SystemExit` raised by a listener stop the others.
    """

    states = states
    state: State = states.STOPPED
    #: Set by :meth:`restart`: :meth:`block` re-executes the process once it is done.
    execv = False
    #: Highest file descriptor marked close-on-exec before re-executing (0: don't).
    max_cloexec_files: int = max_files

    def __init__(self) -> None:
        self.execv = False
        self.state = states.STOPPED
        self.listeners: dict[str, set[Listener]] = {
            channel: set() for channel in ("start", "stop", "exit", "graceful", "log", "main")
        }
        self._priorities: dict[tuple[str, Listener], int] = {}
        # Equal priorities run in subscription order rather than set order.
        self._sequence: dict[tuple[str, Listener], int] = {}
        self._counter = itertools.count()
        self._atexit_registered = False

    # -- subscription -------------------------------------------------------------

    @overload
    def subscribe(
        self, channel: str, callback: None = None, priority: int | None = None
    ) -> Callable[[_F], _F]: ...

    @overload
    def subscribe(self, channel: str, callback: _F, priority: int | None = None) -> _F: ...

    def subscribe(
        self, channel: str, callback: Listener | None = None, priority: int | None = None
    ) -> Any:
        """Add *callback* to the listeners of *channel* (once; again only updates priority).

        Without *callback* this returns a decorator, so both ``@bus.subscribe('x')``
        and ``@bus.subscribe('x', priority=20)`` work; the decorated function is
        returned unchanged.

        :param channel: the channel name; new channels are created on demand.
        :param callback: the listener, called with the arguments given to
            :meth:`publish`.
        :param priority: lower runs first; defaults to ``callback.priority`` when
            the callable has that attribute, else 50.
        :returns: *callback* (or the decorator).
        """
        if callback is None:

            def decorator(func: _F) -> _F:
                return self.subscribe(channel, func, priority)

            return decorator

        self.listeners.setdefault(channel, set()).add(callback)
        if priority is None:
            priority = getattr(callback, "priority", DEFAULT_PRIORITY)
        key = (channel, callback)
        self._priorities[key] = priority
        if key not in self._sequence:
            self._sequence[key] = next(self._counter)
        return callback

    def unsubscribe(self, channel: str, callback: Listener) -> None:
        """Remove *callback* from *channel*; doing nothing if it is not subscribed."""
        listeners = self.listeners.get(channel)
        if listeners and callback in listeners:
            listeners.discard(callback)
            self._priorities.pop((channel, callback), None)
            self._sequence.pop((channel, callback), None)

    # -- publishing ---------------------------------------------------------------

    def _ordered(self, channel: str) -> list[Listener]:
        # Snapshot first: another thread may subscribe while we iterate.
        snapshot = tuple(self.listeners[channel])

        def key(listener: Listener) -> tuple[int, int]:
            pair = (channel, listener)
            return (
                self._priorities.get(pair, DEFAULT_PRIORITY),
                self._sequence.get(pair, sys.maxsize),
            )

        return sorted(snapshot, key=key)

    def publish(self, channel: str | None, *args: Any, **kwargs: Any) -> list[Any]:
        """Call every listener of *channel* and return their results in call order.

        A channel nobody listens to returns ``[]``.  Listener exceptions are
        collected; once every listener has run they are raised together as
        :class:`ChannelFailures`.  ``KeyboardInterrupt`` and ``SystemExit``
        propagate at once (a ``SystemExit(0)`` after earlier failures becomes
        exit status 1).
        """
        if channel is None or channel not in self.listeners:
            return []

        failures = ChannelFailures()
        output: list[Any] = []
        for listener in self._ordered(channel):
            try:
                output.append(listener(*args, **kwargs))
            except KeyboardInterrupt:
                raise
            except SystemExit as exc:
                if failures and exc.code == 0:
                    exc.code = 1
                raise
            except Exception as exc:
                failures.handle_exception()
                if channel != "log" and not (channel == "start" and self._refuses_start(exc)):
                    self._log_listener_error(channel, listener)
        if failures:
            raise failures from failures.get_instances()[0]
        return output

    #: Exceptions a start listener raises to refuse the start with a message that says
    #: it all (a port in use, a bad setting): :meth:`start` logs them as one line each,
    #: without a traceback.
    start_refusals: tuple[type[BaseException], ...] = ()

    def _refuses_start(self, exc: BaseException) -> bool:
        return isinstance(exc, self.start_refusals)

    def _log_start_failure(self, exc: BaseException) -> None:
        causes = exc.get_instances() if isinstance(exc, ChannelFailures) else [exc]
        if causes and all(self._refuses_start(cause) for cause in causes):
            for cause in causes:
                self.log(f"Cannot start: {cause}", level=40)
            return
        self.log("Shutting down due to error in start listener:", level=40, traceback=True)

    def _log_listener_error(self, channel: str, listener: Listener) -> None:
        # A broken 'log' listener must not cut the publishing loop short: the
        # failure we are reporting is raised with the others anyway.
        try:
            self.log(f"Error in {channel!r} listener {listener!r}", level=40, traceback=True)
        except Exception:
            pass

    # -- state transitions --------------------------------------------------------

    def _clean_exit(self) -> None:
        """At interpreter exit, shut a still-running bus down (and say so)."""
        if self.state is not states.EXITING:
            warnings.warn(
                f"The main thread is exiting while the bus is in the {self.state!r} state; "
                "exiting the bus now. Call bus.block() after bus.start(), or bus.exit() "
                "before the main thread ends.",
                RuntimeWarning,
                stacklevel=1,
            )
            self.exit()

    def start(self) -> None:
        """Start all services: publish ``start``, moving STARTING -> STARTED.

        If a start listener fails, the error is logged (one line for each of
        :attr:`start_refusals`, a traceback otherwise), the bus exits (see
        :meth:`exit`: an exit from STARTING ends the process with status 70,
        as CherryPy does) and the error is raised again.
        """
        if not self._atexit_registered:
            atexit.register(self._clean_exit)
            self._atexit_registered = True

        self.state = states.STARTING
        self.log("Bus STARTING")
        try:
            self.publish("start")
            self.state = states.STARTED
            self.log("Bus STARTED")
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            self._log_start_failure(exc)
            try:
                self.exit()
            except Exception:
                pass  # exit/stop listener errors were logged by publish()
            raise

    def stop(self) -> None:
        """Stop all services: publish ``stop``, moving STOPPING -> STOPPED."""
        self.state = states.STOPPING
        self.log("Bus STOPPING")
        self.publish("stop")
        self.state = states.STOPPED
        self.log("Bus STOPPED")

    def exit(self) -> None:
        """Stop all services, then publish ``exit`` in the EXITING state.

        This is often called from a signal handler, another thread or an
        atexit hook, where an exception has nowhere useful to go: if a stop or
        exit listener fails, the process ends at once with status 70.  It also
        ends that way when the bus was still STARTING (a start listener hung or
        failed), so that a stuck start cannot keep the process alive.
        """
        previous = self.state
        try:
            self.stop()
            self.state = states.EXITING
            self.log("Bus EXITING")
            self.publish("exit")
            self.log("Bus EXITED")
        except Exception:
            self._exit_process(EX_SOFTWARE)
            raise  # only reached when _exit_process was replaced (tests)

        if previous is states.STARTING:
            self._exit_process(EX_SOFTWARE)

    def _exit_process(self, code: int) -> None:
        """End the process immediately; a subclass or a test may replace this."""
        os._exit(code)

    def restart(self) -> None:
        """Exit the bus and ask the main thread (in :meth:`block`) to re-execute."""
        self.execv = True
        self.exit()

    def graceful(self) -> None:
        """Ask every service to reload: publish ``graceful``."""
        self.log("Bus graceful")
        self.publish("graceful")

    # -- waiting ------------------------------------------------------------------

    def block(self, interval: float = 0.1) -> None:
        """Wait in the main thread until the bus is EXITING, then end the process.

        Publishes ``main`` every *interval* seconds while waiting.  Ctrl-C
        (``KeyboardInterrupt``) exits the bus; ``SystemExit`` exits it and
        propagates.  Afterwards it joins every other non-daemon thread, then
        re-executes the process if :meth:`restart` asked for it.
        """
        try:
            self.wait(states.EXITING, interval=interval, channel="main")
        except (KeyboardInterrupt, OSError):
            # OSError: a sleep interrupted by Ctrl-C on some platforms.
            self.log("Keyboard Interrupt: shutting down bus")
            self.exit()
        except SystemExit:
            self.log("SystemExit raised: shutting down bus")
            self.exit()
            raise

        # Letting every worker finish before atexit handlers run avoids
        # shutdown races (and hangs on some platforms).
        self.log("Waiting for child threads to terminate...")
        current = threading.current_thread()
        main = threading.main_thread()
        for thread in threading.enumerate():
            # Dummy (foreign) threads are daemonic, so this also skips them.
            if thread is current or thread is main or thread.daemon:
                continue
            self.log(f"Waiting for thread {thread.name}.")
            thread.join()

        if self.execv:
            self._do_execv()

    def wait(
        self,
        state: State | Iterable[State],
        interval: float = 0.1,
        channel: str | None = None,
    ) -> None:
        """Poll until the bus is in *state* (or one of several), publishing *channel*.

        :param state: one :class:`State` or an iterable of them.
        :param interval: seconds between polls.
        :param channel: published after every poll that found the wrong state.
        """
        wanted = {state} if isinstance(state, State) else set(state)
        while self.state not in wanted:
            time.sleep(interval)
            if channel is not None:
                self.publish(channel)

    def start_with_callback(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> threading.Thread:
        """Start the bus, and call ``func(*args, **kwargs)`` in a new thread once STARTED.

        :returns: the (already started) thread that runs *func*.
        """
        call_args = args or ()
        call_kwargs = kwargs or {}

        def run_when_started() -> None:
            self.wait(states.STARTED)
            func(*call_args, **call_kwargs)

        thread = threading.Thread(target=run_when_started)
        thread.name = f"Bus Callback {thread.name}"
        thread.start()
        self.start()
        return thread

    # -- logging ------------------------------------------------------------------

    def log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Publish *msg* on the ``log`` channel as ``(msg, level)``.

        :param level: a :mod:`logging` level number (20 is INFO, 40 ERROR).
        :param traceback: append the exception currently being handled.
        """
        if traceback and sys.exc_info()[0] is not None:
            msg += "\n" + "".join(_traceback.format_exception(*sys.exc_info()))
        self.publish("log", msg, level)

    # -- re-execution -------------------------------------------------------------

    def _do_execv(self) -> None:
        """Replace this process with a fresh run of the same command line.

        Must run in the main thread: some platforms cannot ``execv`` from
        another one.
        """
        try:
            args = self._get_true_argv()
        except NotImplementedError:
            args = [sys.executable, *self._get_interpreter_argv(), *sys.argv]

        self.log("Re-spawning " + " ".join(args))
        self._extend_pythonpath(os.environ)
        if sys.platform == "win32":  # pragma: no cover
            args = [f'"{arg}"' for arg in args]
        os.chdir(_startup_cwd)
        if self.max_cloexec_files:
            self._set_cloexec()
        os.execv(sys.executable, args)

    @staticmethod
    def _get_true_argv() -> list[str]:
        """Return the interpreter's own command line, ``python -m pkg`` included.

        :raises NotImplementedError: when the interpreter does not record it.
        """
        # sys.orig_argv (3.10+) keeps '-m pkg' and '-c code' as typed, which
        # sys.argv cannot reconstruct.
        original = list(getattr(sys, "orig_argv", None) or ())
        if not original:
            raise NotImplementedError("the original command line is not available")
        return original

    @staticmethod
    def _get_interpreter_argv() -> list[str]:
        """Return the interpreter options (``-O``, ``-X ...``) of this process."""
        if getattr(sys, "frozen", False):
            return []  # a frozen executable carries its options inside
        flags: Callable[[], list[str]] | None = getattr(
            subprocess, "_args_from_interpreter_flags", None
        )
        return flags() if flags is not None else []

    @staticmethod
    def _extend_pythonpath(env: Any) -> None:
        """Put ``.`` first on ``PYTHONPATH`` when ``sys.path[0]`` is the current directory.

        A ``-m`` run resolves imports from the working directory; the new
        process must see the same path.
        """
        prefix = "." + os.pathsep
        existing = env.get("PYTHONPATH", "")
        if sys.path and sys.path[0] == "" and not existing.startswith(prefix):
            env["PYTHONPATH"] = prefix + existing

    def _set_cloexec(self) -> None:
        """Mark open descriptors above stderr close-on-exec, up to ``max_cloexec_files``.

        Keeps listening sockets and files from leaking into the re-executed process.
        """
        for fd in self._open_fds():
            if 3 <= fd < self.max_cloexec_files:
                try:
                    os.set_inheritable(fd, False)
                except OSError:
                    continue

    def _open_fds(self) -> Iterable[int]:
        for folder in ("/proc/self/fd", "/dev/fd"):
            try:
                return sorted(int(name) for name in os.listdir(folder) if name.isdigit())
            except OSError:
                continue
        return range(3, self.max_cloexec_files)  # pragma: no cover


def __getattr__(name: str) -> Any:
    if name == "bus":
        # The site engine is built from this module, so it is looked up, not imported.
        from cherrypit._kernel import site

        return site.engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
