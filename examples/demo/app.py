"""Assembling the demo: the store, the page tree and its config.

``mount(data_dir)`` is all a caller needs::

    from examples.demo.app import mount
    mount("/var/lib/notes")          # then start cherrypit.engine, or serve cherrypit.tree

``site.conf`` holds the settings; the few that are paths are computed here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cherrypit as cherrypy
from examples.demo import security  # noqa: F401  (adds tools.csrf and tools.login_required)
from examples.demo.pages import Site
from examples.demo.store import Store

__all__ = ["CONFIG_PATH", "DEFAULT_DATA_DIR", "PACKAGE_DIR", "data_dir_from_env", "mount"]

PACKAGE_DIR = Path(__file__).resolve().parent
#: The INI config of the demo (``[global]`` for the site, ``[/path]`` for the app).
CONFIG_PATH = PACKAGE_DIR / "site.conf"
#: Where the database, uploads and sessions go unless ``DEMO_DATA_DIR`` says otherwise.
DEFAULT_DATA_DIR = PACKAGE_DIR / "data"


def data_dir_from_env() -> Path:
    return Path(os.environ.get("DEMO_DATA_DIR") or DEFAULT_DATA_DIR)


def path_config(store: Store) -> dict[str, dict[str, Any]]:
    """The settings that are file system paths."""
    return {
        "/": {
            "tools.template.root": str(PACKAGE_DIR),
            "tools.template.directories": ["templates"],
            "tools.sessions.storage_path": str(store.data_dir / "sessions"),
        },
        "/static": {"tools.staticdir.root": str(PACKAGE_DIR)},
    }


def mount(data_dir: str | Path | None = None, script_name: str = "") -> cherrypy.Application:
    """Create the data directory if needed and mount the site on ``cherrypit.tree``."""
    store = Store(data_dir if data_dir is not None else data_dir_from_env())
    store.create()
    app = cherrypy.tree.mount(Site(store), script_name, str(CONFIG_PATH))
    app.merge(path_config(store))
    return app
