"""``engine.autoreload``: the plugin's Autoreloader, its settings, and what it does on a change."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import cherrypit
from cherrypit._kernel import pluginmanager
from cherrypit._kernel.engine import AutoreloadSettings
from cherrypit.process import plugins as process_plugins
from cherrypit.process.wspbus import Bus
from cherrypit.testing import fresh_site, site_context
from cherrypit_autoreload import protocol
from cherrypit_autoreload.reloader import Autoreloader

Logs = list[tuple[str, int]]


@pytest.fixture
def fresh() -> Iterator[None]:
    """A fresh site with the installed plugins, loaded on demand.

    The kernel's placeholder keeps settings across site resets, so each test gets a
    new one (and leaves a new one behind).
    """
    with site_context(autoload=True):
        cherrypit.engine.autoreload = AutoreloadSettings(cherrypit.engine)
        try:
            yield
        finally:
            fresh_site()
            cherrypit.engine.autoreload = AutoreloadSettings(cherrypit.engine)


def bump(path: Path, seconds: int = 10) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))


def standalone(tmp_path: Path) -> tuple[Bus, Autoreloader, Path, Logs]:
    """A reloader on its own bus, watching one real file and no modules."""
    bus = Bus()
    logs: Logs = []
    bus.subscribe("log", lambda msg, level=20, traceback=False: logs.append((msg, level)))
    reloader = Autoreloader(bus, frequency=0.05, match=r"\A\Z")  # matches no module name
    watched = tmp_path / "watched.conf"
    watched.write_text("[global]\n")
    reloader.files.add(str(watched))
    return bus, reloader, watched, logs


# --- the plugin in the site ----------------------------------------------------------------


def test_the_plugin_replaces_the_placeholder(fresh: None) -> None:
    assert isinstance(cherrypit.engine.autoreload, AutoreloadSettings)

    pluginmanager.ensure_loaded()

    reloader = cherrypit.engine.autoreload
    assert isinstance(reloader, Autoreloader)
    assert reloader.bus is cherrypit.engine
    assert (reloader.frequency, reloader.match, reloader.files) == (1.0, ".*", set())
    # On by default, as in CherryPy (the production environment switches it off).
    assert reloader.on is True
    assert reloader.start in cherrypit.engine.listeners["start"]


def test_settings_made_before_the_plugin_loaded_carry_over(fresh: None, tmp_path: Path) -> None:
    cherrypit.config.update(
        {
            "engine.autoreload.frequency": 0.5,
            "engine.autoreload.match": "myapp",
            "engine.autoreload.on": True,
        }
    )
    cherrypit.engine.autoreload.files.add(str(tmp_path / "extra.txt"))

    pluginmanager.ensure_loaded()

    reloader = cherrypit.engine.autoreload
    assert isinstance(reloader, Autoreloader)
    assert (reloader.frequency, reloader.match) == (0.5, "myapp")
    assert reloader.files == {str(tmp_path / "extra.txt")}
    assert reloader.on is True
    assert reloader.start in cherrypit.engine.listeners["start"]
    assert reloader.main in cherrypit.engine.listeners["main"]


def test_config_switches_the_loaded_reloader(fresh: None) -> None:
    pluginmanager.ensure_loaded()
    reloader = cherrypit.engine.autoreload

    cherrypit.config.update({"engine.autoreload.on": True, "engine.autoreload.frequency": 3})
    assert reloader.on is True
    assert reloader.frequency == 3
    assert reloader.start in cherrypit.engine.listeners["start"]

    cherrypit.config.update({"environment": "production"})
    assert reloader.on is False
    assert reloader.start not in cherrypit.engine.listeners["start"]

    reloader.on = True  # the attribute works like the config key
    assert reloader.start in cherrypit.engine.listeners["start"]


def test_disabled_plugin_leaves_the_placeholder(fresh: None) -> None:
    placeholder = cherrypit.engine.autoreload
    cherrypit.config.update({"plugins.disable": ["autoreload"]})

    pluginmanager.ensure_loaded()

    assert cherrypit.engine.autoreload is placeholder
    assert isinstance(placeholder, AutoreloadSettings)
    with pytest.raises(AttributeError, match="Autoreloader"):
        _ = process_plugins.Autoreloader


def test_disabling_after_loading_restores_the_placeholder(fresh: None) -> None:
    placeholder = cherrypit.engine.autoreload
    pluginmanager.ensure_loaded()
    cherrypit.config.update({"engine.autoreload.on": True})
    reloader = cherrypit.engine.autoreload

    cherrypit.config.update({"plugins.disable": ["autoreload"]})

    assert cherrypit.engine.autoreload is placeholder
    assert all(reloader.start != listener for listener in cherrypit.engine.listeners["start"])
    assert reloader.main not in cherrypit.engine.listeners["main"]


def test_compat_import_path(fresh: None) -> None:
    from cherrypit.process.plugins import Autoreloader as compat
    from cherrypit.process.plugins import Monitor

    assert compat is Autoreloader
    assert issubclass(compat, Monitor)


def test_watched_files_include_config_files_and_extra_files(fresh: None, tmp_path: Path) -> None:
    site_conf = tmp_path / "site.conf"
    site_conf.write_text("[global]\nengine.autoreload.frequency = 2\n")
    app_conf = tmp_path / "app.conf"
    app_conf.write_text("[/]\ntools.encode.on = True\n")
    extra = tmp_path / "templates" / "page.html"

    class Root:
        @cherrypit.expose
        def index(self) -> str:
            return "hi"

    cherrypit.config.update(str(site_conf))
    cherrypit.tree.mount(Root(), "", str(app_conf))
    pluginmanager.ensure_loaded()
    reloader = cherrypit.engine.autoreload
    reloader.files.add(str(extra))

    watched = reloader.watched_files()

    assert {str(site_conf), str(app_conf), str(extra)} <= watched
    assert reloader.frequency == 2
    import cherrypit_autoreload.watch as watch_module

    assert watch_module.__file__ in watched


def test_match_limits_the_watched_modules(fresh: None) -> None:
    pluginmanager.ensure_loaded()
    reloader = cherrypit.engine.autoreload
    reloader.match = r"cherrypit_autoreload\b"

    modules = reloader.sysfiles()

    assert modules and all(os.sep + "cherrypit_autoreload" + os.sep in p for p in modules)
    assert pytest.__file__ not in reloader.watched_files()


# --- what a change does ----------------------------------------------------------------------


def test_a_change_restarts_a_blocking_engine_in_process(tmp_path: Path) -> None:
    bus, reloader, watched, logs = standalone(tmp_path)
    reloader.run()  # first look: the baseline
    reloader.run()
    assert bus.execv is False

    reloader.main()  # what the engine publishes while the main thread is in block()
    bump(watched)
    reloader.run()

    assert bus.execv is True  # block() re-executes the process once it returns
    assert bus.state is bus.states.EXITING
    message, level = next((m, lv) for m, lv in logs if "Restarting because" in m)
    assert str(watched) in message and "cherrypit run --reload" in message
    assert level == 30


def test_a_change_without_a_blocking_main_thread_is_only_logged_once(tmp_path: Path) -> None:
    bus, reloader, watched, logs = standalone(tmp_path)
    reloader.run()

    bump(watched)
    reloader.run()
    reloader.run()

    assert bus.execv is False
    assert bus.state is bus.states.STOPPED
    warnings = [m for m, level in logs if level == 30]
    assert len(warnings) == 1
    assert str(watched) in warnings[0] and "not restarting" in warnings[0]


def test_the_reloader_thread_notices_a_change(tmp_path: Path) -> None:
    bus, reloader, watched, _ = standalone(tmp_path)
    reloader.subscribe()
    bus.start()
    try:
        assert reloader.thread is not None and reloader.thread.name == "Autoreloader"
        bus.publish("main")
        # Let the thread take its baseline before the edit.
        deadline = time.monotonic() + 10
        while str(watched) not in reloader.mtimes and time.monotonic() < deadline:
            time.sleep(0.02)
        assert str(watched) in reloader.mtimes
        bump(watched)
        while bus.state is not bus.states.EXITING and time.monotonic() < deadline:
            time.sleep(0.02)
        assert bus.state is bus.states.EXITING
        assert bus.execv is True
        assert reloader.thread is None  # stopped with the bus
    finally:
        if bus.state is not bus.states.EXITING:
            bus.exit()


def test_start_forgets_earlier_times_and_takes_its_baseline(tmp_path: Path) -> None:
    _, reloader, watched, _ = standalone(tmp_path)
    reloader.run()
    reloader.mtimes[str(watched)] = 1  # a time from an earlier run of the engine

    reloader.start()
    try:
        # Taken before the server answers, so an edit right after the first page counts.
        assert reloader.mtimes[str(watched)] == watched.stat().st_mtime_ns
    finally:
        reloader.stop()


def test_the_in_process_restart_re_executes_as_a_supervisor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHERRYPIT_RELOADER_HANDOVER", raising=False)
    bus, reloader, watched, _ = standalone(tmp_path)
    original = bus._get_true_argv()
    reloader.run()
    reloader.main()
    bump(watched)
    reloader.run()

    assert bus.execv is True
    assert bus._get_true_argv() == [sys.executable, "-m", "cherrypit_autoreload", *original]
    handover = os.environ["CHERRYPIT_RELOADER_HANDOVER"]
    try:
        state = protocol.read_state(handover)
        assert state is not None
        # The current time: the supervisor waits for the save after the one that broke.
        assert state.files[str(watched)] == watched.stat().st_mtime_ns
    finally:
        os.remove(handover)


def test_under_the_supervisor_config_cannot_switch_reloading_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHERRYPIT_RELOADER_CHILD", "1")
    bus, reloader, _, logs = standalone(tmp_path)
    reloader.subscribe()

    reloader.unsubscribe()  # what engine.autoreload.on = False does

    assert reloader.on is True
    assert reloader.start in bus.listeners["start"]
    assert any("ignored under `cherrypit run --reload`" in m for m, _ in logs)
    reloader.detach()  # the plugin's own teardown still works
    assert reloader.on is False
    assert reloader.start not in bus.listeners["start"]


def test_the_state_reported_to_the_supervisor(tmp_path: Path) -> None:
    _, reloader, watched, _ = standalone(tmp_path)
    before = watched.stat().st_mtime_ns
    reloader.run()
    bump(watched)  # reported with the time the running code saw, not the new one

    state = reloader.state()

    assert state.files[str(watched)] == before
    assert state.frequency == 0.05
    assert state.started is False


def test_the_re_executed_process_ends_when_its_application_stops(tmp_path: Path) -> None:
    # After an in-place restart the process is `python -m cherrypit_autoreload COMMAND`;
    # an application that then calls engine.exit() (status 0) must end it, as before.
    handover = tmp_path / "handover.json"
    watched = tmp_path / "app.py"
    watched.write_text("x = 1\n")
    protocol.write_state(
        str(handover), protocol.ChildState({str(watched): watched.stat().st_mtime_ns}, 0.05, True)
    )
    env = {**os.environ, "CHERRYPIT_RELOADER_HANDOVER": str(handover)}
    env.pop("CHERRYPIT_RELOADER_CHILD", None)
    command = [sys.executable, "-m", "cherrypit_autoreload", sys.executable, "-c", "pass"]

    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert "waiting for one of" not in proc.stderr
    assert not handover.exists()


def test_the_file_of_a_module_without_one_is_none() -> None:
    # CherryPy's name for it, used by code that walks sys.modules itself.
    class NoFile:
        __file__ = None

    assert process_plugins.Autoreloader._file_for_file_module(NoFile) is None
    assert Autoreloader._file_for_file_module(os) == os.path.abspath(os.__file__)
