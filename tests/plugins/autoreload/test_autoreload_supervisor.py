"""The supervisor against real child processes that play a scripted part.

Each fake child is a small Python script: it counts its runs in a file, reports a
watched file through the real state-file protocol (unless told not to), writes a
line to stderr and ends with the status its plan gives for that run ("wait" keeps
it running).  The supervisor runs in a thread and is stopped with request_stop().
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cherrypit_autoreload import protocol, supervisor
from cherrypit_autoreload.supervisor import Supervisor

FAKE_CHILD = """
import os, sys, time
from pathlib import Path
from cherrypit_autoreload.protocol import CHILD_ENV, STATE_ENV, ChildState, write_state

here = Path(__file__).parent
runs = here / "runs"
run = int(runs.read_text()) + 1 if runs.exists() else 1
runs.write_text(str(run))
assert os.environ[CHILD_ENV] == "1"
if "nostate" not in sys.argv:
    watched = str(here / "watched.py")
    files = {watched: os.stat(watched).st_mtime_ns}
    write_state(os.environ[STATE_ENV], ChildState(files, 0.05, "started" in sys.argv))
plan = (here / "plan").read_text().split()
action = plan[min(run, len(plan)) - 1]
print(f"fake child: run {run} says {action}", file=sys.stderr, flush=True)
if action == "wait":
    (here / "ready").write_text(str(os.getpid()))
    time.sleep(60)
