"""The built-in body processors, and the form and limit helpers they share.

A processor is a callable taking an :class:`~cherrypit._kernel.body.Entity`; it reads
the entity and fills its ``params`` and ``parts``.  :attr:`Entity.processors
<cherrypit._kernel.body.Entity.processors>` maps media types to them:
:func:`process_urlencoded` for HTML forms, :func:`process_multipart_form_data` for
uploads and :func:`process_multipart` for any other multipart type (the request body
itself uses :func:`_old_process_multipart` there, as CherryPy does).  All of them stay
importable from :mod:`cherrypit._kernel.body` and :mod:`cherrypit._cpreqbody`.

This module never imports :mod:`cherrypit._kernel.body` at run time: parts are built
from ``entity.part_class``, so the entity classes can name these functions as their
defaults without an import cycle.

Differences from CherryPy 18 made here:

* urlencoded bodies are split on ``&`` alone (``;`` is data, as in the stdlib since
  Python 3.9.2), and a ``%`` not followed by two hex digits is kept as it is;
* the part and form-field limits of the entity answer 413, and a body no charset
  decodes answers 400;
* when a name is already in the params, further values extend one flat list;
* a part whose body a nested processor consumed (``multipart/mixed`` inside a form)
  stays a :class:`~cherrypit._kernel.body.Part` in the params, sub-parts in ``.parts``.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from cherrypit._kernel.errors import HTTPError
from cherrypit._kernel.multipart import MultipartStream, PartReader, parse_boundary
from cherrypit._kernel.readers import DEFAULT_BUFFER_SIZE

if TYPE_CHECKING:
    from cherrypit._kernel.body import Entity, Part

__all__ = [
    "process_multipart",
    "process_multipart_form_data",
    "process_urlencoded",
    "unquote_plus",
]


def _undecodable(charsets: list[str]) -> HTTPError:
    return HTTPError(
        400,
        "The request entity could not be decoded. The following charsets were "
        f"attempted: {charsets!r}",
    )


def _add_param(params: dict[str, Any], key: str, value: Any) -> None:
    """Store ``value`` under ``key``; a repeated key collects one flat list."""
    if key not in params:
        params[key] = list(value) if isinstance(value, list) else value
        return
    existing = params[key]
    if not isinstance(existing, list):
        existing = params[key] = [existing]
    if isinstance(value, list):
        existing.extend(value)
    else:
        existing.append(value)


def unquote_plus(bs: bytes) -> bytes:
    """Undo form encoding on bytes: ``+`` is a space, ``%XX`` a byte."""
    return urllib.parse.unquote_to_bytes(bs.replace(b"+", b" "))


# --------------------------------------------------------------------------- limits


class _Limits:
    """Counters shared by an entity and all its (nested) parts."""

    __slots__ = ("fields", "max_fields", "max_header_size", "max_parts", "parts")

    def __init__(
        self, max_parts: int | None, max_fields: int | None, max_header_size: int | None
    ) -> None:
        self.max_parts = max_parts
        self.max_fields = max_fields
        self.max_header_size = max_header_size
        self.parts = 0
        self.fields = 0

    def count_part(self) -> None:
        self.parts += 1
        if self.max_parts is not None and self.parts > self.max_parts:
            raise HTTPError(413, f"Too many parts in the multipart body (limit {self.max_parts}).")

    def count_fields(self, n: int) -> None:
        self.fields += n
        if self.max_fields is not None and self.fields > self.max_fields:
            raise HTTPError(413, f"Too many fields in the request body (limit {self.max_fields}).")


def _limits_of(entity: Entity) -> _Limits:
    limits = entity._limits
    if limits is None:
        limits = entity._limits = _Limits(
            entity.max_parts, entity.max_fields, entity.max_part_header_size
        )
    return limits


# ----------------------------------------------------------------------- processors


def process_urlencoded(entity: Entity) -> None:
    """Parse an ``application/x-www-form-urlencoded`` body into ``entity.params``.

    The charsets in :attr:`Entity.attempt_charsets` are tried in order; the first one
    that decodes every name and value becomes ``entity.charset``.

    :raises HTTPError: 400 when no charset fits, 413 past :attr:`Entity.max_fields`.
    """
    data: bytes = entity.fp.read()
    pairs = [pair for pair in data.split(b"&") if pair]
    _limits_of(entity).count_fields(len(pairs))
    raw: list[tuple[bytes, bytes]] = []
    for pair in pairs:
        key, _, value = pair.partition(b"=")
        raw.append((unquote_plus(key), unquote_plus(value)))
    for charset in entity.attempt_charsets:
        try:
            decoded = [(k.decode(charset), v.decode(charset)) for k, v in raw]
        except (UnicodeDecodeError, LookupError):
            continue
        entity.charset = charset
        break
    else:
        raise _undecodable(entity.attempt_charsets)
    params: dict[str, Any] = {}
    for name, text in decoded:
        _add_param(params, name, text)
    for name, found in params.items():
        _add_param(entity.params, name, found)


def process_multipart(entity: Entity) -> None:
    """Split a multipart body into :class:`Part` objects in ``entity.parts``.

    Each part is processed (by its own media type) as soon as it is read.  A body without
    any delimiter yields no parts.

    :raises HTTPError: 400 on a bad boundary, malformed part headers or a body that ends
        before its closing delimiter; 413 past the part and header-size limits.
    """
    boundary = parse_boundary(str(entity.content_type.params.get("boundary", "")))
    limits = _limits_of(entity)
    if entity.parts is None:
        entity.parts = []
    stream = MultipartStream(entity.fp, boundary, _bufsize_of(entity))
    if not stream.next_segment(preamble=True):
        return
    while True:
        limits.count_part()
        reader = PartReader(stream, limits.max_header_size)
        try:
            part = entity.part_class.from_fp(reader, b"--" + boundary)
        except (ValueError, LookupError) as exc:
            raise HTTPError(400, f"Malformed multipart part headers: {exc}") from exc
        part._limits = limits
        entity.parts.append(part)
        part.process()
        if not stream.next_segment():
            return


def _param_value(part: Part) -> Any:
    """What a named part contributes to the params: text, or the part itself."""
    if part.filename is not None or (part.file is None and part.value is None):
        # Uploads keep .file/.filename; a part a processor consumed keeps its results.
        return part
    return part.fullvalue()


def process_multipart_form_data(entity: Entity) -> None:
    """Parse ``multipart/form-data``: named parts go to ``entity.params``.

    A text field becomes its decoded string, an upload (a part with a file name) stays a
    :class:`Part`; repeated names collect a list.  Parts without a name remain in
    ``entity.parts``.
    """
    process_multipart(entity)
    limits = _limits_of(entity)
    kept: list[Part] = []
    for part in entity.parts or ():
        if part.name is None:
            kept.append(part)
            continue
        value = _param_value(part)
        if isinstance(value, str):
            limits.count_fields(1)
            if part.file is not None:
                # The text now lives in params and the part is dropped: free its spool.
                part.file.close()
        _add_param(entity.params, part.name, value)
    entity.parts = kept


def _old_process_multipart(entity: Entity) -> None:
    """CherryPy 3.2's multipart handling: every part lands in params.

    Unnamed parts go under ``"parts"``; ``entity.parts`` keeps all of them.  This is the
    processor of :class:`RequestBody` for multipart types other than ``form-data``.
    """
    process_multipart(entity)
    limits = _limits_of(entity)
    for part in entity.parts or ():
        value = _param_value(part)
        if isinstance(value, str):
            limits.count_fields(1)
        _add_param(entity.params, "parts" if part.name is None else part.name, value)


def _bufsize_of(entity: Entity) -> int:
    size = getattr(entity.fp, "bufsize", None) or getattr(entity, "bufsize", None)
    return size if isinstance(size, int) and size > 0 else DEFAULT_BUFFER_SIZE
