"""Reading the raw request input: :class:`SizedReader` and its length and size limits.

:class:`~cherrypit._kernel.body.RequestBody` wraps ``wsgi.input`` in a
:class:`SizedReader` on first use: it never reads past the declared length, refuses a
body above ``maxbytes`` with 413 and, for chunked bodies, collects the trailer fields
the server hands over once the input ends.
"""

from __future__ import annotations

import io
from typing import IO, Final, Protocol

from cherrypit._kernel.errors import HTTPError

__all__ = ["DEFAULT_BUFFER_SIZE", "SizedReader"]

DEFAULT_BUFFER_SIZE: Final = io.DEFAULT_BUFFER_SIZE


class _RawInput(Protocol):
    """What the body needs from ``wsgi.input``: a blocking ``read(n)``."""

    def read(self, size: int, /) -> bytes: ...


class SizedReader:
    """Reads the raw input, at most ``length`` bytes, and enforces ``maxbytes``.

    ``length`` None means read until the input ends (a de-chunked or terminated input).

    :raises HTTPError: 413 once more than ``maxbytes`` bytes were read, or when the
        declared length is already above it.
    """

    def __init__(
        self,
        fp: _RawInput,
        length: int | None,
        maxbytes: int | None,
        bufsize: int = DEFAULT_BUFFER_SIZE,
        has_trailers: bool = False,
    ) -> None:
        self.fp = fp
        self.length = length
        self.maxbytes = maxbytes
        self.bufsize = bufsize
        self.has_trailers = has_trailers
        #: Bytes read ahead by :meth:`readline` and not consumed yet.
        self.buffer = b""
        self.bytes_read = 0
        self.done = False
        #: Trailer fields of a chunked body, once :meth:`finish` read them.
        self.trailers: dict[bytes, bytes] = {}

    def _too_large(self) -> HTTPError:
        # CherryPy's wording first (clients match on it), then the limit.
        return HTTPError(
            413, f"Entity is too large. The request body is larger than {self.maxbytes} bytes."
        )

    def _count(self, n: int) -> None:
        self.bytes_read += n
        if self.maxbytes and self.bytes_read > self.maxbytes:
            raise self._too_large()

    def _raw_read(self, size: int) -> bytes:
        try:
            data = self.fp.read(size)
        except Exception as exc:
            raise _input_error(exc) from exc
        return data or b""

    def read(self, size: int | None = None, fp_out: IO[bytes] | None = None) -> bytes | None:
        """Read up to ``size`` bytes (all when None), or copy them into ``fp_out``.

        :returns: the bytes, or None when ``fp_out`` was given.
        """
        if self.maxbytes and self.length is not None and self.length > self.maxbytes:
            raise self._too_large()
        if self.length is None:
            remaining = -1 if size is None or size < 0 else size
        else:
            remaining = self.length - self.bytes_read
            if size is not None and 0 <= size < remaining:
                remaining = size
        if remaining == 0:
            if size != 0:
                self.finish()
            return b"" if fp_out is None else None

        chunks: list[bytes] = []

        def store(data: bytes) -> None:
            if fp_out is None:
                chunks.append(data)
            else:
                fp_out.write(data)

        if self.buffer:
            take = len(self.buffer) if remaining < 0 else min(remaining, len(self.buffer))
            data, self.buffer = self.buffer[:take], self.buffer[take:]
            self._count(len(data))
            store(data)
            if remaining > 0:
                remaining -= len(data)
        while remaining:
            want = self.bufsize if remaining < 0 else min(remaining, self.bufsize)
            data = self._raw_read(want)
            if not data:
                self.finish()
                break
            self._count(len(data))
            store(data)
            if remaining > 0:
                remaining -= len(data)
        return b"".join(chunks) if fp_out is None else None

    def readline(self, size: int | None = None) -> bytes:
        """Read one line, or at most ``size`` bytes of it."""
        chunks: list[bytes] = []
        while size is None or size > 0:
            want = self.bufsize if size is None else min(size, self.bufsize)
            data = self.read(want)
            if not data:
                break
            newline = data.find(b"\n") + 1
            if newline:
                chunks.append(data[:newline])
                rest = data[newline:]
                # Give back what belongs to the next line; it is counted when re-read.
                self.buffer = rest + self.buffer
                self.bytes_read -= len(rest)
                break
            chunks.append(data)
            if size is not None:
                size -= len(data)
        return b"".join(chunks)

    def readlines(self, sizehint: int | None = None) -> list[bytes]:
        """Read lines until the body ends or about ``sizehint`` bytes were read."""
        if self.length is not None:
            left = self.length - self.bytes_read
            sizehint = left if sizehint is None else min(sizehint, left)
        lines: list[bytes] = []
        seen = 0
        while line := self.readline():
            lines.append(line)
            seen += len(line)
            if sizehint is not None and seen >= sizehint:
                break
        return lines

    def finish(self) -> None:
        """Mark the body as read, and collect trailers when the server offers them."""
        if self.done:
            return
        self.done = True
        read_trailers = getattr(self.fp, "read_trailer_lines", None)
        if not self.has_trailers or read_trailers is None:
            return
        last: bytes | None = None
        try:
            lines = list(read_trailers())
        except Exception as exc:
            raise _input_error(exc) from exc
        for line in lines:
            if line[:1] in (b" ", b"\t") and last is not None:
                self.trailers[last] += b" " + line.strip()
                continue
            key, sep, val = line.partition(b":")
            if not sep:
                raise HTTPError(400, "Illegal trailer line.")
            last = key.strip().title()
            existing = self.trailers.get(last)
            self.trailers[last] = existing + b", " + val.strip() if existing else val.strip()


def _input_error(exc: Exception) -> Exception:
    """The HTTP error for a failure of the server's input stream, else ``exc`` itself.

    WSGI servers report a body that breaks its framing with :class:`ValueError`
    (cheroot and cherrypit's server plugin do), a body too slow to arrive with a
    timeout, and their own size limit with cheroot's ``MaxSizeExceeded``.
    """
    if type(exc).__name__ == "MaxSizeExceeded":
        return HTTPError(413, "The request body is too large.")
    if isinstance(exc, TimeoutError):
        return HTTPError(408, "The request body did not arrive in time.")
    if isinstance(exc, ValueError):
        return HTTPError(400, f"Malformed request body: {exc}")
    return exc
