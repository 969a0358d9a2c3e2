"""The kernel tier: every test here runs with zero entry-point plugins.

Stub plugins are registered by the tests themselves (``fresh_site(plugins=...)``);
nothing installed (first-party plugins included) is ever loaded in this folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cherrypit._kernel import pluginmanager
from cherrypit._kernel.dispatch import Dispatcher
from cherrypit.testing import site_context


@pytest.fixture(autouse=True)
def _no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(pluginmanager.AUTOLOAD_ENV, "1")
    with site_context(autoload=False):
        yield


@pytest.fixture
def walked_paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the default dispatcher walks from now on (not reuses), in order."""
    walks: list[str] = []
    walk = Dispatcher._walk

    def counting_walk(self: Any, request: Any, path: str, *args: Any) -> Any:
        walks.append(path)
        return walk(self, request, path, *args)

    monkeypatch.setattr(Dispatcher, "_walk", counting_walk)
    return walks
