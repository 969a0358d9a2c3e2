"""Helpers CherryPy exports from ``cherrypy.lib``: file streaming and iterator checks.

Re-exported by :mod:`cherrypit.lib`; they live here to keep that package's
``__init__`` a list of names.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator
from typing import IO, Any

__all__ = [
    "file_generator",
    "file_generator_limited",
    "is_closable_iterator",
    "is_iterator",
    "set_vary_header",
]


def is_iterator(obj: object) -> bool:
    """Tell whether ``obj`` is an iterator (not merely iterable): ``iter(obj) is obj``."""
    if isinstance(obj, types.GeneratorType):
        return True
    if not hasattr(obj, "__iter__") or not hasattr(obj, "__next__"):
        return False
    try:
        return iter(obj) is obj
    except TypeError:
        return False


def is_closable_iterator(obj: object) -> bool:
    """Tell whether ``obj`` is an iterator with a ``close()`` callable without arguments."""
    if not is_iterator(obj):
        return False
    if inspect.isgenerator(obj):
        return True
    close = getattr(obj, "close", None)
    if not callable(close):
        return False
    try:
        inspect.signature(close).bind()
    except TypeError:
        return False
    except ValueError:  # no signature available (some builtins): assume it is fine
        return True
    return True


class file_generator:  # CherryPy's public name (a lower-case class)
    """Iterate over a binary file in chunks, closing it when exhausted.

    :param input: an object with ``read(size)`` (and optionally ``close()``).
    :param chunkSize: bytes per chunk.
    """

    def __init__(self, input: IO[bytes] | Any, chunkSize: int = 65536) -> None:
        self.input = input
        self.chunkSize = chunkSize

    def __iter__(self) -> file_generator:
        return self

    def __next__(self) -> bytes:
        chunk: bytes = self.input.read(self.chunkSize)
        if chunk:
            return chunk
        self.close()
        raise StopIteration

    #: The Python 2 spelling, still called by old code.
    next = __next__

    def close(self) -> None:
        """Close the underlying file (a server calls this when it is done with the body)."""
        close = getattr(self.input, "close", None)
        if close is not None:
            close()

    def __del__(self) -> None:
        # An abandoned body (client gone) must not leak its file descriptor.
        try:
            self.close()
        except Exception:
            pass


def file_generator_limited(
    fileobj: IO[bytes] | Any, count: int, chunk_size: int = 65536
) -> Iterator[bytes]:
    """Yield at most ``count`` bytes of ``fileobj`` from its current position, in chunks."""
    remaining = count
    while remaining > 0:
        chunk: bytes = fileobj.read(min(chunk_size, remaining))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


def set_vary_header(response: Any, header_name: str) -> None:
    """Add ``header_name`` to the response's ``Vary`` header (once)."""
    current = response.headers.get("Vary", "")
    names = [name.strip() for name in current.split(",") if name.strip()]
    if header_name not in names:
        names.append(header_name)
    response.headers["Vary"] = ", ".join(names)
