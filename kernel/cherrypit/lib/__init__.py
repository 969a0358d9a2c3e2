"""CherryPy's ``cherrypy.lib`` import path: helper modules that applications import."""
