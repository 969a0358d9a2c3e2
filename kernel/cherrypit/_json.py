"""CherryPy's ``cherrypy._json`` import path: the JSON helpers CherryPy code imports.

``encode`` yields the document as UTF-8 byte chunks (a streamable response body),
``decode`` parses one document, and ``json`` is the standard library module itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

__all__ = ["decode", "encode", "json"]

_decoder = json.JSONDecoder()
_encoder = json.JSONEncoder()


def decode(s: str) -> Any:
    """Parse the JSON document ``s``."""
    return _decoder.decode(s)


def encode(value: Any) -> Iterator[bytes]:
    """Serialise ``value`` as JSON, chunk by chunk, in UTF-8."""
    for chunk in _encoder.iterencode(value):
        yield chunk.encode("utf-8")
