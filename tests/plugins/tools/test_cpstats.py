"""tools.cpstats, logging.statistics and StatsPage."""

from __future__ import annotations

import logging

import pytest

import cherrypit
from cherrypit.lib import cpstats


class Root:
    stats = cpstats.StatsPage()

    @cherrypit.expose
    def index(self):
        return "hello"

    @cherrypit.expose
    def upload(self, **kwargs):
        return "got " + ",".join(sorted(kwargs))

    @cherrypit.expose
    def streamed(self):
        cherrypit.response.stream = True
        return iter(["a", "b"])

    @cherrypit.expose
    def broken(self):
        raise RuntimeError("no")


@pytest.fixture
def app_stats():
    stats = logging.statistics["CherryPy Applications"]  # type: ignore[attr-defined]
    saved = {k: v for k, v in stats.items() if not callable(v)}
    stats.update({"Total Requests": 0, "Total Bytes Read": 0, "Total Bytes Written": 0})
    stats.update({"Total Time": 0, "Current Requests": 0, "Requests": {}, "Enabled": True})
    stats.pop("Slow Queries", None)
    stats.pop("URI Set Tracking", None)
    yield stats
    stats.pop("Slow Queries", None)
    stats.pop("URI Set Tracking", None)
    stats.update(saved)


@pytest.fixture
def client(mount, app_stats):
    return mount(
        Root(),
        {
            "/": {"tools.cpstats.on": True},
            "/upload": {"tools.cpstats.uriset": "uploads", "tools.cpstats.slow_queries": 1e-9},
            "/stats": {"tools.cpstats.on": False},
        },
    )


def test_requests_are_counted(client, app_stats):
    client.get("/")
    client.post("/upload", data={"a": "1", "b": "2"})
    assert app_stats["Total Requests"] == 2
    assert app_stats["Current Requests"] == 0
    assert app_stats["Total Bytes Read"] == len(b"a=1&b=2")
    assert app_stats["Total Bytes Written"] == len(b"hello") + len(b"got a,b")
    (record,) = app_stats["Requests"].values()  # one thread served both
    assert record["Request-Line"] == "POST /upload HTTP/1.1"
    assert record["Response Status"] == "200 OK"
    assert record["Client"](record) == "127.0.0.1:54321"
    uploads = app_stats["URI Set Tracking"]["uploads"]
    assert uploads["Count"] == 1 and uploads["Avg"](uploads) == uploads["Sum"]
    (slow,) = app_stats["Slow Queries"]
    assert slow["Request-Line"] == "POST /upload HTTP/1.1"


def test_paused_collection(client, app_stats):
    app_stats["Enabled"] = False
    client.get("/")
    assert app_stats["Total Requests"] == 0


def test_extrapolation_copies_and_computes():
    scope = {"a": 2, "double": lambda s: s["a"] * 2, "sub": {"x": 1}, "list": [{"y": lambda s: 3}]}
    scope["broken"] = lambda s: 1 / 0
    out = cpstats.extrapolate_statistics(scope)
    assert out == {"a": 2, "double": 4, "sub": {"x": 1}, "list": [{"y": 3}], "broken": None}
    assert out["sub"] is not scope["sub"]


def test_json_page(client):
    client.get("/")
    r = client.get("/stats/data")
    assert r.header("Content-Type") == "application/json"
    data = r.json()
    apps = data["CherryPy Applications"]
    assert apps["Total Requests"] == 1
    assert isinstance(apps["Uptime"], float)
    assert apps["Server Version"] == cherrypit.VERSION


def test_html_page_escapes(client, app_stats):
    logging.statistics["<script>ns"] = {"<b>key": "<i>value", "Enabled": True}  # type: ignore[attr-defined]
    try:
        client.get("/")
        r = client.get("/stats/")
        assert r.status == 200
        assert "<h1>CherryPy Applications</h1>" in r.text
        assert "&lt;script&gt;ns" in r.text and "<script>" not in r.text
        assert "&lt;i&gt;value" in r.text
        assert 'value="Pause"' in r.text  # the pause/resume buttons stay HTML
    finally:
        del logging.statistics["<script>ns"]  # type: ignore[attr-defined]


def test_pause_and_resume_need_post(client, app_stats):
    assert client.get("/stats/pause", query={"namespace": "CherryPy Applications"}).status == 405
    r = client.post("/stats/pause", data={"namespace": "CherryPy Applications"})
    assert r.status == 303
    assert app_stats["Enabled"] is False
    client.post("/stats/resume", data={"namespace": "CherryPy Applications"})
    assert app_stats["Enabled"] is True


def test_byte_count_wrapper():
    import io

    wrapped = cpstats.ByteCountWrapper(io.BytesIO(b"line one\nline two\nrest"))
    assert wrapped.readline() == b"line one\n"
    assert list(wrapped) == [b"line two\n", b"rest"]
    assert wrapped.bytes_read == 22
    wrapped.close()


def test_tool_shape(site_reset):
    tool = cherrypit.tools.cpstats
    assert isinstance(tool, cpstats.StatsTool)
    points = [(p, prio) for p, _, prio, _ in tool._attachments({})]
    assert points == [("on_start_resource", 0), ("on_end_request", 50)]


def test_streamed_and_failed_requests(client, app_stats):
    assert client.get("/streamed").body == b"ab"
    (record,) = app_stats["Requests"].values()
    assert record["Bytes Written"] == "chunked"
    assert app_stats["Total Bytes Written"] == 0
    assert client.get("/broken").status == 500
    (record,) = app_stats["Requests"].values()
    assert record["Response Status"].startswith("500")
    assert (app_stats["Total Requests"], app_stats["Current Requests"]) == (2, 0)
