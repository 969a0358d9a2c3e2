"""The site's engine: the wspbus :class:`~cherrypit.process.wspbus.Bus`, plus start-up wiring.

Starting the engine first loads the plugins (so the server plugin can subscribe its
HTTP server) and runs the config checker.  The per-thread hooks of
:class:`~cherrypit.process.plugins.ThreadManager` are switched on only when someone
listens to ``start_thread``/``stop_thread``, so requests do not pay for them otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from cherrypit._kernel.errors import ConfigError
from cherrypit.process.plugins import SignalHandler, ThreadManager
from cherrypit.process.servers import BindError
from cherrypit.process.wspbus import Bus


class AutoreloadSettings:
    """``engine.autoreload`` until the autoreload plugin takes over (or if it is disabled).

    Keeps CherryPy's settings (``on`` — on by default, as in CherryPy; the
    ``production`` environment turns it off — ``frequency``, ``match``, ``files``) so
    that configs written for CherryPy load and the plugin can pick them up.
    """

    def __init__(self, bus: Engine) -> None:
        self.bus = bus
        self.on = True
        self.frequency = 1.0
        self.match = ".*"
        self.files: set[str] = set()

    def _plugin_instance(self) -> Any:
        """The plugin's reloader, once plugins are loaded and it replaced us."""
        from cherrypit._kernel import pluginmanager

        pluginmanager.ensure_loaded()
        current = self.bus.autoreload
        return None if current is self else current

    def subscribe(self) -> None:
        self.on = True
        real = self._plugin_instance()
        if real is not None:
            real.subscribe()
            return
        self.bus.log(
            "engine.autoreload.on is set but no autoreload plugin is enabled; "
            "code changes will not be reloaded.",
            level=30,
        )

    def unsubscribe(self) -> None:
        self.on = False
        real = self._plugin_instance()
        if real is not None:
            real.unsubscribe()


class _SignalsSwitch:
    """``engine.signals.subscribe()``: install the OS signal handlers (main thread only)."""

    def __init__(self, bus: Engine) -> None:
        self.bus = bus

    def subscribe(self) -> None:
        self.bus.signal_handler.subscribe()

    def unsubscribe(self) -> None:
        self.bus.signal_handler.unsubscribe()


class Engine(Bus):
    """The process bus of the site (``cherrypit.engine``)."""

    # A port in use or a bad setting is the user's to fix: one line, no traceback.
    start_refusals = (BindError, ConfigError)

    def __init__(self) -> None:
        super().__init__()
        self.signal_handler = SignalHandler(self)
        self.signals = _SignalsSwitch(self)
        self.thread_manager = ThreadManager(self)
        self.autoreload: Any = AutoreloadSettings(self)
        #: Called before the bus publishes ``start`` (plugin loading, checker).
        self.before_start: list[Callable[[], None]] = []
        #: Ends the process when the bus gives up (a failing exit listener); tests
        #: replace it with something that raises.
        self.on_fatal_exit: Callable[[int], None] = os._exit

    def _exit_process(self, code: int) -> None:
        self.on_fatal_exit(code)

    def subscribe(self, channel: str, callback: Any = None, priority: int | None = None) -> Any:
        if channel in ("start_thread", "stop_thread") and not self.listeners.get("acquire_thread"):
            self.thread_manager.subscribe()
        return super().subscribe(channel, callback, priority)

    def start(self) -> None:
        for prepare in self.before_start:
            prepare()
        super().start()
