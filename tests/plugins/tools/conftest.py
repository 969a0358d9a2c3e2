"""Fixtures for the built-in toolbox tests: a fresh site, a mount helper, captured logs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cherrypit
from cherrypit.testing import Client, site_context

Mount = Callable[..., Client]


@pytest.fixture
def mount() -> Iterator[Mount]:
    """``mount(root, config=None, script_name="")`` on a fresh site; returns a Client."""
    with site_context(autoload=True):

        def do_mount(
            root: Any, config: dict[str, Any] | None = None, script_name: str = ""
        ) -> Client:
            cherrypit.tree.mount(root, script_name, config)
            return Client()

        yield do_mount


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        formatter = logging.Formatter("%(message)s")
        return "\n".join(formatter.format(r) for r in self.records)


@pytest.fixture
def error_log() -> Iterator[_Records]:
    """Everything written to the site's (and the applications') error log."""
    handler = _Records()
    logger = logging.getLogger("cherrypy.error")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
