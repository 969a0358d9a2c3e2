"""tools.auth_digest: MD5, MD5-sess and SHA-256 responses, nonces, replays, helpers."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.request import parse_http_list, parse_keqv_list

import pytest

import cherrypit
from cherrypit import ConfigError
from cherrypit.lib import auth_digest

USERS = {"alice": "wonderland", "☃user": "пароль"}
REALM = "harness"
KEY = "a565c27146791cfb"


def h(algorithm: str, text: str) -> str:
    fn = hashlib.sha256 if algorithm.startswith("SHA-256") else hashlib.md5
    return fn(text.encode("utf-8")).hexdigest()


def challenges(r) -> list[dict[str, str]]:
    out = []
    for value in r.header_values("WWW-Authenticate"):
        scheme, _, rest = value.partition(" ")
        assert scheme == "Digest"
        out.append(parse_keqv_list(parse_http_list(rest)))
    return out


def authorization(
    challenge: dict[str, str],
    user: str,
    password: str,
    uri: str,
    method: str = "GET",
    nc: int = 1,
    cnonce: str = "0a4f113b",
    algorithm: str | None = None,
    qop: str | None = "auth",
    realm: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    algorithm = algorithm or challenge["algorithm"]
    realm = challenge["realm"] if realm is None else realm
    nonce = challenge["nonce"] if nonce is None else nonce
    ha1 = h(algorithm, f"{user}:{realm}:{password}")
    if algorithm.endswith("-sess"):
        ha1 = h(algorithm, f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(algorithm, f"{method}:{uri}")
    count = f"{nc:08x}"
    if qop:
        response = h(algorithm, f"{ha1}:{nonce}:{count}:{cnonce}:{qop}:{ha2}")
        extra = f', qop={qop}, nc={count}, cnonce="{cnonce}"'
    else:
        response = h(algorithm, f"{ha1}:{nonce}:{ha2}")
        extra = ""
    header = (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'algorithm={algorithm}, response="{response}"{extra}'
    )
    # Header values travel as ISO-8859-1 text; UTF-8 user names arrive as its bytes.
    return {"Authorization": header.encode("utf-8").decode("latin-1")}


class Root:
    @cherrypit.expose
    def index(self, q=None):
        return f"hello {cherrypit.request.login} q={q}"

    @cherrypit.expose
    def café(self, **params):
        return f"café {cherrypit.request.login} {sorted(params.items())}"

    @cherrypit.expose
    def moved(self):
        raise cherrypit.InternalRedirect("/")


def config(**extra):
    settings = {
        "tools.auth_digest.on": True,
        "tools.auth_digest.realm": REALM,
        "tools.auth_digest.get_ha1": auth_digest.get_ha1_dict_plain(USERS),
        "tools.auth_digest.key": KEY,
        "tools.auth_digest.accept_charset": "UTF-8",
    }
    settings.update({f"tools.auth_digest.{k}": v for k, v in extra.items()})
    return {"/": settings}


@pytest.fixture
def client(mount):
    return mount(Root(), config())


def first_challenge(client, path="/"):
    r = client.get(path)
    assert r.status == 401
    return challenges(r)[0]


def test_challenge_is_cherrypy_shaped(client):
    r = client.get("/")
    assert r.status == 401
    (only,) = challenges(r)
    assert only["realm"] == REALM
    assert only["algorithm"] == "MD5"
    assert only["qop"] == "auth"
    assert only["charset"] == "UTF-8"
    assert "stale" not in only
    value = r.header("WWW-Authenticate")
    assert value.startswith(f'Digest realm="{REALM}", nonce="')
    assert value.endswith('algorithm="MD5", qop="auth", charset="UTF-8"')


def test_nonces_are_unique_and_signed(client):
    one, two = first_challenge(client)["nonce"], first_challenge(client)["nonce"]
    assert one != two
    timestamp, salt, mac = one.split(":")
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(KEY.encode(), f"{timestamp}:{salt}:{REALM}".encode(), hashlib.sha256)
    assert mac == expected.hexdigest()[:32]


@pytest.mark.parametrize("algorithm", ["MD5", "MD5-sess"])
def test_valid_response_logs_in(client, algorithm):
    challenge = first_challenge(client)
    headers = authorization(challenge, "alice", "wonderland", "/?q=2", algorithm=algorithm)
    r = client.get("/?q=2", headers=headers)
    assert (r.status, r.text) == (200, "hello alice q=2")


def test_unicode_user(client):
    challenge = first_challenge(client)
    r = client.get("/", headers=authorization(challenge, "☃user", "пароль", "/"))
    assert (r.status, r.text) == (200, "hello ☃user q=None")


@pytest.mark.parametrize(
    ("user", "password", "overrides"),
    [
        ("alice", "wrong", {}),
        ("mallory", "x", {}),
        ("alice", "wonderland", {"realm": "other realm"}),
        ("alice", "wonderland", {"nonce": "1:2:3"}),
        ("alice", "wonderland", {"nonce": "forged"}),
        ("alice", "wonderland", {"qop": None}),
    ],
)
def test_bad_responses_get_a_new_challenge(client, user, password, overrides):
    challenge = first_challenge(client)
    r = client.get("/", headers=authorization(challenge, user, password, "/", **overrides))
    assert r.status == 401
    assert "stale" not in challenges(r)[0]


def test_post_binds_the_method(client):
    challenge = first_challenge(client)
    good = authorization(challenge, "alice", "wonderland", "/", method="POST")
    assert client.post("/", headers=good, body=b"").status == 200
    wrong_method = authorization(challenge, "alice", "wonderland", "/", method="GET", nc=2)
    assert client.post("/", headers=wrong_method, body=b"").status == 401


def test_replayed_nonce_count_is_refused_as_stale(client):
    challenge = first_challenge(client)
    headers = authorization(challenge, "alice", "wonderland", "/")
    assert client.get("/", headers=headers).status == 200
    replay = client.get("/", headers=headers)
    assert replay.status == 401
    assert challenges(replay)[0]["stale"] == "true"
    # The next count on the same nonce is fine, and cannot be replayed either.
    follow = authorization(challenge, "alice", "wonderland", "/", nc=2)
    assert client.get("/", headers=follow).status == 200
    assert client.get("/", headers=follow).status == 401


def test_counts_are_per_user_and_tolerate_reordering(client):
    challenge = first_challenge(client)
    for nc in (3, 1, 2):
        headers = authorization(challenge, "alice", "wonderland", "/", nc=nc)
        assert client.get("/", headers=headers).status == 200, nc
    other = authorization(challenge, "☃user", "пароль", "/", nc=1)
    assert client.get("/", headers=other).status == 200


def test_nonce_counter_window_and_capacity():
    counter = auth_digest.NonceCounter(capacity=2, window=4)
    now = int(time.time())
    a, b, c = (f"{now - 10 + i}:s:m" for i in range(3))
    assert counter.accept(a, "u", 5)
    assert not counter.accept(a, "u", 5)  # replay
    assert counter.accept(a, "u", 3)  # late but inside the window
    assert not counter.accept(a, "u", 1)  # below the window: cannot tell, refuse
    assert counter.accept(b, "u", 1)
    assert counter.accept(c, "u", 1)  # evicts a: nonces up to a's time are now stale
    assert len(counter) == 2
    assert not counter.accept(a, "u", 9)
    assert counter.accept(c, "u", 2)
    assert not counter.accept("not-a-nonce", "u", 1)
    counter.clear()
    assert not counter.accept(c, "u", 3)  # cleared: older nonces may not come back


def test_stale_nonce_gets_stale_challenge(client):
    old = auth_digest.synthesize_nonce(REALM, KEY, timestamp=int(time.time()) - 3600)
    challenge = {"realm": REALM, "nonce": old, "algorithm": "MD5"}
    r = client.get("/", headers=authorization(challenge, "alice", "wonderland", "/"))
    assert r.status == 401
    assert challenges(r)[0]["stale"] == "true"


@pytest.mark.parametrize(
    "header",
    [
        "Digest garbage",
        'Digest username="a", realm="r"',
        'Digest username="a", realm="r", nonce="n", uri="/", response="x", algorithm=SHA-1',
        'Digest username="a", realm="r", nonce="n", uri="/", response="x", qop=auth',
        'Digest username="a", realm="r", nonce="n", uri="/", response="x", qop=auth, '
        'nc=zz, cnonce="c"',
        'Digest username="a", realm="r", nonce="n", uri="/", response="x", nc=00000001',
    ],
)
def test_malformed_authorization_is_400(client, header):
    r = client.get("/", headers={"Authorization": header})
    assert r.status == 400
    assert "could not be parsed" in r.text


def test_basic_credentials_get_a_digest_challenge(client):
    r = client.get("/", headers={"Authorization": "Basic YWxpY2U6d29uZGVybGFuZA=="})
    assert r.status == 401
    assert challenges(r)[0]["algorithm"] == "MD5"


def test_sha256_offered_first_and_md5_second(mount):
    client = mount(Root(), config(algorithms=["SHA-256", "MD5"]))
    r = client.get("/")
    offered = challenges(r)
    assert [c["algorithm"] for c in offered] == ["SHA-256", "MD5"]
    assert offered[0]["nonce"] == offered[1]["nonce"]
    for algorithm, nc in (("SHA-256", 1), ("SHA-256-sess", 2), ("MD5", 3)):
        headers = authorization(offered[0], "alice", "wonderland", "/", algorithm=algorithm, nc=nc)
        assert client.get("/", headers=headers).status == 200, algorithm


def test_sha256_refused_unless_offered(client):
    challenge = first_challenge(client)
    headers = authorization(challenge, "alice", "wonderland", "/", algorithm="SHA-256")
    assert client.get("/", headers=headers).status == 401


def test_sha256_with_ha1_dicts(mount):
    md5_store = {"alice": h("MD5", f"alice:{REALM}:wonderland")}
    sha_store = {"alice": h("SHA-256", f"alice:{REALM}:wonderland")}

    def get_ha1(realm, username, algorithm="MD5"):
        source = sha_store if algorithm == "SHA-256" else md5_store
        return auth_digest.get_ha1_dict(source, algorithm)(realm, username, algorithm)

    client = mount(Root(), config(algorithms=("SHA-256", "MD5"), get_ha1=get_ha1))
    challenge = first_challenge(client)
    for algorithm, nc in (("SHA-256", 1), ("MD5", 2)):
        headers = authorization(challenge, "alice", "wonderland", "/", algorithm=algorithm, nc=nc)
        assert client.get("/", headers=headers).status == 200


def test_config_errors_are_reported_at_mount(mount):
    def two_args(realm, username):
        return None

    with pytest.raises(ConfigError, match="must accept an 'algorithm' keyword"):
        mount(Root(), config(algorithms=["SHA-256"], get_ha1=two_args))
    with pytest.raises(ConfigError, match=r"^\[/\] .*'SHA-1' is not 'MD5' or 'SHA-256'"):
        mount(Root(), config(algorithms=["SHA-1"]))


def test_require_qop_false_accepts_rfc2069(mount):
    client = mount(Root(), config(require_qop=False))
    challenge = first_challenge(client)
    headers = authorization(challenge, "alice", "wonderland", "/", qop=None)
    assert client.get("/", headers=headers).status == 200


def test_helpers(tmp_path):
    plain = auth_digest.get_ha1_dict_plain({"alice": "pw", "empty": ""})
    assert plain("r", "alice") == auth_digest.H("alice:r:pw")
    assert plain("r", "alice", algorithm="SHA-256") == h("SHA-256", "alice:r:pw")
    assert plain("r", "empty") is None
    assert plain("r", "nobody") is None

    ha1s = auth_digest.get_ha1_dict({"alice": "abc"})
    assert ha1s("r", "alice") == "abc"
    assert ha1s("r", "alice", algorithm="SHA-256") is None

    htdigest = tmp_path / "htdigest"
    line = f"alice:wonderland:{auth_digest.md5_hex('alice:wonderland:4x5istwelve')}\n"
    htdigest.write_text("bob:wonderland:0123\n" + line, encoding="utf-8")
    from_file = auth_digest.get_ha1_file_htdigest(str(htdigest))
    assert from_file("wonderland", "alice") == "3238cdfe91a8b2ed8e39646921a02d4c"
    assert from_file("elsewhere", "alice") is None
    assert from_file("wonderland", "alice", algorithm="SHA-256") is None

    assert auth_digest.H("abc") == hashlib.md5(b"abc").hexdigest()
    with pytest.raises(ValueError):
        auth_digest.www_authenticate("r", "k", qop="bogus")
    with pytest.raises(ValueError):
        auth_digest.www_authenticate("r", "k", algorithm="SHA-1")
    stale = auth_digest.www_authenticate("r", "k", nonce="n", stale=True, accept_charset="latin1")
    expected = 'Digest realm="r", nonce="n", algorithm="MD5", qop="auth", stale="true"'
    assert stale == expected + ', charset="LATIN1"'


def test_authorization_object_api():
    nonce = auth_digest.synthesize_nonce("r", "k")
    header = (
        f'Digest username="u", realm="r", nonce="{nonce}", uri="/x", response="0", '
        'qop=auth, nc=0000000a, cnonce="c"'
    )
    auth = auth_digest.HttpDigestAuthorization(header, "GET")
    assert auth.matches(header) and not auth.matches("Basic x")
    assert auth.nonce_count == 10
    assert auth.validate_nonce("r", "k")
    assert not auth.validate_nonce("r", "other key")
    assert not auth.validate_nonce("other realm", "k")
    assert not auth.is_nonce_stale(600)
    assert "authorization : Digest" in str(auth)
    ha1 = auth_digest.H("u:r:p")
    expected = auth_digest.H(f"{ha1}:{nonce}:0000000a:c:auth:{auth_digest.H('GET:/x')}")
    assert auth.request_digest(ha1) == expected
    with pytest.raises(ValueError, match='not "Digest"'):
        auth_digest.HttpDigestAuthorization("Basic abc", "GET")


def test_uri_must_be_the_requested_one(client):
    challenge = first_challenge(client)
    other = authorization(challenge, "alice", "wonderland", "/caf%C3%A9")
    r = client.get("/", headers=other)
    assert r.status == 400
    assert "uri does not match" in r.text
    other_query = authorization(challenge, "alice", "wonderland", "/?q=1", nc=2)
    assert client.get("/?q=2", headers=other_query).status == 400


@pytest.mark.parametrize(
    "uri",
    [
        "/caf%C3%A9?a=%2F%40&b=%f0%9f%99%88",
        "http://127.0.0.1:8080/caf%C3%A9?a=%2F%40&b=%f0%9f%99%88",
    ],
)
def test_encoded_uris_match(client, uri):
    challenge = first_challenge(client)
    r = client.get(
        "/caf%C3%A9?a=%2F%40&b=%f0%9f%99%88",
        headers=authorization(challenge, "alice", "wonderland", uri),
    )
    assert r.status == 200
    assert r.text == "café alice [('a', '/@'), ('b', '🙈')]"


def test_internal_redirects_keep_the_signed_uri(client):
    challenge = first_challenge(client)
    r = client.get("/moved", headers=authorization(challenge, "alice", "wonderland", "/moved"))
    assert (r.status, r.text) == (200, "hello alice q=None")


def _with_param(headers: dict[str, str], name: str, value: str) -> dict[str, str]:
    """``headers`` with the quoted Digest parameter ``name`` replaced by ``value``."""
    header = headers["Authorization"]
    start = header.index(f'{name}="') + len(name) + 2
    stop = header.index('"', start)
    return {"Authorization": header[:start] + value + header[stop:]}


@pytest.mark.parametrize("user", ["alice", "mallory"])
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("response", "é" * 32),
        ("response", "☃"),
        ("nonce", "1:2:é"),
        ("nonce", "☃"),
    ],
)
def test_non_ascii_nonce_or_response_gets_a_new_challenge(client, error_log, user, name, value):
    challenge = first_challenge(client)
    headers = authorization(challenge, user, "wonderland", "/")
    # Header values travel as ISO-8859-1 text: a client's UTF-8 arrives as its bytes.
    for text in (value, value.encode("utf-8").decode("latin-1")):
        r = client.get("/", headers=_with_param(headers, name, text))
        assert r.status == 401
        assert challenges(r)[0]["realm"] == REALM
    assert "Traceback" not in error_log.text()


def test_non_ascii_mac_in_a_well_formed_nonce_is_refused(client, error_log):
    challenge = first_challenge(client)
    timestamp, salt, mac = challenge["nonce"].split(":")
    forged = f"{timestamp}:{salt}:{mac[:-1]}é"
    r = client.get("/", headers=authorization(challenge, "alice", "wonderland", "/", nonce=forged))
    assert r.status == 401
    assert "Traceback" not in error_log.text()
