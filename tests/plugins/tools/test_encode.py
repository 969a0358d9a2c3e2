"""tools.encode (on by default) and tools.decode."""

from __future__ import annotations

import io

import cherrypit
from cherrypit_tools.encoding import EncodeTool, ResponseEncoder, prepare_iter

TEXT = "Grüße aus Köln, 10€"


class Root:
    @cherrypit.expose
    def index(self):
        return TEXT

    @cherrypit.expose
    def latin(self):
        return "café"

    @cherrypit.expose
    def empty(self):
        return ""

    @cherrypit.expose
    def with_length(self):
        cherrypit.response.headers["Content-Length"] = "3"
        return "é" * 3

    @cherrypit.expose
    def gen(self):
        yield "ca"
        yield "fé"
        yield b"!"

    @cherrypit.expose
    def streamed(self):
        cherrypit.response.stream = True

        def chunks():
            yield "un "
            yield "café"

        return chunks()

    @cherrypit.expose
    def json_str(self):
        cherrypit.response.headers["Content-Type"] = "application/json"
        return '{"a": 1}'

    @cherrypit.expose
    def raw(self):
        cherrypit.response.headers["Content-Type"] = "application/octet-stream"
        return b"\x00\xff"

    @cherrypit.expose
    def declared(self):
        cherrypit.response.headers["Content-Type"] = "text/plain; charset=ISO-8859-1"
        return "café"

    @cherrypit.expose
    def fileobj(self):
        return io.BytesIO(b"file body")

    @cherrypit.expose
    def missing(self):
        raise cherrypit.NotFound()


def test_str_body_gets_utf8_and_charset(mount):
    r = mount(Root()).get("/")
    assert r.status == 200
    assert r.header("Content-Type") == "text/html;charset=utf-8"
    assert r.body == TEXT.encode("utf-8")
    assert r.header("Content-Length") == str(len(TEXT.encode("utf-8")))


def test_empty_body_still_names_charset(mount):
    r = mount(Root()).get("/empty")
    assert (r.status, r.body) == (200, b"")
    assert r.header("Content-Type") == "text/html;charset=utf-8"
    assert r.header("Content-Length") == "0"


def test_handler_content_length_is_recomputed(mount):
    r = mount(Root()).get("/with_length")
    assert r.body == "ééé".encode()
    assert r.header("Content-Length") == "6"


def test_accept_charset_negotiates_latin1(mount):
    r = mount(Root()).get("/latin", headers={"Accept-Charset": "iso-8859-1"})
    assert r.header("Content-Type") == "text/html;charset=iso-8859-1"
    assert r.body == "café".encode("latin-1")


def test_accept_charset_prefers_higher_quality(mount):
    client = mount(Root())
    r = client.get("/latin", headers={"Accept-Charset": "utf-16;q=0.9, utf-8;q=0.5"})
    assert r.header("Content-Type") == "text/html;charset=utf-16"
    assert r.body == "café".encode("utf-16")
    r = client.get("/latin", headers={"Accept-Charset": "*"})
    assert r.header("Content-Type") == "text/html;charset=utf-8"


def test_unencodable_for_every_acceptable_charset_is_406(mount):
    r = mount(Root()).get("/", headers={"Accept-Charset": "iso-8859-1"})
    assert r.status == 406
    assert (
        "Your client sent this Accept-Charset header: iso-8859-1. "
        "We tried these charsets: iso-8859-1." in r.text
    )


def test_iso_8859_1_is_implicitly_acceptable(mount):
    # RFC 2616 14.2: without "*", ISO-8859-1 counts as acceptable unless named.
    r = mount(Root()).get("/latin", headers={"Accept-Charset": "us-ascii"})
    assert r.header("Content-Type") == "text/html;charset=iso-8859-1"
    assert r.body == b"caf\xe9"


def test_configured_encoding_is_forced(mount):
    client = mount(Root(), {"/latin": {"tools.encode.encoding": "ISO-8859-1"}})
    r = client.get("/latin")
    assert r.header("Content-Type") == "text/html;charset=iso-8859-1"
    assert r.body == b"caf\xe9"
    r = client.get("/latin", headers={"Accept-Charset": "utf-8"})
    assert r.status == 406
    assert "We tried these charsets: ." in r.text


def test_default_encoding_setting(mount):
    client = mount(Root(), {"/": {"tools.encode.default_encoding": "iso-8859-1"}})
    r = client.get("/latin")
    assert r.header("Content-Type") == "text/html;charset=iso-8859-1"
    assert r.body == b"caf\xe9"
    # The euro sign does not fit: CherryPy's failmsg, as a 500.
    r = client.get("/")
    assert r.status == 500
    assert "Response body could not be encoded with 'iso-8859-1'." in r.text


