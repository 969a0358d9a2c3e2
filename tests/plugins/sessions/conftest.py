"""Fixtures for the sessions plugin: a fresh site, a mount helper, a storage directory."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest

import cherrypit
from cherrypit.testing import Client, TestResponse, site_context

Mount = Callable[..., Client]


class CounterApp:
    """A small session-using application shared by the tests."""

    @cherrypit.expose
    def count(self) -> str:
        value = cherrypit.session.get("count", 0) + 1
        cherrypit.session["count"] = value
        return str(value)

    @cherrypit.expose
    def peek(self) -> str:
        return repr(cherrypit.session.get("count"))

    @cherrypit.expose
    def untouched(self) -> str:
        return "no session access"

    @cherrypit.expose
    def info(self) -> str:
        s = cherrypit.session
        return f"id={s.id} original={s.originalid} missing={s.missing}"


@pytest.fixture
def mount() -> Iterator[Mount]:
    """``mount(root, config=None, script_name="")`` on a fresh site; returns a Client."""
    with site_context(autoload=True):

        def do_mount(
            root: Any,
            config: dict[str, Any] | None = None,
            script_name: str = "",
            **client_kw: Any,
        ) -> Client:
            cherrypit.tree.mount(root, script_name, config)
            return Client(**client_kw)

        yield do_mount


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    """A directory for file sessions (not created: the storage creates it)."""
    return tmp_path / "store" / "sessions"


def session_cookie(response: TestResponse, name: str = "session_id") -> dict[str, Any]:
    """The attributes of cookie ``name`` in ``response`` (lower-case keys, plus ``value``)."""
    for header in response.header_values("Set-Cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            attrs: dict[str, Any] = {k: v for k, v in morsel.items() if v != ""}
            attrs["value"] = morsel.value
            attrs["raw"] = header
            return attrs
    raise AssertionError(f"no Set-Cookie for {name!r} in {response.header_list!r}")


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        formatter = logging.Formatter("%(message)s")
        return "\n".join(formatter.format(r) for r in self.records)


@pytest.fixture
def error_log() -> Iterator[Records]:
    """Everything written to the site's (and the applications') error log."""
    handler = Records()
    logger = logging.getLogger("cherrypy.error")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def app() -> CounterApp:
    """A fresh :class:`CounterApp` (``/count``, ``/peek``, ``/untouched``, ``/info``)."""
    return CounterApp()


@pytest.fixture
def cookie() -> Callable[..., dict[str, Any]]:
    """:func:`session_cookie`: the session cookie's attributes in a response."""
    return session_cookie
