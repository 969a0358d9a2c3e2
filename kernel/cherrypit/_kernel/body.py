"""The request entity: reading, size limits, and the entity and part classes.

``request.body`` is a :class:`RequestBody`.  Its media type picks a processor from
:attr:`Entity.processors` (full type first, then the major type, else
:meth:`Entity.default_proc`, which leaves the body unread for the handler).  The
built-in processors live in :mod:`cherrypit._kernel.processors` and are re-exported
here: form bodies end up in ``request.params``, multipart bodies become :class:`Part`
objects.

Multipart bodies are parsed as a stream (see :mod:`cherrypit._kernel.multipart`), so a
part costs at most one block of memory however long its lines are; parts larger than
:attr:`Part.maxrambytes` are spooled to a temporary file.  The raw input is read through
a :class:`~cherrypit._kernel.readers.SizedReader`, which enforces the size limits.

Differences from CherryPy 18 (the processors' own are listed in their module):

* limits on the number of parts (:attr:`Entity.max_parts`), of form fields
  (:attr:`Entity.max_fields`) and on the size of a part's header block
  (:attr:`Entity.max_part_header_size`) answer 413;
* a malformed body (bad boundary, broken part headers, no closing delimiter, a charset
  nobody knows) answers 400 instead of leaking a Python exception as a 500;
* a ``Content-Length`` above ``maxbytes`` is refused before anything is read, and a
  body that declares no length is never read unless the server ends the input;
* part headers are read as UTF-8 (what browsers send for file names), falling back to
  ISO-8859-1;
* :meth:`Entity.close` closes the spooled files (the request cycle calls it), and a
  body rejected half-way closes those it had opened.
"""

from __future__ import annotations

import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from typing import IO, Any

from cherrypit._kernel.errors import HTTPError
from cherrypit._kernel.headers import HeaderElement, HeaderMap
from cherrypit._kernel.multipart import read_part_headers
from cherrypit._kernel.processors import (
    _add_param,
    _Limits,
    _undecodable,
    process_multipart,
    process_multipart_form_data,
    process_urlencoded,
    unquote_plus,
)
from cherrypit._kernel.processors import _old_process_multipart as _old_process_multipart
from cherrypit._kernel.readers import DEFAULT_BUFFER_SIZE, SizedReader

__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "Entity",
    "Part",
    "RequestBody",
    "SizedReader",
    "process_multipart",
    "process_multipart_form_data",
    "process_urlencoded",
    "unquote_plus",
]

Processor = Callable[["Entity"], object]


# ----------------------------------------------------------------- header parameters


def _ext_value(value: str) -> str | None:
    """Decode an RFC 5987 ``charset'lang'pct-encoded`` value; None when malformed."""
    pieces = value.split("'", 2)
    if len(pieces) != 3:
        return None
    charset, _lang, encoded = pieces
    try:
        return urllib.parse.unquote(encoded, encoding=charset or "utf-8", errors="strict")
    except (LookupError, UnicodeDecodeError):
        return None


# ------------------------------------------------------------------------- entities