def test_generator_body_is_encoded_and_survives_a_failed_attempt(mount):
    client = mount(Root())
    assert client.get("/gen").body == "café!".encode()
    # us-ascii fails on the second chunk; latin-1 must still see all three chunks.
    r = client.get("/gen", headers={"Accept-Charset": "us-ascii, iso-8859-1;q=0.5"})
    assert r.header("Content-Type") == "text/html;charset=iso-8859-1"
    assert r.body == b"caf\xe9!"


def test_streamed_body_is_encoded_lazily(mount):
    r = mount(Root()).get("/streamed", headers={"Accept-Charset": "iso-8859-1"})
    assert r.status == 200
    assert r.header("Content-Type") == "text/html;charset=iso-8859-1"
    assert r.header("Content-Length") is None
    assert r.body == b"un caf\xe9"


def test_str_with_non_text_type_is_a_server_error(mount):
    client = mount(Root())
    assert client.get("/json_str").status == 500
    r = client.get("/raw")
    assert (r.status, r.body) == (200, b"\x00\xff")
    assert r.header("Content-Type") == "application/octet-stream"


def test_text_only_false_encodes_any_type(mount):
    client = mount(Root(), {"/": {"tools.encode.text_only": False}})
    r = client.get("/json_str")
    assert r.header("Content-Type") == "application/json;charset=utf-8"
    assert r.body == b'{"a": 1}'


def test_add_charset_false_leaves_content_type_alone(mount):
    client = mount(Root(), {"/": {"tools.encode.add_charset": False}})
    r = client.get("/raw")
    assert r.header("Content-Type") == "application/octet-stream"
    assert client.get("/latin").status == 500


def test_charset_set_by_the_handler_is_kept(mount):
    client = mount(Root())
    r = client.get("/declared")
    assert r.header("Content-Type") == "text/plain;charset=ISO-8859-1"
    assert r.body == b"caf\xe9"
    # ... unless the client does not accept it: then the usual negotiation runs.
    r = client.get("/declared", headers={"Accept-Charset": "utf-8"})
    assert r.header("Content-Type") == "text/plain;charset=utf-8"
    assert r.body == "café".encode()


def test_file_objects_are_read(mount):
    r = mount(Root()).get("/fileobj")
    assert r.body == b"file body"


def test_error_pages_are_not_touched(mount):
    r = mount(Root()).get("/missing", headers={"Accept-Charset": "iso-8859-1"})
    assert r.status == 404
    assert r.header("Content-Type") == "text/html;charset=utf-8"


def test_encode_off_falls_back_to_kernel_utf8(mount):
    client = mount(Root(), {"/": {"tools.encode.on": False}})
    r = client.get("/latin")
    assert r.header("Content-Type") == "text/html"
    assert r.body == "café".encode()


def test_unknown_setting_is_accepted():
    # CherryPy sets it as an attribute of the encoder; the start-up check warns.
    assert EncodeTool()._attachments({"encodng": "utf-8"})
    points = EncodeTool()._attachments({"priority": 5})
    assert [(p, prio) for p, _, prio, _ in points] == [("before_handler", 5)]


def test_prepare_iter():
    assert prepare_iter("a") == ["a"]
    assert prepare_iter(b"") == []
    assert prepare_iter(None) == []
    assert list(prepare_iter(io.BytesIO(b"xy"))) == [b"xy"]
    gen = iter([b"a"])
    assert prepare_iter(gen) is gen


def test_response_encoder_as_a_custom_tool(mount):
    # CherryPy's documented spelling: the class itself as a before_handler callable.
    cherrypit.tools.my_encode = cherrypit.Tool("before_handler", ResponseEncoder, priority=70)
    client = mount(
        Root(),
        {
            "/": {
                "tools.encode.on": False,
                "tools.my_encode.on": True,
                "tools.my_encode.encoding": "iso-8859-1",
            }
        },
    )
    r = client.get("/latin")
    assert r.header("Content-Type") == "text/html;charset=iso-8859-1"
    assert r.body == b"caf\xe9"


class FormRoot:
    @cherrypit.expose
    def form(self, value=""):
        return f"{value}|{len(value)}"


def test_decode_forced_encoding(mount):
    client = mount(
        FormRoot(), {"/": {"tools.decode.on": True, "tools.decode.encoding": "iso-8859-1"}}
    )
    r = client.post(
        "/form",
        body=b"value=%E9t%E9",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.body == "été|3".encode()


def test_decode_default_encoding_extends_the_attempts(mount):
    client = mount(
        FormRoot(),
        {"/": {"tools.decode.on": True, "tools.decode.default_encoding": ["iso-8859-1"]}},
    )
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # Valid UTF-8 still decodes as UTF-8; invalid UTF-8 falls back to latin-1.
    assert client.post("/form", body=b"value=%C3%A9", headers=form).body == "é|1".encode()
    assert client.post("/form", body=b"value=%E9", headers=form).body == "é|1".encode()


def test_without_decode_undecodable_forms_are_400(mount):
    client = mount(FormRoot())
    r = client.post(
        "/form",
        body=b"value=%E9",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 400
