"""tools.proxy: headers believed only from trusted peers, applied before dispatch (kernel)."""

from __future__ import annotations

from typing import Any

import pytest

import cherrypit
from cherrypit.plugin import is_trusted
from cherrypit.testing import Client
from cherrypit_tools.proxy import parse_forwarded


class Root:
    @cherrypit.expose
    def index(self) -> str:
        r = cherrypit.request
        return f"{r.base}|{r.scheme}|{r.remote.ip}|{cherrypit.url('/x')}"

    @cherrypit.expose
    def go(self) -> str:
        raise cherrypit.HTTPRedirect("target")

    def _cp_dispatch(self, vpath: list[str]) -> Any:
        # A redirect raised *while dispatching* must already see the public URL.
        if vpath and vpath[0] == "moved":
            raise cherrypit.HTTPRedirect("/new-home")
        return None


FORWARDED = {
    "X-Forwarded-Host": "www.example.com",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.7, 10.0.0.2",
}


def _mount(**proxy: Any) -> None:
    conf = {"tools.proxy.on": True, **{f"tools.proxy.{k}": v for k, v in proxy.items()}}
    cherrypit.tree.mount(Root(), "", {"/": conf})


def test_loopback_proxy_is_trusted_by_default(site_reset: None) -> None:
    _mount()
    r = Client().get("/", headers=FORWARDED)
    # 10.0.0.2 is not a proxy we trust: as far as we know, it is the client.
    assert r.text == "https://www.example.com|https|10.0.0.2|https://www.example.com/x"


def test_client_is_the_rightmost_untrusted_address(site_reset: None) -> None:
    _mount(trusted=["127.0.0.1", "10.0.0.0/8"])
    r = Client().get("/", headers=FORWARDED)
    assert r.text.split("|")[2] == "203.0.113.7"
    # A client writing its own X-Forwarded-For cannot choose its address: the proxy
    # appends the real one, and that one counts.
    spoofed = {**FORWARDED, "X-Forwarded-For": "6.6.6.6, 198.51.100.20"}
    assert Client().get("/", headers=spoofed).text.split("|")[2] == "198.51.100.20"


def test_forwarded_host_with_odd_characters_is_ignored(site_reset: None) -> None:
    _mount()
    r = Client().get("/", headers={**FORWARDED, "X-Forwarded-Host": "evil.example/path"})
    assert r.text.startswith("https://127.0.0.1:8080|")


def test_other_peers_are_not_believed_by_default(site_reset: None) -> None:
    _mount()
    r = Client(remote_addr="198.51.100.9").get("/", headers=FORWARDED)
    assert r.text == "http://127.0.0.1:8080|http|198.51.100.9|http://127.0.0.1:8080/x"


def test_configured_networks_and_star(site_reset: None) -> None:
    _mount(trusted=["10.0.0.0/8"])
    assert (
        Client(remote_addr="10.1.2.3")
        .get("/", headers=FORWARDED)
        .text.startswith("https://www.example.com|")
    )
    assert (
        Client(remote_addr="127.0.0.1")
        .get("/", headers=FORWARDED)
        .text.startswith("http://127.0.0.1:8080|")
    )
    cherrypit.tree.apps.clear()
    _mount(trusted=["*"])  # CherryPy's behaviour: every peer is the proxy
    assert (
        Client(remote_addr="192.0.2.1")
        .get("/", headers=FORWARDED)
        .text.startswith("https://www.example.com|")
    )


def test_rfc7239_forwarded_header_when_enabled(site_reset: None) -> None:
    _mount(forwarded=True)
    headers = {
        # The client's own element first, the one our proxy appended last.
        "Forwarded": 'for=6.6.6.6;host=evil.example, for="[2001:db8::7]:4711";proto=https;'
        "host=api.example.org",
    }
    r = Client().get("/", headers=headers)
    assert r.text == "https://api.example.org|https|2001:db8::7|https://api.example.org/x"


