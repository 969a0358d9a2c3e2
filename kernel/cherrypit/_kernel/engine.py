"""The site's engine: the wspbus :class:`~cherrypit.process.wspbus.Bus`, plus start-up wiring.

Starting the engine first loads the plugins (so the server plugin can subscribe its
HTTP server) and runs the config checker.  The per-thread hooks of
:class:`~cherrypit.process.plugins.ThreadManager` are switched on only when someone
listens to ``start_thread``/``stop_thread``, so requests do not pay for them otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cherrypit.process.plugins import SignalHandler, ThreadManager
from cherrypit.process.wspbus import Bus


class AutoreloadSettings:
    """Placeholder for ``engine.autoreload`` while no autoreload plugin is installed.

    Keeps CherryPy's settings (``on``, ``frequency``, ``match``, ``files``) so that
    configs written for CherryPy load; turning it on warns that nothing will reload.
    """

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.on = False
        self.frequency = 1.0
        self.match = ".*"
        self.files: set[str] = set()

    def subscribe(self) -> None:
        self.on = True
        self.bus.log(
            "engine.autoreload.on is set but no autoreload plugin is installed; "
            "code changes will not be reloaded.",
            level=30,
        )

    def unsubscribe(self) -> None:
        self.on = False


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

    def __init__(self) -> None:
        super().__init__()
        self.signal_handler = SignalHandler(self)
        self.signals = _SignalsSwitch(self)
        self.thread_manager = ThreadManager(self)
        self.autoreload: Any = AutoreloadSettings(self)
        #: Called before the bus publishes ``start`` (plugin loading, checker).
        self.before_start: list[Callable[[], None]] = []

    def subscribe(self, channel: str, callback: Any = None, priority: int | None = None) -> Any:
        if channel in ("start_thread", "stop_thread") and not self.listeners.get("acquire_thread"):
            self.thread_manager.subscribe()
        return super().subscribe(channel, callback, priority)

    def start(self) -> None:
        for prepare in self.before_start:
            prepare()
        super().start()
