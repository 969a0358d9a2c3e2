"""Process plugins on the bus: signals, privileges, daemon, PID file, tasks, servers."""

from __future__ import annotations

import atexit
import os
import pwd
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cherrypit.process
from cherrypit.process import plugins, servers
from cherrypit.process.servers import PortInUseError, ServerAdapter
from cherrypit.process.wspbus import Bus, ChannelFailures, states

KERNEL_ROOT = Path(cherrypit.process.__file__).resolve().parents[2]


class RecordingBus(Bus):
    """A bus that records its log and never ends the test process."""

    def __init__(self) -> None:
        super().__init__()
        self.log_entries: list[tuple[str, int]] = []
        self.exit_codes: list[int] = []
        self.subscribe("log", self._record)

    def _record(self, msg: str, level: int) -> None:
        self.log_entries.append((msg, level))

    def _exit_process(self, code: int) -> None:
        self.exit_codes.append(code)

    @property
    def messages(self) -> list[str]:
        return [msg for msg, _level in self.log_entries]


@pytest.fixture
def bus() -> Iterator[RecordingBus]:
    recording = RecordingBus()
    yield recording
    if recording.state is not states.EXITING and recording.state is not states.STOPPED:
        recording.exit()
    atexit.unregister(recording._clean_exit)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- SimplePlugin -----------------------------------------------------------------------


class Lifecycle(plugins.SimplePlugin):
    def __init__(self, bus: Bus) -> None:
        super().__init__(bus)
        self.calls: list[str] = []
        self.custom = "not callable: never subscribed"

    def start(self) -> None:
        self.calls.append("start")

    start.priority = 10  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.calls.append("stop")

    def my_channel(self) -> None:
        self.calls.append("my_channel")

    def not_a_channel(self) -> None:
        self.calls.append("not_a_channel")


def test_simple_plugin_subscribes_methods_named_after_known_channels(bus: RecordingBus) -> None:
    bus.listeners["my_channel"] = set()
    bus.listeners["custom"] = set()
    plugin = Lifecycle(bus)
    plugin.subscribe()

    assert bus._priorities[("start", plugin.start)] == 10
    assert bus._priorities[("stop", plugin.stop)] == 50
    assert ("not_a_channel", plugin.not_a_channel) not in bus._priorities
    assert bus.listeners["custom"] == set()

    bus.publish("my_channel")
    bus.start()
    bus.stop()
    assert plugin.calls == ["my_channel", "start", "stop"]

    plugin.unsubscribe()
    bus.start()
    bus.stop()
    assert plugin.calls == ["my_channel", "start", "stop"]
    assert all(not listeners for name, listeners in bus.listeners.items() if name != "log")


# -- SignalHandler ------------------------------------------------------------------------


def test_signal_handler_defaults_and_signal_names(bus: RecordingBus) -> None:
    handler = plugins.SignalHandler(bus)
    assert set(handler.handlers) == {"SIGTERM", "SIGHUP", "SIGUSR1"}
    assert handler.handlers["SIGTERM"] == bus.exit
    assert handler.handlers["SIGUSR1"] == bus.graceful
    assert handler.handlers["SIGHUP"] == handler.handle_SIGHUP
    assert handler.signals[signal.SIGTERM] == "SIGTERM"
    assert handler.signals[signal.SIGABRT] == "SIGABRT"  # canonical name, not SIGIOT


def test_set_handler_accepts_names_and_numbers_and_rejects_unknown(bus: RecordingBus) -> None:
    handler = plugins.SignalHandler(bus)
    original = signal.getsignal(signal.SIGUSR2)
    listener_calls: list[str] = []
    try:
        handler.set_handler("SIGUSR2", lambda: listener_calls.append("usr2"))
        assert signal.getsignal(signal.SIGUSR2) == handler._handle_signal
        handler.set_handler(int(signal.SIGUSR2))
        assert handler._previous_handlers[signal.SIGUSR2] == original
        assert "Listening for SIGUSR2." in bus.messages

        handler._handle_signal(signal.SIGUSR2, None)
        assert listener_calls == ["usr2"]
        assert "Caught signal SIGUSR2." in bus.messages

        for bad in ("SIGNOPE", "SIG_DFL", 99999):
            with pytest.raises(ValueError, match="No such signal"):
                handler.set_handler(bad)
    finally:
        signal.signal(signal.SIGUSR2, original)


