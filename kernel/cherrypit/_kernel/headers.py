"""Header values: :class:`HeaderMap`, header elements and RFC 2047 decoding.

:class:`HeaderMap` is the case-insensitive ``dict`` that holds request and response
headers and encodes them for the wire.  :func:`header_elements` splits a
comma-separated value into :class:`HeaderElement` (or, for ``Accept*`` and ``TE``,
:class:`AcceptElement`) objects; :func:`decode_TEXT` decodes RFC 2047 encoded words.
This is the header half of CherryPy 18's ``cherrypy.lib.httputil``, which
:mod:`cherrypit._kernel.httputil` re-exports; differences from CherryPy are noted in
each docstring.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

if TYPE_CHECKING:
    from _collections_abc import dict_values

__all__ = [
    "AcceptElement",
    "HeaderElement",
    "HeaderMap",
    "decode_TEXT",
    "decode_TEXT_maybe",
    "header_elements",
]

_T = TypeVar("_T")


# ------------------------------------------------------------------- header elements


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split ``text`` at ``separator`` characters that are not inside a quoted string."""
    if '"' not in text:
        return text.split(separator)
    parts: list[str] = []
    start = 0
    quoted = False
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _parse_params(pieces: Iterable[str], params: dict[str, str]) -> None:
    """Add ``name=value`` pieces to ``params`` (names lower-cased, quotes removed)."""
    for piece in pieces:
        name, eq, value = piece.partition("=")
        if not eq:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace("\\\\", "\\").replace('\\"', '"')
        params[name.strip().lower()] = value


class HeaderElement:
    """One element of a comma-separated header value: ``value;name=param;...``.

    Elements order by :attr:`value`; two elements are equal when their value and
    parameters are.
    """

    __slots__ = ("params", "value")

    def __init__(self, value: str, params: dict[str, str] | None = None) -> None:
        #: The element's main token, such as ``'text/html'``.
        self.value = value
        #: Its parameters, names lower-cased, values unquoted.
        self.params: dict[str, str] = {} if params is None else params

    def __str__(self) -> str:
        return self.value + "".join(f";{name}={value}" for name, value in self.params.items())

    def __bytes__(self) -> bytes:
        return str(self).encode("ISO-8859-1")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r}, {self.params!r})"

    def __lt__(self, other: HeaderElement) -> bool:
        return self.value < other.value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HeaderElement):
            return NotImplemented
        return self.value == other.value and self.params == other.params

    def __hash__(self) -> int:
        return hash(self.value)

    @staticmethod
    def parse(elementstr: str) -> tuple[str, dict[str, str]]:
        """Split ``'token;key=val'`` into ``('token', {'key': 'val'})``.

        Semicolons inside quoted parameter values do not split; parameters without
        ``=`` are dropped.
        """
        pieces = _split_outside_quotes(elementstr, ";")
        params: dict[str, str] = {}
        _parse_params(pieces[1:], params)
        return pieces[0].strip(), params

    @classmethod
    def from_str(cls, elementstr: str) -> Self:
        """Build an element from its text form ``'token;key=val'``."""
        value, params = cls.parse(elementstr)
        return cls(value, params)


_Q_SEPARATOR = re.compile(r"; *q *=")


