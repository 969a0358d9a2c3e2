"""Fixtures for the templates plugin: a fresh site, captured error log, a tiny real engine."""

from __future__ import annotations

import html
import os
import string
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from cherrypit_templates import TemplateNotFound, register_engine, unregister_engine
from cherrypit_templates.rendering import forget_engines


class DollarEngine:
    """A small but real engine: ``$name`` substitution in files (string.Template).

    It records what it was built with and the last context it rendered, so tests can
    look at what the plugin hands an engine.
    """

    name: ClassVar[str] = "dollar"
    built: ClassVar[list[DollarEngine]] = []

    def __init__(self, directories: list[str], autoescape: bool = True, **options: Any) -> None:
        self.directories = directories
        self.autoescape = autoescape
        self.options = options
        self.last_context: dict[str, Any] = {}
        DollarEngine.built.append(self)

    def render(self, template_name: str, context: dict[str, Any]) -> str:
        self.last_context = context
        for directory in self.directories:
            path = os.path.join(directory, template_name)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                values = {
                    k: html.escape(str(v)) if self.autoescape else str(v)
                    for k, v in context.items()
                }
                return string.Template(text).safe_substitute(values)
        raise TemplateNotFound(template_name, self.directories)


@pytest.fixture
def dollar() -> Iterator[type[DollarEngine]]:
    """The ``dollar`` engine registered in code (no entry point), removed afterwards."""
    DollarEngine.built.clear()
    register_engine("dollar", DollarEngine)
    try:
        yield DollarEngine
    finally:
        unregister_engine("dollar")
        forget_engines()
        DollarEngine.built.clear()
