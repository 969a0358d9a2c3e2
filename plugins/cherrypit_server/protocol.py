"""Strict HTTP/1.1 message framing on top of cheroot's request parser.

cheroot accepts several framings that a proxy in front of it may read differently,
which is how requests are smuggled: ``Content-Length`` together with
``Transfer-Encoding``, conflicting duplicate ``Content-Length`` headers, control
bytes inside header fields, and chunk-size lines that are not quite hexadecimal
(RFC 9112 §6.1, §6.3 and §7.1, RFC 9110 §5.5).  Here each of these is answered
with 400 and the connection is closed, because after a framing error nobody knows
where the next request starts.

A broken chunked body is only noticed while the application reads it: the reader
raises :class:`MalformedBody` (a :class:`ValueError`, which the kernel answers with
400) and the connection is closed after that response.
"""

from __future__ import annotations

import re
import time
from typing import Any

import cheroot.errors
import cheroot.server

__all__ = ["MalformedBody", "StrictChunkedRFile", "StrictHeaderReader", "StrictRequest"]

_CRLF = b"\r\n"
# RFC 9110 §5.6.2: the characters a field name may hold.
_FIELD_NAME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 §5.5: control bytes other than HTAB never appear in a field value.
_VALUE_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF; 16 hex digits already exceed any body.
_CHUNK_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\x00-\x08\x0a-\x1f\x7f]*)?\r\n")
_MAX_CHUNK_SIZE_LINE = 4096
_MAX_TRAILER_LINE = 65536
_DIGITS = re.compile(rb"[0-9]+")
# cheroot's own list of headers whose repeats are joined with commas (not in its stubs).
_COMMA_SEPARATED: frozenset[bytes] = frozenset(
    cheroot.server.comma_separated_headers  # type: ignore[attr-defined]
)


class MalformedBody(ValueError):
    """The request body does not follow its declared framing (answered with 400)."""


class StrictHeaderReader(cheroot.server.HeaderReader):
    """Read the header block, refusing what could be framed two ways.

    Folded continuation lines are still joined (CherryPy accepts them), but not
    as the first line, where there is nothing to continue.
    """

    def __call__(self, rfile: Any, hdict: dict[bytes, bytes] | None = None) -> dict[bytes, bytes]:
        if hdict is None:
            hdict = {}
        name: bytes | None = None
        lengths: set[bytes] = set()
        while True:
            line = rfile.readline()
            if not line:
                raise ValueError("Illegal end of headers.")
            if line == _CRLF:
                break
            if not line.endswith(_CRLF):
                raise ValueError("HTTP requires CRLF terminators")
            line = line[:-2]
            if line[:1] in (b" ", b"\t"):
                if name is None:
                    raise ValueError("The header block starts with a folded (continuation) line.")
                value = _checked_value(line)
                if self._allow_header(name):  # type: ignore[attr-defined]
                    existing = hdict.get(name)
                    hdict[name] = existing + b" " + value if existing else value
                continue
            raw_name, colon, raw_value = line.partition(b":")
            if not colon:
                raise ValueError("Illegal header line.")
            if not _FIELD_NAME.fullmatch(raw_name):
                raise ValueError(f"Illegal header name {raw_name[:64]!r}.")
            value = _checked_value(raw_value)
            name = self._transform_key(raw_name)  # type: ignore[attr-defined]
            if not self._allow_header(name):  # type: ignore[attr-defined]
                continue
            if name == b"Content-Length":
                if not _DIGITS.fullmatch(value):
                    raise ValueError("Malformed Content-Length Header.")
                lengths.add(value.lstrip(b"0") or b"0")
                if len(lengths) > 1:
                    raise ValueError("Conflicting Content-Length headers.")
            existing = hdict.get(name)
            if existing and name in _COMMA_SEPARATED:
                value = existing + b", " + value
            hdict[name] = value
        if b"Transfer-Encoding" in hdict and b"Content-Length" in hdict:
            raise ValueError("Content-Length and Transfer-Encoding may not be sent together.")
        return hdict


def _checked_value(raw: bytes) -> bytes:
    value = raw.strip(b" \t")
    if _VALUE_CONTROL.search(value):
        raise ValueError("Illegal control character in a header value.")
    return value


