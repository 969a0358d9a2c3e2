"""The streaming multipart parser: delimiter scanning, part readers, part headers.

:class:`MultipartStream` pulls the input in blocks of ``bufsize`` bytes and looks for
the delimiter across block edges, so a part costs at most one block of memory however
long its lines are.  :class:`PartReader` is the file-like view of one part that
:class:`~cherrypit._kernel.body.Part` reads from, and :func:`read_part_headers` reads
the MIME header block at its start.  The parser knows nothing of entities: the
multipart processors in :mod:`cherrypit._kernel.processors` drive it and build the parts.
"""

from __future__ import annotations

import re
from typing import IO, Any, Final, Literal

from cherrypit._kernel.errors import HTTPError
from cherrypit._kernel.headers import HeaderMap

__all__ = ["MultipartStream", "PartReader", "parse_boundary", "read_part_headers"]

#: Longest run of blanks tolerated between a delimiter and its line break.
_MAX_PADDING: Final = 256

_BOUNDARY_RE: Final = re.compile(r"[ -~]{0,200}[!-~]")


def parse_boundary(value: str) -> bytes:
    """Check a ``boundary`` media-type parameter (quotes allowed) and return its bytes.

    :raises HTTPError: 400 unless it is 1 to 201 printable ASCII characters, the last
        one not a space.
    """
    boundary = value.strip('"')
    if not _BOUNDARY_RE.fullmatch(boundary):
        raise HTTPError(400, f"Invalid boundary in multipart form: {boundary!r}")
    return boundary.encode("ascii")