def test_real_sigusr1_publishes_graceful_and_unsubscribe_restores(bus: RecordingBus) -> None:
    originals = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    previous_usr1 = signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    graceful = threading.Event()
    bus.subscribe("graceful", graceful.set)
    handler = plugins.SignalHandler(bus)
    try:
        handler.subscribe()
        handler.subscribe()  # twice: must still restore the real originals
        assert signal.getsignal(signal.SIGUSR1) == handler._handle_signal

        os.kill(os.getpid(), signal.SIGUSR1)
        assert graceful.wait(10)
        assert "Caught signal SIGUSR1." in bus.messages
        assert bus.state is states.STOPPED  # graceful, not exit

        handler.unsubscribe()
        assert signal.getsignal(signal.SIGUSR1) == signal.SIG_IGN
        for sig, original in originals.items():
            assert signal.getsignal(sig) == original
        assert bus.publish("SIGTERM") == []
        assert bus.state is states.STOPPED
    finally:
        signal.signal(signal.SIGUSR1, previous_usr1)
        for sig, original in originals.items():
            signal.signal(sig, original)


def test_signal_handlers_are_only_installed_from_the_main_thread(bus: RecordingBus) -> None:
    handler = plugins.SignalHandler(bus)
    before = signal.getsignal(signal.SIGUSR1)
    outcome: list[Any] = []

    def in_thread() -> None:
        handler.subscribe()  # silently does nothing
        try:
            handler.set_handler("SIGUSR1")
        except ValueError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join(5)
    assert len(outcome) == 1 and isinstance(outcome[0], ValueError)
    assert signal.getsignal(signal.SIGUSR1) == before
    assert handler._previous_handlers == {}


