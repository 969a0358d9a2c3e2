"""Response bodies that stream a file in bounded reads and always close it.

Every body here reads at most :data:`CHUNK_SIZE` bytes per call, whoever drives it
(the kernel's chunk iterator, a server's ``wsgi.file_wrapper``, or a tool that iterates
the body).  Each owns its file: it is closed when the body is exhausted, closed by the
server, or dropped unread (an error page or redirect replaced it, or the request was a
``HEAD``).
"""

from __future__ import annotations

from typing import IO, Any

__all__ = ["CHUNK_SIZE", "FileBody", "MultipartBody"]

#: The largest single read from a served file.
CHUNK_SIZE = 64 * 1024


class _OwnedFile:
    """Shared behaviour: bounded ``read`` over pieces, iteration, closing the file."""

    chunk_size = CHUNK_SIZE
    _file: IO[bytes] | Any = None
    _closed = True

    def __init__(self, fileobj: IO[bytes] | Any, chunk_size: int = CHUNK_SIZE) -> None:
        self._file = fileobj
        self._closed = False
        self.chunk_size = chunk_size

    def read(self, size: int = -1) -> bytes:
        """Up to ``min(size, chunk_size)`` bytes; ``b""`` at the end."""
        limit = self.chunk_size if size is None or size < 0 else min(size, self.chunk_size)
        if limit == 0 or self._closed:
            return b""
        data = self._read(limit)
        if not data:
            # Consumers that read to the end (a server's file wrapper, an encoder) need
            # not close the body for the file to be released.
            self.close()
        return data

    def _read(self, limit: int) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def __iter__(self) -> _OwnedFile:
        return self

    def __next__(self) -> bytes:
        chunk = self.read(self.chunk_size)
        if not chunk:
            raise StopIteration
        return chunk

    def close(self) -> None:
        """Close the file (idempotent)."""
        if not self._closed:
            self._closed = True
            close = getattr(self._file, "close", None)
            if close is not None:
                close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __del__(self) -> None:
        # A body replaced by an error page or a redirect is never iterated nor closed
        # by the server: close the file here rather than leak the descriptor.
        try:
            self.close()
        except Exception:
            pass


class FileBody(_OwnedFile):
    """``length`` bytes of ``fileobj`` from its current position (all of it if ``None``).

    ``fileno()`` is passed through so a server's ``wsgi.file_wrapper`` may send the file
    with ``sendfile`` (PEP 3333 servers stop at ``Content-Length``).
    """

    def __init__(
        self, fileobj: IO[bytes] | Any, length: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> None:
        super().__init__(fileobj, chunk_size)
        self._remaining = length

    def _read(self, limit: int) -> bytes:
        remaining = self._remaining
        if remaining is not None:
            if remaining <= 0:
                return b""
            limit = min(limit, remaining)
        data: bytes = self._file.read(limit)
        if remaining is not None:
            self._remaining = remaining - len(data)
        return data

    def fileno(self) -> int:
        fileno: int = self._file.fileno()
        return fileno


class MultipartBody(_OwnedFile):
    """A ``multipart/byteranges`` body: part headers and file ranges, read lazily.

    :param offset: the file position that counts as byte 0 of the representation.
    """

    def __init__(
        self,
        fileobj: IO[bytes] | Any,
        ranges: list[tuple[int, int]],
        boundary: str,
        content_type: str | None,
        length: int,
        offset: int = 0,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        super().__init__(fileobj, chunk_size)
        # Each piece is literal bytes or a (start, stop) span of the file.
        pieces: list[bytes | tuple[int, int]] = [b"\r\n"]
        type_line = f"\r\nContent-type: {content_type}" if content_type else ""
        for start, stop in ranges:
            head = (
                f"--{boundary}{type_line}\r\nContent-range: bytes {start}-{stop - 1}/{length}"
                "\r\n\r\n"
            )
            pieces.append(head.encode("ascii"))
            pieces.append((offset + start, offset + stop))
            pieces.append(b"\r\n")
        pieces.append(f"--{boundary}--\r\n".encode("ascii"))
        self._pieces = pieces
        self._index = 0
        self._pending = b""  # what is left of the current literal piece
        self._span_left = 0  # bytes still to read from the current file span
        #: The exact number of bytes this body produces (for ``Content-Length``).
        self.content_length = sum(len(p) if isinstance(p, bytes) else p[1] - p[0] for p in pieces)

    def _read(self, limit: int) -> bytes:
        while True:
            if self._pending:
                data, self._pending = self._pending[:limit], self._pending[limit:]
                return data
            if self._span_left > 0:
                data = self._file.read(min(limit, self._span_left))
                if data:
                    self._span_left -= len(data)
                    return bytes(data)
                self._span_left = 0  # the file shrank: go on with the next part
            if self._index >= len(self._pieces):
                return b""
            piece = self._pieces[self._index]
            self._index += 1
            if isinstance(piece, bytes):
                self._pending = piece
            else:
                self._file.seek(piece[0])
                self._span_left = piece[1] - piece[0]
