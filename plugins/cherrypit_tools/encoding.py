"""Character sets and content codings: ``tools.encode``, ``tools.decode``, ``tools.gzip``.

``tools.encode`` (on by default) wraps the page handler and turns the text it returns
into bytes, picking a charset the client accepts (``Accept-Charset``) and naming it in
``Content-Type``.  ``tools.decode`` chooses the charsets tried on request entities.
``tools.gzip`` compresses text responses for clients that ask for it.

Differences from CherryPy, all on the side of correctness:

* a charset the handler already put in ``Content-Type`` is kept when the client
  accepts it (CherryPy replaced it by the negotiated one, mislabelling bytes bodies);
* a generator body survives a failed charset attempt (CherryPy lost the chunks it had
  consumed);
* ``tools.gzip`` leaves alone a response that already has a ``Content-Encoding``,
  instead of compressing it twice;
* ``tools.gzip.min_size`` (new; 0 by default, as CherryPy) leaves small bodies
  uncompressed, since the gzip framing makes them bigger (200 is a good value).
"""

from __future__ import annotations

import codecs
import gzip as _gzip_module
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from cherrypit import HTTPError, Tool, log
from cherrypit.plugin import AcceptElement, Attachment, HeaderMap, check_handler_result, current

__all__ = [
    "EncodeTool",
    "ResponseEncoder",
    "UTF8StreamEncoder",
    "compress",
    "decode",
    "decompress",
    "gzip",
    "prepare_iter",
]


#: Handler results encoded as they are; anything else is checked first.
_PLAIN_BODIES = frozenset({str, bytes, list, type(None)})


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _accept_elements(headers: Any, name: str) -> list[AcceptElement]:
    """``Accept*`` header elements, best first (they are always AcceptElements)."""
    return cast(list[AcceptElement], headers.elements(name))


def _debug(message: str, context: str) -> None:
    log(message, context)


# --------------------------------------------------------------------------- decode


def decode(
    encoding: str | list[str] | None = None,
    default_encoding: str | list[str] | None = "utf-8",
) -> None:
    """Choose the charsets tried when decoding the request entity.

    :param encoding: if given, exactly these charsets are tried (a ``charset``
        parameter sent by the client is ignored).
    :param default_encoding: otherwise, charsets appended to the ones already
        tried (the client's declared charset first).
    """
    body = current().request.body
    if encoding is not None:
        body.attempt_charsets = _as_list(encoding)
    elif default_encoding:
        charsets = list(body.attempt_charsets)
        charsets.extend(c for c in _as_list(default_encoding) if c not in charsets)
        body.attempt_charsets = charsets


# --------------------------------------------------------------------------- encode


def _read_chunks(fileobj: Any, size: int = 65536) -> Iterator[bytes]:
    try:
        while chunk := fileobj.read(size):
            yield chunk
    finally:
        close = getattr(fileobj, "close", None)
        if close is not None:
            close()


def prepare_iter(value: Any) -> Any:
    """Make a handler's return value an iterable body that is false when empty.

    Strings become one-item lists, files become chunk generators, ``None`` an empty
    list; other iterables are returned unchanged.
    """
    if isinstance(value, (str, bytes)):
        return [value] if value else []
    if value is None:
        return []
    if hasattr(value, "read"):
        return _read_chunks(value)
    return value


class UTF8StreamEncoder:
    """An iterator yielding the chunks of ``iterator``, text ones encoded as UTF-8."""

    def __init__(self, iterator: Iterator[Any]) -> None:
        self._iterator = iterator

    def __iter__(self) -> UTF8StreamEncoder:
        return self

    def __next__(self) -> Any:
        chunk = next(self._iterator)
        return chunk.encode("utf-8") if isinstance(chunk, str) else chunk

    next = __next__

    def close(self) -> None:
        """Close the wrapped iterator, if it can be closed."""
        close = getattr(self._iterator, "close", None)
        if callable(close):
            close()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._iterator, name)


def _lazy_encode(body: Iterable[Any], charset: str, errors: str) -> Iterator[Any]:
    for chunk in body:
        yield chunk.encode(charset, errors) if isinstance(chunk, str) else chunk


