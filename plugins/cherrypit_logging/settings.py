"""The ``log.format``, ``log.access_fields`` and ``log.level`` settings, per log manager.

A setting belongs to the log (site or application) whose config section sets it.  The
format is looked up per line from the name of the logger that wrote it, walking up the
dotted name, so an application's ``log.format`` applies to its lines wherever they are
written, including the site's console and files they propagate to.

Application error logs start at INFO (CherryPy's default).  Once the site's
``log.level`` is set, those without a ``log.level`` of their own follow the site's
level instead (they are given ``NOTSET``, so stdlib logging defers to the parent).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cherrypit.plugin import ConfigError

if TYPE_CHECKING:
    from cherrypit.plugin import LogManager

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "access_fields_for",
    "forget",
    "format_for",
    "set_access_fields",
    "set_format",
    "set_level",
    "sync_levels",
]

#: The values ``log.format`` accepts.
FORMATS = ("console", "json")
#: The format of a log nobody configured.
DEFAULT_FORMAT = "console"

_lock = threading.Lock()
# logger name -> (the manager that set it, its format).  The weak reference tells a
# live application from a dead one whose id (and so logger name) was reused.
_formats: dict[str, tuple[weakref.ref[LogManager], str]] = {}
# access-logger name -> (the manager that set it, whether console lines get fields).
_access_fields: dict[str, tuple[weakref.ref[LogManager], bool]] = {}
# error-logger name -> the application manager that set a log.level of its own.
_own_level: dict[str, weakref.ref[LogManager]] = {}
# error-logger name -> the application manager already made to follow the site's level.
_following: dict[str, weakref.ref[LogManager]] = {}
# error-logger name -> the level it had before this plugin changed it.
_original_levels: dict[str, int] = {}
# Whether the site's log.level was set (only then do applications follow it).
_site_level_set = False


def _marked(table: dict[str, weakref.ref[LogManager]], manager: LogManager) -> bool:
    ref = table.get(manager.error_log.name)
    return ref is not None and ref() is manager


def set_format(manager: LogManager, value: Any) -> None:
    """``log.format``: ``"console"`` (the default) or ``"json"``.

    :raises ConfigError: for any other value.
    """
    fmt = str(value).strip().lower() if isinstance(value, str) else value
    if fmt not in FORMATS:
        raise ConfigError(f"log.format must be one of {', '.join(FORMATS)}; got {value!r}")
    ref = weakref.ref(manager)
    with _lock:
        for log in (manager.error_log, manager.access_log):
            _formats[log.name] = (ref, fmt)


def format_for(logger_name: str) -> str:
    """The format of a line written by logger ``logger_name`` (or one of its ancestors)."""
    fmt: str | None = _lookup(_formats, logger_name)
    return DEFAULT_FORMAT if fmt is None else fmt


def set_access_fields(manager: LogManager, value: Any) -> None:
    """``log.access_fields``: whether console access lines end with ``request_id=…
    duration_ms=…`` (off: the line is exactly ``access_log_format``).

    :raises ConfigError: for anything but a bool.
    """
    if not isinstance(value, bool):
        raise ConfigError(f"log.access_fields must be True or False; got {value!r}")
    with _lock:
        _access_fields[manager.access_log.name] = (weakref.ref(manager), value)


def _lookup(table: dict[str, tuple[weakref.ref[LogManager], Any]], logger_name: str) -> Any:
    name = logger_name
    while name:
        entry = table.get(name)
        if entry is not None and entry[0]() is not None:
            return entry[1]
        name = name.rpartition(".")[0]
    return None


def access_fields_for(logger_name: str) -> bool:
    """Whether console access lines written by ``logger_name`` carry the extra fields."""
    return bool(_lookup(_access_fields, logger_name))


def _parse_level(value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"log.level must be a level name or number; got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        level = logging.getLevelNamesMapping().get(text.upper())
        if level is not None:
            return level
    names = ", ".join(n for n in logging.getLevelNamesMapping() if n not in ("WARN", "FATAL"))
    raise ConfigError(f"log.level must be a number or one of {names}; got {value!r}")


def _change_level(logger: logging.Logger, level: int) -> None:
    _original_levels.setdefault(logger.name, logger.level)
    logger.setLevel(level)


def set_level(manager: LogManager, value: Any) -> None:
    """``log.level``: the level of the manager's error log (a name such as ``"DEBUG"``
    or a number).

    :raises ConfigError: for anything that is not a logging level.
    """
    global _site_level_set
    level = _parse_level(value)
    log = manager.error_log
    with _lock:
        if manager.appid is None:
            _site_level_set = True
        else:
            _own_level[log.name] = weakref.ref(manager)
            _following.pop(log.name, None)
        _change_level(log, level)


def sync_levels(managers: Iterable[LogManager]) -> None:
    """Make the application logs among ``managers`` follow the site's ``log.level``.

    Does nothing until the site's level was set; a log is handled once, and not at all
    when it has a level of its own or its level was changed by other code.
    """
    if not _site_level_set:
        return
    with _lock:
        for manager in managers:
            if manager.appid is None or _marked(_following, manager):
                continue
            if _marked(_own_level, manager):
                continue
            log = manager.error_log
            if log.level == logging.INFO:
                _change_level(log, logging.NOTSET)
            _following[log.name] = weakref.ref(manager)


def forget() -> None:
    """Drop every setting and give the loggers back the levels they had."""
    global _site_level_set
    with _lock:
        for name, level in _original_levels.items():
            logging.getLogger(name).setLevel(level)
        _original_levels.clear()
        _formats.clear()
        _access_fields.clear()
        _own_level.clear()
        _following.clear()
        _site_level_set = False