class Entity:
    """An HTTP entity: the request body itself, or one part of a multipart body.

    The media type picks the processor (see :meth:`process`); processors fill
    :attr:`params` and :attr:`parts` and may set :attr:`charset`.  The remaining body
    can be read like a file with :meth:`read`, :meth:`readline` or by iterating.
    """

    #: Charsets tried, in order, to decode text; a ``charset`` media-type parameter is
    #: tried first.  The one that worked is stored in :attr:`charset`.
    attempt_charsets: list[str] = ["utf-8"]
    #: The charset that decoded the entity, once a processor decoded it.
    charset: str | None = None
    #: Media type used when the entity has no ``Content-Type`` header.
    default_content_type: str = "application/x-www-form-urlencoded"
    #: The ``Content-Disposition`` file name (``filename*`` wins over ``filename``).
    filename: str | None = None
    #: The ``Content-Disposition`` name.
    name: str | None = None
    #: The ``Content-Length``, or None when absent, invalid or chunked.
    length: int | None = None
    #: Spooled body, for parts too large for :attr:`value` (and uploads).
    file: IO[bytes] | None = None
    #: Body bytes kept in memory by a part's default processor.
    value: bytes | None = None
    #: Media type → processor; copied per instance, so edits stay per request.
    processors: dict[str, Processor]
    #: The class multipart parts are made of.
    part_class: type[Part]
    #: Most multipart parts accepted in one request body (None: no limit).
    max_parts: int | None = 1000
    #: Most form fields (urlencoded pairs, non-file parts) per request (None: no limit).
    max_fields: int | None = 1000
    #: Largest header block of one multipart part, in bytes (None: no limit).
    max_part_header_size: int | None = 16384
    # Set by each instance; ``None`` on the class, as CherryPy documents them.
    #: The stream the entity is read from.
    fp: Any = None
    #: The entity's headers (the request's, or the part's own).
    headers: HeaderMap = None  # type: ignore[assignment]
    #: Values a processor pulled out of the entity.
    params: dict[str, Any] = None  # type: ignore[assignment]
    #: Parts of a multipart entity.
    parts: list[Part] | None = None
    #: The media type, a :class:`HeaderElement` (``.value``, ``.params``).
    content_type: HeaderElement = None  # type: ignore[assignment]

    def __init__(
        self,
        fp: Any,
        headers: HeaderMap,
        params: dict[str, Any] | None = None,
        parts: list[Part] | None = None,
    ) -> None:
        self.processors = dict(self.processors)
        self.fp = fp
        self.headers = headers
        self.params = {} if params is None else params
        self.parts = [] if parts is None else parts
        self._limits: _Limits | None = None

        elements = headers.elements("Content-Type")
        self.content_type = (
            elements[0] if elements else HeaderElement.from_str(self.default_content_type)
        )
        declared = self.content_type.params.get("charset")
        if declared:
            self.attempt_charsets = [declared] + [c for c in self.attempt_charsets if c != declared]
        else:
            self.attempt_charsets = list(self.attempt_charsets)

        self.length = None
        clen = headers.get("Content-Length")
        if clen is not None and "chunked" not in headers.get("Transfer-Encoding", "").lower():
            clen = clen.strip()
            # Bounded so int() never meets Python's digit limit; process() answers 400
            # for a Content-Length it could not read.
            if clen.isascii() and clen.isdigit() and len(clen) <= 18:
                self.length = int(clen)

        self.name = None
        self.filename = None
        disposition = headers.get("Content-Disposition")
        if disposition:
            # Parsed whole: a quoted file name may contain commas and semicolons.
            _, dparams = HeaderElement.parse(disposition)
            self.name = dparams.get("name")
            self.filename = dparams.get("filename")
            if "filename*" in dparams:
                self.filename = _ext_value(dparams["filename*"]) or self.filename

    @property
    def type(self) -> HeaderElement:
        """Alias of :attr:`content_type` (CherryPy 3.2's name)."""
        return self.content_type

    # -- reading ----------------------------------------------------------------------

    def read(self, size: int | None = None, fp_out: IO[bytes] | None = None) -> bytes | None:
        """Read ``size`` bytes (all when None), or copy them into ``fp_out``."""
        result: bytes | None = self.fp.read(size, fp_out)
        return result

    def readline(self, size: int | None = None) -> bytes:
        """Read one line of the entity."""
        line: bytes = self.fp.readline(size)
        return line

    def readlines(self, sizehint: int | None = None) -> list[bytes]:
        """Read the remaining lines of the entity."""
        lines: list[bytes] = self.fp.readlines(sizehint)
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def next(self) -> bytes:
        """Python 2 spelling of ``__next__``."""
        return self.__next__()

    def read_into_file(self, fp_out: IO[bytes] | None = None) -> IO[bytes]:
        """Copy the rest of the entity into ``fp_out`` (default :meth:`make_file`)."""
        if fp_out is not None:
            self.read(fp_out=fp_out)
            return fp_out
        spool = self.make_file()
        try:
            self.read(fp_out=spool)
        except BaseException:
            spool.close()
            raise
        return spool

    def make_file(self) -> IO[bytes]:
        """The file large bodies are spooled to; override to put them elsewhere."""
        return tempfile.TemporaryFile()

    def fullvalue(self) -> str | bytes:
        """The whole entity decoded with :attr:`attempt_charsets`.

        Reads the entity first if nothing stored it yet.  Bytes come back when
        ``attempt_charsets`` is empty.
        """
        if self.file is not None:
            self.file.seek(0)
            raw = self.file.read()
            self.file.seek(0)
        elif self.value is not None:
            raw = self.value
        else:
            raw = self.read() or b""
            self.value = raw
        if not self.attempt_charsets:
            return raw
        return self.decode_entity(raw)

    def decode_entity(self, value: bytes) -> str:
        """Decode ``value`` with the first of :attr:`attempt_charsets` that fits.

        :raises HTTPError: 400 when none does.
        """
        for charset in self.attempt_charsets:
            try:
                text = value.decode(charset)
            except (UnicodeDecodeError, LookupError):
                continue
            self.charset = charset
            return text
        raise _undecodable(self.attempt_charsets)

    # -- processing -------------------------------------------------------------------

    def process(self) -> None:
        """Run the processor for the media type, its major type, or :meth:`default_proc`."""
        media_type = self.content_type.value
        proc = self.processors.get(media_type)
        if proc is None:
            # Media types are case-insensitive (RFC 9110 8.3.1).
            media_type = media_type.lower()
            proc = self.processors.get(media_type) or self.processors.get(
                media_type.split("/", 1)[0]
            )
        if proc is None:
            self.default_proc()
        else:
            proc(self)

    def default_proc(self) -> None:
        """Processor for unknown media types: leave the body for the handler to read."""

    def close(self) -> None:
        """Close the spooled files of this entity and of all its parts.

        cherrypit addition: the request cycle calls it when the request ends, so
        temporary files do not wait for the garbage collector.
        """
        if self.file is not None:
            self.file.close()
        for part in self.parts or ():
            part.close()
        for value in self.params.values():
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, Entity) and item is not self:
                    item.close()


