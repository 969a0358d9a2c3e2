"""tools.secure_headers: HSTS on https only, CSP, nosniff, frame options, referrer policy."""

from __future__ import annotations

import pytest

import cherrypit
from cherrypit import ConfigError
from cherrypit.testing import Client


class Root:
    @cherrypit.expose
    def index(self):
        return "page"

    @cherrypit.expose
    def framed(self):
        cherrypit.response.headers["X-Frame-Options"] = "DENY"
        cherrypit.response.headers["Content-Security-Policy"] = "default-src 'none'"
        return "own policy"

    @cherrypit.expose
    def missing(self):
        raise cherrypit.NotFound()

    @cherrypit.expose
    def crash(self):
        raise RuntimeError("boom")

    @cherrypit.expose
    def elsewhere(self):
        raise cherrypit.HTTPRedirect("/")

    @cherrypit.expose
    def streamed(self):
        cherrypit.response.stream = True
        return iter(["a", "b"])


@pytest.fixture
def client(mount):
    return mount(
        Root(),
        {
            "/": {
                "tools.secure_headers.on": True,
                "tools.secure_headers.csp": "default-src 'self'",
            }
        },
    )


def test_defaults_over_http(client):
    r = client.get("/")
    assert r.status == 200
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert r.header("X-Frame-Options") == "SAMEORIGIN"
    assert r.header("Referrer-Policy") == "strict-origin-when-cross-origin"
    assert r.header("Content-Security-Policy") == "default-src 'self'"
    assert r.header("Strict-Transport-Security") is None  # browsers ignore it over http


def test_hsts_over_https(client):
    r = Client(scheme="https").get("/")
    assert r.header("Strict-Transport-Security") == "max-age=31536000"


def test_hsts_behind_a_trusted_proxy(mount):
    client = mount(
        Root(),
        {"/": {"tools.secure_headers.on": True, "tools.proxy.on": True}},
    )
    r = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert r.header("Strict-Transport-Security") == "max-age=31536000"


def test_hsts_options(mount):
    mount(
        Root(),
        {
            "/": {
                "tools.secure_headers.on": True,
                "tools.secure_headers.hsts_max_age": 63072000,
                "tools.secure_headers.include_subdomains": True,
                "tools.secure_headers.preload": True,
            }
        },
    )
    r = Client(scheme="https").get("/")
    assert r.header("Strict-Transport-Security") == ("max-age=63072000; includeSubDomains; preload")


def test_headers_can_be_switched_off(mount):
    client = mount(
        Root(),
        {
            "/": {
                "tools.secure_headers.on": True,
                "tools.secure_headers.hsts_max_age": 0,
                "tools.secure_headers.nosniff": False,
                "tools.secure_headers.frame_options": None,
                "tools.secure_headers.referrer_policy": None,
            }
        },
    )
    r = Client(scheme="https").get("/")
    names = {name.lower() for name, _ in r.header_list}
    assert not names & {
        "strict-transport-security",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "content-security-policy",
    }
    assert client.get("/").status == 200


def test_handler_values_win(client):
    r = client.get("/framed")
    assert r.header("X-Frame-Options") == "DENY"
    assert r.header("Content-Security-Policy") == "default-src 'none'"
    assert r.header("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize(
    ("path", "status"), [("/missing", 404), ("/crash", 500), ("/elsewhere", 303)]
)
def test_errors_and_redirects_carry_them(client, path, status):
    r = Client(scheme="https").get(path)
    assert r.status == status
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert r.header("Strict-Transport-Security") == "max-age=31536000"


def test_per_path(mount):
    client = mount(
        Root(),
        {"/": {"tools.secure_headers.on": True}, "/framed": {"tools.secure_headers.on": False}},
    )
    assert client.get("/").header("X-Frame-Options") == "SAMEORIGIN"
    assert client.get("/framed").header("Referrer-Policy") is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"frame_options": "ALLOW-FROM x"}, "frame_options"),
        ({"preload": True}, "preload needs include_subdomains"),
        ({"preload": True, "hsts_max_age": 0}, "preload needs hsts_max_age"),
        ({"hsts_max_age": -5}, "hsts_max_age must be"),
        ({"hsts": 1}, "unexpected keyword"),
    ],
)
def test_configuration_errors(mount, settings, message):
    conf = {"tools.secure_headers.on": True}
    conf.update({f"tools.secure_headers.{k}": v for k, v in settings.items()})
    # Refused when mounted, naming the section and the tool.
    with pytest.raises(ConfigError, match=r"^\[/\] tools\.secure_headers[.:]") as caught:
        mount(Root(), {"/": conf})
    assert message in str(caught.value)


def test_streamed_responses_get_them(client):
    r = client.get("/streamed")
    assert (r.status, r.body) == (200, b"ab")
    assert r.header("X-Content-Type-Options") == "nosniff"
