"""The start-up warm-up: work of the first request done at engine start, unobservably."""

from __future__ import annotations

from typing import Any

import pytest

import cherrypit
from cherrypit._kernel import site, warmup
from cherrypit.testing import Client, LogRecords


class _Counting:
    """A root that records every call of application code."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @cherrypit.expose
    def index(self) -> str:
        self.calls.append("index")
        return "home"

    @cherrypit.expose
    def default(self, *args: Any) -> str:
        self.calls.append("default")
        return "default"

    def _cp_dispatch(self, vpath: list[str]) -> Any:
        self.calls.append("_cp_dispatch")
        return None


class _Static:
    @cherrypit.expose
    def index(self) -> str:
        return "static"


def _start_and_stop() -> None:
    cherrypit.engine.start()
    cherrypit.engine.stop()


def test_engine_start_builds_plans_without_running_application_code() -> None:
    root = _Counting()
    root.docs = _Static()  # type: ignore[attr-defined]
    app = cherrypit.tree.mount(root, "", {"/docs": {"response.headers.X-Docs": "1"}})
    seen: list[str] = []
    cherrypit.engine.subscribe("before_request", lambda: seen.append("before_request"))
    cherrypit.engine.subscribe("after_request", lambda: seen.append("after_request"))

    _start_and_stop()

    # One plan for "/" and one for the "/docs" section: no request builds them.
    assert len(app._plans) == 2
    assert app.wsgiapp.head is not None
    assert root.calls == []
    assert seen == []

    client = Client()
    assert client.get("/").body == b"home"
    assert client.get("/docs/").headers["x-docs"] == "1"
    assert len(app._plans) == 2
    assert root.calls == ["index"]


def test_warm_up_writes_no_access_line_and_logs_no_error(error_log: LogRecords) -> None:
    cherrypit.tree.mount(_Counting(), "")
    access = LogRecords()
    cherrypit.log.access_log.addHandler(access)
    try:
        _start_and_stop()
    finally:
        cherrypit.log.access_log.removeHandler(access)
    assert access.records == []
    assert [r for r in error_log.records if "ENGINE Bus" not in r.getMessage()] == []


def test_probe_requests_are_answered_by_the_whole_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    from cherrypit._kernel import wsgi

    answered: list[tuple[str, str]] = []

    def recording(request: Any, environ: dict[str, Any], path: str, qs: str) -> None:
        wsgi.run_request(request, environ, path, qs)
        answered.append((path, str(request._answer.status)))

    monkeypatch.setattr(warmup, "run_request", recording)
    warmup.warm_up(site.tree)
    assert set(answered) == {("/", "200 OK"), ("/missing", "404 Not Found")}


def test_the_probe_ignores_the_site_config() -> None:
    calls: list[str] = []
    cherrypit.config.update({"hooks.before_handler": lambda: calls.append("hook")})
    warmup.warm_up(site.tree)
    assert calls == []


def test_custom_dispatchers_are_not_called_at_start() -> None:
    calls: list[str] = []

    def dispatcher(path: str) -> None:
        calls.append(path)
        cherrypit.request.handler = lambda: "custom"

    cherrypit.tree.mount(_Counting(), "", {"/": {"request.dispatch": dispatcher}})
    _start_and_stop()
    assert calls == []
    assert Client().get("/").body == b"custom"


def test_a_failing_warm_up_does_not_stop_the_start(
    error_log: LogRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Fragile:
        @property
        def index(self) -> Any:
            raise RuntimeError("attribute access fails")

    cherrypit.tree.mount(Fragile(), "")
    cherrypit.engine.start()
    try:
        assert cherrypit.engine.state == cherrypit.engine.states.STARTED
    finally:
        cherrypit.engine.stop()
    assert "warm-up failed" in error_log.text()
    assert "attribute access fails" in error_log.text()
