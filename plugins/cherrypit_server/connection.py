"""Connections that hold a worker thread only while a whole request head is there.

cheroot hands a connection to a worker thread as soon as it is accepted (or a byte
arrives on a kept-alive one), and the worker then blocks until the request head is
complete; ``socket_timeout`` bounds each ``recv()``, not the head.  A client sending
one byte a second therefore holds a worker for as long as it likes, and a hundred
of them starve the pool (slowloris).

Here the worker only collects the bytes already received, without waiting.  Until
the request is ready the connection goes back to cheroot's selector, which wakes it
when more bytes arrive.  "Ready" is the whole head plus the first
``request_body_buffer`` bytes of its body (all of a smaller body; for a chunked body,
up to what looks like its end).  A head still incomplete ``request_head_timeout``
seconds after its first byte, or a body still short of that after
``request_body_timeout`` seconds (plus one second per ``request_body_min_rate``
bytes received), is answered with 408.

The rest of a larger body is read by the worker while the application runs; there
the same body deadline bounds how long a slow client holds the worker.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import time
from typing import Any

import cheroot.server

from cherrypit_server.protocol import StrictRequest

__all__ = ["Connection", "SocketReader"]

# Without a header size limit, parsing starts anyway once this much is buffered.
_HEAD_BUFFER_FALLBACK = 1024 * 1024
_RECV_SIZE = 65536


class SocketReader:
    """The read side of a connection: a byte buffer over its socket.

    Offers what cheroot reads request heads and bodies with (``read``,
    ``readline``, ``has_data``, ``bytes_read``), plus :meth:`poll` to take in what
    has arrived without blocking.

    :param sock: the connected (possibly TLS) socket.
    :param head_limit: bytes after which a head counts as complete for parsing
        (which then answers 413/414); 0 means no limit.
    :param body_buffer: body bytes (at most) received before a worker serves the
        request.
    :param body_limit: the largest body accepted (0: no limit); a request declaring a
        longer one is served at once, since its answer (413) needs no body.
    """

    def __init__(
        self, sock: socket.socket, head_limit: int, body_buffer: int, body_limit: int = 0
    ) -> None:
        self._sock = sock
        self._tls = isinstance(sock, ssl.SSLSocket)
        self._buffer = bytearray()
        # Where the search for the end of the head resumes in the buffer.
        self._scanned = 0
        self._head_limit = head_limit or _HEAD_BUFFER_FALLBACK
        self._body_buffer = body_buffer
        self._body_limit = body_limit or 0
        # The pending head's end offset, and the body bytes to buffer after it.
        self._head_end: int | None = None
        self._body_wanted = 0
        self._body_chunked = False
        #: Monotonic time the pending request's head was found complete.
        self.head_done = 0.0
        self._timeout = sock.gettimeout()
        self._body_start: float | None = None
        self._body_timeout = 0.0
        self._body_rate = 0.0
        self._body_bytes = 0
        #: Bytes received so far (cheroot's statistics read it).
        self.bytes_read = 0
        #: Whether the peer closed its side.
        self.eof = False
        #: Whether a body read missed its deadline (the connection cannot be reused).
        self.timed_out = False
        #: Monotonic time the first byte of the pending request head arrived.
        self.head_started: float | None = None

    # -- the pending request ---------------------------------------------------------

    def poll(self) -> None:
        """Take in every byte received so far, without waiting for more."""
        if self._tls or self._timeout is None:
            self._poll_switching()
            return
        # A socket with a timeout is non-blocking underneath (Python waits in poll()
        # itself), so reading the descriptor directly never waits: no switching the
        # socket's mode back and forth, four system calls, for every request.
        # (socket.recv would first wait for data, up to the timeout.)
        limit = self._head_limit + self._body_buffer
        fileno = self._sock.fileno()
        while len(self._buffer) <= limit:
            try:
                data = os.read(fileno, _RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            if not data:
                self.eof = True
                break
            self._take(data)
            if len(data) < _RECV_SIZE:
                # Short read: nothing more is queued now.  Whatever arrives later
                # wakes the selector again.
                break

    def _poll_switching(self) -> None:
        # TLS sockets must be read through the TLS layer (and a blocking socket would
        # wait): switch the socket to non-blocking for the reads.
        self._sock.settimeout(0.0)
        try:
            while len(self._buffer) <= self._head_limit + self._body_buffer:
                try:
                    data = self._sock.recv(_RECV_SIZE)
                except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
                    break
                except ssl.SSLWantWriteError:
                    break
                if not data:
                    self.eof = True
                    break
                self._take(data)
        finally:
            self._sock.settimeout(self._timeout)

    def _find_head_end(self) -> int | None:
        """The offset just past the blank line that ends the buffered head, if any."""
        if self._head_end is not None:
            return self._head_end
        buffer = self._buffer
        start = max(0, self._scanned - 2)
        self._scanned = len(buffer)
        # A blank line ends the head; a bare-LF one too (cheroot then answers 400).
        ends = [i for i in (buffer.find(b"\n\r\n", start), buffer.find(b"\n\n", start)) if i >= 0]
        if not ends:
            return None
        first = min(ends)
        self._head_end = first + (3 if buffer[first + 1 : first + 2] == b"\r" else 2)
        self.head_done = time.monotonic()
        self._body_wanted, self._body_chunked = _body_to_await(
            bytes(buffer[: self._head_end]), self._body_buffer, self._body_limit
        )
        return self._head_end

    def request_ready(self) -> bool:
        """Whether a worker can serve the pending request without waiting on the client.

        That is when its head is complete and the first body buffer's worth of its
        body is there (a smaller body whole, a chunked one up to a blank line); or
        when the head is already too large (cheroot then refuses it).
        """
        head_end = self._find_head_end()
        if head_end is None:
            return len(self._buffer) > self._head_limit
        if len(self._buffer) >= head_end + self._body_wanted:
            return True
        # The last chunk and the trailers end with a blank line; data that holds one
        # only starts the worker early, which reads the rest under the body deadline.
        return self._body_chunked and self._buffer.find(b"\r\n\r\n", head_end) >= 0

    def waiting_too_long(self, head_timeout: float, body_timeout: float, min_rate: float) -> bool:
        """Whether the pending request missed its deadline (0 disables a limit)."""
        now = time.monotonic()
        if self._head_end is None:
            started = self.head_started
            return bool(head_timeout) and started is not None and now - started > head_timeout
        if not body_timeout:
            return False
        allowed = body_timeout
        if min_rate:
            allowed += (len(self._buffer) - self._head_end) / min_rate
        return now - self.head_done > allowed

    def has_data(self) -> bool:
        """Whether a worker has something to do: a whole request, or TLS bytes not yet read."""
        if self._buffer and self.request_ready():
            return True
        return self._tls and self._sock.pending() > 0  # type: ignore[attr-defined]

    @property
    def buffered(self) -> int:
        """How many received bytes are not consumed yet."""
        return len(self._buffer)

    # -- blocking reads (head parsing and bodies) -------------------------------------

    def start_body(self, now: float, timeout: float, min_rate: float) -> None:
        """Put the body of the current request under its deadline (0: none)."""
        self._body_start = now if timeout else None
        self._body_timeout = timeout
        self._body_rate = min_rate
        self._body_bytes = 0

    def end_body(self) -> None:
        """Lift the body deadline once the request is answered."""
        self._body_start = None
        self._sock.settimeout(self._timeout)

    def _recv(self) -> bool:
        if self.eof:
            return False
        if self._body_start is not None:
            allowed = self._body_timeout
            if self._body_rate:
                allowed += self._body_bytes / self._body_rate
            remaining = self._body_start + allowed - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                raise TimeoutError("timed out")
            self._sock.settimeout(min(remaining, self._timeout) if self._timeout else remaining)
        try:
            data = self._sock.recv(_RECV_SIZE)
        except TimeoutError:
            self.timed_out = self._body_start is not None
            raise
        if not data:
            self.eof = True
            return False
        if self._body_start is not None:
            self._body_bytes += len(data)
        self._take(data)
        return True

    def _take(self, data: bytes) -> None:
        if not self._buffer:
            self.head_started = time.monotonic()
            self._scanned = 0
        self._buffer += data
        self.bytes_read += len(data)

    def _consume(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        self._scanned = 0
        self._head_end = None
        self._body_wanted = 0
        self._body_chunked = False
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Read ``size`` bytes (fewer at the end of the stream); all when negative."""
        if size is None or size < 0:
            while self._recv():
                pass
            return self._consume(len(self._buffer))
        while len(self._buffer) < size and self._recv():
            pass
        return self._consume(size)

    def readline(self, size: int | None = -1) -> bytes:
        """Read up to and including the next LF, or at most ``size`` bytes."""
        limit = None if size is None or size < 0 else size
        searched = 0
        while True:
            newline = self._buffer.find(b"\n", searched)
            if newline >= 0:
                end = newline + 1
                return self._consume(end if limit is None else min(end, limit))
            if limit is not None and len(self._buffer) >= limit:
                return self._consume(limit)
            searched = len(self._buffer)
            if not self._recv():
                return self._consume(len(self._buffer))

    def close(self) -> None:
        """Drop what is buffered; the connection closes the socket itself."""
        self._buffer.clear()


