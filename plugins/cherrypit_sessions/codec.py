"""How stored sessions are written: JSON, never pickle (except to migrate, on request).

A stored session is one JSON document, ``{"v": 1, "expires": <POSIX time>, "data": {...}}``.
Unpickling runs code chosen by whoever can write the storage, so CherryPy's pickle
format is read only when ``tools.sessions.allow_pickle`` is on, to migrate old files; the
next save rewrites them as JSON.

Values must be what JSON holds: ``str``, ``int``, ``float``, ``bool``, ``None``, lists
(tuples come back as lists) and dicts with string keys.  Anything else raises a
``TypeError`` at save time naming the session key, instead of silently changing type.
"""

from __future__ import annotations

import datetime
import json
import pickle
from collections.abc import Mapping
from typing import Any

__all__ = ["PickledSession", "UnreadableSession", "check_storable", "dumps", "loads"]

FORMAT_VERSION = 1
_SCALARS = (str, int, float, bool, type(None))


class UnreadableSession(ValueError):
    """Stored bytes that are not a session document (corrupt or foreign)."""


class PickledSession(UnreadableSession):
    """A session in CherryPy's pickle format while ``allow_pickle`` is off."""


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, _SCALARS):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_value(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has the key {key!r} ({type(key).__name__}); JSON session "
                    "storage keeps only string keys"
                )
            _check_value(item, f"{where}[{key!r}]")
        return
    raise TypeError(
        f"{where} is a {type(value).__name__}, which JSON session storage cannot hold; "
        "store str, int, float, bool, None, lists and dicts with string keys "
        "(or use the RAM storage, which keeps Python objects)"
    )


def check_storable(data: Mapping[Any, Any]) -> None:
    """Raise ``TypeError`` naming the first session key whose value JSON cannot hold."""
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError(
                f"session key {key!r} is a {type(key).__name__}; session keys must be strings"
            )
        _check_value(value, f"session[{key!r}]")


def dumps(data: Mapping[str, Any], expiration_time: datetime.datetime) -> bytes:
    """Encode a session's data and expiry time (checks the values first)."""
    check_storable(data)
    document = {"v": FORMAT_VERSION, "expires": expiration_time.timestamp(), "data": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(
    raw: bytes, *, allow_pickle: bool = False, tz: datetime.tzinfo | None = None
) -> tuple[dict[str, Any], datetime.datetime]:
    """Decode stored bytes into ``(data, expiration_time)``.

    :param allow_pickle: also read CherryPy's ``pickle`` format (trusted files only).
    :param tz: time zone of the returned expiry (``None``: naive local time, like
        :meth:`Session.now`).
    :raises PickledSession: for a pickle while ``allow_pickle`` is off.
    :raises UnreadableSession: for anything else that is not a session document.
    """
    if raw[:1] == b"\x80":
        if not allow_pickle:
            raise PickledSession(
                "stored in CherryPy's pickle format; set tools.sessions.allow_pickle = True "
                "to read (and convert) it, for files you trust only"
            )
        return _loads_pickle(raw)
    try:
        document = json.loads(raw)
        data = document["data"]
        expires = document["expires"]
    except (ValueError, TypeError, KeyError) as exc:
        raise UnreadableSession(f"not a session document: {exc}") from None
    if not isinstance(data, dict) or not isinstance(expires, int | float):
        raise UnreadableSession("not a session document: wrong field types")
    return data, datetime.datetime.fromtimestamp(expires, tz)


def _loads_pickle(raw: bytes) -> tuple[dict[str, Any], datetime.datetime]:
    try:
        loaded = pickle.loads(raw)  # opt-in migration of trusted files only
    except Exception as exc:
        raise UnreadableSession(f"unreadable pickle: {exc}") from None
    if (
        not isinstance(loaded, tuple)
        or len(loaded) != 2
        or not isinstance(loaded[0], dict)
        or not isinstance(loaded[1], datetime.datetime)
    ):
        raise UnreadableSession("a pickle, but not a CherryPy session (data, expiration)")
    return loaded[0], loaded[1]