class StrictChunkedRFile(cheroot.server.ChunkedRFile):
    """A chunked request body that refuses anything but exact chunked framing.

    :param rfile: the connection's reader.
    :param maxlen: the body size limit (0: none); above it cheroot's
        ``MaxSizeExceeded`` is raised, which the kernel answers with 413.
    """

    #: Whether the framing was broken or too large: the connection cannot be reused.
    failed = False
    #: Whether the trailer section after the last chunk has been consumed.
    trailers_read = False

    def _fetch(self) -> None:
        if self.closed:
            return
        try:
            self._read_chunk()
        except (ValueError, cheroot.errors.MaxSizeExceeded):
            self.failed = True
            self.closed = True
            raise

    def _read_chunk(self) -> None:
        line = self.rfile.readline(_MAX_CHUNK_SIZE_LINE)
        self.bytes_read += len(line)
        match = _CHUNK_SIZE_LINE.fullmatch(line)
        if match is None:
            if not line:
                raise MalformedBody("The chunked body ended before its last chunk.")
            raise MalformedBody(f"Bad chunk-size line {line[:64]!r}.")
        size = int(match.group(1), 16)
        if size == 0:
            self.closed = True
            return
        if self.maxlen and self.bytes_read + size > self.maxlen:
            raise cheroot.errors.MaxSizeExceeded("Request Entity Too Large", self.maxlen)
        chunk = self.rfile.read(size)
        self.bytes_read += len(chunk)
        if len(chunk) < size:
            raise MalformedBody("The chunked body ended inside a chunk.")
        if self.rfile.read(2) != _CRLF:
            raise MalformedBody("A chunk is longer than its declared size or lacks its CRLF.")
        self.buffer += chunk

    def read_trailer_lines(self) -> Any:
        """Yield the trailer field lines that follow the last chunk (CRLF included)."""
        if not self.closed or self.failed:
            raise MalformedBody("The trailers follow the whole body.")
        if self.trailers_read:
            return
        self.trailers_read = True
        while True:
            line = self.rfile.readline(_MAX_TRAILER_LINE)
            self.bytes_read += len(line)
            if self.maxlen and self.bytes_read > self.maxlen:
                self.failed = True
                raise cheroot.errors.MaxSizeExceeded("Request Entity Too Large", self.maxlen)
            if line == _CRLF:
                return
            if not line.endswith(_CRLF) or _VALUE_CONTROL.search(line[:-2]):
                self.failed = True
                raise MalformedBody(f"Bad trailer line {line[:64]!r}.")
            yield line

    def finish_trailers(self) -> bool:
        """Read the trailers nobody asked for; False when the stream is unusable."""
        if self.failed or not self.closed:
            return False
        try:
            for _line in self.read_trailer_lines():
                pass
        except (ValueError, cheroot.errors.MaxSizeExceeded, OSError):
            return False
        return True


class StrictRequest(cheroot.server.HTTPRequest):
    """cheroot's request with strict framing, proxy-mode request lines and body deadlines.

    Absolute URIs in the request line (``GET http://host/path``) are accepted, as
    CherryPy always did (cheroot's "proxy mode").
    """

    header_reader = StrictHeaderReader()

    def __init__(self, server: Any, conn: Any) -> None:
        super().__init__(server, conn, proxy_mode=True)

    def read_request_headers(self) -> bool:
        if not super().read_request_headers():  # type: ignore[no-untyped-call]
            return False
        if b"Transfer-Encoding" in self.inheaders and not self.chunked_read:
            # An HTTP/1.0 exchange cannot carry chunked framing: the body would
            # be read as the next request.
            self.simple_response("400 Bad Request", "Transfer-Encoding needs HTTP/1.1.")
            return False
        return True

    def respond(self) -> None:
        mrbs = self.server.max_request_body_size
        length = 0
        if self.chunked_read:
            self.rfile = StrictChunkedRFile(self.conn.rfile, mrbs)
        else:
            length = int(self.inheaders.get(b"Content-Length", 0))
            if mrbs and mrbs < length:
                if not self.sent_headers:
                    self.simple_response(
                        "413 Request Entity Too Large",
                        "The entity sent with the request exceeds the maximum allowed bytes.",
                    )
                return
            self.rfile = cheroot.server.KnownLengthRFile(self.conn.rfile, length)
        reader = self.conn.rfile
        has_body = self.chunked_read or length > 0
        if has_body:
            server = self.server
            reader.start_body(
                time.monotonic(), server.request_body_timeout, server.request_body_min_rate
            )
        try:
            self.server.gateway(self).respond()
            if self.ready:
                self.ensure_headers_sent()
            if self.chunked_write:
                self.conn.wfile.write(b"0\r\n\r\n")
        finally:
            if has_body:
                reader.end_body()

    def send_headers(self) -> None:
        body = self.rfile
        if isinstance(body, StrictChunkedRFile) and not body.finish_trailers():
            # The rest of the stream is not a request we could find the start of.
            self.close_connection = True
        elif self.conn.rfile.timed_out:
            self.close_connection = True
        super().send_headers()

    def simple_response(self, status: Any, msg: str = "") -> None:
        if str(status)[:1] == "4":
            # Every error cheroot answers on its own is a framing error: close.
            self.close_connection = True
        super().simple_response(status, msg)