_CONTENT_LENGTH = re.compile(rb"\r?\ncontent-length:[ \t]*([0-9]{1,20})[ \t]*\r?\n", re.IGNORECASE)
_EXPECT = re.compile(rb"\r?\nexpect:", re.IGNORECASE)
_TRANSFER_ENCODING = re.compile(rb"\r?\ntransfer-encoding:", re.IGNORECASE)
#: Any header that could announce a body (one scan tells most GETs apart).
_BODY_HEADER = re.compile(rb"\n(?:content-length|transfer-encoding|expect):", re.IGNORECASE)


def _body_to_await(head: bytes, limit: int, body_limit: int = 0) -> tuple[int, bool]:
    """What to receive of the body before serving ``head``: ``(bytes, chunked)``.

    A ``Content-Length`` body is awaited up to ``limit`` bytes, a chunked one up to
    ``limit`` bytes or its apparent end.  Nothing is awaited from a client sending
    ``Expect: 100-continue``: it waits for us; nor for a length over ``body_limit``,
    refused from the head alone (a client may wait for that answer before sending).
    The head is parsed properly later; a wrong guess here only changes when a worker
    starts, never how the request is read.
    """
    if not limit or not _BODY_HEADER.search(head) or _EXPECT.search(head):
        return 0, False
    if _TRANSFER_ENCODING.search(head):
        return limit, True
    lengths = _CONTENT_LENGTH.findall(head)
    if len(lengths) != 1:
        return 0, False
    length = int(lengths[0])
    if body_limit and length > body_limit:
        return 0, False
    return min(length, limit), False


