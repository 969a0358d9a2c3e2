"""cherrypit._kernel.httputil: CherryPy 18's ``lib.httputil`` behaviour, plus its fixes."""

from __future__ import annotations

import http
import pickle

import pytest

import cherrypit.lib.httputil as compat
from cherrypit._kernel import httputil
from cherrypit._kernel.errors import HTTPError
from cherrypit._kernel.httputil import (
    AcceptElement,
    HeaderElement,
    HeaderMap,
    Host,
    SanitizedHost,
    decode_TEXT,
    decode_TEXT_maybe,
    get_ranges,
    header_elements,
    parse_http_date,
    parse_query_string,
    protocol_from_http,
    urljoin,
    urljoin_bytes,
    valid_status,
)

# ----------------------------------------------------------------------- HeaderMap


def test_headermap_keys_are_case_insensitive_and_title_cased():
    headers = HeaderMap({"content-type": "text/html"}, x_a="1")
    headers["X-FORWARDED-FOR"] = "10.0.0.1"
    assert list(headers) == ["Content-Type", "X_A", "X-Forwarded-For"]
    assert headers["CONTENT-TYPE"] == "text/html"
    assert headers.get("x-forwarded-for") == "10.0.0.1"
    assert headers.get("missing", "d") == "d"
    assert "content-TYPE" in headers
    not_a_name: object = 42
    assert not_a_name not in headers
    del headers["content-type"]
    assert "Content-Type" not in headers
    with pytest.raises(KeyError):
        headers["content-type"]


def test_headermap_dict_methods_normalise_keys():
    headers = HeaderMap([("etag", '"x"')])
    assert headers.setdefault("ETAG", "ignored") == '"x"'
    assert headers.setdefault("vary", "Accept") == "Accept"
    headers.update({"cache-control": "no-cache"}, pragma="no-cache")
    headers |= {"x-one": "1"}
    assert sorted(headers) == ["Cache-Control", "Etag", "Pragma", "Vary", "X-One"]
    assert headers.pop("CACHE-control") == "no-cache"
    assert headers.pop("cache-control", None) is None
    merged = headers | {"x-two": "2"}
    assert isinstance(merged, HeaderMap)
    assert merged["X-TWO"] == "2"
    assert "X-Two" not in headers


def test_headermap_copy_fromkeys_and_pickle_stay_headermaps():
    headers = HeaderMap({"host": "example.com"})
    duplicate = headers.copy()
    assert isinstance(duplicate, HeaderMap)
    duplicate["HOST"] = "other"
    assert headers["Host"] == "example.com"
    made = HeaderMap.fromkeys(["x-a", "x-b"], "v")
    assert isinstance(made, HeaderMap)
    assert dict(made) == {"X-A": "v", "X-B": "v"}
    restored = pickle.loads(pickle.dumps(headers))
    assert isinstance(restored, HeaderMap)
    assert restored["HOST"] == "example.com"


def test_headermap_values_with_and_without_key():
    headers = HeaderMap({"accept": "text/html;q=0.2, text/plain"})
    assert headers.values("ACCEPT") == ["text/plain", "text/html"]
    assert headers.values("Missing") == []
    assert list(headers.values()) == ["text/html;q=0.2, text/plain"]
    assert [str(e) for e in headers.elements("accept")] == ["text/plain", "text/html;q=0.2"]


def test_output_strips_control_characters_against_header_injection():
    headers = HeaderMap()
    headers["Location"] = "/next\r\nSet-Cookie: admin=1\x00\x7f\t"
    headers["X-Evil\r\nName"] = "v"
    assert headers.output() == [
        (b"Location", b"/nextSet-Cookie: admin=1"),
        (b"X-EvilName", b"v"),
    ]
    for name, value in headers.output():
        assert b"\r" not in name + value
        assert b"\n" not in name + value


def test_output_encodes_latin1_non_text_and_rfc2047():
    headers = HeaderMap({"X-Latin": "caf\xe9"})
    headers["Content-Length"] = 12  # type: ignore[assignment]
    headers["X-Wide"] = "\u8200 ok"
    out = dict(headers.output())
    assert out[b"X-Latin"] == b"caf\xe9"
    assert out[b"Content-Length"] == b"12"
    assert out[b"X-Wide"] == b"=?utf-8?b?6IiAIG9r?="
    assert decode_TEXT(out[b"X-Wide"].decode("ascii")) == "\u8200 ok"


def test_encode_without_rfc2047_raises():
    class Strict(HeaderMap):
        use_rfc_2047 = False

    with pytest.raises(ValueError, match="Could not encode"):
        Strict.encode("\u8200")
    assert list(HeaderMap.encode_header_items([("A", b"raw\n")])) == [(b"A", b"raw")]


def test_output_honours_subclass_encodings_and_bytes_values():
    class Utf8Headers(HeaderMap):
        encodings = ["utf-8"]

    headers = Utf8Headers({"X-Wide": "\u8200\n"})
    assert headers.output() == [(b"X-Wide", "\u8200".encode())]
    plain = HeaderMap()
    plain["X-Raw"] = b"\xff\r\nok"  # type: ignore[assignment]
    assert plain.output() == [(b"X-Raw", b"\xffok")]


