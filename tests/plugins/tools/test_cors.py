"""tools.cors: preflights, simple requests, credentials, errors, configuration checks."""

from __future__ import annotations

import pytest

import cherrypit
from cherrypit import ConfigError
from cherrypit.lib import auth_basic

SITE = "https://app.example"


class Api:
    @cherrypit.expose
    def index(self):
        return "data"

    @cherrypit.expose
    def fail(self):
        raise cherrypit.HTTPError(409, "conflict")

    @cherrypit.expose
    def crash(self):
        raise RuntimeError("boom")


def cors(**settings):
    conf = {"tools.cors.on": True}
    conf.update({f"tools.cors.{k}": v for k, v in settings.items()})
    return conf


@pytest.fixture
def client(mount):
    return mount(
        Api(),
        {
            "/": cors(
                allowed_origins=[SITE, "http://localhost:3000"],
                allowed_methods=["GET", "PUT", "DELETE"],
                allowed_headers=["X-Token", "Content-Type"],
                expose_headers=["X-Total"],
                allow_credentials=True,
                max_age=600,
                **{"debug": True},
            ),
        },
    )


def preflight(client, origin=SITE, method="PUT", headers=None, path="/"):
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=request_headers)


def test_preflight_allowed(client):
    r = preflight(client, headers="x-token, content-type")
    assert r.status == 204
    assert r.body == b""
    assert r.header("Access-Control-Allow-Origin") == SITE
    assert r.header("Access-Control-Allow-Methods") == "GET, PUT, DELETE"
    assert r.header("Access-Control-Allow-Headers") == "X-Token, Content-Type"
    assert r.header("Access-Control-Allow-Credentials") == "true"
    assert r.header("Access-Control-Max-Age") == "600"
    assert "Origin" in r.header("Vary", "")
    assert r.header("Content-Length") is None


@pytest.mark.parametrize(
    ("origin", "method", "headers", "reason"),
    [
        ("https://evil.example", "PUT", None, "origin"),
        ("https://APP.example.evil", "PUT", None, "origin"),
        (SITE, "PATCH", None, "method"),
        (SITE, "PUT", "X-Other", "headers X-Other"),
    ],
)
def test_preflight_refused(client, origin, method, headers, reason):
    r = preflight(client, origin, method, headers)
    assert r.status == 403
    assert reason in r.text
    assert r.header("Access-Control-Allow-Origin") is None


def test_origin_match_is_exact_but_case_insensitive(client):
    assert preflight(client, origin="HTTPS://APP.EXAMPLE").status == 204
    assert preflight(client, origin=SITE + "/").status == 403
    assert preflight(client, origin="https://app.example:443").status == 403


def test_safelisted_headers_need_no_listing(mount):
    client = mount(Api(), {"/": cors(allowed_origins=[SITE])})
    r = preflight(client, method="POST", headers="Accept, Content-Language")
    assert r.status == 204
    assert r.header("Access-Control-Allow-Headers") == "Accept, Content-Language"
    assert r.header("Access-Control-Max-Age") is None


def test_actual_request_gets_cors_headers(client):
    r = client.get("/", headers={"Origin": SITE})
    assert (r.status, r.text) == (200, "data")
    assert r.header("Access-Control-Allow-Origin") == SITE
    assert r.header("Access-Control-Allow-Credentials") == "true"
    assert r.header("Access-Control-Expose-Headers") == "X-Total"
    assert r.header("Vary") == "Origin"


def test_disallowed_origin_gets_no_cors_headers(client):
    r = client.get("/", headers={"Origin": "https://evil.example"})
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") is None
    assert r.header("Vary") == "Origin"


def test_same_origin_requests_are_untouched(client):
    r = client.get("/")
    assert r.header("Access-Control-Allow-Origin") is None


@pytest.mark.parametrize(("path", "status"), [("/fail", 409), ("/crash", 500), ("/nope", 404)])
def test_error_responses_keep_cors_headers(client, path, status):
    r = client.get(path, headers={"Origin": SITE})
    assert r.status == status
    assert r.header("Access-Control-Allow-Origin") == SITE
    assert "Origin" in r.header("Vary", "")


def test_wildcard_origin(mount):
    client = mount(Api(), {"/": cors(allowed_origins="*", allowed_headers="*")})
    r = client.get("/", headers={"Origin": "https://anyone.example"})
    assert r.header("Access-Control-Allow-Origin") == "*"
    assert r.header("Vary") is None
    r = preflight(client, origin="null", method="GET", headers="X-Anything")
    assert (r.status, r.header("Access-Control-Allow-Origin")) == (204, "*")
    assert r.header("Access-Control-Allow-Headers") == "X-Anything"


def test_preflight_ends_before_authentication(mount):
    client = mount(
        Api(),
        {
            "/": {
                **cors(allowed_origins=[SITE], allowed_methods="GET, PUT"),
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "api",
                "tools.auth_basic.checkpassword": auth_basic.checkpassword_dict({}),
            }
        },
    )
    assert preflight(client).status == 204
    r = client.get("/", headers={"Origin": SITE})
    assert r.status == 401
    assert r.header("Access-Control-Allow-Origin") == SITE


def test_plain_options_requests_reach_the_handler(client):
    r = client.options("/", headers={"Origin": SITE})
    assert (r.status, r.text) == (200, "data")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"allowed_origins": "*", "allow_credentials": True}, "allow_credentials"),
        ({"allowed_origins": [SITE], "max_age": -1}, "max_age"),
        ({"allowed_origins": [SITE], "origins": [SITE]}, "unexpected keyword"),
    ],
)
def test_configuration_errors(mount, settings, message):
    # Refused when mounted, naming the section and the tool.
    with pytest.raises(ConfigError, match=r"^\[/\] tools\.cors[.:]") as caught:
        mount(Api(), {"/": cors(**settings)})
    assert message in str(caught.value)


def test_registered_and_decorator(mount):
    tool = cherrypit.tools.cors
    attachments = tool._attachments({"allowed_origins": [SITE]})
    assert [(point, priority) for point, _, priority, _ in attachments] == [
        ("on_start_resource", 5),
        ("before_finalize", 50),
        ("after_error_response", 50),
    ]

    class App:
        @cherrypit.expose
        @cherrypit.tools.cors(allowed_origins=[SITE])
        def index(self):
            return "x"

    client = mount(App())
    assert client.get("/", headers={"Origin": SITE}).header("Access-Control-Allow-Origin") == SITE
