"""CherryPy's ``cherrypy.process`` package: the engine bus and its process plugins.

The global ``engine`` bus is created by the kernel, not here.
"""

from cherrypit.process import plugins, servers, wspbus

__all__ = ["plugins", "servers", "wspbus"]
