"""Error bodies negotiated by Accept: JSON for API clients, HTML otherwise."""

from __future__ import annotations

import json

import cherrypit
from cherrypit.testing import Client


class Root:
    @cherrypit.expose
    def forbidden(self) -> str:
        raise cherrypit.HTTPError(403, "nope <b>")

    @cherrypit.expose
    def crash(self) -> str:
        raise RuntimeError("boom")


def _client() -> Client:
    cherrypit.tree.mount(Root())
    return Client()


def test_json_when_accept_prefers_json(kernel: None) -> None:
    r = _client().get("/forbidden", headers={"Accept": "application/json"})
    assert r.status == 403
    assert r.header("Content-Type") == "application/json"
    doc = json.loads(r.body)
    # Raw message (no HTML escaping) and no padding for "friendly error" browsers.
    assert doc == {"status": "403 Forbidden", "code": 403, "message": "nope <b>"}


def test_structured_json_suffix_counts_as_json(kernel: None) -> None:
    r = _client().get("/missing", headers={"Accept": "application/problem+json"})
    assert r.status == 404
    assert json.loads(r.body)["message"] == "The path '/missing' was not found."


def test_html_when_html_ranks_higher_or_no_accept(kernel: None) -> None:
    c = _client()
    for accept in ("text/html,application/json;q=0.9", "*/*", None):
        headers = {"Accept": accept} if accept else {}
        r = c.get("/forbidden", headers=headers)
        assert r.header("Content-Type") == "text/html;charset=utf-8", accept
        assert "nope &lt;b&gt;" in r.text


def test_traceback_only_in_development(kernel: None) -> None:
    c = _client()
    r = c.get("/crash", headers={"Accept": "application/json"})
    assert "traceback" not in json.loads(r.body)
    cherrypit.config.update({"environment": "development"})
    r = c.get("/crash", headers={"Accept": "application/json"})
    assert "RuntimeError: boom" in json.loads(r.body)["traceback"]


def test_negotiation_can_be_switched_off(kernel: None) -> None:
    cherrypit.config.update({"request.negotiate_errors": False})
    r = _client().get("/forbidden", headers={"Accept": "application/json"})
    assert r.header("Content-Type") == "text/html;charset=utf-8"


def test_custom_error_page_wins_over_negotiation(kernel: None) -> None:
    cherrypit.tree.mount(
        Root(), "", {"/": {"error_page.403": lambda **kw: "custom " + kw["status"]}}
    )
    r = Client().get("/forbidden", headers={"Accept": "application/json"})
    assert r.body.rstrip() == b"custom 403 Forbidden"
