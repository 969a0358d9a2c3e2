"""Tools that vet the request: allow, accept, referer, ignore_headers, proxy."""

from __future__ import annotations

import pytest

import cherrypit
from cherrypit.testing import Client


class Root:
    @cherrypit.expose
    def index(self):
        return "index"

    @cherrypit.expose
    @cherrypit.tools.allow(methods=["post", "PUT"])
    def write(self):
        return cherrypit.request.method

    @cherrypit.expose
    @cherrypit.tools.allow(methods="GET")
    def read(self):
        return "read"

    @cherrypit.expose
    @cherrypit.tools.accept(media=["text/html", "application/json"])
    def negotiated(self):
        return "ok"

    @cherrypit.expose
    @cherrypit.tools.referer(pattern=r"https?://example\.org/")
    def from_site(self):
        return "welcome"

    @cherrypit.expose
    @cherrypit.tools.referer(
        pattern=r".*evil", accept=False, accept_missing=True, error=400, message="No thanks."
    )
    def not_evil(self):
        return "fine"

    @cherrypit.expose
    @cherrypit.tools.ignore_headers(headers=("Range", "X-Secret"))
    def ignoring(self):
        h = cherrypit.request.headers
        return f"{h.get('Range')}|{h.get('X-Secret')}|{h.get('X-Other')}"

    @cherrypit.expose
    def where(self):
        r = cherrypit.request
        return f"{r.base}|{r.remote.ip}|{cherrypit.url('/x')}"


# ------------------------------------------------------------------------ allow


def test_allow_default_methods(mount):
    client = mount(Root(), {"/": {"tools.allow.on": True}})
    r = client.get("/")
    assert r.status == 200
    assert r.header("Allow") == "GET, HEAD"
    r = client.post("/", body="")
    assert r.status == 405
    assert r.header("Allow") == "GET, HEAD"


def test_allow_listed_methods_case_insensitive(mount):
    client = mount(Root())
    assert client.post("/write", body="").text == "POST"
    assert client.put("/write", body="").text == "PUT"
    r = client.get("/write")
    assert r.status == 405
    assert r.header("Allow") == "POST, PUT"


def test_allow_get_implies_head(mount):
    client = mount(Root())
    assert client.head("/read").status == 200
    r = client.delete("/read")
    assert r.status == 405
    assert r.header("Allow") == "GET, HEAD"


# ----------------------------------------------------------------------- accept


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (None, 200),
        ("text/html", 200),
        ("application/*", 200),
        ("*/*;q=0.1", 200),
        ("image/png", 406),
        ("text/html;q=0, image/*", 406),
    ],
)
def test_accept(mount, accept, status):
    headers = {"Accept": accept} if accept else {}
    r = mount(Root()).get("/negotiated", headers=headers)
    assert r.status == status
    if status == 406:
        assert f"Your client sent this Accept header: {accept}." in r.text
        assert (
            "But this resource only emits these media types: text/html, application/json." in r.text
        )


def test_accept_function_returns_the_choice(mount):
    from cherrypit.lib import cptools

    class Chooser:
        @cherrypit.expose
        def index(self):
            return cptools.accept(["text/plain", "application/json"]) or "none"

    client = mount(Chooser())
    assert client.get("/", headers={"Accept": "application/json, text/plain;q=0.5"}).text == (
        "application/json"
    )
    assert client.get("/", headers={"Accept": "text/*"}).text == "text/plain"
    assert client.get("/").text == "text/plain"


# ---------------------------------------------------------------------- referer


def test_referer_must_match(mount):
    client = mount(Root())
    assert client.get("/from_site", headers={"Referer": "https://example.org/page"}).status == 200
    r = client.get("/from_site", headers={"Referer": "https://evil.example/"})
    assert r.status == 403
    assert "Forbidden Referer header." in r.text
    assert client.get("/from_site").status == 403


def test_referer_must_not_match(mount):
    client = mount(Root())
    assert client.get("/not_evil").text == "fine"
    assert client.get("/not_evil", headers={"Referer": "http://good/"}).text == "fine"
    r = client.get("/not_evil", headers={"Referer": "http://very-evil/"})
    assert r.status == 400
    assert "No thanks." in r.text


# --------------------------------------------------------------- ignore_headers


def test_ignore_headers(mount):
    client = mount(Root(), {"/": {"tools.ignore_headers.on": True}})
    r = client.get("/ignoring", headers={"Range": "bytes=0-1", "X-Secret": "s", "X-Other": "o"})
    assert r.text == "None|None|o"


def test_ignore_headers_default_is_range(mount):
    class Ranged:
        @cherrypit.expose
        def index(self):
            return repr(cherrypit.request.headers.get("Range"))

    client = mount(Ranged(), {"/": {"tools.ignore_headers.on": True}})
    assert client.get("/", headers={"Range": "bytes=0-1"}).text == "None"


# ------------------------------------------------------------------------ proxy


def test_proxy_rewrites_base_and_remote(mount):
    # 10.0.0.1 is a second proxy we trust, so the client is the address before it.
    conf = {"tools.proxy.on": True, "tools.proxy.trusted": ["127.0.0.1", "10.0.0.1"]}
    client = mount(Root(), {"/": conf})
    r = client.get(
        "/where",
        headers={
            "X-Forwarded-Host": "public.example, inner",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.9, 10.0.0.1",
        },
    )
    assert r.text == "https://public.example|203.0.113.9|https://public.example/x"


def test_proxy_without_headers_keeps_host(mount):
    client = mount(Root(), {"/": {"tools.proxy.on": True}})
    assert client.get("/where").text == "http://127.0.0.1:8080|127.0.0.1|http://127.0.0.1:8080/x"


def test_proxy_fixed_base_and_ssl_flag(mount):
    client = mount(
        Root(),
        {
            "/": {
                "tools.proxy.on": True,
                "tools.proxy.base": "www.example.com",
                "tools.proxy.local": "",
                "tools.proxy.scheme": "X-Forwarded-Ssl",
                "tools.proxy.remote": "X-Real-Ip",
            }
        },
    )
    r = client.get(
        "/where",
        headers={
            "X-Forwarded-Ssl": "on",
            "X-Forwarded-Host": "ignored",
            "X-Real-Ip": "198.51.100.7",
        },
    )
    assert r.text == "https://www.example.com|198.51.100.7|https://www.example.com/x"


def test_proxy_honours_trusted_proxies(mount):
    config = {"/": {"tools.proxy.on": True, "request.trusted_proxies": ["10.0.0.2"]}}
    mount(Root(), config)
    headers = {"X-Forwarded-Host": "spoofed.example", "X-Forwarded-For": "6.6.6.6"}
    r = Client(remote_addr="192.0.2.1").get("/where", headers=headers)
    assert r.text == "http://127.0.0.1:8080|192.0.2.1|http://127.0.0.1:8080/x"
    r = Client(remote_addr="10.0.0.2").get("/where", headers=headers)
    assert r.text == "http://spoofed.example|6.6.6.6|http://spoofed.example/x"