Entity.processors = {
    "application/x-www-form-urlencoded": process_urlencoded,
    "multipart/form-data": process_multipart_form_data,
    "multipart": process_multipart,
}


class Part(Entity):
    """One part of a multipart entity, with its own headers and media type.

    By default a part's body is stored: uploads (parts with a file name) in
    :attr:`file`, other parts in :attr:`value` as bytes, or in :attr:`file` when larger
    than :attr:`maxrambytes`.
    """

    # RFC 2046: text without a charset parameter is US-ASCII; browsers send UTF-8.
    attempt_charsets = ["us-ascii", "utf-8"]
    default_content_type = "text/plain"
    #: Largest body kept in memory; bigger parts go to :meth:`make_file`.
    maxrambytes: int = 1000
    #: The delimiter (``--`` + boundary) that ends this part (``None`` on the class).
    boundary: bytes | None = None

    def __init__(self, fp: Any, headers: HeaderMap, boundary: bytes | None) -> None:
        super().__init__(fp, headers)
        self.boundary = boundary
        self.file = None
        self.value = None

    @classmethod
    def from_fp(cls, fp: Any, boundary: bytes | None) -> Part:
        """Read a part's headers from ``fp`` and build the part around it."""
        headers = cls.read_headers(fp)
        return cls(fp, headers, boundary)

    @classmethod
    def read_headers(cls, fp: Any) -> HeaderMap:
        """Read a MIME header block from ``fp``, up to and including its blank line.

        See :func:`cherrypit._kernel.multipart.read_part_headers`.

        :raises HTTPError: 400 on a malformed line, 413 when the block is too large.
        """
        return read_part_headers(fp)

    def read_lines_to_boundary(self, fp_out: IO[bytes] | None = None) -> bytes | IO[bytes]:
        """Read the rest of the part's body (despite the name, block by block).

        :returns: the bytes when they fit in :attr:`maxrambytes` and ``fp_out`` is
            None; otherwise the file they were written to, rewound.
        """
        chunks: list[bytes] = []
        seen = 0
        out = fp_out
        bufsize = getattr(self.fp, "bufsize", DEFAULT_BUFFER_SIZE)
        try:
            while data := self.fp.read(bufsize):
                if out is not None:
                    out.write(data)
                    continue
                chunks.append(data)
                seen += len(data)
                if seen > self.maxrambytes:
                    out = self.make_file()
                    for chunk in chunks:
                        out.write(chunk)
                    chunks = []
        except BaseException:
            if out is not None and out is not fp_out:
                out.close()
            raise
        if out is None:
            return b"".join(chunks)
        out.seek(0)
        return out

    def default_proc(self) -> None:
        """Store the body: uploads in :attr:`file`, the rest in :attr:`value`."""
        if self.filename:
            self.file = self.read_into_file()
            return
        result = self.read_lines_to_boundary()
        if isinstance(result, bytes):
            self.value = result
        else:
            self.file = result

    def read_into_file(self, fp_out: IO[bytes] | None = None) -> IO[bytes]:
        """Copy the rest of the part into ``fp_out`` (default :meth:`make_file`), rewound."""
        if fp_out is not None:
            self.read_lines_to_boundary(fp_out=fp_out)
            return fp_out
        spool = self.make_file()
        try:
            self.read_lines_to_boundary(fp_out=spool)
        except BaseException:
            spool.close()
            raise
        return spool


