"""Mako engine for cherrypit templates (being written)."""
