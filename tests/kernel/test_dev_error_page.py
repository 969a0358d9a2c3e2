"""The development error page: application frames first, framework frames folded.

Status codes and messages are CherryPy 18's (checked against it); the traceback layout,
the request line, the missing-``@expose`` hint and the absence of tracebacks for HTTP
errors raised on purpose are cherrypit's.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import cherrypit
from cherrypit._kernel.tracebacks import ErrorReport, is_framework_module
from cherrypit.testing import Client, TestResponse
from cherrypit.testing import mount_and_client as serve

DEV = {"request.show_tracebacks": True}
JSON = {"Accept": "application/json"}


def app_helper(value: str) -> str:
    raise ValueError(f"bad value <{value}>")


class Root:
    @cherrypit.expose
    def crash(self, value: str = "x") -> str:
        return app_helper(value)

    @cherrypit.expose
    def forbidden(self) -> str:
        raise cherrypit.HTTPError(403, "Members only")

    @cherrypit.expose
    def gone(self) -> str:
        raise cherrypit.NotFound()

    @cherrypit.expose
    def mapped(self) -> str:
        with cherrypit.HTTPError.handle(KeyError, 400):
            empty: dict[str, str] = {}
            return empty["missing"]

    @cherrypit.expose
    def redirect(self) -> str:
        raise cherrypit.HTTPRedirect("/crash")

    def forgotten(self) -> str:
        return "never served"

    class Section:
        def index(self) -> str:
            return "never served"

    section = Section()

    class Shelf:
        pass

    shelf = Shelf()


def traceback_block(r: TestResponse) -> str:
    found = re.search(r'<pre id="traceback">(.*?)</pre>', r.text, re.S)
    assert found is not None, r.text
    return found.group(1)


def dev_client(config: dict[str, Any] | None = None) -> Client:
    return serve(Root(), {"/": {**DEV, **(config or {})}})


# --- unexpected errors ------------------------------------------------------------------


def test_application_frames_come_first_and_framework_frames_are_folded() -> None:
    r = dev_client().get("/crash?value=1")
    assert r.status == 500
    block = traceback_block(r)
    visible, _, folded = block.partition("<details>")
    # The application's frames, innermost last, then the exception.
    assert "in crash\n" in visible and "in app_helper\n" in visible
    assert visible.index("in crash") < visible.index("in app_helper")
    assert visible.rstrip().endswith("ValueError: bad value &lt;1&gt;")
    assert "cherrypit/_kernel" not in visible
    assert re.search(r"\d+ cherrypit frames? left out", visible)
    # The framework frames are all still there, collapsed.
    summary = re.search(r"<summary>Full traceback \((\d+) frames, (\d+) of them", folded)
    assert summary is not None and int(summary.group(2)) >= 1
    assert "_kernel/request.py" in folded and folded.endswith("</details>")


def test_the_page_names_the_error_and_the_request_line_first() -> None:
    r = dev_client().get("/crash?value=%3Cscript%3E")
    block = traceback_block(r)
    first, second = block.split("\n")[:2]
    assert first == '<strong class="error">ValueError: bad value &lt;&lt;script&gt;&gt;</strong>'
    assert second == '<span class="request">GET /crash?value=%3Cscript%3E HTTP/1.1</span>'
    # Production keeps a plain 500 page.
    cherrypit.config.update({"environment": "production"})
    r = serve(Root(), script_name="/prod").get("/prod/crash?value=secret")
    assert r.status == 500
    assert traceback_block(r) == ""
    assert "secret" not in r.text and "GET /prod" not in r.text
    doc = json.loads(serve(Root(), script_name="/p2").get("/p2/crash", headers=JSON).body)
    assert "traceback" not in doc and "request" not in doc


def test_everything_on_the_page_is_escaped() -> None:
    r = dev_client().get("/crash?value=<img src=x onerror=alert(1)>")
    assert "<img" not in r.text
    assert '<span class="request">GET /crash?value=&lt;img src=x' in traceback_block(r)
    assert "ValueError: bad value &lt;&lt;img src=x onerror=alert(1)&gt;&gt;</strong>" in r.text


def test_json_error_carries_the_application_traceback_and_request_line() -> None:
    r = dev_client().get("/crash?value=2", headers=JSON)
    doc = json.loads(r.body)
    assert doc["request"] == "GET /crash?value=2 HTTP/1.1"
    tb = doc["traceback"]
    assert "in app_helper" in tb and tb.rstrip().endswith("ValueError: bad value <2>")
    assert "cherrypit/_kernel" not in tb
    assert re.match(r"Traceback \(most recent call last; \d+ cherrypit frames? left out\)", tb)


def test_custom_error_page_gets_the_application_traceback_text() -> None:
    seen: dict[str, str] = {}

    def page(**fields: str) -> str:
        seen.update(fields)
        return "custom page"

    r = dev_client({"error_page.500": page}).get("/crash?value=3")
    assert r.status == 500 and r.body.strip() == b"custom page"
    assert set(seen) == {"status", "message", "traceback", "version"}
    assert "in app_helper" in seen["traceback"]
    assert "ValueError: bad value &lt;3&gt;" in seen["traceback"]
    assert "_kernel/request.py" not in seen["traceback"]


def test_error_response_answering_an_exception_with_an_http_error_shows_its_traceback() -> None:
    # CherryPy's pattern: request.error_response = HTTPError(502).set_response.
    def error_response() -> None:
        cherrypit.HTTPError(502).set_response()

    r = dev_client({"request.error_response": error_response}).get("/crash")
    assert r.status == 502
    block = traceback_block(r)
    assert block.startswith('<strong class="error">ValueError: bad value &lt;x&gt;</strong>')
    assert "\n    raise ValueError(" in block


# --- HTTP errors raised on purpose ------------------------------------------------------


@pytest.mark.parametrize("path", ["/forbidden", "/gone", "/mapped", "/nowhere"])
def test_http_errors_raised_on_purpose_have_no_traceback(path: str) -> None:
    c = dev_client()
    r = c.get(path)
    assert r.status in (400, 403, 404)
    assert traceback_block(r) == ""
    doc = json.loads(c.get(path, headers=JSON).body)
    assert "traceback" not in doc and "request" not in doc


# --- the missing @expose hint -----------------------------------------------------------


def test_unexposed_method_404_hints_at_expose_in_development() -> None:
    r = dev_client().get("/forgotten")
    assert r.status == 404
    assert r.error_message == "The path '/forgotten' was not found."
    block = traceback_block(r)
    assert "/forgotten leads to Root.forgotten, which is not exposed" in block
    assert "@cherrypit.expose" in block
    # Production: the 404 is unchanged.
    cherrypit.config.update({"environment": "production"})
    r = serve(Root(), script_name="/prod").get("/prod/forgotten")
    assert r.status == 404
    assert traceback_block(r) == "" and "expose" not in r.text
    r = serve(Root(), script_name="/p2").get("/p2/forgotten", headers=JSON)
    assert "hint" not in json.loads(r.body)


def test_object_without_exposed_index_gets_the_hint() -> None:
    r = dev_client().get("/section/")
    assert r.status == 404
    assert "/section leads to Root.Section.index, which is not exposed" in traceback_block(r)
    r = dev_client().get("/shelf")
    assert r.status == 404
    assert "/shelf leads to the Shelf object, which has no exposed index" in traceback_block(r)


def test_method_dispatcher_resource_without_exposed_gets_the_hint() -> None:
    class Items:
        def GET(self) -> str:
            return "items"

    class Api:
        items = Items()

    config = {"/": {**DEV, "request.dispatch": cherrypit.dispatch.MethodDispatcher()}}
    r = serve(Api(), config).get("/items")
    assert r.status == 404
    hint = traceback_block(r)
    assert "/items leads to the Items object, which is not exposed" in hint
    assert "exposed = True" in hint


def test_hint_in_json_errors() -> None:
    doc = json.loads(dev_client().get("/forgotten", headers=JSON).body)
    assert doc["message"] == "The path '/forgotten' was not found."
    assert "Root.forgotten" in doc["hint"] and "@cherrypit.expose" in doc["hint"]


def test_no_hint_for_paths_that_lead_nowhere() -> None:
    r = dev_client().get("/forgotten/deeper/still")
    assert r.status == 404
    assert traceback_block(r) == ""


# --- the report itself ------------------------------------------------------------------


def test_framework_modules() -> None:
    for name in ("cherrypit", "cherrypit._kernel.request", "cherrypit_tools.encoding", "cheroot"):
        assert is_framework_module(name), name
    for name in ("myapp", "cherrypitfan", "json.decoder", "__main__"):
        assert not is_framework_module(name), name


def test_report_of_a_chained_exception_keeps_the_chain() -> None:
    try:
        try:
            empty: dict[str, str] = {}
            empty["key"]
        except KeyError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as exc:
        report = ErrorReport(exc, "GET / HTTP/1.1")
    text = report.text()
    assert text.index("KeyError: 'key'") < text.index("direct cause") < text.index("wrapped")
    assert report.headline() == "RuntimeError: wrapped"
    assert report.framework_frames == 0
    assert "<details" not in report.html()  # nothing to fold