Entity.part_class = Part


class RequestBody(Entity):
    """The entity of the HTTP request (``request.body``).

    :param fp: the raw input (``wsgi.input``), read with ``read(n)`` only.
    :param headers: the request headers.
    :param params: dict the processors fill (default: a new one).
    :param request_params: ``request.params``; :meth:`process` merges the body
        params into it.
    :param input_terminated: the server signals the end of the input (WSGI's
        ``wsgi.input_terminated``), so a body without ``Content-Length`` is read until
        the input ends.
    """

    #: Block size used to read the input.
    bufsize: int = 8 * 1024
    # No Content-Type means no parsing: the body is left for the handler.
    default_content_type = ""
    #: Largest body accepted, in bytes (None or 0: no limit); more answers 413.
    maxbytes: int | None = None

    def __init__(
        self,
        fp: Any,
        headers: HeaderMap,
        params: dict[str, Any] | None = None,
        request_params: dict[str, Any] | None = None,
        *,
        input_terminated: bool = False,
    ) -> None:
        super().__init__(fp, headers, params)
        # HTTP/1.1 (RFC 2616 3.7.1): text without a charset is ISO-8859-1.
        if self.content_type.value.startswith("text/"):
            known = {c.lower().replace("_", "-") for c in self.attempt_charsets}
            if not known & {"iso-8859-1", "latin-1"}:
                self.attempt_charsets.append("ISO-8859-1")
        self.processors["multipart"] = _old_process_multipart
        self.request_params: dict[str, Any] = {} if request_params is None else request_params
        self.input_terminated = input_terminated
        self._processed = False

    def _reader(self) -> SizedReader:
        """Wrap the raw input on first use, with the limits configured by then."""
        if isinstance(self.fp, SizedReader):
            return self.fp
        length = self.length
        if length is None and not self._unbounded():
            # Without a length or a terminated (de-chunked) input, reading could block
            # forever on a kept-alive connection: there is no body.
            length = 0
        reader = SizedReader(
            self.fp,
            length,
            self.maxbytes,
            bufsize=self.bufsize,
            has_trailers="Trailer" in self.headers,
        )
        self.fp = reader
        return reader

    def _unbounded(self) -> bool:
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        return chunked or self.input_terminated

    def read(self, size: int | None = None, fp_out: IO[bytes] | None = None) -> bytes | None:
        """Read ``size`` bytes of the body (all when None), or copy them to ``fp_out``."""
        return self._reader().read(size, fp_out)

    def readline(self, size: int | None = None) -> bytes:
        """Read one line of the body."""
        return self._reader().readline(size)

    def readlines(self, sizehint: int | None = None) -> list[bytes]:
        """Read the remaining lines of the body."""
        return self._reader().readlines(sizehint)

    def process(self) -> None:
        """Parse the body (once) and merge its params into ``request_params``.

        :raises HTTPError: 411 without ``Content-Length`` or ``Transfer-Encoding`` (and
            no terminated input), 400 for an invalid ``Content-Length``, 413 for a body
            above :attr:`maxbytes`, and whatever the processor raises.
        """
        if self._processed:
            return
        self._processed = True
        headers = self.headers
        has_length = "Content-Length" in headers
        if not has_length and "Transfer-Encoding" not in headers and not self.input_terminated:
            raise HTTPError(411)
        if has_length and self.length is None and not self._unbounded():
            raise HTTPError(400, "Invalid Content-Length header.")
        reader = self._reader()
        if self.maxbytes and self.length is not None and self.length > self.maxbytes:
            raise reader._too_large()
        try:
            super().process()
        except BaseException:
            # A rejected body must not leave its spooled parts open.
            self.close()
            raise
        for key, value in self.params.items():
            _add_param(self.request_params, key, value)