class AcceptElement(HeaderElement):
    """An element of an ``Accept*`` or ``TE`` header, which carries a quality value.

    As in CherryPy, the *less* preferred element sorts lower: ``sorted(elements,
    reverse=True)`` (what :func:`header_elements` does) puts the favourite first.
    Elements of equal quality order by their text.

    The ``q`` parameter is kept in :attr:`params` as a string (CherryPy kept a nested
    :class:`HeaderElement`); accept-extension parameters that follow it are added to
    :attr:`params` after ``q``, so ``str()`` gives the same text as CherryPy.
    """

    __slots__ = ()

    @classmethod
    def from_str(cls, elementstr: str) -> Self:
        """Build an element, separating the media range from ``q`` and its extensions."""
        media_range, *accept_params = _Q_SEPARATOR.split(elementstr, maxsplit=1)
        value, params = cls.parse(media_range)
        if accept_params:
            pieces = _split_outside_quotes(accept_params[0], ";")
            params["q"] = pieces[0].strip()
            _parse_params(pieces[1:], params)
        return cls(value, params)

    @property
    def qvalue(self) -> float:
        """The quality (preference) of this element; 1.0 when no ``q`` was given.

        :raises cherrypit.HTTPError: 400 if ``q`` is not a finite number.
        """
        raw = self.params.get("q", "1")
        try:
            quality = float(raw)
        except ValueError:
            quality = math.nan
        if not math.isfinite(quality):
            # errors.py imports this module, hence the late import.
            from cherrypit._kernel.errors import HTTPError

            raise HTTPError(400, f"Malformed HTTP header: `{self}`")
        return quality

    def __lt__(self, other: HeaderElement) -> bool:
        if not isinstance(other, AcceptElement):
            return super().__lt__(other)
        mine, theirs = self.qvalue, other.qvalue
        if mine == theirs:
            return str(self) < str(other)
        return mine < theirs


def header_elements(fieldname: str, fieldvalue: str | None) -> list[HeaderElement]:
    """Parse a comma-separated header into elements, most significant first.

    :param fieldname: the title-cased header name; ``Accept*`` and ``TE`` give
        :class:`AcceptElement` objects sorted by quality, highest first, other headers
        give :class:`HeaderElement` objects sorted by value, descending (CherryPy's order).
    :param fieldvalue: the header value; ``None`` or empty gives ``[]``.
    :raises cherrypit.HTTPError: 400 for an ``Accept*`` element with an invalid ``q``.

    Empty list elements (``'a,,b'``) are skipped, as RFC 7230 section 7 asks.
    """
    if not fieldvalue:
        return []
    factory = (
        AcceptElement if fieldname.startswith("Accept") or fieldname == "TE" else HeaderElement
    )
    key = (factory, fieldvalue)
    parsed = _PARSED_ELEMENTS.get(key)
    if parsed is not None:
        # Fresh elements each time: callers may change them.
        return [factory(value, dict(params)) for value, params in parsed]
    result = [
        factory.from_str(element)
        for element in _split_outside_quotes(fieldvalue, ",")
        if element.strip()
    ]
    # reversed(sorted()) rather than sort(reverse=True): it keeps CherryPy's order
    # among equal elements.
    ordered = list(reversed(sorted(result)))
    if len(fieldvalue) <= _PARSED_VALUE_LIMIT:
        if len(_PARSED_ELEMENTS) >= _PARSED_ENTRIES_LIMIT:
            _PARSED_ELEMENTS.clear()
        _PARSED_ELEMENTS[key] = tuple((e.value, tuple(e.params.items())) for e in ordered)
    return ordered


#: header_elements results by (element class, header value): clients repeat the same
#: Content-Type, Accept and Accept-Encoding values.  Bounded in entries and value size.
_PARSED_ELEMENTS: dict[tuple[type, str], tuple[tuple[str, tuple[tuple[str, str], ...]], ...]] = {}
_PARSED_ENTRIES_LIMIT = 512
_PARSED_VALUE_LIMIT = 512


# ------------------------------------------------------------------------- RFC 2047

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"\s+")


def _decode_word(charset: str, encoding: str, text: str) -> str | None:
    try:
        if encoding in "bB":
            raw = base64.b64decode(text + "=" * (-len(text) % 4))
        else:
            raw = binascii.a2b_qp(text.encode("ascii"), header=True)
        return raw.decode(charset.partition("*")[0], "replace")
    except (ValueError, LookupError, binascii.Error):
        return None


def decode_TEXT(value: str) -> str:
    """Decode RFC 2047 encoded words (``=?utf-8?q?f=C3=BCr?=`` gives ``'für'``).

    Whitespace between two adjacent encoded words is dropped, as the RFC requires;
    words with an unknown charset or a broken payload are left as they are.  Unlike
    CherryPy, text mixing encoded and plain words decodes instead of raising.
    """
    out: list[str] = []
    pos = 0
    last_was_word = False
    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        decoded = _decode_word(*match.groups())
        if decoded is None:
            out.append(gap + match.group(0))
            last_was_word = False
        else:
            if not (last_was_word and _BETWEEN_WORDS.fullmatch(gap)):
                out.append(gap)
            out.append(decoded)
            last_was_word = True
        pos = match.end()
    out.append(value[pos:])
    return "".join(out)


