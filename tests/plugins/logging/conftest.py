"""Fixtures for the logging plugin: a fresh site with the installed plugins, and an app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cherrypit
from cherrypit.testing import Client, site_context

Mount = Callable[..., Client]


class Root:
    """Handlers that log from inside a request."""

    @cherrypit.expose
    def index(self) -> str:
        cherrypit.log("inside the handler", "APP")
        return str(cherrypit.request.unique_id)

    @cherrypit.expose
    def boom(self) -> str:
        raise ValueError("it broke\non two lines")


@pytest.fixture
def mount() -> Iterator[Mount]:
    """``mount(root=None, config=None, script_name="")`` on a fresh site; returns a Client.

    The site's console log is off at first; tests switch it on after capsys is active so
    that the console handlers write to the captured streams.
    """
    with site_context(autoload=True):

        def do_mount(
            root: Any = None, config: dict[str, Any] | None = None, script_name: str = ""
        ) -> Client:
            cherrypit.tree.mount(root if root is not None else Root(), script_name, config)
            return Client()

        try:
            yield do_mount
        finally:
            # Application loggers outlive the apps: leave no handler on them.
            for app in cherrypit.tree.apps.values():
                app.log.screen = False
                app.log.wsgi = False
                app.log.error_file = ""
                app.log.access_file = ""
