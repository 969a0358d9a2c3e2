"""The kernel's implementation, one idea per module.

Private: applications import from :mod:`cherrypit`, plugins from :mod:`cherrypit.plugin`.
"""
