"""``serve_file``, ``serve_fileobj`` and ``serve_download``: a file as the response.

They set the status, headers and body of the current response: ``Content-Type`` (from
the extension unless given), ``Last-Modified`` with ``If-Modified-Since`` (304) and
``If-Unmodified-Since`` (412), ``Accept-Ranges`` and single or ``multipart/byteranges``
answers to ``Range`` (206, or 416 with ``Content-Range: bytes */<length>``), and
``Content-Disposition``.  The body streams the file in bounded reads; nothing reads a
whole file into memory.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
from typing import IO, Any

from cherrypit import HTTPError, HTTPRedirect, NotFound, log
from cherrypit.plugin import HTTPDate, current, valid_status
from cherrypit_static.bodies import CHUNK_SIZE, FileBody, MultipartBody
from cherrypit_static.disposition import content_disposition
from cherrypit_static.mime import guess_type
from cherrypit_static.ranges import parse_ranges, worth_serving

__all__ = ["open_regular_file", "serve_download", "serve_file", "serve_fileobj", "serve_path"]

_UNSATISFIABLE = "Invalid Range (first-byte-pos greater than Content-Length)"


def _debug(message: str) -> None:
    log(message, "TOOLS.STATIC")


def open_regular_file(path: str, debug: bool = False) -> tuple[IO[bytes], os.stat_result]:
    """Open ``path`` for reading if it is a regular file; else raise ``NotFound``.

    Directories, devices, pipes and sockets are "not found", like missing files,
    unreadable ones and names the OS rejects (a NUL byte).  The status comes from the
    opened descriptor, so the size announced is the size of what is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError, TypeError):
        if debug:
            _debug(f"cannot open {path!r}")
        raise NotFound() from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            if debug:
                _debug(f"{path!r} is not a regular file")
            raise NotFound()
        # O_NONBLOCK only mattered to avoid hanging on a FIFO; regular files ignore it.
        # FileIO directly: what os.fdopen(fd, "rb", buffering=0) returns, minus its
        # Python-level wrapping.
        return io.FileIO(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


def serve_file(
    path: str,
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    debug: bool = False,
) -> Any:
    """Answer with the file at ``path`` (which must be absolute).

    :param content_type: the ``Content-Type``; guessed from the extension if ``None``
        (an unknown extension leaves the response's type unchanged).
    :param disposition: e.g. ``"attachment"`` or ``"inline"``; sets
        ``Content-Disposition`` with ``name`` (default: the file's base name).
    :raises ValueError: ``path`` is relative.
    :raises cherrypit.NotFound: no regular file is there.
    :returns: the response body.
    """
    if not os.path.isabs(path):
        message = f"{path!r} is not an absolute path."
        if debug:
            _debug(message)
        raise ValueError(message)
    return serve_path(path, path, content_type, disposition, name, debug)


#: Modification second → its HTTP date (files of one site share few of them).
_MODIFIED_DATES: dict[int, str] = {}


def _modified_date(mtime: float) -> str:
    second = int(mtime)
    date = _MODIFIED_DATES.get(second)
    if date is None:
        if len(_MODIFIED_DATES) >= 1024:
            _MODIFIED_DATES.clear()
        date = _MODIFIED_DATES[second] = HTTPDate(second)
    return date


def serve_path(
    open_path: str,
    type_path: str,
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    debug: bool = False,
) -> Any:
    """Serve ``open_path``; ``type_path`` (the name asked for) decides type and file name."""
    fileobj, st = open_regular_file(open_path, debug)
    try:
        _set_last_modified(_modified_date(st.st_mtime))
        if content_type is None:
            content_type = guess_type(type_path)
        if disposition is not None and name is None:
            name = os.path.basename(type_path)
        _set_type_and_disposition(content_type, disposition, name, debug)
    except BaseException:
        fileobj.close()
        raise
    return _serve_body(fileobj, content_type, st.st_size, 0, debug)


def serve_fileobj(
    fileobj: IO[bytes] | Any,
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    debug: bool = False,
) -> Any:
    """Answer with the content of an open binary file object, from its current position.

    A real file gets ``Last-Modified`` and conditional answers; any file whose size can
    be found (a real file, or a seekable one such as ``io.BytesIO``) gets
    ``Content-Length`` and ``Range`` support.  Ranges seek in the file.  The file is
    closed once the response is done with it.

    :param disposition: sets ``Content-Disposition``; with ``name`` it carries that
        file name, without it is just ``disposition``.
    :returns: the response body.
    """
    try:
        length, offset, mtime = _measure(fileobj)
        if mtime is not None:
            _set_last_modified(_modified_date(mtime))
        _set_type_and_disposition(content_type, disposition, name, debug)
    except BaseException:
        _close_quietly(fileobj)
        raise
    return _serve_body(fileobj, content_type, length, offset, debug)


def serve_download(path: str, name: str | None = None) -> Any:
    """Serve ``path`` as an ``application/x-download`` attachment named ``name``."""
    return serve_file(path, "application/x-download", "attachment", name)


# --- helpers ---------------------------------------------------------------------------


def _close_quietly(fileobj: Any) -> None:
    close = getattr(fileobj, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            pass


def _measure(fileobj: Any) -> tuple[int | None, int, float | None]:
    """(bytes left to serve or ``None``, current position, mtime of a real file or ``None``)."""
    try:
        st: os.stat_result | None = os.fstat(fileobj.fileno())
    except (AttributeError, OSError, ValueError):
        st = None
    try:
        position = int(fileobj.tell()) if fileobj.seekable() else 0
    except (AttributeError, OSError, ValueError):
        position = 0
    if st is not None and stat.S_ISREG(st.st_mode):
        return max(st.st_size - position, 0), position, st.st_mtime
    try:
        if fileobj.seekable():
            end = int(fileobj.seek(0, os.SEEK_END))
            fileobj.seek(position)
            return max(end - position, 0), position, None
    except (AttributeError, OSError, ValueError):
        pass
    return None, 0, None


def _set_last_modified(last_modified: str) -> None:
    """Set ``Last-Modified`` and answer ``If-(Un)Modified-Since`` (CherryPy's rules).

    As in CherryPy, the dates are compared as strings: a client that sends back the
    ``Last-Modified`` it was given gets 304; ``If-Unmodified-Since`` with any other
    value is a 412.  Only a response that is still a success is concerned.
    """
    slot = current()
    request, response = slot.request, slot.response
    response.headers["Last-Modified"] = last_modified
    status = 200 if response.status is None else valid_status(response.status)[0]
    headers = request.headers
    since = headers.get("If-Unmodified-Since")
    if since and since != last_modified and (200 <= status <= 299 or status == 412):
        raise HTTPError(412)
    since = headers.get("If-Modified-Since")
    if since and since == last_modified and (200 <= status <= 299 or status == 304):
        if request.method in ("GET", "HEAD"):
            raise HTTPRedirect([], 304)
        raise HTTPError(412)


def _set_type_and_disposition(
    content_type: str | None, disposition: str | None, name: str | None, debug: bool
) -> None:
    headers = current().response.headers
    if content_type is not None:
        headers["Content-Type"] = content_type
    if debug:
        _debug(f"Content-Type: {content_type!r}")
    if disposition is not None:
        value = disposition if name is None else content_disposition(disposition, name)
        headers["Content-Disposition"] = value
        if debug:
            _debug(f"Content-Disposition: {value!r}")


def _serve_body(
    fileobj: Any, content_type: str | None, length: int | None, offset: int, debug: bool
) -> Any:
    """Set status, length headers and a streaming body for ``length`` bytes of ``fileobj``."""
    try:
        body, whole = _choose_body(fileobj, content_type, length, offset, debug)
    except BaseException:
        _close_quietly(fileobj)
        raise
    slot = current()
    wrapper = slot.request.wsgi_environ.get("wsgi.file_wrapper")
    if wrapper is not None and whole:
        # Servers recognise their own wrapper (and may send the file with sendfile).
        # It goes to the raw slot: the body descriptor would hide it in a generator.
        body = wrapper(body, CHUNK_SIZE)
        slot.response._body = body
        return body
    slot.response.body = body
    return body


def _choose_body(
    fileobj: Any, content_type: str | None, length: int | None, offset: int, debug: bool
) -> tuple[Any, bool]:
    """The body (whole file, one range or several), and whether it is the whole file.

    Sets the status and the headers that go with it.
    """
    slot = current()
    request, response = slot.request, slot.response
    headers = response.headers
    if length is None:
        # Size unknown (a pipe): no ranges; the kernel measures the body.
        return FileBody(fileobj), False
    if request.protocol >= (1, 1):
        # HTTP/1.0 knows neither ranges nor 206.
        headers["Accept-Ranges"] = "bytes"
        ranges = parse_ranges(_range_header(request, headers), length)
        if ranges == []:
            headers["Content-Range"] = f"bytes */{length}"
            if debug:
                _debug(_UNSATISFIABLE)
            raise HTTPError(416, _UNSATISFIABLE)
        if ranges and len(ranges) == 1:
            start, stop = ranges[0]
            if debug:
                _debug(f"Single part; start: {start!r}, stop: {stop!r}")
            fileobj.seek(offset + start)
            response.status = "206 Partial Content"
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{length}"
            headers["Content-Length"] = str(stop - start)
            return FileBody(fileobj, stop - start), False
        if ranges and worth_serving(ranges, length):
            if debug:
                _debug(f"Multipart; ranges: {ranges!r}")
            boundary = secrets.token_hex(16)
            part_type = content_type or headers.get("Content-Type")
            multipart = MultipartBody(fileobj, ranges, boundary, part_type, length, offset)
            response.status = "206 Partial Content"
            headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"
            headers["Content-Length"] = str(multipart.content_length)
            return multipart, False
        if debug:
            _debug("No byteranges requested")
    headers["Content-Length"] = str(length)
    return FileBody(fileobj, length), True


def _range_header(request: Any, headers: Any) -> str | None:
    """The ``Range`` header, unless an ``If-Range`` validator says the file changed."""
    value: str | None = request.headers.get("Range")
    if value:
        if_range = request.headers.get("If-Range")
        if if_range and if_range != headers.get("Last-Modified"):
            return None
    return value
