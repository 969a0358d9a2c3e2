"""The supervisor behind ``cherrypit run --reload``.

It never imports the application.  It runs the process's own command line again
as a child (``sys.orig_argv``, so ``python -m pkg`` and ``-X`` options survive),
marked through the environment, and waits for it:

* exit status :data:`~.protocol.RESTART_STATUS` — the child saw a watched file
  change and has already closed its listening socket: start a new child at once;
* any other ending — the application failed (an import error, a port in use) or
  stopped: say why, with the last lines the child wrote to stderr, then wait until
  one of the files the child reported changes before trying again.  Waiting for a
  change (and at least one polling interval) is the back-off: a broken application
  is never restarted in a loop.

SIGTERM, SIGHUP and Ctrl-C stop the child first (SIGTERM, then SIGKILL after a
timeout) and end the supervisor.  A child whose supervisor died anyway notices
its new parent and exits (see :mod:`~cherrypit_autoreload.child`).
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import IO

from cherrypit_autoreload import child, watch
from cherrypit_autoreload.protocol import (
    CHILD_ENV,
    RESTART_STATUS,
    STATE_ENV,
    ChildState,
    read_state,
)

__all__ = ["Supervisor", "child_command", "last_words", "supervise"]

PREFIX = "cherrypit: reload: "
# A traceback's location, source line, caret line and error, with room for notes.
_MAX_QUOTED = 8


def child_command() -> list[str]:
    """This process's command line, to run again as the child."""
    original = list(getattr(sys, "orig_argv", None) or ())
    if not original:  # pragma: no cover - Python < 3.10 or an embedded interpreter
        return [sys.executable, *sys.argv]
    # The interpreter as resolved now: argv[0] may be a bare "python" found on PATH.
    return [sys.executable or original[0], *original[1:]]


def supervise(command: Sequence[str] | None = None) -> int | None:
    """Run ``command`` (this process's command line) under a :class:`Supervisor`.

    :returns: the supervisor's exit status, or ``None`` when this process *is* the
        supervised child and should go on to serve.
    """
    if child.supervised():
        return None
    return Supervisor(list(command) if command is not None else child_command()).run()


def last_words(lines: Iterable[str]) -> list[str]:
    """What to quote from a failed child's stderr: why it failed, where possible.

    From the command line's ``cherrypit: error:`` report, that line and the location
    lines after it; from a traceback, its innermost ``File "..."`` line to the end (the
    location and the error); otherwise the last line.
    """
    text = [line for line in lines if line.strip()]
    for index in range(len(text) - 1, -1, -1):
        # The command line's own report: its error line, then where it happened.
        if text[index].startswith("cherrypit: error: "):
            return text[index:][:_MAX_QUOTED]
    for index in range(len(text) - 1, -1, -1):
        if text[index].lstrip().startswith('File "'):
            return text[index:][:_MAX_QUOTED]
    return text[-1:]


