"""CherryPy's ``cherrypy._helper`` import path: ``expose``, ``popargs`` and ``url``."""

from cherrypit._kernel.dispatch import expose as expose
from cherrypit._kernel.dispatch import popargs as popargs
from cherrypit._kernel.urls import normalize_path as normalize_path
from cherrypit._kernel.urls import url as url

__all__ = ["expose", "normalize_path", "popargs", "url"]
