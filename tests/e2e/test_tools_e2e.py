"""The built-in tools over real sockets (cheroot): gzip, caching, Basic and Digest auth."""

from __future__ import annotations

import base64
import gzip
import http.client
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

import cherrypit
from cherrypit.lib import auth_basic, auth_digest
from cherrypit_tools.cache_store import registry

pytestmark = pytest.mark.e2e

USERS = {"alice": "wonderland"}
TEXT = "Grüße aus Köln. " * 200


class Root:
    def __init__(self) -> None:
        self.calls = 0

    @cherrypit.expose
    def text(self):
        return TEXT

    @cherrypit.expose
    def streamed(self):
        cherrypit.response.stream = True
        return (f"chunk {i}\n" for i in range(200))

    @cherrypit.expose
    def cached(self):
        self.calls += 1
        return f"computed #{self.calls}"

    @cherrypit.expose
    def basic(self):
        return f"basic {cherrypit.request.login}"

    @cherrypit.expose
    def digest(self):
        return f"digest {cherrypit.request.login}"


@pytest.fixture
def server(live_server):
    root = Root()
    cherrypit.tree.mount(
        root,
        "",
        {
            "/": {"tools.gzip.on": True, "tools.gzip.mime_types": ["text/*"]},
            "/cached": {"tools.caching.on": True},
            "/basic": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "e2e",
                "tools.auth_basic.checkpassword": auth_basic.checkpassword_dict(USERS),
            },
            "/digest": {
                "tools.auth_digest.on": True,
                "tools.auth_digest.realm": "e2e-digest",
                "tools.auth_digest.get_ha1": auth_digest.get_ha1_dict_plain(USERS),
                "tools.auth_digest.key": "e2e secret",
            },
        },
    )
    url = urllib.parse.urlsplit(live_server)
    return live_server, (url.hostname, url.port), root


def fetch(address, path, headers=None):
    conn = http.client.HTTPConnection(address[0], address[1], timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_gzip_over_the_wire(server):
    _, address, _ = server
    status, headers, body = fetch(address, "/text", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert int(headers["content-length"]) == len(body) < len(TEXT.encode())
    assert gzip.decompress(body) == TEXT.encode("utf-8")
    status, headers, body = fetch(address, "/text")
    assert "content-encoding" not in headers and body == TEXT.encode("utf-8")

    # A streamed body is compressed on the fly and sent chunked.
    status, headers, body = fetch(address, "/streamed", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "content-length" not in headers  # chunked
    assert gzip.decompress(body).decode() == "".join(f"chunk {i}\n" for i in range(200))


def test_caching_over_the_wire(server):
    _, address, root = server
    assert fetch(address, "/cached")[2] == b"computed #1"
    status, headers, body = fetch(address, "/cached")
    assert (status, body, headers["age"]) == (200, b"computed #1", "0")
    assert root.calls == 1
    # The expiry sweep runs on the engine.
    assert registry.monitor is not None
    assert registry.monitor.thread is not None and registry.monitor.thread.is_alive()


def test_concurrent_clients_compute_once(server):
    _, address, root = server
    bodies: list[bytes] = []
    lock = threading.Lock()

    def one() -> None:
        body = fetch(address, "/cached")[2]
        with lock:
            bodies.append(body)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(bodies) == 8
    # However the requests interleave, the stampede guard lets only one compute
    # while the others wait; at most a late first-timer computes again.
    assert set(bodies) <= {b"computed #1", b"computed #2"}
    assert root.calls <= 2


def test_basic_auth_with_urllib(server):
    base, _, _ = server
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, base, "alice", "wonderland")
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(manager))
    with opener.open(base + "/basic", timeout=10) as response:
        assert response.read() == b"basic alice"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(base + "/basic", timeout=10)
    with info.value as refusal:
        assert refusal.code == 401
        assert refusal.headers["WWW-Authenticate"] == 'Basic realm="e2e", charset="UTF-8"'
    token = base64.b64encode(b"alice:nope").decode()
    status, headers, _ = fetch(server[1], "/basic", {"Authorization": f"Basic {token}"})
    assert status == 401
    assert headers["www-authenticate"].startswith('Basic realm="e2e"')


def test_digest_auth_with_urllib_and_replay(server):
    base, address, _ = server
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, base, "alice", "wonderland")
    sent: list[str] = []

    class Recording(urllib.request.HTTPDigestAuthHandler):
        def get_authorization(self, req, chal):
            value = super().get_authorization(req, chal)
            if value:
                sent.append(value)
            return value

    opener = urllib.request.build_opener(Recording(manager))
    with opener.open(base + "/digest", timeout=10) as response:
        assert response.read() == b"digest alice"
    (authorization,) = sent
    # The same Authorization sent again is a replay: refused with a stale challenge.
    status, headers, _ = fetch(address, "/digest", {"Authorization": "Digest " + authorization})
    assert status == 401
    assert 'stale="true"' in headers["www-authenticate"]
