"""tools.auth_basic: challenges, credentials, malformed headers, password helpers."""

from __future__ import annotations

import base64
import hmac

import pytest

import cherrypit
from cherrypit.lib import auth_basic

USERS = {"alice": "wonderland", "jürgen": "päss"}


def basic(user: str, password: str, charset: str = "utf-8") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode(charset)).decode("ascii")
    return {"Authorization": f"Basic {token}"}


class Root:
    @cherrypit.expose
    def index(self):
        return f"public {cherrypit.request.login!r}"

    @cherrypit.expose
    def secret(self):
        return f"hello {cherrypit.request.login}"

    @cherrypit.expose
    def broken(self):
        raise ValueError("boom")


@pytest.fixture
def client(mount):
    return mount(
        Root(),
        {
            "/secret": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "site",
                "tools.auth_basic.checkpassword": auth_basic.checkpassword_dict(USERS),
            },
            "/broken": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "site",
                "tools.auth_basic.checkpassword": auth_basic.checkpassword_dict(USERS),
            },
        },
    )


def test_public_pages_are_untouched(client):
    r = client.get("/")
    assert (r.status, r.text) == (200, "public None")
    assert r.header("WWW-Authenticate") is None


def test_missing_credentials_get_a_challenge(client):
    r = client.get("/secret")
    assert r.status == 401
    assert r.header("WWW-Authenticate") == 'Basic realm="site", charset="UTF-8"'
    assert "You are not authorized" in r.text


def test_right_credentials_set_request_login(client):
    r = client.get("/secret", headers=basic("alice", "wonderland"))
    assert (r.status, r.text) == (200, "hello alice")


def test_utf8_credentials(client):
    r = client.get("/secret", headers=basic("jürgen", "päss"))
    assert (r.status, r.text) == (200, "hello jürgen")


@pytest.mark.parametrize(
    ("user", "password"), [("alice", "wrong"), ("mallory", "x"), ("alice", ""), ("", "")]
)
def test_wrong_credentials_are_refused(client, user, password):
    r = client.get("/secret", headers=basic(user, password))
    assert r.status == 401
    assert r.header("WWW-Authenticate", "").startswith('Basic realm="site"')


@pytest.mark.parametrize(
    "header",
    ["Basic !!!not-base64", "Basic " + base64.b64encode(b"nocolon").decode(), "Basic", "Basic é"],
)
def test_malformed_headers_are_400(client, header):
    r = client.get("/secret", headers={"Authorization": header})
    assert r.status == 400
    assert "Bad Request" in r.text


def test_other_schemes_get_a_challenge(client):
    r = client.get("/secret", headers={"Authorization": "Bearer abc"})
    assert r.status == 401


def test_scheme_is_case_insensitive(client):
    header = basic("alice", "wonderland")["Authorization"].replace("Basic", "bAsIc")
    assert client.get("/secret", headers={"Authorization": header}).status == 200


def test_runs_before_the_handler_and_its_errors(client):
    assert client.get("/broken").status == 401
    assert client.get("/broken", headers=basic("alice", "wonderland")).status == 500


def test_latin1_fallback_and_latin1_charset(mount):
    client = mount(
        Root(),
        {
            "/secret": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "old",
                "tools.auth_basic.accept_charset": "ISO-8859-1",
                "tools.auth_basic.checkpassword": auth_basic.checkpassword_dict(USERS),
            }
        },
    )
    r = client.get("/secret")
    assert r.header("WWW-Authenticate") == 'Basic realm="old"'
    r = client.get("/secret", headers=basic("jürgen", "päss", "latin-1"))
    assert (r.status, r.text) == (200, "hello jürgen")


def test_decorator_form_and_quote_in_realm(mount):
    class App:
        @cherrypit.expose
        @cherrypit.tools.auth_basic(
            realm='bad"realm', checkpassword=auth_basic.checkpassword_dict(USERS)
        )
        def index(self):
            return "never"

    client = mount(App())
    assert client.get("/", headers=basic("alice", "wonderland")).status == 500


def test_checkpassword_dict_compares_in_constant_time(monkeypatch):
    calls = []
    original = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    check = auth_basic.checkpassword_dict(USERS)
    assert check("r", "alice", "wonderland") is True
    assert check("r", "alice", "wonderlanD") is False
    assert check("r", "nobody", "x") is False  # unknown users cost a comparison too
    assert len(calls) == 3
    assert all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in calls)


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2_sha256"])
def test_hashed_passwords(method):
    hashed = auth_basic.hash_password("s3cret", method=method)
    assert hashed.startswith(method + "$")
    assert "s3cret" not in hashed
    assert hashed != auth_basic.hash_password("s3cret", method=method)  # salted
    assert auth_basic.verify_password("s3cret", hashed)
    assert not auth_basic.verify_password("s3creT", hashed)


@pytest.mark.parametrize("bad", ["", "plain", "scrypt$x$8$1$aa$bb", "md5$abc", "scrypt$1$2"])
def test_malformed_hashes_never_match(bad):
    assert auth_basic.verify_password("anything", bad) is False


def test_unknown_hash_method():
    with pytest.raises(ValueError, match="unknown"):
        auth_basic.hash_password("x", method="md5")


def test_checkpassword_hashed_over_http(mount):
    store = {"alice": auth_basic.hash_password("wonderland")}
    client = mount(
        Root(),
        {
            "/secret": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "site",
                "tools.auth_basic.checkpassword": auth_basic.checkpassword_hashed(store),
            }
        },
    )
    assert client.get("/secret", headers=basic("alice", "wonderland")).text == "hello alice"
    assert client.get("/secret", headers=basic("alice", "nope")).status == 401
    assert client.get("/secret", headers=basic("bob", "wonderland")).status == 401


def test_debug_logs(mount, error_log):
    client = mount(
        Root(),
        {
            "/secret": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.debug": True,
                "tools.auth_basic.realm": "site",
                "tools.auth_basic.checkpassword": auth_basic.checkpassword_dict(USERS),
            }
        },
    )
    client.get("/secret", headers=basic("alice", "wonderland"))
    client.get("/secret")
    assert "Auth succeeded" in error_log.text()
    assert "answering 401" in error_log.text()


def test_checkpassword_errors_are_server_errors(mount, error_log):
    def failing_store(realm, username, password):
        raise ValueError("credential store is corrupt")

    client = mount(
        Root(),
        {
            "/secret": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "site",
                "tools.auth_basic.checkpassword": failing_store,
            }
        },
    )
    r = client.get("/secret", headers=basic("alice", "wonderland"))
    assert r.status == 500
    assert "credential store is corrupt" in error_log.text()
    # A malformed header is still the client's fault, and checkpassword is not called.
    r = client.get("/secret", headers={"Authorization": "Basic !!!not-base64"})
    assert r.status == 400


def test_non_ascii_credentials_are_compared_safely(client, error_log):
    # Header values arrive as ISO-8859-1 text; these bytes are UTF-8 for a snowman.
    r = client.get("/secret", headers=basic("alice", "☃"))
    assert r.status == 401
    r = client.get("/secret", headers=basic("☃", "wonderland"))
    assert r.status == 401
    assert "Traceback" not in error_log.text()
