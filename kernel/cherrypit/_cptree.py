"""CherryPy's ``cherrypy._cptree`` import path; see :mod:`cherrypit._kernel.tree`."""

from cherrypit._kernel.tree import Application as Application
from cherrypit._kernel.tree import Tree as Tree

__all__ = ["Application", "Tree"]
