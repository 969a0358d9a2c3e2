"""The pytest plugin that the ``pytest11`` entry point ``cherrypit`` loads.

Installing cherrypit makes its fixtures available to every pytest run, without a
``conftest.py``: ``client``, ``mount``, ``site_reset``, ``kernel``, ``error_log`` and
``live_server`` (see :mod:`cherrypit.testing`).  ``pytest -p no:cherrypit`` (or
``addopts = ["-p", "no:cherrypit"]``) turns them off.

The fixtures are defined in :mod:`cherrypit.testing`; this module only re-exports
them, so a ``conftest.py`` that still says ``pytest_plugins = ["cherrypit.testing"]``
keeps working next to the entry point.
"""

from __future__ import annotations

from cherrypit.testing import client, error_log, kernel, live_server, mount, site_reset

__all__ = ["client", "error_log", "kernel", "live_server", "mount", "site_reset"]
