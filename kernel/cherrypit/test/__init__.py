"""CherryPy's ``cherrypy.test`` import path: :mod:`cherrypit.test.helper` (``CPWebCase``).

New tests are easier to write with :mod:`cherrypit.testing` (in-process client and
pytest fixtures); this package keeps existing CherryPy test suites running.
"""
