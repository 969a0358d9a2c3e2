"""The kernel tier: every test here runs with zero entry-point plugins.

Stub plugins are registered by the tests themselves (``fresh_site(plugins=...)``);
nothing installed (first-party plugins included) is ever loaded in this folder.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cherrypit._kernel import pluginmanager
from cherrypit.testing import site_context


@pytest.fixture(autouse=True)
def _no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(pluginmanager.AUTOLOAD_ENV, "1")
    with site_context(autoload=False):
        yield