sys.exit(int(action))
"""


class Harness:
    """A supervisor over the fake child, running in a thread."""

    def __init__(
        self,
        folder: Path,
        plan: str,
        *flags: str,
        grace: float = 2.0,
        end_when_stopped: bool = False,
    ) -> None:
        self.folder = folder
        (folder / "plan").write_text(plan)
        (folder / "watched.py").write_text("x = 1\n")
        self.script = folder / "fake_child.py"
        self.script.write_text(FAKE_CHILD)
        self.output = io.StringIO()
        self.supervisor = Supervisor(
            [sys.executable, str(self.script), *flags],
            output=self.output,
            grace=grace,
            end_when_stopped=end_when_stopped,
        )
        self.status: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.status = self.supervisor.run()

    @property
    def text(self) -> str:
        return self.output.getvalue()

    @property
    def runs(self) -> int:
        path = self.folder / "runs"
        return int(path.read_text()) if path.exists() else 0

    def stop(self, interrupted: bool = False) -> int | None:
        self.supervisor.request_stop(interrupted=interrupted)
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        return self.status


def wait_until(condition: Callable[[], bool], harness: Harness, what: str) -> None:
    deadline = time.monotonic() + 15
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; supervisor output:\n{harness.text}")
        time.sleep(0.02)


def bump(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))


@pytest.fixture
def harnesses() -> Iterator[list[Harness]]:
    made: list[Harness] = []
    yield made
    for harness in made:  # never leave a supervisor or child behind
        if harness.thread.is_alive():
            harness.stop()


def start(
    made: list[Harness], folder: Path, plan: str, *flags: str, **kw: float | bool
) -> Harness:
    harness = Harness(folder, plan, *flags, **kw)  # type: ignore[arg-type]
    made.append(harness)
    harness.thread.start()
    return harness


def test_restart_status_starts_the_next_child_at_once(
    harnesses: list[Harness], tmp_path: Path
) -> None:
    harness = start(harnesses, tmp_path, "3 3 1")
    wait_until(lambda: "waiting for one of" in harness.text, harness, "the third child to fail")

    assert harness.stop() == 0
    assert harness.runs == 3
    assert harness.supervisor.starts == 3
    text = harness.text
    assert "status 3" not in text  # a requested restart is not a failure
    assert "the application exited with status 1 before serving, last error output:" in text
    assert "    fake child: run 3 says 1\n" in text


def test_a_failed_child_is_retried_only_after_a_watched_file_changes(
    harnesses: list[Harness], tmp_path: Path
) -> None:
    harness = start(harnesses, tmp_path, "2")
    # The reported file and the script named on the command line.
    wait_until(lambda: "waiting for one of 2 watched" in harness.text, harness, "the failure")
    wait_until(lambda: harness.supervisor.checks >= 5, harness, "a few checks")
    assert harness.runs == 1  # no change, no retry

    bump(tmp_path / "watched.py")
    wait_until(lambda: harness.text.count("waiting for one of") == 2, harness, "the retry")

    assert harness.stop() == 0
    assert harness.runs == 2
    assert f"{tmp_path / 'watched.py'} changed; restarting" in harness.text


def test_a_child_that_served_is_not_said_to_have_failed_before_serving(
    harnesses: list[Harness], tmp_path: Path
) -> None:
    harness = start(harnesses, tmp_path, "1", "started")
    wait_until(lambda: "waiting for one of" in harness.text, harness, "the failure")

    harness.stop()
    assert "the application exited with status 1, last error output:" in harness.text


def test_a_child_that_stops_cleanly_ends_an_in_place_supervisor(
    harnesses: list[Harness], tmp_path: Path
) -> None:
    # What engine.autoreload's in-place restart runs: the application calling
    # engine.exit() must still end the process.
    harness = start(harnesses, tmp_path, "3 0", "started", end_when_stopped=True)
    harness.thread.join(timeout=30)

    assert not harness.thread.is_alive(), harness.text
    assert harness.status == 0
    assert harness.runs == 2
    assert "waiting for one of" not in harness.text


def test_a_child_that_stops_cleanly_is_waited_on_under_reload(
    harnesses: list[Harness], tmp_path: Path
) -> None:
    harness = start(harnesses, tmp_path, "0", "started")
    wait_until(lambda: "waiting for one of" in harness.text, harness, "the wait")

    assert harness.thread.is_alive()
    assert harness.stop() == 0
    assert harness.runs == 1


def test_without_a_report_the_files_on_the_command_line_are_watched(
    harnesses: list[Harness], tmp_path: Path
) -> None:
    harness = start(harnesses, tmp_path, "2", "nostate")
    wait_until(lambda: "waiting for one of 1 watched" in harness.text, harness, "the failure")

    bump(harness.script)
    wait_until(lambda: harness.runs == 2, harness, "the retry")

    harness.stop()
    assert f"{harness.script} changed; restarting" in harness.text


def test_stopping_terminates_the_running_child(harnesses: list[Harness], tmp_path: Path) -> None:
    harness = start(harnesses, tmp_path, "wait")
    wait_until((tmp_path / "ready").exists, harness, "the child to run")
    child = harness.supervisor._child
    assert child is not None and child.poll() is None

    assert harness.stop() == 0
    assert child.returncode == -signal.SIGTERM


def test_an_interrupt_stops_the_child_after_its_grace_period(
    harnesses: list[Harness], tmp_path: Path
) -> None:
    harness = start(harnesses, tmp_path, "wait", grace=0.1)
    wait_until((tmp_path / "ready").exists, harness, "the child to run")
    child = harness.supervisor._child
    assert child is not None

    assert harness.stop(interrupted=True) == 130
    assert child.returncode == -signal.SIGTERM


def test_supervise_returns_none_inside_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(protocol.CHILD_ENV, "1")

    assert supervisor.supervise([sys.executable, "-c", "raise SystemExit(9)"]) is None


def test_the_child_runs_the_original_command_line() -> None:
    command = supervisor.child_command()

    assert command[0] == sys.executable
    assert command[1:] == sys.orig_argv[1:]
    assert os.path.isabs(command[0])


def test_the_quote_from_a_traceback_starts_at_its_innermost_location() -> None:
    stderr = [
        "[27/Nov/2026:09:36:00] ENGINE Bus STARTING",
        "Traceback (most recent call last):",
        '  File "/venv/cherrypit/cli.py", line 386, in _cmd_run',
        "    run_script(target.script)",
        '  File "/srv/site.py", line 6',
        '    return "s2',
        "           ^",
        "",
        "SyntaxError: unterminated string literal (detected at line 6)",
    ]

    assert supervisor.last_words(stderr) == [
        '  File "/srv/site.py", line 6',
        '    return "s2',
        "           ^",
        "SyntaxError: unterminated string literal (detected at line 6)",
    ]


def test_without_a_traceback_the_last_line_is_quoted() -> None:
    stderr = ["Serving soon", "cherrypit: error: importing 'app' failed: SyntaxError: x", ""]

    assert supervisor.last_words(stderr) == [
        "cherrypit: error: importing 'app' failed: SyntaxError: x"
    ]
    assert supervisor.last_words([]) == []