def decode_TEXT_maybe(value: str) -> str:
    """Decode ``value`` with :func:`decode_TEXT` only if it contains ``'=?'``."""
    return decode_TEXT(value) if "=?" in value else value


# ------------------------------------------------------------------------ header map

_DEFAULT_ENCODINGS = ["ISO-8859-1"]

# Every control character (HTAB included, as in CherryPy) is dropped on output, so a
# value can never start a new header line or end the header block.
_DELETE_CONTROLS = bytes(range(32)) + b"\x7f"


class HeaderMap(dict[str, str]):
    """Request or response headers: a ``dict`` with case-insensitive ``str`` keys.

    Keys are stored title-cased (``'content-type'`` is kept as ``'Content-Type'``), so
    every spelling reaches the same entry and iteration shows the canonical one.
    Values are text, RFC 2047-decoded on input where needed; :meth:`output` encodes
    them for the wire.  Setting a non-``str`` value works at run time and is turned
    into text by :meth:`output`.
    """

    __slots__ = ()

    #: The HTTP version of the response; RFC 2047 output is used only for HTTP/1.1.
    protocol: tuple[int, int] = (1, 1)
    #: Encodings tried, in order, when writing names and values to the wire.
    encodings: list[str] = ["ISO-8859-1"]
    #: Whether text no encoding in :attr:`encodings` can hold goes out RFC 2047-encoded.
    use_rfc_2047: bool = True

    def __init__(
        self, mapping: Mapping[str, str] | Iterable[tuple[str, str]] = (), /, **kwargs: str
    ) -> None:
        super().__init__()
        if mapping or kwargs:
            self.update(mapping, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"

    @staticmethod
    def transform_key(key: str) -> str:
        """The form ``key`` is stored under: title case."""
        return key.title()

    def matching_key_for(self, key: str) -> str:
        """The stored key that ``key`` (in any letter case) names.

        :raises KeyError: when there is none.
        """
        stored = key.title()
        if not dict.__contains__(self, stored):
            raise KeyError(key)
        return stored

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.title())

    def __setitem__(self, key: str, value: str) -> None:
        dict.__setitem__(self, key.title(), value)

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key.title())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.title())

    @overload
    def get(self, key: str, default: None = None, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    @overload
    def get(self, key: str, default: _T, /) -> str | _T: ...
    def get(self, key: str, default: object = None, /) -> object:
        """Return the value for ``key`` in any letter case, or ``default``."""
        return dict.get(self, key.title(), default)

    def setdefault(self, key: str, default: str, /) -> str:
        """Return the value for ``key``, storing ``default`` first if it is missing."""
        return dict.setdefault(self, key.title(), default)

    @overload
    def pop(self, key: str, /) -> str: ...
    @overload
    def pop(self, key: str, default: str, /) -> str: ...
    @overload
    def pop(self, key: str, default: _T, /) -> str | _T: ...
    def pop(self, key: str, *default: object) -> object:
        """Remove ``key`` (any letter case) and return its value, or ``default``."""
        return dict.pop(self, key.title(), *default)

    def update(  # type: ignore[override]
        self, mapping: Mapping[str, str] | Iterable[tuple[str, str]] = (), /, **kwargs: str
    ) -> None:
        """Add headers from a mapping or ``(name, value)`` pairs and keywords."""
        pairs: Iterable[tuple[str, str]]
        if isinstance(mapping, Mapping):
            pairs = mapping.items()
        else:
            pairs = mapping
        setitem = dict.__setitem__
        for key, value in pairs:
            setitem(self, key.title(), value)
        for key, value in kwargs.items():
            setitem(self, key.title(), value)

    def __ior__(self, other: Any) -> Self:  # type: ignore[override]
        self.update(other)
        return self

    def __or__(self, other: Any) -> Self:  # type: ignore[override]
        merged = self.copy()
        merged.update(other)
        return merged

    @classmethod
    def fromkeys(  # type: ignore[override]
        cls, iterable: Iterable[str], value: Any = None, /
    ) -> Self:
        """Build a map whose keys come from ``iterable``, all set to ``value``."""
        new = cls()
        for key in iterable:
            dict.__setitem__(new, key.title(), value)
        return new

    def copy(self) -> Self:
        """Return a shallow copy that is still a :class:`HeaderMap`."""
        new = type(self)()
        dict.update(new, self)
        return new

    def elements(self, key: str) -> list[HeaderElement]:
        """Parse header ``key`` into elements, most significant first (see
        :func:`header_elements`)."""
        name = key.title()
        return header_elements(name, dict.get(self, name))

    @overload
    def values(self) -> dict_values[str, str]: ...
    @overload
    def values(self, key: str) -> list[str]: ...
    def values(self, key: str | None = None) -> dict_values[str, str] | list[str]:
        """With ``key``: the values of that header's elements, most significant first.

        Without: the ordinary ``dict.values()`` view.
        """
        if key is None:
            return dict.values(self)
        return [element.value for element in self.elements(key)]

    def output(self) -> list[tuple[bytes, bytes]]:
        """Return the headers as wire-ready ``(name, value)`` byte pairs.

        Control characters (CR and LF included) are removed from names and values, so
        no value can smuggle in another header.
        """
        if self.encodings != _DEFAULT_ENCODINGS:
            return list(self.encode_header_items(self.items()))
        # Fast path for the usual case, Latin-1 text: one encode and one translate per
        # item, without the generic per-item method calls.
        out: list[tuple[bytes, bytes]] = []
        append = out.append
        encode_item = self.encode_header_item
        for name, value in dict.items(self):
            if not isinstance(value, str):
                if isinstance(value, bytes):
                    append((encode_item(name), value.translate(None, _DELETE_CONTROLS)))
                    continue
                value = str(value)
            try:
                raw_name = name.encode("latin-1")
                raw_value = value.encode("latin-1")
            except UnicodeEncodeError:
                append((encode_item(name), encode_item(value)))
                continue
            append(
                (
                    raw_name.translate(None, _DELETE_CONTROLS),
                    raw_value.translate(None, _DELETE_CONTROLS),
                )
            )
        return out

    @classmethod
    def encode_header_items(
        cls, header_items: Iterable[tuple[str | bytes, object]]
    ) -> Iterator[tuple[bytes, bytes]]:
        """Encode ``(name, value)`` pairs for the wire; non-text values go through ``str``."""
        encode = cls.encode_header_item
        for name, value in header_items:
            if not isinstance(value, str | bytes):
                value = str(value)
            yield encode(name), encode(value)

    @classmethod
    def encode_header_item(cls, item: str | bytes) -> bytes:
        """Encode one name or value (see :meth:`encode`) and drop its control characters."""
        if isinstance(item, str):
            item = cls.encode(item)
        return item.translate(None, _DELETE_CONTROLS)

    @classmethod
    def encode(cls, v: str) -> bytes:
        """Encode text with the first of :attr:`encodings` that can hold it.

        Text none of them can hold is sent as one RFC 2047 word
        (``'=?utf-8?b?...?='``, never folded) when :attr:`use_rfc_2047` is on and the
        protocol is HTTP/1.1.

        :raises ValueError: if the text cannot be encoded at all.
        """
        for encoding in cls.encodings:
            try:
                return v.encode(encoding)
            except UnicodeEncodeError:
                continue
        if cls.protocol == (1, 1) and cls.use_rfc_2047:
            return b"=?utf-8?b?" + base64.b64encode(v.encode("utf-8")) + b"?="
        raise ValueError(f"Could not encode header part {v!r} using any of {cls.encodings!r}.")


def new_header_map() -> HeaderMap:
    """A new empty :class:`HeaderMap` (cheaper than ``HeaderMap()``: no ``__init__``)."""
    return dict.__new__(HeaderMap)