def _refuse_text(chunks: Iterable[Any], reason: str) -> Iterator[Any]:
    for chunk in chunks:
        if isinstance(chunk, str):
            raise ValueError(reason)
        yield chunk


def _unencoded_text_error(content_type: str | None) -> str:
    return (
        "The page handler returned text, but tools.encode did not encode it "
        f"(response Content-Type {content_type!r}; only text/* types are encoded while "
        "tools.encode.text_only is True, and none while tools.encode.add_charset is False). "
        "Return bytes, or change those settings."
    )


#: Settings of ``tools.encode`` (besides ``on`` and ``priority``).
ENCODE_SETTINGS = frozenset(
    {"encoding", "default_encoding", "errors", "text_only", "add_charset", "failmsg", "debug"}
)


class ResponseEncoder:
    """Stand-in page handler that encodes what the real handler returns.

    Creating one (with any of the class attributes as keyword arguments) puts it in
    place of ``request.handler``; calling it calls the original handler, negotiates a
    charset, sets ``Content-Type``'s ``charset`` parameter and returns the encoded
    body.
    """

    #: Charset used when the client expresses no preference (or accepts ``*``).
    default_encoding = "utf-8"
    #: Message of the 500 error when even the default charset cannot encode the body.
    failmsg = "Response body could not be encoded with %r."
    #: Force this charset (406 if the client does not accept it).
    encoding: str | None = None
    #: ``str.encode`` error handler.
    errors = "strict"
    #: Only negotiate a charset for ``text/*`` responses.
    text_only = True
    #: Negotiate at all (False leaves the body as the handler returned it).
    add_charset = True
    #: Log what the encoder decides, under the ``TOOLS.ENCODE`` context.
    debug = False

    oldhandler: Callable[..., Any] | None = None
    body: Any = None
    _declared: str | None = None

    def __init__(self, **kwargs: Any) -> None:
        for name, value in kwargs.items():
            setattr(self, name, value)
        self.attempted_charsets: set[str] = set()
        request = current().request
        if request.handler is not None:
            if self.debug:
                _debug("Replacing request.handler", "TOOLS.ENCODE")
            self.oldhandler = request.handler
            request.handler = self

    # -- charset attempts --------------------------------------------------------------

    def _first_attempt(self, charset: str) -> bool:
        attempted = self.__dict__.get("attempted_charsets")
        if attempted is None:
            attempted = self.attempted_charsets = set()
        if charset in attempted:
            return False
        attempted.add(charset)
        return True

    def encode_stream(self, encoding: str) -> bool:
        """Arrange for a streamed body to be encoded with ``encoding`` as it is sent."""
        if not self._first_attempt(encoding):
            return False
        try:
            codecs.lookup(encoding)
        except LookupError:
            return False
        self.body = _lazy_encode(self.body, encoding, self.errors)
        return True

    def encode_string(self, encoding: str) -> bool:
        """Encode a buffered body with ``encoding``; False if it does not fit."""
        if not self._first_attempt(encoding):
            return False
        if not isinstance(self.body, list):
            # Kept as a list so that a failed attempt leaves every chunk for the next.
            self.body = list(self.body)
        encoded = []
        for chunk in self.body:
            if isinstance(chunk, str):
                try:
                    chunk = chunk.encode(encoding, self.errors)
                except (LookupError, UnicodeError):
                    return False
            encoded.append(chunk)
        self.body = encoded
        return True

    # -- negotiation -------------------------------------------------------------------

    def find_acceptable_charset(self) -> str:
        """Encode :attr:`body` with the best charset for the client; return its name.

        :raises cherrypit.HTTPError: 406 when no acceptable charset can encode the
            body, 500 (:attr:`failmsg`) when the default charset cannot.
        """
        slot = current()
        request, response = slot.request, slot.response
        attempt: Callable[[str], bool]
        if response.stream:
            attempt = self.encode_stream
        else:
            attempt = self.encode_string
            # The encoded length differs from whatever the handler announced.
            response.headers.pop("Content-Length", None)

        elements = _accept_elements(request.headers, "Accept-Charset")
        accepted = [element.value.lower() for element in elements]
        debug = self.debug
        if debug:
            _debug(f"charsets {accepted!r}", "TOOLS.ENCODE")

        def acceptable(charset: str) -> bool:
            return not accepted or "*" in accepted or charset.lower() in accepted

        if self.encoding is not None:
            forced = self.encoding.lower()
            if debug:
                _debug(f"Specified encoding {forced!r}", "TOOLS.ENCODE")
            if acceptable(forced) and attempt(forced):
                return forced
        else:
            declared = self._declared
            if declared and acceptable(declared) and attempt(declared):
                return declared
            if not elements:
                if attempt(self.default_encoding):
                    return self.default_encoding
                raise HTTPError(500, self.failmsg % self.default_encoding)
            for element in elements:
                if element.qvalue > 0:
                    charset = self.default_encoding if element.value == "*" else element.value
                    if debug:
                        _debug(f"Attempting {charset!r} for {element}", "TOOLS.ENCODE")
                    if attempt(charset):
                        return charset
            # Without "*", ISO-8859-1 is acceptable unless the client named it
            # (RFC 2616 section 14.2).
            if "*" not in accepted and "iso-8859-1" not in accepted:
                if attempt("iso-8859-1"):
                    return "iso-8859-1"

        header = request.headers.get("Accept-Charset")
        if header is None:
            message = "Your client did not send an Accept-Charset header."
        else:
            message = f"Your client sent this Accept-Charset header: {header}."
        tried = ", ".join(sorted(self.__dict__.get("attempted_charsets", ())))
        raise HTTPError(406, f"{message} We tried these charsets: {tried}.")

    # -- the wrapped handler -----------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        assert self.oldhandler is not None, "ResponseEncoder called without a handler"
        body = self.oldhandler(*args, **kwargs)
        slot = current()
        if type(body) is str and self.encoding is None and self.add_charset and not self.debug:
            encoded = _encode_plain_text(
                body, slot, self.default_encoding, self.errors, self.text_only
            )
            if encoded is not None:
                return encoded
        elif type(body) is bytes and self.text_only and not self.debug:
            # Bytes with a non-text type (json_out, files): nothing to negotiate.
            ctype = dict.get(slot.response.headers, "Content-Type")
            if type(ctype) is str and ctype[:5].lower() != "text/":
                return body
        if body.__class__ not in _PLAIN_BODIES:
            check_handler_result(body, self.oldhandler)
        return self._encode(prepare_iter(body), slot.response)

    def _encode(self, body: Any, response: Any) -> Any:
        self.body = body
        elements = response.headers.elements("Content-Type")
        if elements and self.add_charset:
            ctype = elements[0]
            if self.text_only and not ctype.value.lower().startswith("text/"):
                if self.debug:
                    _debug(f"Not encoding: Content-Type {ctype} is not text/*", "TOOLS.ENCODE")
            else:
                self._declared = ctype.params.get("charset")
                ctype.params["charset"] = self.find_acceptable_charset()
                if self.debug:
                    _debug(f"Setting Content-Type {ctype}", "TOOLS.ENCODE")
                response.headers["Content-Type"] = str(ctype)
                return self.body
        # Left unencoded: text chunks are the handler's mistake (as in CherryPy).
        reason = _unencoded_text_error(response.headers.get("Content-Type"))
        body = self.body
        if isinstance(body, list):
            if any(isinstance(chunk, str) for chunk in body):
                raise ValueError(reason)
            return body
        return _refuse_text(body, reason)