class Connection(cheroot.server.HTTPConnection):
    """A cheroot connection that waits for request heads without a worker thread."""

    RequestHandlerClass = StrictRequest
    rfile: Any

    def __init__(self, server: Any, sock: Any, makefile: Any = None) -> None:
        if makefile is None:
            super().__init__(server, sock)
        else:
            super().__init__(server, sock, makefile)
        # cheroot's buffered reader is replaced by one that can poll; closing it
        # only drops its reference on the socket.
        self.rfile.close()
        self.rfile = SocketReader(
            sock,
            server.max_request_header_size,
            server.request_body_buffer,
            server.max_request_body_size,
        )
        #: Whether the connection waits in cheroot's selector for more bytes.
        self._parked = False
        #: Whether a request of this connection has been handed to cheroot.
        self._served = False

    def communicate(self) -> bool:
        """Serve the next request once its head is complete; park the connection until then.

        :returns: whether cheroot should keep the connection (and wake it on new bytes).
        """
        self._parked = False
        keep = self._communicate()
        self._parked = keep
        return keep

    def close(self) -> None:
        """Close the connection; one that times out waiting for a request is told so.

        cheroot's selector closes a parked connection once it has been silent for
        ``socket_timeout``.  If it never sent a request, or sent part of one, the
        client gets a 408 first, as from cheroot's own connections; a kept-alive
        connection that simply asked nothing more is closed without a word.
        """
        reader: SocketReader = self.rfile
        if (
            self._parked
            and self.server.ready
            and not reader.eof
            and (not self._served or reader.buffered)
        ):
            self._parked = False
            try:
                self._answer_slow_request()
            except OSError:
                pass  # the client is gone already
        super().close()

    def _communicate(self) -> bool:
        reader: SocketReader = self.rfile
        if not reader.request_ready():
            try:
                reader.poll()
            except OSError:
                return False
            if not reader.request_ready():
                if reader.eof:
                    # A partial request then the end: cheroot answers that with 400.
                    return bool(reader.buffered) and super().communicate()  # type: ignore[no-untyped-call]
                server = self.server
                if reader.waiting_too_long(
                    server.request_head_timeout,
                    server.request_body_timeout,
                    server.request_body_min_rate,
                ):
                    self._answer_slow_request()
                    return False
                return True
        self._served = True
        keep = super().communicate()  # type: ignore[no-untyped-call]
        if keep and reader.buffered:
            # Bytes of the next (pipelined) request: its deadline starts now.
            reader.head_started = time.monotonic()
        return bool(keep)

    def _answer_slow_request(self) -> None:
        request = self.RequestHandlerClass(self.server, self)
        request.simple_response("408 Request Timeout", "The request did not arrive in time.")
