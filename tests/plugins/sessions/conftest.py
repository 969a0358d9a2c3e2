"""Fixtures for the sessions plugin: a fresh site, a mount helper, a storage directory."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest

import cherrypit
from cherrypit.testing import TestResponse


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


@pytest.fixture
def app() -> CounterApp:
    """A fresh :class:`CounterApp` (``/count``, ``/peek``, ``/untouched``, ``/info``)."""
    return CounterApp()


@pytest.fixture
def cookie() -> Callable[..., dict[str, Any]]:
    """:func:`session_cookie`: the session cookie's attributes in a response."""
    return session_cookie
