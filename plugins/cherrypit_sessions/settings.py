"""``tools.sessions.*`` config, checked and resolved once per config (not per request).

The tool's keys split three ways: cookie attributes (used by the tool), the storage
choice (``storage_class``/``storage_type``), and everything else, which is handed to
each :class:`~cherrypit_sessions.base.Session` as attributes (``timeout``,
``lock_timeout``, ``storage_path``, a storage's own options ...), as CherryPy does.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cherrypit import ConfigError
from cherrypit.plugin import suggest
from cherrypit_sessions import storages
from cherrypit_sessions.base import Session, lock_timeout_seconds

__all__ = ["LOCKING_MODES", "CookieSettings", "SessionSettings", "build", "check", "unknown_names"]

LOCKING_MODES = ("implicit", "early", "explicit")
SAMESITE_VALUES = ("Lax", "Strict", "None")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Keys the tool consumes; the rest go to the session object.
_TOOL_KEYS = frozenset(
    {"storage_class", "storage_type", "name", "path", "path_header", "domain", "secure"}
    | {"httponly", "persistent", "samesite"}
)
# Session attributes every storage accepts (on top of its own).  ``storage_path`` is
# the file storage's, commonly left in place when switching storages: harmless.
_SESSION_KEYS = frozenset(
    {"timeout", "clean_freq", "locking", "lock_timeout", "debug", "allow_pickle"} | {"storage_path"}
)


@dataclass(frozen=True)
class CookieSettings:
    """How the session cookie is written."""

    name: str = "session_id"
    path: str | None = None
    path_header: str | None = None
    domain: str | None = None
    #: ``None``: set ``Secure`` on https requests only.
    secure: bool | None = None
    httponly: bool = True
    samesite: str | None = "Lax"
    #: Minutes for ``Max-Age`` (``None`` when the cookie is not persistent).
    timeout: float | None = 60


@dataclass(frozen=True)
class SessionSettings:
    """Everything a request with these ``tools.sessions`` settings needs."""

    storage_class: type[Session]
    cookie: CookieSettings
    locking: str
    session_kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: Identifies these settings among the prepared storages.
    key: str = ""

    @property
    def clean_freq(self) -> float | None:
        value = self.session_kwargs.get("clean_freq")
        return float(value) if value else None

    def setup_kwargs(self) -> dict[str, Any]:
        """What the storage's ``setup`` receives (CherryPy: the storage options)."""
        skip = ("timeout", "clean_freq", "debug")
        return {k: v for k, v in self.session_kwargs.items() if k not in skip}

    def sweep(self) -> None:
        """Delete the expired sessions of this storage (the cleanup monitor's job)."""
        self.storage_class(None, **self.session_kwargs).clean_up()


def _number(key: str, value: Any, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"tools.sessions.{key}: expected a number of minutes, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"tools.sessions.{key}: must be positive, got {value!r}")
    return value


def _optional_str(conf: dict[str, Any], key: str) -> str | None:
    value = conf.pop(key, None)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"tools.sessions.{key}: expected a string, got {value!r}")
    return value or None


def _samesite(value: Any) -> str | None:
    if value is None or value is False or value == "":
        return None
    if isinstance(value, str):
        for choice in SAMESITE_VALUES:
            if value.lower() == choice.lower():
                return choice
    raise ConfigError(
        f"tools.sessions.samesite: expected 'Lax', 'Strict', 'None' or None, got {value!r}"
    )


def _cookie(conf: dict[str, Any], timeout: float) -> CookieSettings:
    name = conf.pop("name", "session_id")
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        raise ConfigError(f"tools.sessions.name: not a valid cookie name: {name!r}")
    secure = conf.pop("secure", None)
    if secure is not None:
        secure = bool(secure)
    samesite = _samesite(conf.pop("samesite", "Lax"))
    if samesite == "None" and secure is False:
        raise ConfigError(
            "tools.sessions.samesite = 'None' needs the Secure flag (browsers drop the "
            "cookie otherwise); leave tools.sessions.secure unset or True"
        )
    persistent = bool(conf.pop("persistent", True))
    return CookieSettings(
        name=name,
        path=_optional_str(conf, "path"),
        path_header=_optional_str(conf, "path_header"),
        domain=_optional_str(conf, "domain"),
        secure=secure,
        httponly=bool(conf.pop("httponly", True)),
        samesite=samesite,
        timeout=timeout if persistent else None,
    )


def build(config: Mapping[str, Any]) -> SessionSettings:
    """Check the tool's settings (without ``on``/``priority``) and resolve the storage.

    :raises ConfigError: naming the offending ``tools.sessions.<key>``.
    """
    conf = dict(config)
    storage_class = storages.resolve(
        conf.pop("storage_class", None), conf.pop("storage_type", None)
    )
    timeout = _number("timeout", conf.pop("timeout", 60), allow_zero=False)
    cookie = _cookie(conf, timeout)
    clean_freq = conf.pop("clean_freq", 5)
    if clean_freq is not None:
        clean_freq = _number("clean_freq", clean_freq, allow_zero=True)
    locking = conf.pop("locking", "implicit")
    if locking not in LOCKING_MODES:
        raise ConfigError(
            f"tools.sessions.locking: expected one of {', '.join(LOCKING_MODES)}, got {locking!r}"
        )
    try:
        if "lock_timeout" in conf:
            conf["lock_timeout"] = lock_timeout_seconds(conf["lock_timeout"])
    except ValueError as exc:
        raise ConfigError(f"tools.sessions.{exc}") from None
    kwargs = {
        **conf,
        "timeout": timeout,
        "clean_freq": clean_freq,
        "locking": locking,
        "debug": bool(conf.get("debug", False)),
    }
    key = repr(sorted((k, _stable(v)) for k, v in kwargs.items()))
    return SessionSettings(storage_class, cookie, locking, kwargs, key)


def unknown_names(config: Mapping[str, Any], storage_class: type[Session]) -> list[str]:
    """The keys of ``config`` neither the tool nor ``storage_class`` knows.

    They are still handed to the session as attributes (CherryPy does the same, so
    ``storage_path`` with RAM sessions is harmless); most are misspellings.
    """
    if not storage_class.strict_settings:
        return []
    return [
        key
        for key in config
        if key not in _TOOL_KEYS
        and key not in _SESSION_KEYS
        and not (hasattr(storage_class, key) and not callable(getattr(storage_class, key)))
    ]


def check(config: Mapping[str, Any]) -> list[str]:
    """The start-up check of one config where sessions are on (``Settings.check``).

    :raises ConfigError: for what would fail every request (via :func:`build`).
    :returns: warnings about names the storage does not know.
    """
    settings = build(config)
    storage_class = settings.storage_class
    storages.prepare_ahead(settings)
    options = sorted(
        {*_TOOL_KEYS, *_SESSION_KEYS}
        | {n for n in vars(storage_class) if n.islower() and not n.startswith("_")}
    )
    return [
        f"tools.sessions.{key}: not a setting of {storage_class.__name__}"
        f"{suggest(key, options)}; accepted as CherryPy does, but it probably has no effect"
        for key in unknown_names(config, storage_class)
    ]


def _stable(value: Any) -> Any:
    # Settings keys must compare equal across plan rebuilds: reprs of plain values do.
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return repr(value)