def test_forwarded_header_is_ignored_unless_enabled(site_reset: None) -> None:
    # A proxy that sets only X-Forwarded-* passes a client's Forwarded header through.
    _mount()
    headers = {"Forwarded": "for=6.6.6.6;host=evil.example;proto=https"}
    r = Client().get("/", headers=headers)
    assert r.text == "http://127.0.0.1:8080|http|127.0.0.1|http://127.0.0.1:8080/x"


def test_redirects_raised_during_dispatch_see_the_public_url(site_reset: None) -> None:
    _mount()
    c = Client()
    r = c.get("/moved", headers=FORWARDED)
    assert (r.status, r.header("Location")) == (303, "https://www.example.com/new-home")
    r = c.get("/go", headers=FORWARDED)
    assert r.header("Location") == "https://www.example.com/target"


def test_site_wide_switch_works_too(site_reset: None) -> None:
    cherrypit.config.update({"tools.proxy.on": True, "tools.proxy.base": "https://fixed.example"})
    cherrypit.tree.mount(Root())
    r = Client().get("/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.text.startswith("https://fixed.example|http|203.0.113.9|")


def test_forwarded_host_may_carry_the_scheme(site_reset: None) -> None:
    # CherryPy takes "scheme://host" in X-Forwarded-Host as the whole base.
    _mount()
    c = Client()
    r = c.get("/", headers={"X-Forwarded-Host": "http://www.example.test"})
    assert r.text == "http://www.example.test|http|127.0.0.1|http://www.example.test/x"
    r = c.get("/go", headers={"X-Forwarded-Host": "https://www.example.test, other.test"})
    assert r.header("Location") == "https://www.example.test/target"
    r = c.get("/", headers={"X-Forwarded-Host": "javascript://www.example.test"})
    assert r.text.startswith("http://127.0.0.1:8080|")


class Paths:
    @cherrypit.expose
    def index(self) -> str:
        return f"{cherrypit.request.base}|{cherrypit.request.remote.ip}"

    @cherrypit.expose
    @cherrypit.config(**{"tools.proxy.base": None})
    def no_base(self) -> str:
        return f"{cherrypit.request.base}|{cherrypit.request.remote.ip}"

    @cherrypit.expose
    @cherrypit.config(**{"tools.proxy.remote": ""})
    def peer(self) -> str:
        return f"{cherrypit.request.base}|{cherrypit.request.remote.ip}"


def test_a_paths_proxy_settings_override_the_sites(site_reset: None) -> None:
    cherrypit.config.update({"tools.proxy.on": True, "tools.proxy.base": "www.mydomain.test"})
    cherrypit.tree.mount(Paths())
    c = Client()
    xff = {"X-Forwarded-For": "203.0.113.9", "Host": "localhost:8080"}
    assert c.get("/", headers=xff).text == "http://www.mydomain.test|203.0.113.9"
    # No base on this path: the Host header (with its port) is the base.
    assert c.get("/no_base", headers=xff).text == "http://localhost:8080|203.0.113.9"
    # Started over from the request's own values: the peer's address, not the client's.
    assert c.get("/peer", headers=xff).text == "http://www.mydomain.test|127.0.0.1"


@pytest.mark.parametrize(
    ("peer", "trusted", "expected"),
    [
        ("127.0.0.1", ["127.0.0.1"], True),
        ("::1", ["127.0.0.1", "::1"], True),
        ("10.9.8.7", ["10.0.0.0/8"], True),
        ("11.0.0.1", ["10.0.0.0/8"], False),
        ("not-an-ip", ["127.0.0.1"], False),
        ("not-an-ip", ["*"], True),
        ("192.0.2.1", ["bogus", "192.0.2.1"], True),
        ("::ffff:127.0.0.1", ["127.0.0.1"], True),
    ],
)
def test_is_trusted(peer: str, trusted: list[str], expected: bool) -> None:
    assert is_trusted(peer, trusted) is expected


def test_parse_forwarded_takes_the_client_side_element() -> None:
    assert parse_forwarded('For="192.0.2.60";Proto=http;By=203.0.113.43, for=198.51.100.17') == {
        "for": "192.0.2.60",
        "proto": "http",
        "by": "203.0.113.43",
    }
