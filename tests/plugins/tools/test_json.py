"""tools.json_in and tools.json_out."""

from __future__ import annotations

import json

import pytest

import cherrypit
from cherrypit.lib import jsontools

JSON = {"Content-Type": "application/json"}


def upper_json(*args, **kwargs):
    value = cherrypit.request._json_inner_handler(*args, **kwargs)
    return json.dumps(value).upper().encode()


def keys_processor(entity):
    cherrypit.request.json = sorted(json.loads(entity.fp.read()))


class Root:
    @cherrypit.expose
    @cherrypit.tools.json_out()
    def data(self):
        return {"name": "café", "items": [1, 2.5, None, True], "nested": {"k": "v"}}

    @cherrypit.expose
    @cherrypit.tools.json_out()
    def a_string(self):
        return "just a string"

    @cherrypit.expose
    @cherrypit.tools.json_in()
    @cherrypit.tools.json_out()
    def echo(self):
        doc = cherrypit.request.json
        return {"received": doc, "type": type(doc).__name__}

    @cherrypit.expose
    @cherrypit.tools.json_in(force=False)
    def lenient(self, **kwargs):
        return f"json={cherrypit.request.json!r} params={sorted(kwargs.items())!r}"

    @cherrypit.expose
    @cherrypit.tools.json_in(content_type="application/vnd.x+json")
    @cherrypit.tools.json_out(content_type="application/vnd.x+json")
    def vendor(self):
        return {"vendor": cherrypit.request.json}

    @cherrypit.expose
    @cherrypit.tools.json_out()
    def fails(self):
        raise cherrypit.HTTPError(422, "Unprocessable thing")

    @cherrypit.expose
    @cherrypit.tools.json_out(handler=upper_json)
    def custom(self):
        return {"a": "b"}

    @cherrypit.expose
    @cherrypit.tools.json_in(processor=keys_processor)
    @cherrypit.tools.json_out(content_type=None)
    def keys(self):
        return cherrypit.request.json


@pytest.fixture
def client(mount):
    return mount(Root())


def test_json_out_serialises_like_the_stdlib_default(client):
    r = client.get("/data")
    assert r.status == 200
    assert r.header("Content-Type") == "application/json"
    assert r.body == (
        b'{"name": "caf\\u00e9", "items": [1, 2.5, null, true], "nested": {"k": "v"}}'
    )
    assert client.get("/a_string").body == b'"just a string"'


def test_json_out_head_has_length_but_no_body(client):
    r = client.head("/data")
    assert r.body == b""
    assert int(r.header("Content-Length")) == len(client.get("/data").body)


def test_json_round_trip(client):
    r = client.post(
        "/echo", body='{"a": 1, "b": [true, null], "c": "\\u00e9t\\u00e9"}', headers=JSON
    )
    assert r.json() == {"received": {"a": 1, "b": [True, None], "c": "été"}, "type": "dict"}
    r = client.put("/echo", body="[1, 2]", headers={"Content-Type": "text/javascript"})
    assert r.json() == {"received": [1, 2], "type": "list"}
    r = client.post(
        "/echo", json="ünicode", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert r.json()["received"] == "ünicode"


def test_invalid_json_is_400(client):
    r = client.post("/echo", body="{not json", headers=JSON)
    assert r.status == 400
    assert "Invalid JSON document" in r.text


def test_wrong_content_type_is_415(client):
    r = client.post("/echo", body='{"a": 1}', headers={"Content-Type": "text/plain"})
    assert r.status == 415
    assert "Expected an entity of content type application/json, text/javascript" in r.text


def test_missing_content_length_is_411(client):
    r = client.post("/echo", headers=JSON)
    assert r.status == 411


def test_force_false_keeps_other_processors(client):
    r = client.post(
        "/lenient", body="a=1&b=2", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.text == "json=None params=[('a', '1'), ('b', '2')]"
    r = client.post("/lenient", body='{"k": "v"}', headers=JSON)
    assert r.text == "json={'k': 'v'} params=[]"


def test_custom_content_types(client):
    vendor = {"Content-Type": "application/vnd.x+json"}
    r = client.post("/vendor", body='{"v": 2}', headers=vendor)
    assert r.header("Content-Type") == "application/vnd.x+json"
    assert r.json() == {"vendor": {"v": 2}}
    assert client.post("/vendor", body='{"v": 2}', headers=JSON).status == 415


def test_http_errors_keep_the_html_error_page(client):
    r = client.get("/fails")
    assert r.status == 422
    assert r.header("Content-Type") == "text/html;charset=utf-8"
    assert "Unprocessable thing" in r.text


def test_custom_handler_and_processor(client):
    assert client.get("/custom").body == b'{"A": "B"}'
    r = client.post("/keys", body='{"b": 1, "a": 2}', headers=JSON)
    assert r.body == b'["a", "b"]'
    # content_type=None: the default type stays, and tools.encode adds the charset.
    assert r.header("Content-Type") == "text/html;charset=utf-8"


def test_json_out_runs_before_encode_and_after_params():
    out, encode, params = (cherrypit.tools.json_out, cherrypit.tools.encode, cherrypit.tools.params)
    prio = {t._name: t._attachments({})[0][2] for t in (out, encode, params)}
    assert prio == {"json_out": 30, "encode": 70, "params": 15}
    assert cherrypit.tools.json_in._attachments({})[0][:1] == ("before_request_body",)


def test_compat_module_names():
    from cherrypit_tools import jsontools as plugin_jsontools

    assert jsontools.json_out is plugin_jsontools.json_out
    assert jsontools.json_processor is plugin_jsontools.json_processor
    with pytest.raises(AttributeError):
        jsontools.json_encode  # noqa: B018 - removed from CherryPy long ago


@pytest.mark.parametrize("doc", ["[" * 200_000, '{"a":' * 200_000, "[" * 100_000 + "]" * 100_000])
def test_deeply_nested_json_is_400(client, error_log, doc):
    r = client.post("/echo", body=doc, headers=JSON)
    assert r.status == 400
    assert "Invalid JSON document" in r.text
    assert "Traceback" not in error_log.text()