def _encode_plain_text(
    body: str, slot: Any, charset: str, errors: str, text_only: bool
) -> bytes | None:
    """The usual case, done cheaply: a text body, a bare ``Content-Type`` and no
    ``Accept-Charset``.  One encode and one header write; None when the case is not
    that simple (the full negotiation then runs).
    """
    response = slot.response
    headers = response.headers
    ctype = dict.get(headers, "Content-Type")
    if (
        type(ctype) is not str
        or ";" in ctype
        or "," in ctype
        or (text_only and ctype[:5].lower() != "text/")
    ):
        return None
    request_headers = slot.request.headers
    if type(request_headers) is HeaderMap:
        accept_charset = dict.get(request_headers, "Accept-Charset")
    else:  # a subclass (tools.autovary's) must see the lookup
        accept_charset = request_headers.get("Accept-Charset")
    if accept_charset is not None:
        return None
    try:
        data = body.encode(charset, errors)
    except (LookupError, UnicodeError):
        return None  # the full negotiation reports it
    if not response.stream:
        dict.pop(headers, "Content-Length", None)
    dict.__setitem__(headers, "Content-Type", f"{ctype.strip()};charset={charset}")
    # Bytes rather than [bytes]: the kernel stores them as the body without scanning
    # a list for text chunks.
    return data


