"""CherryPy's ``cherrypy._cpchecker`` import path: the start-up config ``Checker``.

The site's instance is ``cherrypit.checker``; ``checker.on = False`` in config turns
it off.
"""

from cherrypit._kernel.site import Checker as Checker

__all__ = ["Checker"]