def test_sighup_exits_when_attached_and_restarts_when_daemonized(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attached = RecordingBus()
    plugins.SignalHandler(attached).handle_SIGHUP()
    assert attached.state is states.EXITING
    assert attached.execv is False
    assert "SIGHUP caught but not daemonized. Exiting." in attached.messages

    daemon = RecordingBus()
    handler = plugins.SignalHandler(daemon)
    handler._original_pid = os.getpid() + 1  # as if we had forked since
    monkeypatch.setattr(plugins, "_stdin_is_tty", lambda: False)
    handler.handle_SIGHUP()
    assert daemon.state is states.EXITING
    assert daemon.execv is True
    assert "SIGHUP caught while daemonized. Restarting." in daemon.messages


# -- DropPrivileges ----------------------------------------------------------------------


def test_drop_privileges_sets_umask_once_at_priority_77(bus: RecordingBus) -> None:
    plugin = plugins.DropPrivileges(bus, umask=0o077)
    plugin.subscribe()
    assert bus._priorities[("start", plugin.start)] == 77
    saved = os.umask(0o022)
    try:
        bus.start()
        assert os.umask(0o022) == 0o077
        assert "umask old: 022, new: 077" in bus.messages
        assert "uid/gid not set" in bus.messages
        assert plugin.finalized

        plugin.start()
        assert "umask already set to: 077" in bus.messages
        assert os.umask(0o022) == 0o022  # not applied a second time
    finally:
        os.umask(saved)


def test_drop_privileges_resolves_user_and_group_names(bus: RecordingBus) -> None:
    import grp

    user = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(os.getgid())
    plugin = plugins.DropPrivileges(bus, uid=user.pw_name, gid=group.gr_name)
    assert (plugin.uid, plugin.gid, plugin.umask) == (os.getuid(), os.getgid(), None)
    numeric = plugins.DropPrivileges(bus, uid=1234, gid=5678)
    assert (numeric.uid, numeric.gid) == (1234, 5678)
    with pytest.raises(KeyError):
        plugins.DropPrivileges(bus, uid="no-such-user-cherrypit")


# -- Daemonizer ------------------------------------------------------------------------------


def test_daemonizer_keeps_config_and_refuses_once_the_engine_runs(
    bus: RecordingBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork() -> int:
        raise AssertionError("must not fork")

    monkeypatch.setattr(os, "fork", no_fork)
    plugin = plugins.Daemonizer(bus, stdout="/tmp/out.log", stderr="/tmp/err.log")
    assert (plugin.stdin, plugin.stdout, plugin.stderr) == (
        "/dev/null",
        "/tmp/out.log",
        "/tmp/err.log",
    )
    plugin.subscribe()
    assert bus._priorities[("start", plugin.start)] == 65

    bus.state = states.STARTED
    plugin.start()
    assert not plugin.finalized
    assert any(m.startswith("Refusing to daemonize") and lvl == 30 for m, lvl in bus.log_entries)


def test_daemonizer_warns_about_threads_then_daemonizes_once(
    bus: RecordingBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        plugins.Daemonizer,
        "daemonize",
        staticmethod(lambda *args: calls.append(args)),
    )
    stop = threading.Event()
    extra = threading.Thread(target=stop.wait, args=(10,))
    extra.start()
    try:
        plugin = plugins.Daemonizer(bus, stdin="/dev/zero")
        plugin.start()
        plugin.start()
    finally:
        stop.set()
        extra.join(5)

    assert calls == [("/dev/zero", "/dev/null", "/dev/null", bus.log)]
    assert plugin.finalized
    assert any("Daemonizing now may cause strange failures" in m for m in bus.messages)
    assert "Already daemonized." in bus.messages


DAEMON_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from cherrypit.process import plugins, wspbus

    report, pidfile = sys.argv[1], sys.argv[2]
    bus = wspbus.Bus()
    plugins.Daemonizer(bus).subscribe()
    plugins.PIDFile(bus, pidfile).subscribe()
    bus.start()
    with open(pidfile) as handle:
        written = handle.read().strip()
    with open(report + ".tmp", "w") as handle:
        handle.write(f"{os.getpid()} {os.getsid(0)} {written} {os.readlink('/proc/self/fd/1')}")
    os.replace(report + ".tmp", report)
    bus.exit()
    """
)


def wait_until(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_daemonizer_really_detaches_a_subprocess(tmp_path: Path) -> None:
    script = tmp_path / "daemon.py"
    script.write_text(DAEMON_SCRIPT)
    report, pidfile = tmp_path / "report", tmp_path / "app.pid"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(KERNEL_ROOT), *sys.path])}
    launcher = subprocess.Popen(
        [sys.executable, str(script), str(report), str(pidfile)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _out, err = launcher.communicate(timeout=20)
    assert launcher.returncode == 0, err.decode()

    assert wait_until(report.exists), "the daemon never reported"
    pid, sid, written, stdout = report.read_text().split(" ")
    assert int(pid) != launcher.pid
    assert written == pid  # PIDFile (priority 70) ran in the daemon, after forking (65)
    assert int(sid) not in (os.getsid(0), int(pid))  # new session; not its leader
    assert stdout == "/dev/null"  # no longer the launcher's pipe
    assert wait_until(lambda: not pidfile.exists()), "exit did not remove the PID file"


# -- PIDFile ---------------------------------------------------------------------------------


def test_pidfile_is_written_on_start_and_removed_on_exit(bus: RecordingBus, tmp_path: Path) -> None:
    path = tmp_path / "run" / "app.pid"
    path.parent.mkdir()
    plugin = plugins.PIDFile(bus, path)
    plugin.subscribe()
    assert bus._priorities[("start", plugin.start)] == 70

    bus.start()
    assert path.read_bytes() == f"{os.getpid()}\n".encode()
    path.write_text("changed")
    plugin.start()  # already written: left alone
    assert path.read_text() == "changed"

    bus.exit()
    assert not path.exists()
    assert f"PID file removed: {path!r}." in bus.messages
    plugin.exit()  # already gone: no error


# -- BackgroundTask, PerpetualTimer ---------------------------------------------------------------


def test_background_task_repeats_until_cancelled() -> None:
    count = 0
    third_call = threading.Event()

    def work(step: int, *, label: str) -> None:
        nonlocal count
        count += step
        if count == 3:
            third_call.set()

    task = plugins.BackgroundTask(0.001, work, args=[1], kwargs={"label": "x"})
    assert task.daemon
    task.start()
    assert third_call.wait(10)
    task.cancel()
    task.join(10)
    assert not task.is_alive()
    assert task.running is False
    assert count >= 3


def test_background_task_cancel_wakes_a_long_wait_and_before_start_prevents_calls() -> None:
    calls: list[int] = []
    sleeper = plugins.BackgroundTask(3600, lambda: calls.append(1))
    sleeper.start()
    sleeper.cancel()
    sleeper.join(10)
    assert not sleeper.is_alive()

    never = plugins.BackgroundTask(0.001, lambda: calls.append(2))
    never.cancel()
    never.start()
    never.join(10)
    assert calls == []


def test_background_task_logs_an_error_with_traceback_and_stops(
    bus: RecordingBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed = threading.Event()
    hooked: list[BaseException | None] = []

    def excepthook(args: Any) -> None:
        hooked.append(args.exc_value)
        crashed.set()

    monkeypatch.setattr(threading, "excepthook", excepthook)
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise ZeroDivisionError("bad task")

    task = plugins.BackgroundTask(0.001, broken, bus=bus)
    task.start()
    assert crashed.wait(10)
    task.join(10)
    assert calls == [1]
    assert isinstance(hooked[0], ZeroDivisionError)
    msg, level = bus.log_entries[-1]
    assert level == 40
    assert msg.startswith("Error in background task thread function")
    assert "ZeroDivisionError: bad task" in msg


def test_perpetual_timer_is_deprecated_but_repeats_until_cancelled() -> None:
    fired = threading.Event()
    calls: list[int] = []

    def tick() -> None:
        calls.append(1)
        if len(calls) == 2:
            fired.set()

    with pytest.warns(DeprecationWarning, match="BackgroundTask"):
        timer = plugins.PerpetualTimer(0.001, tick)
    timer.start()
    assert fired.wait(10)
    timer.cancel()
    timer.join(10)
    assert not timer.is_alive()


# -- Monitor -----------------------------------------------------------------------------------


def test_monitor_calls_back_repeatedly_and_stops_with_the_bus(bus: RecordingBus) -> None:
    calls: list[int] = []
    enough = threading.Event()

    def callback() -> None:
        calls.append(1)
        if len(calls) >= 3:
            enough.set()

    monitor = plugins.Monitor(bus, callback, frequency=0.001, name="Sweeper")
    monitor.subscribe()
    assert bus._priorities[("start", monitor.start)] == 70

    bus.start()
    thread = monitor.thread
    assert thread is not None and thread.name == "Sweeper" and thread.daemon
    assert "Started monitor thread 'Sweeper'." in bus.messages
    assert enough.wait(10)

    bus.stop()
    assert monitor.thread is None
    thread.join(10)
    assert not thread.is_alive()
    assert "Stopped thread 'Sweeper'." in bus.messages
    bus.exit()


def test_monitor_graceful_replaces_the_thread_and_frequency_is_live(bus: RecordingBus) -> None:
    monitor = plugins.Monitor(bus, lambda: None, frequency=3600)
    monitor.start()
    first = monitor.thread
    assert first is not None and first.name == "Monitor"
    monitor.start()
    assert "Monitor thread 'Monitor' already started." in bus.messages

    monitor.frequency = 1800
    assert first.interval == 1800

    monitor.graceful()
    second = monitor.thread
    assert second is not None and second is not first
    first.join(10)
    assert not first.is_alive()
    monitor.stop()
    second.join(10)
    assert not second.is_alive()
    monitor.stop()
    assert "No thread running for Monitor." in bus.messages


def test_monitor_with_zero_frequency_starts_nothing(bus: RecordingBus) -> None:
    monitor = plugins.Monitor(bus, lambda: None, frequency=0)
    monitor.start()
    assert monitor.thread is None


# -- ThreadManager ----------------------------------------------------------------------------


def test_thread_manager_publishes_start_and_stop_thread(bus: RecordingBus) -> None:
    manager = plugins.ThreadManager(bus)
    manager.subscribe()
    for channel in ("acquire_thread", "start_thread", "release_thread", "stop_thread"):
        assert channel in bus.listeners
    started: list[int] = []
    stopped: list[int] = []
    bus.subscribe("start_thread", started.append)
    bus.subscribe("stop_thread", stopped.append)

    bus.publish("acquire_thread")
    bus.publish("acquire_thread")  # same thread: no second start_thread
    assert started == [1]

    other = threading.Thread(target=bus.publish, args=("acquire_thread",))
    other.start()
    other.join(5)
    assert started == [1, 2]
    assert sorted(manager.threads.values()) == [1, 2]

    bus.publish("release_thread")
    assert stopped == [1]
    bus.publish("release_thread")  # unknown now: nothing
    assert stopped == [1]

    bus.start()
    bus.stop()  # the thread that never released itself
    assert stopped == [1, 2]
    assert manager.threads == {}
    assert plugins.ThreadManager.graceful is plugins.ThreadManager.stop


# -- servers -------------------------------------------------------------------------------------


class FakeHTTPServer:
    """Just enough of a server: listens on an ephemeral port until stopped.

    Like cheroot's, ``stop()`` returns only once ``start()`` has returned.
    """

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.ready = False
        self.socket: socket.socket | None = None
        self.fail_with = fail_with
        self._stop_requested = threading.Event()
        self._serving_ended = threading.Event()

    def start(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self._stop_requested.clear()
        self._serving_ended.clear()
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.ready = True
        try:
            self._stop_requested.wait(30)
        finally:
            self._serving_ended.set()

    def stop(self) -> None:
        self._stop_requested.set()
        self._serving_ended.wait(30)
        self.ready = False
        if self.socket is not None:
            self.socket.close()
            self.socket = None


def test_server_adapter_serves_with_the_bus_and_frees_the_port(bus: RecordingBus) -> None:
    httpserver = FakeHTTPServer()
    adapter = ServerAdapter(bus, httpserver, ("127.0.0.1", 0))
    adapter.subscribe()
    assert bus._priorities[("start", adapter.start)] == 75
    assert bus._priorities[("stop", adapter.stop)] == 25

    bus.start()
    try:
        host, port = adapter.bound_addr
        assert port != 0 and adapter.running
        with pytest.raises(PortInUseError):
            servers.check_port(host, port)
        assert f"Serving on http://127.0.0.1:{port}" in bus.messages
        (server_thread,) = [t for t in threading.enumerate() if t.name.startswith("HTTPServer")]
        assert server_thread.name == "HTTPServer 127.0.0.1:0"
        assert not server_thread.daemon  # like CherryPy: keeps the process alive
        adapter.start()  # already running: only logs
        assert f"Already serving on http://127.0.0.1:{port}" in bus.messages
    finally:
        bus.exit()

    assert not adapter.running
    servers.check_port("127.0.0.1", port)  # free again
    server_thread.join(10)
    assert not server_thread.is_alive()
    adapter.unsubscribe()
    assert adapter.start not in bus.listeners["start"]


def test_port_in_use_fails_start_with_one_clear_line(
    bus: RecordingBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(servers.Timeouts, "free", 0.05)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        adapter = ServerAdapter(bus, FakeHTTPServer(), ("127.0.0.1", port))
        with pytest.raises(PortInUseError) as caught:
            adapter.start()
        assert str(caught.value) == f"port 127.0.0.1:{port} is already in use"
        assert "\n" not in str(caught.value)
        assert isinstance(caught.value, OSError)

        adapter.subscribe()
        with pytest.raises(ChannelFailures) as failed:
            bus.start()
        (error,) = failed.value.get_instances()
        assert str(error) == f"port 127.0.0.1:{port} is already in use"
        assert bus.exit_codes == [70]  # CherryPy: a failed start ends the process
    assert not adapter.running


def test_server_adapter_without_a_server_refuses_to_start(bus: RecordingBus) -> None:
    with pytest.raises(ValueError, match="No HTTP server"):
        ServerAdapter(bus).start()
    adapter = ServerAdapter(bus)
    adapter.stop()
    assert "HTTP Server None already shut down" in bus.messages


def test_server_crash_during_start_surfaces_in_start(
    bus: RecordingBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashed.append(args.exc_value))
    adapter = ServerAdapter(
        bus, FakeHTTPServer(fail_with=RuntimeError("bind failed")), ("127.0.0.1", 0)
    )
    with pytest.raises(RuntimeError, match="bind failed"):
        adapter.start()
    for thread in threading.enumerate():
        if thread.name.startswith("HTTPServer"):
            thread.join(10)
    assert not adapter.running
    assert isinstance(crashed[0], RuntimeError)
    assert bus.state is states.EXITING  # the server thread exited the bus
    assert "Error in HTTP server: shutting down" in "\n".join(bus.messages)


def test_server_adapter_description_and_restart(bus: RecordingBus) -> None:
    class TLSServer(FakeHTTPServer):
        ssl_adapter = object()

    assert ServerAdapter(bus, FakeHTTPServer()).description == "unknown interface (dynamic?)"
    assert ServerAdapter(bus, FakeHTTPServer(), "/run/app.sock").description == (
        "socket file: /run/app.sock"
    )
    assert ServerAdapter(bus, TLSServer(), ("example.org", 443)).description == (
        "https://example.org"
    )
    assert ServerAdapter(bus, FakeHTTPServer(), ("::1", 8080)).description == ("http://[::1]:8080")
    assert ServerAdapter(bus, FakeHTTPServer(), ("h", 80)).description == "http://h"

    adapter = ServerAdapter(bus, FakeHTTPServer(), ("127.0.0.1", 0))
    adapter.start()
    try:
        first_port = adapter.bound_addr[1]
        adapter.restart()
        assert adapter.running
        assert adapter.bound_addr[1] not in (0, first_port)
        servers.check_port("127.0.0.1", first_port)
    finally:
        adapter.stop()


def test_client_host_maps_any_address_to_loopback() -> None:
    assert servers.client_host("0.0.0.0") == "127.0.0.1"
    assert servers.client_host("::") == "::1"
    assert servers.client_host("::0") == "::1"
    assert servers.client_host("192.0.2.7") == "192.0.2.7"


def test_port_helpers_with_real_sockets() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        port = listening.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port 127.0.0.1:{port} is already in use"):
            servers.check_port("0.0.0.0", port)
        servers.wait_for_occupied_port("127.0.0.1", port, timeout=1)
        with pytest.raises(PortInUseError):
            servers.wait_for_free_port("127.0.0.1", port, timeout=0.05)

    servers.check_port("127.0.0.1", port)
    servers.wait_for_free_port("127.0.0.1", port, timeout=1)
    with pytest.raises(TimeoutError, match="was not bound"):
        servers.wait_for_occupied_port("127.0.0.1", free_port(), timeout=0.05)
    with pytest.raises(ValueError):
        servers.check_port("", port)


def test_an_unverifiable_bind_on_any_address_only_warns() -> None:
    # Without a loopback interface a server on 0.0.0.0 cannot be probed: warn, do not fail.
    port = free_port()
    with pytest.warns(UserWarning, match=f"Unable to verify that the server is bound on {port}"):
        with servers._safe_wait("0.0.0.0", port):
            servers.wait_for_occupied_port("0.0.0.0", port, timeout=0.05)
    # A specific host has no such excuse; any OSError counts (CherryPy code raises
    # portend.Timeout, an OSError, inside this block).
    with pytest.raises(TimeoutError):
        with servers._safe_wait("127.0.0.1", port):
            servers.wait_for_occupied_port("127.0.0.1", port, timeout=0.05)
    with pytest.warns(UserWarning):
        with servers._safe_wait("::", port):
            raise OSError("not bound")


def test_wait_for_free_port_returns_once_the_listener_goes_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    first_probe = threading.Event()
    original_check = servers.check_port

    def check_then_release(host: str, port: int, timeout: float = 1.0) -> None:
        try:
            original_check(host, port, timeout)
        finally:
            if not first_probe.is_set():
                first_probe.set()
                listening.close()

    monkeypatch.setattr(servers, "check_port", check_then_release)
    try:
        servers.wait_for_free_port("127.0.0.1", port, timeout=10)
    finally:
        listening.close()
    assert first_probe.is_set()


def test_process_package_reexports_its_modules() -> None:
    assert cherrypit.process.wspbus.Bus is Bus
    assert cherrypit.process.plugins is plugins
    assert cherrypit.process.servers is servers
    # As in CherryPy, the package's and wspbus's ``bus`` is the site engine, not a second bus.
    assert cherrypit.process.bus is cherrypit.engine
    assert cherrypit.process.wspbus.bus is cherrypit.engine