class _EncodeOptions:
    """The settings of one ``tools.encode`` configuration, checked once."""

    __slots__ = ("charset", "errors", "fast", "settings", "text_only")

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.charset: str = settings.get("default_encoding", ResponseEncoder.default_encoding)
        self.errors: str = settings.get("errors", ResponseEncoder.errors)
        self.text_only: bool = settings.get("text_only", ResponseEncoder.text_only)
        self.fast = (
            settings.get("encoding") is None
            and settings.get("add_charset", True)
            and not settings.get("debug", False)
        )


class _EncodingHandler:
    """What ``tools.encode`` puts in place of the page handler.

    Handles the usual case itself and hands everything else to a
    :class:`ResponseEncoder` built from the same settings.
    """

    __slots__ = ("inner", "options", "slot")

    def __init__(self, inner: Callable[..., Any], options: _EncodeOptions, slot: Any) -> None:
        self.inner = inner
        self.options = options
        self.slot = slot

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        body = self.inner(*args, **kwargs)
        options = self.options
        if options.fast and type(body) is str:
            encoded = _encode_plain_text(
                body, self.slot, options.charset, options.errors, options.text_only
            )
            if encoded is not None:
                return encoded
        encoder = ResponseEncoder.__new__(ResponseEncoder)
        encoder.__dict__.update(options.settings)
        encoder.oldhandler = self.inner
        if body.__class__ not in _PLAIN_BODIES:
            check_handler_result(body, self.inner)
        return encoder._encode(prepare_iter(body), self.slot.response)

    def __repr__(self) -> str:
        return f"<tools.encode around {self.inner!r}>"


class _EncoderInstaller:
    """The ``before_handler`` hook of ``tools.encode``, with its settings bound once."""

    __slots__ = ("options",)

    def __init__(self, settings: dict[str, Any]) -> None:
        self.options = _EncodeOptions(settings)

    def __call__(self) -> None:
        slot = current()
        request = slot.request
        handler = request.handler
        if handler is not None:
            request.handler = _EncodingHandler(handler, self.options, slot)


class EncodeTool(Tool):
    """``tools.encode``: wraps the handler with a :class:`ResponseEncoder` (priority 70).

    The settings are checked and bound when the request plan is built, so a request
    only pays for creating the wrapper.
    """

    def __init__(self) -> None:
        super().__init__("before_handler", ResponseEncoder, priority=70)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        # Unknown names become attributes of the encoder, as in CherryPy (the start-up
        # check warns about them).
        return [Attachment(self._point, _EncoderInstaller(settings), priority)]


# ----------------------------------------------------------------------------- gzip


