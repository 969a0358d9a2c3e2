"""cherrypit._kernel.body: CherryPy 18's request-body processing, streamed and limited.

Expectations marked "CherryPy 18.10" were checked against the real CherryPy with the
same input; the others are cherrypit's documented differences (limits, 400 instead of
crashes, ``&``-only form splitting, flat param lists, UTF-8 part headers).
"""

from __future__ import annotations

import io
import os
import tracemalloc
from typing import Any

import pytest

import cherrypit._cpreqbody as compat
from cherrypit._kernel import body
from cherrypit._kernel.body import Entity, Part, RequestBody, SizedReader
from cherrypit._kernel.errors import HTTPError
from cherrypit._kernel.httputil import HeaderMap

FORM = "application/x-www-form-urlencoded"
MULTI = "multipart/form-data; boundary=XX"


class RecordingInput(io.BytesIO):
    """A wsgi.input that remembers the largest read it was asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.largest = 0
        self.calls = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self.calls += 1
        self.largest = max(self.largest, -1 if size is None else size)
        return super().read(size)


class ExplodingInput:
    """A wsgi.input that must never be read."""

    def read(self, size: int = -1, /) -> bytes:
        raise AssertionError("the input was read")


_made: list[RequestBody] = []


@pytest.fixture(autouse=True)
def _close_bodies() -> Any:
    """Close every body a test made, as the request cycle does at the end of a request."""
    yield
    while _made:
        _made.pop().close()


def make(
    data: bytes = b"",
    content_type: str | None = FORM,
    *,
    length: bool = True,
    query: dict[str, Any] | None = None,
    fp: Any = None,
    **kwargs: Any,
) -> tuple[RequestBody, dict[str, Any]]:
    headers = HeaderMap()
    if content_type is not None:
        headers["Content-Type"] = content_type
    if length:
        headers["Content-Length"] = str(len(data))
    extra = kwargs.pop("headers", {})
    headers.update(extra)
    request_params = dict(query or {})
    entity = RequestBody(
        io.BytesIO(data) if fp is None else fp,
        headers,
        request_params=request_params,
        **kwargs,
    )
    _made.append(entity)
    return entity, request_params


def processed(data: bytes, content_type: str | None = FORM, **kwargs: Any) -> RequestBody:
    entity, _ = make(data, content_type, **kwargs)
    entity.process()
    return entity


def multipart(*parts: bytes, boundary: bytes = b"XX", end: bytes = b"\r\n") -> bytes:
    out = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return out + b"--" + boundary + b"--" + end


def field(name: str, value: bytes, *extra: str) -> bytes:
    head = [f'Content-Disposition: form-data; name="{name}"', *extra]
    return "\r\n".join(head).encode() + b"\r\n\r\n" + value


def upload(name: str, filename: str, value: bytes, ctype: str = "text/plain") -> bytes:
    return field(name, value, f"Content-Type: {ctype}").replace(
        f'name="{name}"'.encode(), f'name="{name}"; filename="{filename}"'.encode()
    )


def http_error(fn: Any) -> HTTPError:
    with pytest.raises(HTTPError) as info:
        fn()
    return info.value


# ------------------------------------------------------------------------ urlencoded


def test_urlencoded_repeats_plus_and_blanks():
    entity = processed(b"a=1&a=2&b=x+y&c=&d&&e=%41%2B")
    # CherryPy 18.10 gives exactly this.
    assert entity.params == {"a": ["1", "2"], "b": "x y", "c": "", "d": "", "e": "A+"}
    assert entity.charset == "utf-8"


def test_urlencoded_splits_on_ampersand_only_and_keeps_bad_escapes():
    entity = processed(b"a=1;b=2&c=%zz&d=%4")
    assert entity.params == {"a": "1;b=2", "c": "%zz", "d": "%4"}


def test_urlencoded_tries_charsets_in_order():
    latin = b"a=%E9t%E9"
    entity, _ = make(latin)
    entity.attempt_charsets = ["utf-8", "latin-1"]
    entity.process()
    assert entity.params == {"a": "été"}
    assert entity.charset == "latin-1"


def test_content_type_charset_is_tried_first():
    entity = processed(b"a=%E9", FORM + "; charset=latin-1")
    assert entity.attempt_charsets == ["latin-1", "utf-8"]
    assert entity.params == {"a": "é"}
    assert entity.charset == "latin-1"


def test_unknown_charset_is_skipped():
    entity = processed(b"a=%C3%A9", FORM + "; charset=no-such-codec")
    assert entity.params == {"a": "é"}
    assert entity.charset == "utf-8"


def test_undecodable_urlencoded_is_400_naming_the_charsets():
    entity, _ = make(b"a=%E9")
    error = http_error(entity.process)
    assert error.code == 400
    assert error.args[1] == (
        "The request entity could not be decoded. The following charsets were attempted: ['utf-8']"
    )


def test_too_many_urlencoded_fields_is_413():
    entity, _ = make(b"&".join(b"f%d=1" % i for i in range(6)))
    entity.max_fields = 5
    error = http_error(entity.process)
    assert error.code == 413
    assert error.args[1] == "Too many fields in the request body (limit 5)."


# ---------------------------------------------------------------------- RequestBody


def test_process_merges_body_params_into_request_params():
    entity, params = make(b"a=2&a=3&b=4", query={"a": "1", "q": "x"})
    entity.process()
    # CherryPy 18.10 nests the body list (['1', ['2', '3']]); cherrypit keeps it flat.
    assert params == {"a": ["1", "2", "3"], "q": "x", "b": "4"}
    assert entity.params == {"a": ["2", "3"], "b": "4"}


def test_process_parses_only_once():
    entity, params = make(b"a=1", query={"a": "0"})
    entity.process()
    entity.process()
    assert params == {"a": ["0", "1"]}


def test_no_content_type_leaves_the_body_unparsed():
    entity, params = make(b"a=1", None)
    entity.process()
    assert entity.content_type.value == ""
    assert entity.params == {} and params == {}
    assert entity.read() == b"a=1"


def test_default_proc_leaves_unknown_types_for_the_handler():
    entity, _ = make(b"line one\nline two\nrest", "application/octet-stream")
    entity.process()
    assert entity.params == {}
    assert entity.read(7) == b"line on"
    assert entity.readline() == b"e\n"
    assert list(entity) == [b"line two\n", b"rest"]
    assert entity.read() == b""
    assert entity.fp.done


def test_custom_processor_is_per_instance():
    seen: list[bytes] = []

    def custom(entity: Entity) -> None:
        seen.append(entity.fp.read())
        entity.params["custom"] = True

    entity, params = make(b"payload", "application/x-custom")
    entity.processors["application/x-custom"] = custom
    entity.process()
    assert seen == [b"payload"]
    assert params == {"custom": True}
    assert "application/x-custom" not in Entity.processors
    assert "application/x-custom" not in make()[0].processors


def test_major_type_processor_and_case_insensitive_lookup():
    calls: list[str] = []
    entity, _ = make(b"GIF89a", "image/gif")
    entity.processors["image"] = lambda e: calls.append(e.content_type.value)
    entity.process()
    assert calls == ["image/gif"]
    assert processed(b"a=1", "Application/X-WWW-Form-Urlencoded").params == {"a": "1"}
    assert entity.type is entity.content_type


def test_missing_length_is_411_like_cherrypy():
    entity, _ = make(b"a=1", length=False, fp=ExplodingInput())
    assert http_error(entity.process).code == 411


def test_chunked_or_terminated_input_is_read_to_the_end():
    chunked = processed(b"a=1", length=False, headers={"Transfer-Encoding": "chunked"})
    assert chunked.params == {"a": "1"}
    terminated = processed(b"a=2", length=False, input_terminated=True)
    assert terminated.params == {"a": "2"}


def test_reading_without_length_never_touches_the_input():
    entity, _ = make(b"", "text/plain", length=False, fp=ExplodingInput())
    assert entity.read() == b""


def test_content_length_limits_the_read():
    entity, _ = make(b"", "text/plain", fp=io.BytesIO(b"0123456789"))
    entity.headers["Content-Length"] = "4"
    entity.length = 4
    entity.process()
    assert entity.read() == b"0123"


def test_invalid_content_length_is_400():
    entity, _ = make(b"a=1", headers={"Content-Length": "12abc"})
    assert http_error(entity.process).code == 400


def test_maxbytes_refuses_a_declared_length_before_reading():
    entity, _ = make(b"a=" + b"x" * 100, fp=ExplodingInput())
    entity.headers["Content-Length"] = "102"
    entity.length = 102
    entity.maxbytes = 50
    assert http_error(entity.process).code == 413


def test_maxbytes_stops_a_lying_input():
    data = b"a=" + b"x" * 100_000
    fp = RecordingInput(data)
    entity, _ = make(data, length=False, fp=fp, headers={"Transfer-Encoding": "chunked"})
    entity.maxbytes = 20_000
    error = http_error(entity.process)
    assert error.code == 413
    assert fp.tell() <= 20_000 + entity.bufsize


def test_server_max_size_exceeded_becomes_413():
    class MaxSizeExceeded(Exception):
        pass

    class Input:
        def read(self, size: int = -1, /) -> bytes:
            raise MaxSizeExceeded("too big", 10)

    entity, _ = make(b"a=1", fp=Input())
    assert http_error(entity.process).code == 413


def test_text_bodies_fall_back_to_iso_8859_1():
    entity, _ = make("café".encode("latin-1"), "text/plain")
    assert entity.attempt_charsets == ["utf-8", "ISO-8859-1"]
    entity.process()
    assert entity.fullvalue() == "café"
    assert entity.charset == "ISO-8859-1"
    latin_first, _ = make(b"", "text/plain; charset=latin-1")
    assert latin_first.attempt_charsets == ["latin-1", "utf-8"]


def test_fullvalue_is_bytes_without_charsets():
    entity, _ = make(b"\xff\x00", "application/octet-stream")
    entity.attempt_charsets = []
    entity.process()
    assert entity.fullvalue() == b"\xff\x00"
    assert entity.fullvalue() == b"\xff\x00"


def test_sized_reader_lines_and_trailers():
    class Chunked(io.BytesIO):
        def read_trailer_lines(self) -> list[bytes]:
            return [b"x-sum: 1", b"X-Sum: 2"]

    reader = SizedReader(Chunked(b"a\nbb\nccc\ntail"), None, None, bufsize=2, has_trailers=True)
    assert reader.readline() == b"a\n"
    assert reader.readlines() == [b"bb\n", b"ccc\n", b"tail"]
    assert reader.bytes_read == 13
    assert reader.done
    assert reader.trailers == {b"X-Sum": b"1, 2"}


# ------------------------------------------------------------------------ multipart


def test_multipart_fields_and_uploads():
    data = multipart(
        field("a", b"hello"),
        field("a", b"w\xc3\xb6rld"),
        upload("f", "x.txt", b"file data"),
        b"Content-Type: text/plain\r\n\r\nanonymous",
    )
    entity, params = make(data, MULTI)
    entity.process()
    assert params["a"] == ["hello", "wörld"]
    upload_part = params["f"]
    assert isinstance(upload_part, Part)
    # CherryPy 18.10: an upload is always spooled, however small.
    assert upload_part.value is None and upload_part.file is not None
    assert upload_part.file.read() == b"file data"
    assert upload_part.filename == "x.txt" and upload_part.name == "f"
    assert upload_part.content_type.value == "text/plain"
    assert [p.value for p in entity.parts or []] == [b"anonymous"]


def test_part_spools_past_maxrambytes():
    small, large = b"s" * Part.maxrambytes, b"L" * (Part.maxrambytes + 1)
    entity = processed(multipart(b"\r\n" + small, b"\r\n" + large, field("big", large)), MULTI)
    first, second = entity.parts or []
    assert first.value == small and first.file is None
    assert second.value is None and second.file is not None
    assert second.file.read() == large
    assert second.fullvalue() == large.decode()
    assert entity.params == {"big": large.decode()}


def test_custom_part_class_and_maxrambytes():
    class TinyPart(Part):
        maxrambytes = 3

    entity, _ = make(multipart(b"\r\nabcd"), MULTI)
    entity.part_class = TinyPart
    entity.process()
    (part,) = entity.parts or []
    assert isinstance(part, TinyPart) and part.file is not None
    assert part.file.read() == b"abcd"


def test_five_megabyte_binary_part_streams_to_a_file():
    blob = os.urandom(5 * 1024 * 1024).replace(b"\n", b"\x00")
    data = multipart(upload("f", "blob.bin", blob, "application/octet-stream"))
    fp = RecordingInput(data)
    entity, params = make(data, MULTI, fp=fp)
    tracemalloc.start()
    try:
        entity.process()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fp.largest <= entity.bufsize
    assert fp.calls > len(data) // entity.bufsize
    assert peak < 1024 * 1024
    part = params["f"]
    assert part.value is None and part.content_type.value == "application/octet-stream"
    assert part.file.read() == blob


@pytest.mark.parametrize("bufsize", [1, 2, 3, 7, 64, 8192])
def test_delimiter_found_across_block_edges(bufsize: int):
    tricky = b"\r\n--XXY\r\n--XX x\r\n-XX\n--X\r\r\n--XX-\r\nend\r"
    data = multipart(field("a", tricky), field("b", b""), upload("c", "c.bin", tricky))
    entity, _ = make(data, MULTI)
    entity.bufsize = bufsize
    entity.process()
    assert entity.params["a"] == tricky.decode()
    assert entity.params["b"] == ""
    assert entity.params["c"].file.read() == tricky


def test_preamble_epilogue_padding_and_bare_lf():
    data = (
        b"preamble\r\n--XX \t\r\n"
        + field("a", b"1")
        + b"\n--XX\r\n"
        + field("b", b"2")
        + b"\r\n--XX--  \r\nepilogue --XX\r\n"
    )
    assert processed(data, MULTI).params == {"a": "1", "b": "2"}


def test_multipart_without_parts():
    assert processed(b"", MULTI).params == {}
    assert processed(b"--XX--\r\n", MULTI).params == {}
    assert processed(b"no delimiter at all", MULTI).params == {}


def test_filenames_rfc5987_utf8_and_quoted_semicolons():
    ext = b'Content-Disposition: form-data; name="f"; filename="plain.txt"; '
    parts = [
        ext + b"filename*=UTF-8''%C3%A9t%C3%A9.txt\r\n\r\n1",
        ext + b"filename*=garbage\r\n\r\n2",
        'Content-Disposition: form-data; name="f"; filename="été;a,b.txt"\r\n\r\n3'.encode(),
        b'content-disposition: FORM-DATA; NAME="f"; FILENAME="C:\\dir\\x.txt"\r\n\r\n4',
    ]
    entity = processed(multipart(*parts), MULTI)
    names = [p.filename for p in entity.params["f"]]
    assert names == ["été.txt", "plain.txt", "été;a,b.txt", "C:\\dir\\x.txt"]


def test_part_content_type_charset_and_defaults():
    latin = field("a", "é".encode("latin-1"), "Content-Type: text/plain; charset=latin-1")
    entity = processed(multipart(latin, b"\r\nx"), MULTI)
    assert entity.params == {"a": "é"}
    (anonymous,) = entity.parts or []
    assert anonymous.content_type.value == "text/plain"
    assert anonymous.attempt_charsets == ["us-ascii", "utf-8"]


def test_repeated_and_folded_part_headers():
    raw = b'X-A: 1\r\nX-A: 2\r\nContent-Disposition: form-data;\r\n name="a"\r\n\r\nv'
    entity = processed(multipart(raw, b"X-Empty:\r\n\r\n"), MULTI)
    assert entity.params == {"a": "v"}
    (empty,) = entity.parts or []
    assert empty.headers["X-Empty"] == "" and empty.value == b""


def test_nested_multipart_mixed():
    inner = (
        b'--YY\r\nContent-Disposition: file; filename="f1.txt"\r\n\r\none\r\n'
        b'--YY\r\nContent-Disposition: file; filename="f2.txt"\r\n\r\ntwo\r\n--YY--\r\n'
        b"inner epilogue"
    )
    nested = field("files", inner, "Content-Type: multipart/mixed; boundary=YY")
    entity = processed(multipart(field("a", b"v"), nested, field("z", b"last")), MULTI)
    assert entity.params["a"] == "v" and entity.params["z"] == "last"
    group = entity.params["files"]
    assert isinstance(group, Part) and group.value is None and group.file is None
    assert [(p.filename, p.fullvalue()) for p in group.parts or []] == [
        ("f1.txt", "one"),
        ("f2.txt", "two"),
    ]


def test_top_level_multipart_mixed_uses_cherrypy_32_params():
    entity = processed(multipart(field("a", b"v"), b"\r\nanon"), "multipart/mixed; boundary=XX")
    # CherryPy 18.10: unnamed parts are passed as "parts"; entity.parts keeps all.
    assert entity.params == {"a": "v", "parts": "anon"}
    assert len(entity.parts or []) == 2
    generic = make(multipart(b"\r\nx"), "multipart/mixed; boundary=XX")[0]
    generic.processors["multipart"] = body.process_multipart
    generic.process()
    assert generic.params == {} and [p.value for p in generic.parts or []] == [b"x"]


def test_part_processor_reading_part_of_a_part():
    taken: list[bytes | None] = []

    class PeekPart(Part):
        processors = {"application/x-peek": lambda e: taken.append(e.read(3))}

    data = multipart(field("p", b"abcdef", "Content-Type: application/x-peek"), field("q", b"next"))
    entity, _ = make(data, MULTI)
    entity.part_class = PeekPart
    entity.process()
    assert taken == [b"abc"]
    assert entity.params["q"] == "next"
    peeked = entity.params["p"]
    assert isinstance(peeked, PeekPart) and peeked.read() == b""


def test_too_many_parts_is_413():
    entity, _ = make(multipart(*(field(f"f{i}", b"v") for i in range(4))), MULTI)
    entity.max_parts = 3
    error = http_error(entity.process)
    assert error.code == 413
    assert error.args[1] == "Too many parts in the multipart body (limit 3)."


def test_nested_parts_count_towards_the_limit():
    inner = b"--YY\r\n\r\n1\r\n--YY\r\n\r\n2\r\n--YY--"
    entity, _ = make(
        multipart(field("g", inner, "Content-Type: multipart/mixed; boundary=YY")), MULTI
    )
    entity.max_parts = 2
    assert http_error(entity.process).code == 413


def test_too_many_fields_counts_text_parts_not_uploads():
    data = multipart(field("a", b"1"), field("b", b"2"), upload("u", "u.txt", b"3"))
    entity, _ = make(data, MULTI)
    entity.max_fields = 2
    entity.process()
    assert set(entity.params) == {"a", "b", "u"}
    entity, _ = make(multipart(field("a", b"1"), field("b", b"2"), field("c", b"3")), MULTI)
    entity.max_fields = 2
    error = http_error(entity.process)
    assert (error.code, error.args[1]) == (413, "Too many fields in the request body (limit 2).")


def test_part_header_block_limit_is_413():
    data = multipart(field("a", b"v", "X-Big: " + "b" * 500))
    entity, _ = make(data, MULTI)
    entity.max_part_header_size = 256
    assert http_error(entity.process).code == 413
    endless = b"--XX\r\nX-Endless: " + b"e" * 100_000
    entity, _ = make(endless, MULTI)
    assert http_error(entity.process).code == 413


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("multipart/form-data", multipart(field("a", b"v"))),
        ("multipart/form-data; boundary=", multipart(field("a", b"v"))),
        ("multipart/form-data; boundary=" + "x" * 202, b""),
        (MULTI, b"--XX\r\n" + field("a", b"no closing delimiter")),
        (MULTI, b'--XX\r\nContent-Disposition: form-data; name="a"'),
        (MULTI, multipart(b"no colon here\r\n\r\nv")),
        (MULTI, multipart(b"Bad Name: v\r\n\r\nv")),
        (MULTI, multipart(b" folded first: v\r\n\r\nv")),
        (MULTI, multipart(field("a", b"\xff\xfe"))),
        (MULTI, multipart(field("g", b"x", "Content-Type: multipart/mixed"))),
    ],
)
def test_malformed_multipart_is_400(content_type: str, data: bytes):
    entity, _ = make(data, content_type)
    assert http_error(entity.process).code == 400


def test_truncation_anywhere_is_400_never_a_crash():
    data = multipart(field("a", b"v1"), upload("f", "f.txt", b"contents\r\n"))
    between = data.index(b"\r\n--XX\r\n", 10) + len(b"\r\n--XX")
    last = data.rindex(b"\r\n--XX--") + len(b"\r\n--XX")
    for cut in range(len(b"--XX\r\n"), len(data) - 2):
        if cut in (between, between + 1, between + 2, last):
            continue  # right after a delimiter (and its line break): see the next test
        entity, _ = make(data[:cut], MULTI)
        assert http_error(entity.process).code == 400, cut
    assert processed(data[:-2], MULTI).params["a"] == "v1"


def test_input_ending_right_after_a_delimiter_ends_the_form():
    # CherryPy's reading (its own tutorial sends such a form): the close delimiter's
    # "--" may be missing when the input ends right after the delimiter.
    data = multipart(field("a", b"v1"), upload("f", "f.txt", b"contents"))
    last = data.rindex(b"--XX--") + len(b"--XX")
    params = processed(data[:last], MULTI).params
    assert params["a"] == "v1"
    assert params["f"].file.read() == b"contents"
    between = data.index(b"\r\n--XX\r\n", 10) + len(b"\r\n--XX")
    assert set(processed(data[:between], MULTI).params) == {"a"}
    assert set(processed(data[: between + 2], MULTI).params) == {"a"}
    # Bare LF line breaks, as the tutorial's form has them.
    lf = b'--x\nContent-Disposition: form-data; name="f"; filename="h.txt"\r\n\r\naaaaa\n--x'
    part = processed(lf, "multipart/form-data; boundary=x").params["f"]
    assert (part.filename, part.file.read()) == ("h.txt", b"aaaaa")


def test_compat_module_reexports():
    assert compat.Part is Part and compat.RequestBody is RequestBody
    assert compat.Entity is Entity and compat.SizedReader is SizedReader
    assert compat.process_urlencoded is body.process_urlencoded
    assert compat.process_multipart is body.process_multipart
    assert compat.process_multipart_form_data is body.process_multipart_form_data
    assert compat._old_process_multipart is body._old_process_multipart
    assert Entity.part_class is Part


def test_close_releases_every_spooled_file():
    inner = b'--YY\r\nContent-Disposition: file; filename="n.txt"\r\n\r\nnested\r\n--YY--'
    data = multipart(
        upload("f", "f.txt", b"top"),
        field("g", inner, "Content-Type: multipart/mixed; boundary=YY"),
        b"\r\n" + b"u" * 2000,
    )
    entity = processed(data, MULTI)
    files = [
        entity.params["f"].file,
        entity.params["g"].parts[0].file,
        (entity.parts or [])[0].file,
    ]
    assert all(f is not None and not f.closed for f in files)
    entity.close()
    assert all(f is not None and f.closed for f in files)


def test_read_into_file_spools_the_rest_of_the_body():
    entity, _ = make(b"0123456789", "application/octet-stream")
    entity.process()
    assert entity.read(2) == b"01"
    with entity.read_into_file() as spool:
        spool.seek(0)
        assert spool.read() == b"23456789"
