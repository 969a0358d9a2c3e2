"""What the plugin does on the engine bus, and the log managers it acts on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import cherrypit
from cherrypit.plugin import LogManager
from cherrypit_logging import settings

__all__ = ["LISTENERS", "managers", "set_level"]


def managers() -> Iterator[LogManager]:
    """The site's log manager, then those of the mounted applications."""
    yield cherrypit.log
    for app in list(cherrypit.tree.apps.values()):
        manager = getattr(app, "log", None)
        if isinstance(manager, LogManager):
            yield manager


def set_level(manager: LogManager, value: Any) -> None:
    """``log.level``, then the applications that follow the site's level."""
    settings.set_level(manager, value)
    settings.sync_levels(managers())


def _on_start() -> None:
    # Applications mounted since the site's log.level was set start following it.
    settings.sync_levels(managers())


def _reopen_application_files() -> None:
    # The kernel reopens the site's files on graceful; applications' files are ours.
    for manager in managers():
        if manager is not cherrypit.log:
            manager.reopen_files()


#: (channel, listener) pairs the plugin subscribes while it is set up.  Nothing per
#: request: the kernel runs each request in its own contextvars context, so values an
#: application binds with structlog.contextvars end with the request by themselves.
LISTENERS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("start", _on_start),
    ("graceful", _reopen_application_files),
)
