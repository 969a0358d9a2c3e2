"""Fixtures for the Jinja2 engine tests: captured error log, engine cache reset."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from cherrypit_templates.rendering import forget_engines


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(r.getMessage() for r in self.records)


@pytest.fixture
def error_log() -> Iterator[Records]:
    """Everything written to the site's and the applications' error logs."""
    handler = Records()
    logger = logging.getLogger("cherrypy.error")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    # Engines are cached per process; each test starts and ends without any.
    forget_engines()
    yield
    forget_engines()