def compress(
    body: Iterable[bytes], compress_level: int, *, sync_flush: bool = False
) -> Iterator[bytes]:
    """Gzip ``body`` (an iterable of bytes) lazily, yielding the compressed stream.

    :param compress_level: zlib level, 1 (fastest) to 9 (smallest).
    :param sync_flush: flush after every chunk, so a streamed response reaches the
        client as it is produced.
    """
    # The RFC 1952 header as Python's gzip module and CherryPy write it: modification
    # time now, XFL from the level, OS 255 ("unknown"); zlib's own gzip wrapper would
    # write a zero time and the build's OS.
    xfl = b"\x02" if compress_level == 9 else b"\x04" if compress_level == 1 else b"\x00"
    header = b"\x1f\x8b\x08\x00" + struct.pack("<L", int(time.time()) & 0xFFFFFFFF) + xfl + b"\xff"
    crc = zlib.crc32(b"")
    size = 0
    zobj = zlib.compressobj(compress_level, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0)
    for chunk in body:
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
        out = zobj.compress(chunk)
        if sync_flush:
            out += zobj.flush(zlib.Z_SYNC_FLUSH)
        if out:
            yield header + out
            header = b""
    yield header + zobj.flush() + struct.pack("<LL", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def decompress(body: bytes) -> bytes:
    """Return the uncompressed content of a gzip stream."""
    return _gzip_module.decompress(body)


def _add_vary(headers: Any, name: str) -> None:
    current_value = headers.get("Vary", "")
    names = [part.strip() for part in current_value.split(",") if part.strip()]
    if name.lower() not in (n.lower() for n in names):
        names.append(name)
    headers["Vary"] = ", ".join(names)


def _mime_type_matches(ctype: str, mime_types: Iterable[str]) -> bool:
    """``type/subtype`` against patterns ``type/subtype``, ``type/*``, ``type/*+suffix``."""
    major, slash, minor = ctype.partition("/")
    for pattern in mime_types:
        pattern = pattern.lower()
        if pattern == ctype:
            return True
        pmajor, pslash, pminor = pattern.partition("/")
        if not (slash and pslash) or pmajor != major:
            continue
        if pminor == "*":
            return True
        if pminor.startswith("*+") and "+" in minor and minor.rpartition("+")[2] == pminor[2:]:
            return True
    return False


def _smaller_than(response: Any, min_size: int) -> bool:
    """Whether a non-streamed body is known to be shorter than ``min_size`` bytes."""
    if min_size <= 0 or response.stream:
        return False
    declared = response.headers.get("Content-Length")
    if declared is not None and str(declared).isdigit():
        return int(declared) < min_size
    # finalize() joins a non-streamed body anyway; doing it now just comes earlier.
    return len(response.collapse_body()) < min_size


def gzip(
    compress_level: int = 5,
    mime_types: Iterable[str] = ("text/html", "text/plain"),
    debug: bool = False,
    min_size: int = 0,
) -> None:
    """Gzip the response when the client accepts it and its type is in ``mime_types``.

    Always adds ``Vary: Accept-Encoding``.  Nothing is compressed for an empty body,
    a body shorter than ``min_size`` bytes (streamed bodies are always compressed:
    their size is unknown), a cached response, a response that already has a
    ``Content-Encoding``, a request without ``Accept-Encoding``, or one that prefers
    ``identity``.  When neither gzip nor identity is acceptable the answer becomes 406.
    """
    slot = current()
    request, response = slot.request, slot.response
    headers = response.headers
    _add_vary(headers, "Accept-Encoding")

    if not response.body:
        if debug:
            _debug("No response body", "TOOLS.GZIP")
        return
    if getattr(request, "cached", False):
        if debug:
            _debug("Not gzipping a cached response", "TOOLS.GZIP")
        return
    if "Content-Encoding" in headers:
        if debug:
            _debug("Response already has a Content-Encoding", "TOOLS.GZIP")
        return
    acceptable = _accept_elements(request.headers, "Accept-Encoding")
    if not acceptable:
        if debug:
            _debug("No Accept-Encoding", "TOOLS.GZIP")
        return

    if isinstance(mime_types, str):
        mime_types = [mime_types]
    ctype = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    for coding in acceptable:
        value = coding.value.lower()
        if value == "identity" and coding.qvalue != 0:
            if debug:
                _debug(f"Non-zero identity qvalue: {coding}", "TOOLS.GZIP")
            return
        if value in ("gzip", "x-gzip"):
            if coding.qvalue == 0:
                if debug:
                    _debug(f"Zero gzip qvalue: {coding}", "TOOLS.GZIP")
                return
            if not _mime_type_matches(ctype, mime_types):
                if debug:
                    _debug(f"Content-Type {ctype} not in {mime_types!r}", "TOOLS.GZIP")
                return
            if _smaller_than(response, min_size):
                if debug:
                    _debug(f"Body smaller than min_size {min_size}", "TOOLS.GZIP")
                return
            if debug:
                _debug("Gzipping", "TOOLS.GZIP")
            headers["Content-Encoding"] = "gzip"
            response.body = compress(response.body, compress_level, sync_flush=response.stream)
            headers.pop("Content-Length", None)
            return

    if debug:
        _debug("No acceptable encoding found.", "TOOLS.GZIP")
    HTTPError(406, "identity, gzip").set_response()
