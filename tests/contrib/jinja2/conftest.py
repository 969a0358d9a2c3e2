"""Fixtures for the Jinja2 engine tests: captured error log, engine cache reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cherrypit_templates.rendering import forget_engines


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    # Engines are cached per process; each test starts and ends without any.
    forget_engines()
    yield
    forget_engines()
