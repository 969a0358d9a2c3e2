"""cherrypit's own version and the CherryPy API level it implements.

``VERSION`` is read from the installed distribution's metadata, so the project's
``pyproject.toml`` stays the one place the release number is written.
``CHERRYPY_API_VERSION`` is what ``cherrypit.__version__`` reports: CherryPy code
checks ``cherrypy.__version__`` against the CherryPy release it needs, and the answer
must be the CherryPy release whose behaviour cherrypit reproduces.
"""

from __future__ import annotations

from importlib import metadata

__all__ = ["CHERRYPY_API_VERSION", "DISTRIBUTION", "VERSION"]

DISTRIBUTION = "cherrypit"

#: The CherryPy release whose API cherrypit implements.
CHERRYPY_API_VERSION = "18.10.0"


def _installed_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        # Run from a source tree that was never installed: no metadata to read.
        return "0+unknown"


#: cherrypit's own release number (``pip show cherrypit``).
VERSION: str = _installed_version()
