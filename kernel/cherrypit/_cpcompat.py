"""CherryPy's ``cherrypy._cpcompat`` import path: small text/bytes and JSON helpers.

"Native" strings are :class:`str` on Python 3; the helpers convert between them and
bytes with an explicit encoding (ISO-8859-1 by default, the HTTP header charset).
``json_encode``/``json_decode`` were dropped from CherryPy 18 but are still imported
by older applications, so they are kept here.  ``HTTPSConnection`` (and the ``http``
package) are the standard library's, re-exported because test helpers and clients
written for CherryPy import them from here.
"""

from __future__ import annotations

import http
import json
from collections.abc import Iterator
from http.client import HTTPSConnection
from typing import Any

__all__ = [
    "HTTPSConnection",
    "assert_native",
    "http",
    "json_decode",
    "json_encode",
    "ntob",
    "ntou",
    "text_or_bytes",
    "tonative",
]

#: The two string types, for ``isinstance`` checks.
text_or_bytes = (str, bytes)


def ntob(n: str, encoding: str = "ISO-8859-1") -> bytes:
    """Encode native string ``n`` to bytes.

    :raises TypeError: when ``n`` is not a ``str``.
    """
    assert_native(n)
    return n.encode(encoding)


def ntou(n: str, encoding: str = "ISO-8859-1") -> str:
    """Return native string ``n`` as text (it already is on Python 3).

    :raises TypeError: when ``n`` is not a ``str``.
    """
    assert_native(n)
    return n


def tonative(n: str | bytes, encoding: str = "ISO-8859-1") -> str:
    """Return ``n`` as a native string, decoding bytes with ``encoding``."""
    if isinstance(n, bytes):
        return n.decode(encoding)
    return n


def assert_native(n: object) -> None:
    """Raise :class:`TypeError` unless ``n`` is a native string."""
    if not isinstance(n, str):
        raise TypeError(f"n must be a native str (got {type(n).__name__})")


def json_decode(text: str | bytes) -> Any:
    """Parse one JSON document."""
    return json.loads(text)


def json_encode(value: Any) -> Iterator[bytes]:
    """Serialise ``value`` as JSON, yielding UTF-8 chunks (a streamable response body)."""
    for chunk in json.JSONEncoder().iterencode(value):
        yield chunk.encode("utf-8")