# ----------------------------------------------------------------- header elements


def test_header_element_parse_and_str():
    assert HeaderElement.parse('text/html; Charset="utf-8"; x="a;b"; flag') == (
        "text/html",
        {"charset": "utf-8", "x": "a;b"},
    )
    element = HeaderElement.from_str("form-data; name=file")
    assert element == HeaderElement("form-data", {"name": "file"})
    assert str(element) == "form-data;name=file"
    assert bytes(element) == b"form-data;name=file"
    assert element != HeaderElement("form-data")


def test_accept_elements_sorted_by_quality_then_text():
    elements = header_elements(
        "Accept", "text/html;level=1;q=0.5, text/plain, */*;q=0.1, application/json;q=0.5"
    )
    assert all(isinstance(e, AcceptElement) for e in elements)
    assert [str(e) for e in elements] == [
        "text/plain",
        "text/html;level=1;q=0.5",
        "application/json;q=0.5",
        "*/*;q=0.1",
    ]
    assert [e.qvalue for e in elements] == [1.0, 0.5, 0.5, 0.1]  # type: ignore[attr-defined]


def test_accept_extension_params_follow_q():
    element = AcceptElement.from_str("text/html; q=0.7; ext=1")
    assert element.value == "text/html"
    assert element.params == {"q": "0.7", "ext": "1"}
    assert str(element) == "text/html;q=0.7;ext=1"
    assert element.qvalue == 0.7


@pytest.mark.parametrize("bad", ["x", "nan", "inf"])
def test_invalid_qvalue_is_a_400(bad):
    with pytest.raises(HTTPError) as info:
        header_elements("Accept-Language", f"en;q={bad}, fr")
    assert info.value.status == 400
    assert "Malformed HTTP header" in str(info.value)


def test_te_uses_accept_elements_and_other_headers_sort_by_value():
    assert [e.value for e in header_elements("TE", "trailers;q=0.2, deflate")] == [
        "deflate",
        "trailers",
    ]
    elements = header_elements("Cache-Control", 'no-cache, max-age=0, , b="x,y"')
    assert type(elements[0]) is HeaderElement
    assert [str(e) for e in elements] == ["no-cache", "max-age=0", 'b="x,y"']
    assert header_elements("Accept", None) == []
    assert header_elements("Accept", "") == []


# ------------------------------------------------------------------------ RFC 2047


def test_decode_text_rfc2047():
    assert decode_TEXT("=?utf-8?q?f=C3=BCr?=") == "f\xfcr"
    assert decode_TEXT("=?utf-8?b?6IiA?= x") == "\u8200 x"
    # Whitespace between adjacent encoded words disappears; '_' is a space in Q.
    assert decode_TEXT("=?utf-8?q?a?= =?utf-8?q?_b?=") == "a b"
    assert decode_TEXT("=?no-such-charset?q?x?= y") == "=?no-such-charset?q?x?= y"
    assert decode_TEXT("plain") == "plain"
    assert decode_TEXT_maybe("a =? b") == "a =? b"
    assert decode_TEXT_maybe("=?iso-8859-1?q?caf=E9?=") == "caf\xe9"


# ------------------------------------------------------------------- valid_status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, (200, "OK")),
        ("", (200, "OK")),
        (200, (200, "OK")),
        ("404", (404, "Not Found")),
        ("404 Gone Fishing", (404, "Gone Fishing")),
        ("404  ", (404, "Not Found")),
        (http.HTTPStatus.CREATED, (201, "Created")),
        (555, (555, "")),
    ],
)
def test_valid_status(status, expected):
    code, reason, message = valid_status(status)
    assert (code, reason) == expected
    if code in httputil.response_codes:
        assert message == httputil.response_codes[code][1]
        assert message
    else:
        assert message == ""


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (99, "(99 is out of range)"),
        (600, "(600 is out of range)"),
        ("abc", "('abc' is non-numeric)"),
        ("x 200", "('x' is non-numeric)"),
    ],
)
def test_valid_status_rejects(status, error):
    with pytest.raises(ValueError, match="Illegal response status from server") as info:
        valid_status(status)
    assert error in str(info.value)


def test_response_codes_cover_the_stdlib_table():
    assert httputil.response_codes[404][0] == "Not Found"
    assert httputil.response_codes[500][0] == "Internal Server Error"
    assert set(httputil.response_codes) >= {s.value for s in http.HTTPStatus}


# -------------------------------------------------------------- parse_query_string


def test_parse_query_string_plus_lists_and_blanks():
    assert parse_query_string("a=1&a=2&a=3&b=&c+d=e+f&g&h=%C3%A9") == {
        "a": ["1", "2", "3"],
        "b": "",
        "c d": "e f",
        "g": "",
        "h": "\xe9",
    }
    assert parse_query_string("a=1&b=&c", keep_blank_values=False) == {"a": "1"}
    assert parse_query_string("") == {}
    assert parse_query_string("a=%26%3D") == {"a": "&="}


