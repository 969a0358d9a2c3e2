"""CherryPy's ``cherrypy._cptree`` import path; see :mod:`cherrypit._kernel.tree`.

``tools`` is the site toolbox (``cherrypit.tools``), the default entry of
``Application.toolboxes``.
"""

from cherrypit._kernel.site import toolbox as tools
from cherrypit._kernel.tree import Application as Application
from cherrypit._kernel.tree import Tree as Tree

__all__ = ["Application", "Tree", "tools"]