class MultipartStream:
    """Cuts a byte stream into the segments between multipart delimiter lines.

    Segment 0 is the preamble.  A delimiter is ``--boundary`` at the start of a line,
    optionally followed by ``--`` (the close delimiter), blanks and a line break; the
    line break before it belongs to the delimiter.  Input is pulled ``bufsize`` bytes at
    a time, and only a delimiter's length is held back at the end of the buffer, so
    memory stays bounded whatever the data looks like.
    """

    def __init__(self, source: Any, boundary: bytes, bufsize: int) -> None:
        self._source = source
        self.bufsize = max(1, bufsize)
        self._delim = b"\n--" + boundary
        # A virtual line break lets a delimiter on the very first line be found.
        self._buf = bytearray(b"\r\n")
        self._scan = 0
        self._eof = False
        self.state = "data"
        self.segment = 0

    def _fill(self) -> bool:
        if self._eof:
            return False
        data = self._source.read(self.bufsize)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def _take(self, n: int, scan: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        self._scan = max(0, scan - n)
        return out

    def _delimiter_end(self, pos: int) -> tuple[int, bool] | Literal[False] | None:
        """Judge the bytes after a ``\\n--boundary`` candidate ending at ``pos``.

        :returns: ``(end, is_close)`` for a real delimiter line, ``False`` when it is
            just data, ``None`` when more input is needed to decide.
        """
        buf, size = self._buf, len(self._buf)
        close = buf[pos : pos + 2] == b"--"
        if not close and size - pos < 2 and not self._eof and bytes(buf[pos:]) in (b"", b"-"):
            return None
        q = pos + 2 if close else pos
        limit = q + _MAX_PADDING
        # Blanks, CR included, may pad the line: CherryPy strips the delimiter line.
        while q < size and buf[q] in b" \t\r\x0b\x0c":
            q += 1
            if q > limit:
                return False
        if q >= size:
            return (size, close) if self._eof else None
        if buf[q] == 0x0A:
            return q + 1, close
        return False

    def read_segment(self, size: int) -> bytes:
        """Return up to ``size`` bytes of the current segment; ``b''`` once it ends."""
        delim = self._delim
        while self.state == "data":
            buf = self._buf
            idx = buf.find(delim, self._scan)
            if idx < 0:
                keep = len(delim)
                scan = max(0, len(buf) - keep + 1)
                if len(buf) > keep:
                    return self._take(min(len(buf) - keep, size), scan)
                if self._fill():
                    continue
                if buf:
                    return self._take(min(len(buf), size), scan)
                self.state = "eof"
                break
            end = idx - 1 if idx and buf[idx - 1] == 0x0D else idx
            if end > 0:
                return self._take(min(end, size), idx)
            verdict = self._delimiter_end(idx + len(delim))
            if verdict is None:
                self._fill()
            elif verdict is False:
                self._scan = idx + 1
            else:
                stop, close = verdict
                del buf[:stop]
                self._scan = 0
                self.state = "closed" if close else "next"
        return b""

    def next_segment(self, preamble: bool = False) -> bool:
        """Skip the rest of the current segment and step into the next one.

        :returns: False when the close delimiter (or, in the preamble, the end of the
            input; after a part, the end of the input right after a delimiter) was
            reached.
        :raises HTTPError: 400 when the input ends before the close delimiter.
        """
        while self.read_segment(self.bufsize):
            pass
        if self.state == "next" and not preamble and not self._buf and not self._fill():
            # The input ends right after a delimiter without its closing "--": the
            # last part is complete, and CherryPy takes that as the end of the form.
            self.state = "closed"
        if self.state == "next":
            self.state = "data"
            self.segment += 1
            return True
        if self.state == "eof" and not preamble:
            raise _truncated()
        return False


def _truncated() -> HTTPError:
    return HTTPError(400, "The multipart body ended before its closing boundary.")


class PartReader:
    """File-like view of one multipart segment: the part's headers, then its body.

    Once the stream has moved past the segment the reader is exhausted for good.
    """

    def __init__(self, stream: MultipartStream, max_header_size: int | None) -> None:
        self._stream = stream
        self._segment = stream.segment
        self._pending = b""
        self.bufsize = stream.bufsize
        self.max_header_size = max_header_size
        self.done = False

    def _chunk(self, size: int) -> bytes:
        if self.done or self._stream.segment != self._segment:
            self.done = True
            self._pending = b""
            return b""
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
        data = self._stream.read_segment(size)
        if not data:
            self.done = True
            if self._stream.state == "eof":
                raise _truncated()
        return data

    def read(self, size: int | None = None, fp_out: IO[bytes] | None = None) -> bytes | None:
        """Read ``size`` bytes of the part (all when None), or copy them to ``fp_out``."""
        remaining = -1 if size is None or size < 0 else size
        chunks: list[bytes] = []
        while remaining:
            want = self.bufsize if remaining < 0 else min(remaining, self.bufsize)
            data = self._chunk(want)
            if not data:
                break
            if remaining > 0:
                remaining -= len(data)
            if fp_out is None:
                chunks.append(data)
            else:
                fp_out.write(data)
        return b"".join(chunks) if fp_out is None else None

    def readline(self, size: int | None = None) -> bytes:
        """Read one line (up to ``size`` bytes) of the part."""
        chunks: list[bytes] = []
        remaining = -1 if size is None or size < 0 else size
        while remaining:
            want = self.bufsize if remaining < 0 else min(remaining, self.bufsize)
            data = self._chunk(want)
            if not data:
                break
            newline = data.find(b"\n") + 1
            if newline:
                self._pending = data[newline:] + self._pending
                chunks.append(data[:newline])
                break
            chunks.append(data)
            if remaining > 0:
                remaining -= len(data)
        return b"".join(chunks)

    def readlines(self, sizehint: int | None = None) -> list[bytes]:
        """Read lines until the part ends or about ``sizehint`` bytes were read."""
        lines: list[bytes] = []
        seen = 0
        while line := self.readline():
            lines.append(line)
            seen += len(line)
            if sizehint is not None and 0 < sizehint <= seen:
                break
        return lines

    def finish(self) -> None:
        """Mark the part as read (CherryPy's ``fp.finish``)."""
        self.done = True


def read_part_headers(fp: Any) -> HeaderMap:
    """Read a MIME header block from ``fp``, up to and including its blank line.

    Lines may end in CRLF or LF; folded lines are unfolded, repeated names joined
    with ``", "``.  The block is capped at ``fp.max_header_size`` bytes when the
    reader has that attribute.

    :raises HTTPError: 400 on a malformed line, 413 when the block is too large.
    """
    limit: int | None = getattr(fp, "max_header_size", None)
    headers = HeaderMap()
    seen = 0
    last: str | None = None
    while True:
        line: bytes = fp.readline(None if limit is None else limit - seen + 1)
        seen += len(line)
        if limit is not None and seen > limit:
            raise HTTPError(413, f"A multipart part has more than {limit} bytes of headers.")
        if not line or line in (b"\r\n", b"\n"):
            # A part may end right after its headers: it then has an empty body.
            return headers
        if not line.endswith(b"\n"):
            raise HTTPError(400, "Malformed multipart part headers: unterminated line.")
        text = _header_text(line.rstrip(b"\r\n"))
        if text[:1] in (" ", "\t"):
            if last is None:
                raise HTTPError(400, "Malformed multipart part headers: stray fold.")
            headers[last] = f"{headers[last]} {text.strip()}"
            continue
        key, sep, val = text.partition(":")
        key = key.strip()
        if not sep or not key or any(ch in key for ch in " \t"):
            raise HTTPError(400, f"Malformed multipart part header line: {text[:80]!r}")
        val = val.strip()
        existing = headers.get(key)
        headers[key] = f"{existing}, {val}" if existing else val
        last = key


def _header_text(raw: bytes) -> str:
    """Decode a header line as UTF-8 (browsers' file names), else as Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("iso-8859-1")
