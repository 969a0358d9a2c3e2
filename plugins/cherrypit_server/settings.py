"""The ``server.*`` settings: which names exist and which values each accepts.

Config files and dicts reach a :class:`~cherrypit_server.server.Server` only through
:func:`coerce`, so a misspelt key or a value of the wrong type is reported at
``config.update()`` time, naming the full key, instead of surfacing later as an
obscure failure inside cheroot.
"""

from __future__ import annotations

import difflib
import os
import ssl
from collections.abc import Callable
from typing import Any

from cherrypit.plugin import ConfigError

__all__ = ["SETTINGS", "as_bool", "coerce", "unknown_setting"]

Coercer = Callable[[str, Any], Any]


def _int(key: str, value: Any) -> int:
    # bool is an int subclass, but "port = True" is certainly a mistake.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{key}: expected an int, got {value!r}")


def _number(key: str, value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{key}: expected a number of seconds, got {value!r}")


def _non_negative(key: str, value: Any) -> int | float:
    number = _number(key, value)
    if number < 0:
        raise ConfigError(f"{key}: expected 0 (off) or a positive number, got {value!r}")
    return number


def _non_negative_int(key: str, value: Any) -> int:
    number = _int(key, value)
    if number < 0:
        raise ConfigError(f"{key}: expected 0 (off) or a positive number of bytes, got {value!r}")
    return number


def as_bool(key: str, value: Any) -> bool:
    """Accept a yes/no value: a bool, 0/1, or the strings 'true'/'false'."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigError(f"{key}: expected True or False, got {value!r}")


def _str(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ConfigError(f"{key}: expected a string, got {value!r}")


def _optional_str(key: str, value: Any) -> str | None:
    if value is None:
        return None
    return _str(key, value)


def _optional_path(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    if isinstance(value, str):
        return value or None
    raise ConfigError(f"{key}: expected a file path, got {value!r}")


def _file_mode(key: str, value: Any) -> int | None:
    """A permission mode: an int (``0o660``) or its octal digits as text (``"660"``)."""
    if value is None:
        return None
    mode: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    elif isinstance(value, str):
        text = value.strip().lower().removeprefix("0o")
        if text and all(c in "01234567" for c in text):
            mode = int(text, 8)
    if mode is None or not 0 <= mode <= 0o777:
        raise ConfigError(
            f"{key}: expected a permission mode such as 0o660 (or the text '660'), "
            f"or None to keep what the umask gives, got {value!r}"
        )
    return mode


def _host(key: str, value: Any) -> str:
    host = _str(key, value)
    if host == "":
        raise ConfigError(
            f"{key}: the empty string is not allowed; "
            "use '0.0.0.0' (or '::') to listen on all interfaces"
        )
    return host


def _port(key: str, value: Any) -> int:
    port = _int(key, value)
    if not 0 <= port <= 65535:
        raise ConfigError(f"{key}: expected a port number between 0 and 65535, got {port}")
    return port


def _protocol(key: str, value: Any) -> str:
    protocol = _str(key, value)
    if protocol not in ("HTTP/1.0", "HTTP/1.1"):
        raise ConfigError(f"{key}: expected 'HTTP/1.1' or 'HTTP/1.0', got {protocol!r}")
    return protocol


def _ssl_module(key: str, value: Any) -> str:
    if value is None:
        return "builtin"
    name = _str(key, value)
    if name == "builtin":
        return name
    if name.lower() == "pyopenssl":
        raise ConfigError(
            f"{key}: 'pyopenssl' is not supported; use 'builtin' and pass an "
            "ssl.SSLContext as server.ssl_context for advanced TLS settings"
        )
    raise ConfigError(f"{key}: unknown SSL module {name!r}; the only supported one is 'builtin'")


def _ssl_context(key: str, value: Any) -> ssl.SSLContext | None:
    if value is None or isinstance(value, ssl.SSLContext):
        return value
    raise ConfigError(f"{key}: expected an ssl.SSLContext, got {value!r}")


def _wsgi_version(key: str, value: Any) -> tuple[Any, ...]:
    # TOML has no tuples: accept [1, 0] as well as (1, 0).
    if isinstance(value, list | tuple) and tuple(value) in ((1, 0), ("u", 0)):
        return tuple(value)
    raise ConfigError(f"{key}: expected (1, 0) or ('u', 0), got {value!r}")


def _anything(key: str, value: Any) -> Any:
    return value


#: Every public setting of :class:`~cherrypit_server.server.Server`, with its coercer.
SETTINGS: dict[str, Coercer] = {
    "socket_host": _host,
    "socket_port": _port,
    "socket_file": _optional_path,
    "socket_file_mode": _file_mode,
    "socket_queue_size": _int,
    "socket_timeout": _number,
    "request_head_timeout": _non_negative,
    "request_body_timeout": _non_negative,
    "request_body_min_rate": _non_negative,
    "request_body_buffer": _non_negative_int,
    "accepted_queue_size": _int,
    "accepted_queue_timeout": _number,
    "shutdown_timeout": _number,
    "protocol_version": _protocol,
    "thread_pool": _int,
    "thread_pool_max": _int,
    "max_request_header_size": _int,
    "max_request_body_size": _int,
    "instance": _anything,
    "httpserver": _anything,
    "ssl_context": _ssl_context,
    "ssl_certificate": _optional_path,
    "ssl_certificate_chain": _optional_path,
    "ssl_private_key": _optional_path,
    "ssl_ciphers": _optional_str,
    "ssl_module": _ssl_module,
    "statistics": as_bool,
    "nodelay": as_bool,
    "wsgi_version": _wsgi_version,
    "peercreds": as_bool,
    "peercreds_resolve": as_bool,
}


def unknown_setting(key: str, name: str, extra: tuple[str, ...] = ()) -> ConfigError:
    """Build the error for a setting nobody knows, suggesting the closest real name.

    :param key: the full config key, used as the message prefix.
    :param name: the attribute part of the key that was not recognised.
    :param extra: names that are valid in this position besides :data:`SETTINGS`.
    """
    candidates = [*SETTINGS, *extra]
    close = difflib.get_close_matches(name, candidates, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"{key}: unknown server setting{hint}")


def coerce(key: str, name: str, value: Any) -> Any:
    """Check ``value`` for the setting ``name`` and return it in its canonical type.

    :param key: the full config key (``server.socket_port``), used in error messages.
    :param name: the setting name (``socket_port``).
    :raises ConfigError: when ``name`` is unknown or ``value`` does not fit it.
    """
    coercer = SETTINGS.get(name)
    if coercer is None:
        raise unknown_setting(key, name)
    return coercer(key, value)