def test_semicolon_is_not_a_separator_unless_asked():
    assert parse_query_string("a=1;b=2") == {"a": "1;b=2"}
    assert parse_query_string("a=1;b=2&c=3", separators="&;") == {"a": "1", "b": "2", "c": "3"}


def test_parse_query_string_image_map_and_encodings():
    assert parse_query_string("12,34") == {"x": 12, "y": 34}
    # Not an image map unless it is exactly "x,y".
    assert parse_query_string("12,34&a=b") == {"12,34": "", "a": "b"}
    assert parse_query_string("a=%E9", encoding="latin-1") == {"a": "\xe9"}
    with pytest.raises(UnicodeDecodeError):
        parse_query_string("a=%FF")


# ---------------------------------------------------------------------- get_ranges


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-4", [(0, 5)]),
        ("bytes=5-", [(5, 10)]),
        ("bytes=-3", [(7, 10)]),
        ("bytes=-20", [(0, 10)]),
        ("bytes=3-100", [(3, 10)]),
        ("bytes=0-1, 3-4", [(0, 2), (3, 5)]),
        ("bytes=20-30", []),
        ("bytes=20-30,2-3", [(2, 4)]),
        ("bytes=-0", []),
        ("bytes=5-2", None),
        ("bytes=a-2", None),
        ("bytes=1", None),
        ("bytes=-", None),
        ("items=1-2", None),
        ("BYTES=1-2", [(1, 3)]),
    ],
)
def test_get_ranges(header, expected):
    assert get_ranges(header, 10) == expected


def test_get_ranges_of_an_empty_body_are_unsatisfiable():
    assert get_ranges("bytes=0-0", 0) == []
    assert get_ranges("bytes=-5", 0) == []


# ------------------------------------------------------------- dates, urls, hosts


def test_http_date_round_trip():
    assert httputil.HTTPDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    stamp = 1_700_000_000
    assert parse_http_date(httputil.HTTPDate(stamp)) == stamp
    # RFC 850 and asctime forms are accepted on input too.
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777
    assert parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777
    assert parse_http_date("not a date") is None
    assert parse_http_date(None) is None


def test_urljoin_and_protocol():
    assert urljoin("/app/", "/page", "") == "/app/page"
    assert urljoin("", "") == "/"
    assert urljoin() == "/"
    assert urljoin_bytes(b"/a//", b"b") == b"/a/b"
    assert urljoin_bytes() == b"/"
    assert protocol_from_http("HTTP/1.0") == (1, 0)
    assert protocol_from_http("HTTP/1.1") == (1, 1)


def test_host_and_sanitized_host():
    host = Host("10.0.0.1", 8080)
    assert (host.ip, host.port, host.name) == ("10.0.0.1", 8080, "10.0.0.1")
    assert repr(Host("::1", 80, "localhost")) == "httputil.Host('::1', 80, 'localhost')"
    assert host == Host("10.0.0.1", 8080, "10.0.0.1")
    clean = SanitizedHost("example.com")
    assert type(clean) is str
    dirty = SanitizedHost("example.com\r\nX-Injected: 1\x00")
    assert isinstance(dirty, SanitizedHost)
    assert dirty == "example.comX-Injected: 1"
    assert dirty.raw == "example.com\r\nX-Injected: 1\x00"


def test_compat_module_reexports_everything():
    for name in compat.__all__:
        assert getattr(compat, name) is getattr(httputil, name)
    assert set(compat.__all__) == set(httputil.__all__)


def test_remembered_status_follows_edits_of_response_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert valid_status(299) == (299, "", "")
    monkeypatch.setitem(httputil.response_codes, 299, ("Custom", "A made-up success"))
    assert valid_status(299) == (299, "Custom", "A made-up success")
    assert valid_status("299 Mine") == (299, "Mine", "A made-up success")


def test_header_elements_are_fresh_objects_on_each_call() -> None:
    first = header_elements("Content-Type", "text/plain;charset=utf-8")
    first[0].params["charset"] = "latin-1"
    first[0].value = "changed"
    again = header_elements("Content-Type", "text/plain;charset=utf-8")
    assert again == [HeaderElement("text/plain", {"charset": "utf-8"})]
    accept = header_elements("Accept", "text/html;q=0.5, application/json")
    assert [str(e) for e in accept] == ["application/json", "text/html;q=0.5"]
    assert [str(e) for e in header_elements("Accept", "text/html;q=0.5, application/json")] == [
        "application/json",
        "text/html;q=0.5",
    ]
    assert all(isinstance(e, AcceptElement) for e in accept)


def test_http_dates_match_the_standard_formatting() -> None:
    import email.utils

    for moment in (0, 0.5, -0.5, 1_000_000_000.25, 1_790_000_000.75):
        assert httputil.HTTPDate(moment) == email.utils.formatdate(moment, usegmt=True)