class Supervisor:
    """Keep one child process running ``command``, restarting it when its code changes.

    :param command: the child's argv (the executable first).
    :param output: where the supervisor's messages and the child's stderr go.
    :param grace: seconds a child gets to exit on its own after Ctrl-C (the terminal
        sends it the interrupt too) before it is sent SIGTERM.
    :param stop_timeout: seconds between SIGTERM and SIGKILL when stopping a child.
    :param end_when_stopped: end (status 0) when a child exits with status 0 instead of
        waiting for a change: the process restarted in place must still end when its
        application stops itself, as the un-supervised process would.
    """

    def __init__(
        self,
        command: Sequence[str],
        output: IO[str] | None = None,
        grace: float = 2.0,
        stop_timeout: float = 10.0,
        end_when_stopped: bool = False,
    ) -> None:
        self.command = list(command)
        self.end_when_stopped = end_when_stopped
        self.output = output if output is not None else sys.stderr
        self.grace = grace
        self.stop_timeout = stop_timeout
        #: The last state a child reported (kept when a later child reports none).
        self.known: ChildState | None = None
        #: How many children were started.
        self.starts = 0
        #: How many times the watched files were checked while no child ran.
        self.checks = 0
        self._stop = threading.Event()
        self._interrupted = False
        self._child: subprocess.Popen[bytes] | None = None
        self._copier: threading.Thread | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=40)
        self._lock = threading.Lock()

    # -- control --------------------------------------------------------------------

    def request_stop(self, interrupted: bool = False) -> None:
        """Stop the child and end :meth:`run` (safe from a signal handler or thread).

        A second request while stopping kills the child at once.
        """
        proc = self._child
        if self._stop.is_set() and proc is not None and proc.poll() is None:
            proc.kill()
        self._interrupted = self._interrupted or interrupted
        self._stop.set()

    def run(self) -> int:
        """Supervise until stopped; returns 0 (130 after Ctrl-C, 1 if no child could start)."""
        with tempfile.TemporaryDirectory(prefix="cherrypit-reload-") as folder:
            with self._signals():
                return self._loop(os.path.join(folder, "state.json"))

    # -- the loop -------------------------------------------------------------------

    def _loop(self, state_path: str) -> int:
        self._say(
            f"serving from a child process, restarted when its files change "
            f"(supervisor pid {os.getpid()})"
        )
        while not self._stop.is_set():
            # Files named on the command line (a script, a config file), as they are
            # now: what the child is about to read.
            command_files = watch.snapshot(self._command_files())
            try:
                os.remove(state_path)
            except FileNotFoundError:
                pass
            try:
                proc = self._spawn(state_path)
            except OSError as exc:
                self._say(f"cannot start {self.command[0]!r}: {exc}")
                return 1
            status = self._wait(proc)
            state = read_state(state_path)
            if state is not None:
                self.known = state
            if self._stop.is_set():
                break
            if status == RESTART_STATUS:
                continue
            if status == 0 and self.end_when_stopped:
                break
            self._explain(status, state)
            watched = {**command_files, **(self.known.files if self.known else {})}
            frequency = self.known.frequency if self.known else 1.0
            if not self._wait_for_change(watched, frequency):
                break
        return 130 if self._interrupted else 0

    def _command_files(self) -> list[str]:
        return [watch.absolute(arg) for arg in self.command[1:] if os.path.isfile(arg)]

    def _spawn(self, state_path: str) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env[CHILD_ENV] = "1"
        env[STATE_ENV] = state_path
        self._tail.clear()
        proc = subprocess.Popen(self.command, env=env, stderr=subprocess.PIPE)
        self._child = proc
        self.starts += 1
        assert proc.stderr is not None
        copier = threading.Thread(
            target=self._copy_stderr, args=(proc.stderr,), name="reload-stderr", daemon=True
        )
        copier.start()
        self._copier = copier
        return proc

    def _copy_stderr(self, pipe: IO[bytes]) -> None:
        with pipe:
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", "replace")
                self._tail.append(line.rstrip("\r\n"))
                self._write(line)

    def _wait(self, proc: subprocess.Popen[bytes]) -> int:
        while True:
            try:
                status = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if self._stop.is_set():
                    status = self._terminate(proc)
                    break
        # The child's last stderr lines must be in the tail before they are quoted; a
        # grandchild holding the pipe open must not hang us, hence the timeout.
        if self._copier is not None:
            self._copier.join(timeout=5)
        return status

    def _terminate(self, proc: subprocess.Popen[bytes]) -> int:
        if self._interrupted:
            try:
                return proc.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            proc.terminate()
        try:
            return proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            self._say(f"the application did not stop within {self.stop_timeout} s; killing it")
            proc.kill()
            return proc.wait()

    def _explain(self, status: int, state: ChildState | None) -> None:
        if status < 0:
            try:
                how = f"was killed by {signal.Signals(-status).name}"
            except ValueError:
                how = f"was killed by signal {-status}"
        else:
            how = f"exited with status {status}"
        before = "" if state is not None and state.started else " before serving"
        last = last_words(self._tail)
        self._say(f"the application {how}{before}" + (", last error output:" if last else ""))
        for line in last:
            self._write(f"    {line}\n")

    def _wait_for_change(self, watched: watch.Mtimes, frequency: float) -> bool:
        if not watched:
            self._say("no files to watch; stop with Ctrl-C")
            self._stop.wait()
            return False
        self._say(f"waiting for one of {len(watched)} watched files to change before restarting")
        while not self._stop.wait(frequency):
            self.checks += 1
            changed = watch.changed_files(watched)
            if changed:
                for path in changed:
                    watch.forget_bytecode(path)
                self._say(f"{changed[0]} changed; restarting")
                return True
        return False

    # -- output and signals -------------------------------------------------------------

    def _write(self, text: str) -> None:
        with self._lock:
            try:
                self.output.write(text)
                self.output.flush()
            except (OSError, ValueError):
                pass  # a closed terminal must not take the supervisor down

    def _say(self, message: str) -> None:
        self._write(PREFIX + message + "\n")

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread may install handlers; use request_stop()
            return

        def on_interrupt(signum: int, frame: FrameType | None) -> None:
            self.request_stop(interrupted=True)

        def on_terminate(signum: int, frame: FrameType | None) -> None:
            self.request_stop()

        previous = {
            signal.SIGINT: signal.signal(signal.SIGINT, on_interrupt),
            signal.SIGTERM: signal.signal(signal.SIGTERM, on_terminate),
        }
        hangup = getattr(signal, "SIGHUP", None)
        if hangup is not None:
            # A closed terminal: stop the child rather than die and leave it serving.
            previous[hangup] = signal.signal(hangup, on_terminate)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
