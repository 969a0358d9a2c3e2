"""The engine bus: states, channels, priorities, failures, waiting and re-execution."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from cherrypit.process import wspbus
from cherrypit.process.wspbus import Bus, ChannelFailures, states


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
    # start() registers an interpreter-exit hook; don't leave test buses in it.
    atexit.unregister(recording._clean_exit)


def recorder(calls: list[Any], tag: Any) -> Any:
    def listener(*args: Any, **kwargs: Any) -> Any:
        calls.append((tag, args, kwargs))
        return tag

    return listener


# -- states --------------------------------------------------------------------------


def test_states_are_named_singletons_with_readable_repr() -> None:
    assert repr(states.STARTED) == "states.STARTED"
    assert [s.name for s in (states.STOPPED, states.STARTING, states.STOPPING)] == [
        "STOPPED",
        "STARTING",
        "STOPPING",
    ]
    assert Bus.states is states
    assert Bus().state is states.STOPPED


def test_new_state_assigned_to_namespace_learns_its_name() -> None:
    namespace = wspbus._StateEnum()
    namespace.PAUSED = wspbus.State()
    assert repr(namespace.PAUSED) == "states.PAUSED"  # type: ignore[attr-defined]


def test_new_bus_knows_the_builtin_channels() -> None:
    assert set(Bus().listeners) == {"start", "stop", "exit", "graceful", "log", "main"}


def test_start_stop_exit_move_through_states_and_log_them(bus: RecordingBus) -> None:
    seen: list[tuple[str, wspbus.State]] = []
    for channel in ("start", "stop", "exit"):
        bus.subscribe(channel, lambda channel=channel: seen.append((channel, bus.state)))

    bus.start()
    assert bus.state is states.STARTED
    bus.stop()
    assert bus.state is states.STOPPED
    bus.exit()

    assert bus.state is states.EXITING
    assert seen == [
        ("start", states.STARTING),
        ("stop", states.STOPPING),
        ("stop", states.STOPPING),
        ("exit", states.EXITING),
    ]
    assert bus.messages == [
        "Bus STARTING",
        "Bus STARTED",
        "Bus STOPPING",
        "Bus STOPPED",
        "Bus STOPPING",
        "Bus STOPPED",
        "Bus EXITING",
        "Bus EXITED",
    ]
    assert bus.exit_codes == []


def test_graceful_publishes_graceful(bus: RecordingBus) -> None:
    calls: list[Any] = []
    bus.subscribe("graceful", recorder(calls, "reload"))
    bus.graceful()
    assert calls == [("reload", (), {})]
    assert bus.messages == ["Bus graceful"]
    assert bus.state is states.STOPPED


# -- subscribe / publish ----------------------------------------------------------


def test_listeners_run_lowest_priority_first_and_results_are_returned() -> None:
    bus = Bus()
    calls: list[Any] = []
    for tag, priority in (("a", 100), ("b", 50), ("c", 0), ("d", 51)):
        bus.subscribe("custom", recorder(calls, tag), priority)

    assert bus.publish("custom", 1, key="v") == ["c", "b", "d", "a"]
    assert calls == [(tag, (1,), {"key": "v"}) for tag in "cbda"]


def test_equal_priorities_keep_subscription_order() -> None:
    bus = Bus()
    calls: list[Any] = []
    tags = [f"l{i}" for i in range(20)]
    for tag in tags:
        bus.subscribe("x", recorder(calls, tag))
    assert bus.publish("x") == tags


def test_priority_defaults_to_the_callback_priority_attribute() -> None:
    bus = Bus()
    calls: list[Any] = []
    early = recorder(calls, "early")
    early.priority = 10
    bus.subscribe("x", recorder(calls, "default"))
    bus.subscribe("x", early)
    assert bus._priorities[("x", early)] == 10
    assert bus.publish("x") == ["early", "default"]


def test_subscribe_works_as_a_decorator_with_and_without_priority() -> None:
    bus = Bus()

    @bus.subscribe("x")
    def late() -> str:
        return "late"

    @bus.subscribe("x", priority=20)
    def early() -> str:
        return "early"

    assert late() == "late"  # the decorated function is returned unchanged
    assert bus.publish("x") == ["early", "late"]
    assert bus._priorities[("x", early)] == 20


def test_subscribing_again_updates_priority_without_duplicating() -> None:
    bus = Bus()
    calls: list[Any] = []
    first, second = recorder(calls, 1), recorder(calls, 2)
    bus.subscribe("x", first, 10)
    bus.subscribe("x", second, 20)
    bus.subscribe("x", first, 30)
    assert bus.publish("x") == [2, 1]


def test_unsubscribe_removes_the_listener_and_ignores_unknown_ones() -> None:
    bus = Bus()
    calls: list[Any] = []
    listener = recorder(calls, "gone")
    bus.subscribe("x", listener)
    bus.unsubscribe("x", listener)
    bus.unsubscribe("x", listener)
    bus.unsubscribe("never-created", listener)
    assert bus.publish("x") == []
    assert ("x", listener) not in bus._priorities
    assert calls == []


def test_publishing_an_unknown_channel_returns_an_empty_list() -> None:
    bus = Bus()
    assert bus.publish("nobody-listens", 1, 2) == []
    assert "nobody-listens" not in bus.listeners


# -- failures -------------------------------------------------------------------------


def test_every_listener_runs_and_all_failures_are_raised_together(bus: RecordingBus) -> None:
    calls: list[Any] = []

    def broken_value() -> None:
        raise ValueError("first")

    def broken_key() -> None:
        raise KeyError("second")

    bus.subscribe("x", recorder(calls, "before"), 10)
    bus.subscribe("x", broken_value, 20)
    bus.subscribe("x", recorder(calls, "between"), 30)
    bus.subscribe("x", broken_key, 40)
    bus.subscribe("x", recorder(calls, "after"), 50)

    with pytest.raises(ChannelFailures) as caught:
        bus.publish("x")

    assert [tag for tag, _a, _k in calls] == ["before", "between", "after"]
    errors = caught.value.get_instances()
    assert [type(e) for e in errors] == [ValueError, KeyError]
    assert str(caught.value) == "ValueError('first')\nKeyError('second')"
    assert caught.value.__cause__ is errors[0]
    logged = [(m, lvl) for m, lvl in bus.log_entries if m.startswith("Error in 'x' listener")]
    assert len(logged) == 2
    assert all(lvl == 40 and "Traceback" in m for m, lvl in logged)


def test_channel_failures_is_falsy_until_it_records_an_exception() -> None:
    failures = ChannelFailures()
    assert not failures
    assert failures.get_instances() == []
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failures.handle_exception()
    assert failures
    copy = failures.get_instances()
    copy.clear()
    assert len(failures.get_instances()) == 1
    assert isinstance(failures, Exception)


def test_keyboard_interrupt_from_a_listener_stops_publishing() -> None:
    bus = Bus()
    calls: list[Any] = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    bus.subscribe("x", interrupt, 10)
    bus.subscribe("x", recorder(calls, "later"), 20)
    with pytest.raises(KeyboardInterrupt):
        bus.publish("x")
    assert calls == []


def test_system_exit_zero_after_failures_becomes_status_one(bus: RecordingBus) -> None:
    def broken() -> None:
        raise ValueError("boom")

    def leave() -> None:
        raise SystemExit(0)

    bus.subscribe("x", broken, 10)
    bus.subscribe("x", leave, 20)
    with pytest.raises(SystemExit) as caught:
        bus.publish("x")
    assert caught.value.code == 1


def test_a_failing_log_listener_never_recurses_nor_stops_other_listeners(
    bus: RecordingBus,
) -> None:
    def broken_log(msg: str, level: int) -> None:
        raise OSError("disk full")

    bus.subscribe("log", broken_log, 10)

    with pytest.raises(ChannelFailures) as caught:
        bus.log("hello")
    assert [type(e) for e in caught.value.get_instances()] == [OSError]
    assert bus.messages == ["hello"]  # the healthy log listener still ran

    calls: list[Any] = []

    def broken() -> None:
        raise ValueError("real problem")

    bus.subscribe("x", broken, 10)
    bus.subscribe("x", recorder(calls, "after"), 20)
    with pytest.raises(ChannelFailures) as caught:
        bus.publish("x")
    # Reporting the failure through the broken log did not cut the loop short.
    assert [tag for tag, _a, _k in calls] == ["after"]
    assert [type(e) for e in caught.value.get_instances()] == [ValueError]


def test_start_failure_logs_exits_the_bus_and_reraises(bus: RecordingBus) -> None:
    calls: list[Any] = []

    def broken_start() -> None:
        raise RuntimeError("cannot start")

    bus.subscribe("start", broken_start)
    bus.subscribe("stop", recorder(calls, "stop"))
    bus.subscribe("exit", recorder(calls, "exit"))

    with pytest.raises(ChannelFailures) as caught:
        bus.start()

    assert isinstance(caught.value.get_instances()[0], RuntimeError)
    assert bus.state is states.EXITING
    assert [tag for tag, _a, _k in calls] == ["stop", "exit"]
    assert any(
        m.startswith("Shutting down due to error in start listener:") and lvl == 40
        for m, lvl in bus.log_entries
    )
    # Like CherryPy: an exit from the STARTING state ends the process (status 70).
    assert bus.exit_codes == [70]


def test_a_start_refusal_is_one_line_without_traceback(bus: RecordingBus) -> None:
    class Refusal(OSError):
        pass

    def refuse() -> None:
        raise Refusal("server.socket_port: port 127.0.0.1:8080 is already in use")

    bus.start_refusals = (Refusal,)
    bus.subscribe("start", refuse)
    with pytest.raises(ChannelFailures):
        bus.start()

    errors = [m for m, lvl in bus.log_entries if lvl >= 40]
    assert errors == ["Cannot start: server.socket_port: port 127.0.0.1:8080 is already in use"]
    assert not any("Traceback" in m for m in bus.messages)
    for line in ("Bus STOPPED", "Bus EXITING", "Bus EXITED"):
        assert bus.messages.count(line) == 1
    assert bus.exit_codes == [70]


def test_a_start_refusal_next_to_a_real_failure_keeps_the_traceback(bus: RecordingBus) -> None:
    def refuse() -> None:
        raise OSError("port in use")

    def broken() -> None:
        raise RuntimeError("a bug")

    bus.start_refusals = (OSError,)
    bus.subscribe("start", refuse, 10)
    bus.subscribe("start", broken, 20)
    with pytest.raises(ChannelFailures):
        bus.start()
    assert any(
        m.startswith("Shutting down due to error in start listener:") and "Traceback" in m
        for m in bus.messages
    )


def test_failing_exit_listener_ends_the_process_with_status_70(bus: RecordingBus) -> None:
    calls: list[Any] = []

    def broken_exit() -> None:
        raise RuntimeError("cannot clean up")

    bus.subscribe("exit", broken_exit, 10)
    bus.subscribe("exit", recorder(calls, "other"), 20)
    with pytest.raises(ChannelFailures):
        bus.exit()  # raises only because _exit_process is replaced
    assert bus.exit_codes == [70]
    assert [tag for tag, _a, _k in calls] == ["other"]


def test_clean_exit_hook_warns_and_exits_a_running_bus(bus: RecordingBus) -> None:
    bus.start()
    with pytest.warns(RuntimeWarning, match="bus.block"):
        bus._clean_exit()
    assert bus.state is states.EXITING
    bus._clean_exit()  # already exiting: nothing more to do


# -- waiting --------------------------------------------------------------------------


def test_wait_publishes_its_channel_until_the_state_is_reached(bus: RecordingBus) -> None:
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(1)
        if len(ticks) == 3:
            bus.start()

    bus.subscribe("main", tick)
    bus.wait(states.STARTED, interval=0.001, channel="main")
    assert bus.state is states.STARTED
    assert len(ticks) == 3
    bus.exit()


def test_wait_accepts_several_states_and_another_thread_moves_the_bus(
    bus: RecordingBus,
) -> None:
    mover = threading.Thread(target=bus.start)
    mover.start()
    bus.wait([states.STARTED, states.EXITING], interval=0.005)
    mover.join(5)
    assert bus.state is states.STARTED
    bus.wait(states.STARTED)  # already there: returns at once
    bus.exit()


def test_block_returns_after_exit_from_another_thread_and_joins_workers(
    bus: RecordingBus,
) -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait, args=(10,), name="worker")
    worker.start()

    def exit_then_release() -> None:
        bus.exit()
        release.set()

    bus.start()
    threading.Thread(target=exit_then_release).start()
    bus.block(interval=0.005)

    assert bus.state is states.EXITING
    assert not worker.is_alive()
    assert "Waiting for child threads to terminate..." in bus.messages
    assert bus.execv is False


def test_block_exits_the_bus_on_keyboard_interrupt(bus: RecordingBus) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    bus.subscribe("main", interrupt)
    bus.start()
    bus.block(interval=0.001)
    assert bus.state is states.EXITING
    assert "Keyboard Interrupt: shutting down bus" in bus.messages


def test_block_exits_the_bus_on_system_exit_and_propagates(bus: RecordingBus) -> None:
    def leave() -> None:
        raise SystemExit(3)

    bus.subscribe("main", leave)
    bus.start()
    with pytest.raises(SystemExit) as caught:
        bus.block(interval=0.001)
    assert caught.value.code == 3
    assert bus.state is states.EXITING
    assert "SystemExit raised: shutting down bus" in bus.messages


def test_start_with_callback_runs_func_in_a_thread_after_start(bus: RecordingBus) -> None:
    events: list[Any] = []
    bus.subscribe("start", lambda: events.append("start listener"))

    thread = bus.start_with_callback(
        lambda *a, **kw: events.append(("callback", a, kw)), (1, 2), {"k": "v"}
    )
    thread.join(5)

    assert not thread.is_alive()
    assert thread.name.startswith("Bus Callback ")
    assert events == ["start listener", ("callback", (1, 2), {"k": "v"})]
    bus.exit()


# -- restart / execv ----------------------------------------------------------------


def test_restart_from_another_thread_makes_block_reexec_the_original_command(
    bus: RecordingBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    execs: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(os, "execv", lambda path, args: execs.append((path, list(args))))
    monkeypatch.setattr(wspbus, "_startup_cwd", os.getcwd())
    monkeypatch.setattr(sys, "orig_argv", ["python3", "-m", "mypkg", "--port", "1"])
    bus.max_cloexec_files = 0

    bus.start()
    threading.Thread(target=bus.restart).start()
    bus.block(interval=0.005)

    assert bus.execv is True
    assert execs == [(sys.executable, ["python3", "-m", "mypkg", "--port", "1"])]
    assert "Re-spawning python3 -m mypkg --port 1" in bus.messages


def test_true_argv_falls_back_to_sys_argv_without_orig_argv(
    bus: RecordingBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "orig_argv", [])
    with pytest.raises(NotImplementedError):
        Bus._get_true_argv()

    execs: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, args: execs.append(list(args)))
    monkeypatch.setattr(wspbus, "_startup_cwd", os.getcwd())
    monkeypatch.setattr(sys, "argv", ["app.py", "--flag"])
    bus.max_cloexec_files = 0
    bus._do_execv()
    assert execs[0][0] == sys.executable
    assert execs[0][-2:] == ["app.py", "--flag"]


def test_extend_pythonpath_adds_cwd_when_sys_path_starts_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "path", ["", *sys.path])
    env = {"PYTHONPATH": "/opt/lib"}
    Bus._extend_pythonpath(env)
    assert env["PYTHONPATH"] == "." + os.pathsep + "/opt/lib"
    Bus._extend_pythonpath(env)  # idempotent
    assert env["PYTHONPATH"] == "." + os.pathsep + "/opt/lib"


def test_set_cloexec_marks_inheritable_descriptors() -> None:
    read_fd, write_fd = os.pipe()
    try:
        os.set_inheritable(read_fd, True)
        bus = Bus()
        bus.max_cloexec_files = max(read_fd, write_fd) + 1
        bus._set_cloexec()
        assert os.get_inheritable(read_fd) is False
    finally:
        os.close(read_fd)
        os.close(write_fd)


# -- log ------------------------------------------------------------------------------


def test_log_publishes_message_and_level(bus: RecordingBus) -> None:
    bus.log("plain")
    bus.log("warned", level=30)
    bus.log("no exception to show", traceback=True)
    assert bus.log_entries == [("plain", 20), ("warned", 30), ("no exception to show", 20)]


def test_log_with_traceback_appends_the_current_exception(bus: RecordingBus) -> None:
    try:
        raise NameError("lost")
    except NameError:
        bus.log("You are lost", level=40, traceback=True)
    msg, level = bus.log_entries[-1]
    assert level == 40
    assert msg.startswith("You are lost\n")
    assert "Traceback" in msg and "NameError: lost" in msg
